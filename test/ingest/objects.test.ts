/**
 * Every object under an input gets a files row: symlinks (to evidence inside the inputs, outside
 * them, dangling, looping, to a folder, to a device), a FIFO, a socket, a device named as an input,
 * an unreadable file and folder, and a path longer than the system allows. The CLI runs as root without the
 * capabilities that override file permissions, so they are real; the good evidence beside them loads exactly,
 * and the FIFO is never opened (opening it would block forever).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseDb } from '../../src/index.js';
import type { Row } from '../../src/index.js';
import { CLI, records, s3File, tmpDir, write } from '../helpers.js';
import { STACK_LINE } from '../fixtures/use/run.js';

/**
 * Permissions must be real for the unreadable cases, and root reads anything: the CLI runs as root
 * without the capabilities that override file permissions (so it still reaches the clone, wherever
 * CI put it, while a mode-000 file or folder is refused as it would be for any user).
 */
const NOBODY = ['--bounding-set=-dac_override,-dac_read_search'];
/** More than PATH_MAX (4,096 bytes) below the evidence folder, made one relative step at a time. */
const DEEP_STEPS = 18;
const STEP = 'd'.repeat(250);

let base: string;
let evidence: string;
let server: net.Server;

beforeAll(async () => {
  base = tmpDir('kt-objects-');
  fs.chmodSync(base, 0o755);
  evidence = path.join(base, 'evidence');
  const e = (name: string, content: string | Buffer) => write(path.join(evidence, name), content);
  e('good.json.gz', s3File(records(3)));
  e('sub/more.json.gz', s3File(records(2)));
  write(path.join(base, 'outside', 'secret.json.gz'), s3File(records(4)));
  fs.symlinkSync('good.json.gz', path.join(evidence, 'link-to-good'));
  fs.symlinkSync('../outside/secret.json.gz', path.join(evidence, 'link-outside'));
  fs.symlinkSync('no-such-file.json', path.join(evidence, 'dangling'));
  fs.symlinkSync('loop-b', path.join(evidence, 'loop-a'));
  fs.symlinkSync('loop-a', path.join(evidence, 'loop-b'));
  fs.symlinkSync('sub', path.join(evidence, 'link-to-folder'));
  fs.symlinkSync('/dev/null', path.join(evidence, 'link-to-devnull'));
  expect(spawnSync('mkfifo', [path.join(evidence, 'fifo')]).status).toBe(0);
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(evidence, 'sock'), resolve));
  e('unreadable.json.gz', s3File(records(5)));
  e('locked/inner.json.gz', s3File(records(6)));
  fs.mkdirSync(path.join(evidence, 'deep'));
  const deep = spawnSync('bash', ['-c', `for i in $(seq ${DEEP_STEPS}); do mkdir ${STEP} && cd ${STEP} || exit 1; done; cat > bottom.json`], {
    cwd: path.join(evidence, 'deep'),
    input: JSON.stringify({ Records: records(7) }),
  });
  expect(deep.status).toBe(0);
  // Readable by anyone: every folder and file, except the two that must not be.
  for (const d of [evidence, path.join(evidence, 'sub'), path.join(evidence, 'deep'), path.join(base, 'outside')]) fs.chmodSync(d, 0o755);
  for (const f of ['good.json.gz', 'sub/more.json.gz', 'locked/inner.json.gz']) fs.chmodSync(path.join(evidence, f), 0o644);
  fs.chmodSync(path.join(base, 'outside', 'secret.json.gz'), 0o644);
  fs.chmodSync(path.join(evidence, 'unreadable.json.gz'), 0o000);
  fs.chmodSync(path.join(evidence, 'locked'), 0o000);
  spawnSync('chmod', ['-R', 'a+rX', path.join(evidence, 'deep')]);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  // fs.rmSync cannot remove a tree deeper than PATH_MAX (ENAMETOOLONG); rm(1) can.
  spawnSync('rm', ['-rf', base]);
});

/** The CLI without permission overrides; a hang is a timeout, not a stuck test run. */
function ingestAsNobody(inputs: string[], extra: string[] = [], db = newCase()) {
  const r = spawnSync('setpriv', [...NOBODY, process.execPath, CLI, 'ingest', ...inputs, '--db', db, '--json', ...extra], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { ...r, db };
}

function newCase(): string {
  const out = fs.mkdtempSync(path.join(base, 'out-'));
  return path.join(out, 'case.duckdb');
}

async function filesRows(db: string): Promise<Row[]> {
  const c = await CaseDb.open(db, { readOnly: true });
  try {
    return await c.all(`SELECT * FROM files ORDER BY id`);
  } finally {
    c.close();
  }
}

describe('every object under an input gets a row', () => {
  let run: ReturnType<typeof ingestAsNobody>;
  let rows: Row[];
  let byName: Map<string, Row>;

  beforeAll(async () => {
    run = ingestAsNobody([evidence, '/dev/null']);
    rows = await filesRows(run.db);
    byName = new Map(rows.map((r) => [String(r.path).startsWith(`${evidence}/`) ? String(r.path).slice(evidence.length + 1) : String(r.path), r]));
  }, 120_000);

  const row = (name: string) => {
    const r = byName.get(name);
    if (!r) throw new Error(`no files row for ${name}; rows: ${[...byName.keys()].map((k) => k.slice(0, 60)).join(', ')}`);
    return r;
  };

  it('finishes (the FIFO is not opened), exits 0 and prints no stack trace', () => {
    expect(run.error).toBeUndefined();
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it('loads the good evidence exactly once', () => {
    expect(row('good.json.gz')).toMatchObject({ status: 'ingested', events: 3 });
    expect(row('sub/more.json.gz')).toMatchObject({ status: 'ingested', events: 2 });
    expect(rows.reduce((n, r) => n + Number(r.events), 0)).toBe(5);
    expect(JSON.parse(run.stdout)).toMatchObject({ events: 5 });
  });

  it('a symlink to evidence inside the inputs: the link says where the file is read, the file is read once', () => {
    expect(row('link-to-good')).toMatchObject({ status: 'duplicate-file', format: 'symlink', events: 0 });
    expect(row('link-to-good').reason).toBe(`symbolic link to ${evidence}/good.json.gz: read once, under that path`);
  });

  it('symlinks that are not followed say why', () => {
    expect(row('link-outside')).toMatchObject({ status: 'rejected', format: 'symlink', events: 0 });
    expect(row('link-outside').reason).toBe(
      `symbolic link to a file outside the inputs (${base}/outside/secret.json.gz): not read; name that file as an input to read it`,
    );
    expect(row('dangling')).toMatchObject({ status: 'rejected', format: 'symlink' });
    expect(row('dangling').reason).toBe('symbolic link to no-such-file.json, which does not exist (a dangling link): nothing to read');
    for (const loop of ['loop-a', 'loop-b']) {
      expect(row(loop)).toMatchObject({ status: 'rejected', format: 'symlink' });
      expect(row(loop).reason).toMatch(/^symbolic link that loops \(its target loop-[ab] leads back to it\): nothing to read$/);
    }
    expect(row('link-to-folder')).toMatchObject({ status: 'rejected', format: 'symlink' });
    expect(row('link-to-folder').reason).toBe(`symbolic link to a folder (${evidence}/sub): not followed; name that folder as an input to read it`);
    expect(row('link-to-devnull')).toMatchObject({ status: 'skipped', format: 'symlink' });
    expect(row('link-to-devnull').reason).toBe('symbolic link to a character device (/dev/null): not read');
  });

  it('FIFOs, sockets and devices are named by kind and never read', () => {
    expect(row('fifo')).toMatchObject({ status: 'skipped', format: 'fifo', reason: 'a FIFO (named pipe): not read' });
    expect(row('sock')).toMatchObject({ status: 'skipped', format: 'socket', reason: 'a Unix socket: not read' });
    expect(row('/dev/null')).toMatchObject({ status: 'skipped', format: 'char-device', reason: 'a character device: not read' });
  });

  it('an unreadable file and an unreadable folder', () => {
    expect(row('unreadable.json.gz')).toMatchObject({ status: 'rejected', reason: 'cannot read: permission denied' });
    expect(row('locked')).toMatchObject({ status: 'rejected', format: 'folder' });
    expect(row('locked').reason).toBe('cannot read folder: permission denied (the files in it are not read)');
  });

  it('a path longer than the system allows gets a row with the path and the reason', () => {
    const deep = [...byName.keys()].filter((k) => k.startsWith('deep/'));
    expect(deep).toHaveLength(1);
    const r = row(deep[0]!);
    expect(Buffer.byteLength(String(r.path))).toBeGreaterThanOrEqual(4096);
    expect(r.path).toBe(path.join(evidence, 'deep', ...Array.from({ length: (deep[0]!.length - 4) / 251 }, () => STEP)));
    expect(r).toMatchObject({ status: 'rejected', format: 'unknown' });
    expect(r.reason).toMatch(/^path is \d,\d{3} bytes, longer than the system allows \(ENAMETOOLONG\): cannot be opened; move the evidence to a shorter path$/);
  });

  it('accounts for every object: one row each, counted in the summary, rejected ones among its problems', () => {
    const names = [
      'good.json.gz',
      'sub/more.json.gz',
      'link-to-good',
      'link-outside',
      'dangling',
      'loop-a',
      'loop-b',
      'link-to-folder',
      'link-to-devnull',
      'fifo',
      'sock',
      'unreadable.json.gz',
      'locked',
      '/dev/null',
    ];
    expect(rows).toHaveLength(names.length + 1);
    for (const n of names) row(n);
    const s = JSON.parse(run.stdout);
    const by = (status: string) => rows.filter((r) => r.status === status).length;
    expect(s.files).toEqual({ ingested: by('ingested'), partial: 0, skipped: by('skipped'), 'duplicate-file': by('duplicate-file'), rejected: by('rejected') });
    expect(s.files).toEqual({ ingested: 2, partial: 0, skipped: 4, 'duplicate-file': 1, rejected: 8 });
    expect(s.problems.map((p: { path: string }) => p.path).sort()).toEqual(
      rows
        .filter((r) => r.status === 'rejected')
        .map((r) => r.path)
        .sort(),
    );
  });

  it('ingesting again adds no row: the objects are already in the case, like files already read', async () => {
    const again = ingestAsNobody([evidence, '/dev/null'], [], run.db);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      events: 0,
      alreadyInCase: rows.length,
      files: { ingested: 0, skipped: 0, 'duplicate-file': 0, rejected: 0 },
    });
    expect(await filesRows(run.db)).toEqual(rows);
  });

  it('--strict turns the rejected objects into exit status 2', () => {
    const strict = ingestAsNobody([evidence], ['--strict']);
    expect(strict.signal).toBeNull();
    expect(strict.status).toBe(2);
    expect(strict.stderr).toMatch(/--strict: 8 file\(s\) rejected/);
    expect(strict.stderr).not.toMatch(STACK_LINE);
  });
});

describe('a glob is classified the same way', () => {
  it('a FIFO, a socket and a symlink the pattern matches get their rows', async () => {
    const run = ingestAsNobody([`${evidence}/*`]);
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    const rows = new Map((await filesRows(run.db)).map((r) => [String(r.path).slice(evidence.length + 1), r]));
    expect(rows.get('good.json.gz')).toMatchObject({ status: 'ingested', events: 3 });
    expect(rows.get('fifo')).toMatchObject({ status: 'skipped', reason: 'a FIFO (named pipe): not read' });
    expect(rows.get('sock')).toMatchObject({ status: 'skipped', reason: 'a Unix socket: not read' });
    expect(rows.get('link-to-good')).toMatchObject({ status: 'duplicate-file', format: 'symlink' });
    expect(rows.get('unreadable.json.gz')).toMatchObject({ status: 'rejected', reason: 'cannot read: permission denied' });
    // Folders the pattern matches are not walked (as before): `*` names what is directly inside.
    expect(rows.has('sub/more.json.gz')).toBe(false);
  });

  it('an unreadable folder the pattern has to enter gets a row', async () => {
    const run = ingestAsNobody([`${evidence}/**/*.json.gz`]);
    expect(run.status).toBe(0);
    const rows = new Map((await filesRows(run.db)).map((r) => [String(r.path).slice(evidence.length + 1), r]));
    expect(rows.get('sub/more.json.gz')).toMatchObject({ status: 'ingested', events: 2 });
    expect(rows.get('locked')).toMatchObject({ status: 'rejected', reason: 'cannot read folder: permission denied (the files in it are not read)' });
  });
});
