/**
 * Hostile and broken archives (issue 10): whatever one archive does (truncation, a bomb member,
 * nesting that multiplies, an impossible tar size), it becomes rows with reasons, within bounded
 * time and memory, and the good files beside it load exactly. Corpora are built here, bombs as
 * small compressed data.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { once } from 'node:events';
import { CaseDb, ingest } from '../../src/index.js';
import type { Row } from '../../src/index.js';
import { CLI, record, records, s3File, sha256, tmpDir, write } from '../helpers.js';
import writeZip from './zip-writer.js';

const jsonl = (n: number) =>
  `${records(n)
    .map((r) => JSON.stringify(r))
    .join('\n')}\n`;

/** A ustar header; `size` may be a ready-made 12-byte field (base-256). */
function tarHeader(name: string, size: number | Buffer, type = '0', linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  if (typeof size === 'number') h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  else size.copy(h, 124);
  h.write('15057146000\0', 136);
  h.write(type, 156);
  h.write(linkname, 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const padded = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
const tarMember = (name: string, data: string | Buffer) => Buffer.concat([tarHeader(name, Buffer.byteLength(data)), padded(Buffer.from(data))]);
const tarEnd = () => Buffer.alloc(1024);

/** Every file under a folder with its sha256, to show the evidence was not changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out[f] = sha256(p);
  }
  return out;
}

interface Run {
  status: number;
  stderr: string;
  /** Peak resident memory of the CLI, in bytes, when /usr/bin/time is there to measure it. */
  maxRss?: number;
  seconds: number;
}

/** The CLI, measured: wall time, and peak memory through /usr/bin/time. */
function run(args: string[]): Run {
  const started = performance.now();
  const timed = fs.existsSync('/usr/bin/time');
  const cmd = timed ? '/usr/bin/time' : process.execPath;
  const argv = timed ? ['-f', 'maxrss-kb %M', process.execPath, CLI, ...args] : [CLI, ...args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  let stderr = r.stderr;
  let maxRss: number | undefined;
  const m = /maxrss-kb (\d+)\n?$/.exec(stderr);
  if (m) {
    maxRss = Number(m[1]) * 1024;
    stderr = stderr.slice(0, m.index);
  }
  return { status: r.status ?? -1, stderr, maxRss, seconds: (performance.now() - started) / 1000 };
}

/** What an ingest left in the case: files rows by path relative to the evidence folder, and events. */
async function caseOf(db: string, evidence: string): Promise<{ files: Map<string, Row>; events: number }> {
  const c = await CaseDb.open(db, { readOnly: true });
  try {
    const files = new Map((await c.all(`SELECT * FROM files ORDER BY id`)).map((f) => [String(f.path).slice(evidence.length + 1), f]));
    const events = Number((await c.all(`SELECT count(*) AS n FROM events`))[0]!.n);
    return { files, events };
  } finally {
    c.close();
  }
}

function row(files: Map<string, Row>, name: string): Row {
  const r = files.get(name);
  if (!r) throw new Error(`no files row for ${name}; rows: ${[...files.keys()].join(', ')}`);
  return r;
}

/**
 * Ingest a folder through the CLI twice (plain and --strict) and check what every case shares:
 * exit 0 (2 with --strict when a file is rejected), no stack trace, bounded time and memory, the
 * evidence unchanged, and the good file beside the hostile one loaded exactly.
 */
async function ingestFolder(evidence: string, goodEvents: number, expectRejected: boolean) {
  const before = snapshot(evidence);
  const db = path.join(tmpDir(), 'case.duckdb');
  const r = run(['ingest', evidence, '--db', db]);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/keytrail-\w{6}|normalized-\d|archive-\d+\//); // no temporary file named
  expect(r.status).toBe(0);
  expect(r.seconds).toBeLessThan(60);
  if (r.maxRss !== undefined) expect(r.maxRss).toBeLessThan(1.5 * 2 ** 30);
  const strict = run(['ingest', evidence, '--db', path.join(tmpDir(), 'strict.duckdb'), '--strict', '--quiet']);
  expect(strict.status).toBe(expectRejected ? 2 : 0);
  expect(strict.stderr).not.toMatch(/\n\s+at /);
  expect(snapshot(evidence)).toEqual(before);
  const got = await caseOf(db, evidence);
  expect(row(got.files, 'good.json.gz')).toMatchObject({ status: 'ingested', events: goodEvents });
  return { ...got, stderr: r.stderr };
}

/** A gzip stream of `parts`, where a number is that many MiB of spaces: a bomb in a few hundred KiB. */
async function gzipOf(parts: (Buffer | number)[]): Promise<Buffer> {
  const gz = zlib.createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const mib = Buffer.alloc(1 << 20, 0x20);
  for (const p of parts) {
    if (typeof p === 'number') for (let i = 0; i < p; i++) gz.write(mib);
    else gz.write(p);
  }
  gz.end();
  await once(gz, 'end');
  return Buffer.concat(out);
}

describe('a truncated .tar.gz (case 1)', () => {
  it('keeps the members that were whole, says where it ends, and the files beside it load', async () => {
    const evidence = tmpDir('kt-arch-');
    const src = tmpDir();
    for (let k = 0; k < 5; k++) write(`${src}/logs/part-${k}.jsonl`, jsonl(300));
    const full = `${tmpDir()}/full.tar.gz`;
    await tar.c({ gzip: true, file: full, cwd: src }, ['logs']);
    const bytes = fs.readFileSync(full);
    write(`${evidence}/cut.tar.gz`, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    write(`${evidence}/good.json.gz`, s3File(records(4)));

    const { files, events } = await ingestFolder(evidence, 4, false);
    const archive = row(files, 'cut.tar.gz');
    expect(archive.status).toBe('partial');
    expect(archive.reason).toMatch(
      /the archive ends inside member logs\/part-\d\.jsonl at byte \d+: gzip data ends early: the file is truncated; the \d members? before it (was|were) kept/,
    );
    const parts = [...files.keys()].filter((k) => k.startsWith('cut.tar.gz!/logs/part-'));
    const whole = parts.filter((k) => row(files, k).status === 'ingested');
    const cut = parts.filter((k) => row(files, k).status !== 'ingested');
    expect(whole.length).toBeGreaterThan(0);
    for (const k of whole) expect(row(files, k).events).toBe(300);
    // The cut member is read as far as it goes: its complete lines are kept.
    expect(cut).toHaveLength(1);
    const c = row(files, cut[0]!);
    expect(c.status).toBe('partial');
    expect(Number(c.events)).toBeGreaterThan(0);
    expect(Number(c.events)).toBeLessThan(300);
    expect(c.reason).toMatch(/the archive ends inside this member after \d+ of its \d+ bytes: truncated/);
    expect(archive.reason).toContain(whole.length === 1 ? 'the 1 member before it was kept' : `the ${whole.length} members before it were kept`);
    expect(events).toBe(4 + 300 * whole.length + Number(c.events));
  });

  it('a .tar.gz whose first member is a decompression bomb: that member is rejected, the members after it load', async () => {
    const evidence = tmpDir('kt-arch-');
    const bombMiB = 300; // past the 256 MiB any file may expand to
    const after = [tarMember('logs/a.jsonl', jsonl(7)), tarMember('logs/b.json.gz', s3File(records(5)))];
    write(`${evidence}/bomb.tar.gz`, await gzipOf([tarHeader('bomb.json', bombMiB << 20), bombMiB, ...after, tarEnd()]));
    write(`${evidence}/good.json.gz`, s3File(records(3)));
    expect(fs.statSync(`${evidence}/bomb.tar.gz`).size).toBeLessThan(2 << 20);

    const { files, events } = await ingestFolder(evidence, 3, true);
    expect(row(files, 'bomb.tar.gz!/bomb.json')).toMatchObject({ status: 'rejected', events: 0 });
    expect(row(files, 'bomb.tar.gz!/bomb.json').reason).toMatch(/expands beyond 256\.0 MiB when decompressed \(a decompression bomb/);
    expect(row(files, 'bomb.tar.gz!/logs/a.jsonl')).toMatchObject({ status: 'ingested', events: 7 });
    expect(row(files, 'bomb.tar.gz!/logs/b.json.gz')).toMatchObject({ status: 'ingested', events: 5 });
    expect(row(files, 'bomb.tar.gz')).toMatchObject({ status: 'ingested', reason: 'tar archive: 3 entries' });
    expect(events).toBe(3 + 7 + 5);
  });
});

/** Zips inside zips, each level `copies` unique copies of the level below, around one padded record. */
async function nestedZip(dir: string, levels: number, copies: number, leafBytes: number): Promise<string> {
  let n = 0;
  const build = async (level: number): Promise<Buffer> => {
    const f = `${dir}/tmp-${n++}.zip`;
    if (level === 0) {
      const leaf = JSON.stringify({ Records: [record({ requestParameters: { padding: 'A'.repeat(leafBytes) } })] });
      await writeZip(f, [{ name: 'leaf.json', data: leaf }]);
    } else {
      const inner: { name: string; data: Buffer }[] = [];
      for (let i = 0; i < copies; i++) inner.push({ name: `copy-${i}.zip`, data: await build(level - 1) });
      await writeZip(f, inner);
    }
    const b = fs.readFileSync(f);
    fs.rmSync(f);
    return b;
  };
  return write(`${dir}/nested.zip`, await build(levels));
}

/** Everything under a folder, in bytes. */
function du(dir: string): number {
  let total = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir, { recursive: true }) as string[];
  } catch {
    return 0; // removed at the end of the ingest
  }
  for (const f of names) {
    try {
      const st = fs.statSync(path.join(dir, f));
      if (st.isFile()) total += st.size;
    } catch {
      // removed while we looked
    }
  }
  return total;
}

describe('nested archives share one expansion budget (case 2)', () => {
  it('3 levels x 16 unique copies: extraction stops at the budget for the whole input archive, every entry not extracted says why', async () => {
    const evidence = tmpDir('kt-arch-');
    await nestedZip(evidence, 2, 16, 64 << 10); // 256 leaves of 64 KiB: 16 MiB if nothing stopped it
    write(`${evidence}/good.json.gz`, s3File(records(6)));
    const before = snapshot(evidence);
    const scratch = tmpDir();
    const db = path.join(tmpDir(), 'case.duckdb');
    const budget = 1 << 20;
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, du(scratch))), 10);
    const summary = await ingest([evidence], { db, tmpDir: scratch, limits: { floorBytes: budget, maxRatio: 1 } }).finally(() => clearInterval(watch));
    expect(snapshot(evidence)).toEqual(before);
    const { files, events } = await caseOf(db, evidence);
    expect(row(files, 'good.json.gz')).toMatchObject({ status: 'ingested', events: 6 });
    const inside = [...files.entries()].filter(([k]) => k.startsWith('nested.zip!/'));
    const extracted = inside.filter(([, f]) => f.sha256 !== null);
    const refused = inside.filter(([, f]) => f.sha256 === null);
    // What was extracted, at every level together, fits the one budget.
    expect(extracted.reduce((s, [, f]) => s + Number(f.bytes), 0)).toBeLessThanOrEqual(budget);
    expect(peak).toBeLessThanOrEqual(budget + (256 << 10));
    expect(refused.length).toBeGreaterThan(0);
    for (const [, f] of refused) {
      expect(f.status).toBe('rejected');
      expect(f.reason).toMatch(
        /^not extracted: the expansion budget of 1\.0 MiB for this input archive and the archives inside it is spent|expands beyond what was left of the expansion budget/,
      );
    }
    // The archives whose entries the budget stopped say so on their own rows.
    const stopped = inside.filter(([k, f]) => k.endsWith('.zip') && f.status === 'partial');
    expect(stopped.length).toBeGreaterThan(0);
    for (const [, f] of stopped)
      expect(f.reason).toMatch(/the expansion budget ran out at (leaf\.json|copy-\d+\.zip): it and the entries after it that did not fit were not extracted/);
    // Every leaf that was extracted loaded its one record; nothing else was lost.
    const leaves = extracted.filter(([k]) => k.endsWith('leaf.json'));
    expect(leaves.length).toBeGreaterThan(0);
    for (const [, f] of leaves) expect(f).toMatchObject({ status: 'ingested', events: 1 });
    expect(events).toBe(6 + leaves.length);
    expect(summary.events).toBe(events);
  });

  it('checks free space in the temporary folder: with too little, entries are not extracted and say why', async () => {
    const evidence = tmpDir('kt-arch-');
    await writeZip(`${evidence}/bundle.zip`, [
      { name: 'a.json.gz', data: s3File(records(2)) },
      { name: 'b.jsonl', data: jsonl(3) },
    ]);
    write(`${evidence}/good.json.gz`, s3File(records(5)));
    const db = path.join(tmpDir(), 'case.duckdb');
    await ingest([evidence], { db, tmpDir: tmpDir(), minFreeBytes: Number.MAX_SAFE_INTEGER });
    const { files, events } = await caseOf(db, evidence);
    expect(row(files, 'good.json.gz')).toMatchObject({ status: 'ingested', events: 5 });
    for (const name of ['bundle.zip!/a.json.gz', 'bundle.zip!/b.jsonl']) {
      expect(row(files, name).status).toBe('rejected');
      expect(row(files, name).reason).toMatch(
        /^not extracted: the temporary folder has .* free and keytrail keeps .* free for the case \(set TMPDIR to a larger disk\)$/,
      );
    }
    expect(events).toBe(5);
  });
});

/** A zip entry of `mib` MiB of spaces, streamed into yazl so the test never holds it. */
async function zipWithBomb(file: string, mib: number, before: { name: string; data: string | Buffer }[], after: { name: string; data: string | Buffer }[]) {
  const zip = new yazl.ZipFile();
  const mtime = new Date('2026-10-15T00:00:00Z');
  for (const e of before) zip.addBuffer(Buffer.from(e.data), e.name, { mtime });
  const chunk = Buffer.alloc(1 << 20, 0x20);
  zip.addReadStream(
    Readable.from(
      (function* () {
        for (let i = 0; i < mib; i++) yield chunk;
      })(),
    ),
    'bomb.json',
    { mtime, size: mib << 20 },
  );
  for (const e of after) zip.addBuffer(Buffer.from(e.data), e.name, { mtime });
  zip.end();
  const out = fs.createWriteStream(file);
  zip.outputStream.pipe(out);
  await once(out, 'close');
}

describe('a bomb entry (case 3)', () => {
  it('is rejected and extraction goes on with the entries after it', async () => {
    const evidence = tmpDir('kt-arch-');
    await zipWithBomb(
      `${evidence}/bundle.zip`,
      300,
      [{ name: 'first.jsonl', data: jsonl(2) }],
      [
        { name: 'logs/after.json.gz', data: s3File(records(4)) },
        { name: 'logs/later.jsonl', data: jsonl(3) },
      ],
    );
    write(`${evidence}/good.json.gz`, s3File(records(2)));
    const { files, events } = await ingestFolder(evidence, 2, true);
    expect(row(files, 'bundle.zip!/bomb.json').status).toBe('rejected');
    expect(row(files, 'bundle.zip!/bomb.json').reason).toMatch(/expands beyond 256\.0 MiB when decompressed \(a decompression bomb/);
    expect(row(files, 'bundle.zip!/first.jsonl')).toMatchObject({ status: 'ingested', events: 2 });
    expect(row(files, 'bundle.zip!/logs/after.json.gz')).toMatchObject({ status: 'ingested', events: 4 });
    expect(row(files, 'bundle.zip!/logs/later.jsonl')).toMatchObject({ status: 'ingested', events: 3 });
    expect(events).toBe(2 + 2 + 4 + 3);
  });

  it('once the budget for the archive is spent, every later entry that does not fit says it was not extracted', async () => {
    const evidence = tmpDir('kt-arch-');
    // With small limits: the bomb spends nothing (refused by its declared size), then the 2 MiB budget stops the rest.
    await zipWithBomb(
      `${evidence}/bundle.zip`,
      6,
      [],
      [
        { name: 'fits.jsonl', data: jsonl(2) },
        ...Array.from({ length: 4 }, (_, i) => ({
          name: `big-${i}.json`,
          data: JSON.stringify({ Records: [record({ requestParameters: { p: 'B'.repeat(1 << 20) } })] }),
        })),
      ],
    );
    write(`${evidence}/good.json.gz`, s3File(records(1)));
    const db = path.join(tmpDir(), 'case.duckdb');
    await ingest([evidence], { db, tmpDir: tmpDir(), limits: { floorBytes: 2 << 20, maxRatio: 2 } });
    const { files, events } = await caseOf(db, evidence);
    expect(row(files, 'good.json.gz')).toMatchObject({ status: 'ingested', events: 1 });
    expect(row(files, 'bundle.zip!/bomb.json').reason).toMatch(/expands beyond 2\.0 MiB when decompressed/);
    expect(row(files, 'bundle.zip!/fits.jsonl')).toMatchObject({ status: 'ingested', events: 2 });
    const big = [0, 1, 2, 3].map((i) => row(files, `bundle.zip!/big-${i}.json`));
    expect(big[0]).toMatchObject({ status: 'ingested', events: 1 });
    for (const b of big.slice(1))
      expect(b).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^not extracted: the expansion budget of 2\.0 MiB/) });
    expect(row(files, 'bundle.zip').status).toBe('partial');
    expect(events).toBe(1 + 2 + 1);
  });
});

describe('tar members that are not what they claim (case 4)', () => {
  it("a base-256 size of 2^62 is that member's rejected row; reading resumes at the next valid header; links, devices and FIFOs are skipped with their type", async () => {
    const evidence = tmpDir('kt-arch-');
    const huge = Buffer.alloc(12);
    huge[0] = 0x80; // base-256: the high bit of the size field
    huge.writeBigUInt64BE(2n ** 62n, 4);
    const a = tarMember('logs/a.jsonl', jsonl(3));
    const hugeData = padded(Buffer.from(JSON.stringify({ Records: records(2) })));
    write(
      `${evidence}/odd.tar`,
      Buffer.concat([
        a,
        tarHeader('logs/huge.json', huge),
        hugeData,
        tarHeader('logs/link', 0, '2', 'logs/a.jsonl'),
        tarHeader('logs/hard', 0, '1', 'logs/a.jsonl'),
        tarHeader('dev/tty', 0, '3'),
        tarHeader('dev/sda', 0, '4'),
        tarHeader('logs/fifo', 0, '6'),
        tarMember('logs/c.jsonl', jsonl(4)),
        tarEnd(),
      ]),
    );
    write(`${evidence}/good.json.gz`, s3File(records(2)));
    const { files, events } = await ingestFolder(evidence, 2, true);
    expect(row(files, 'odd.tar!/logs/huge.json')).toMatchObject({ status: 'rejected', bytes: null });
    expect(row(files, 'odd.tar!/logs/huge.json').reason).toBe(
      'its tar header declares a size of 4611686018427387904 bytes (base-256), more than any archive holds: not extracted',
    );
    expect(row(files, 'odd.tar')).toMatchObject({ status: 'partial' });
    expect(row(files, 'odd.tar').reason).toMatch(
      new RegExp(
        `member logs/huge\\.json at byte ${a.length} declares a size of 4611686018427387904 bytes \\(base-256\\), more than any archive holds: keytrail skipped to the next valid tar header at byte ${a.length + 512 + hugeData.length} \\(the data of logs/huge\\.json was not read\\)`,
      ),
    );
    expect(row(files, 'odd.tar!/logs/a.jsonl')).toMatchObject({ status: 'ingested', events: 3 });
    expect(row(files, 'odd.tar!/logs/c.jsonl')).toMatchObject({ status: 'ingested', events: 4 });
    expect(row(files, 'odd.tar!/logs/link')).toMatchObject({ status: 'skipped', reason: 'symbolic link to logs/a.jsonl in the archive: not followed' });
    expect(row(files, 'odd.tar!/logs/hard')).toMatchObject({ status: 'skipped', reason: 'hard link to logs/a.jsonl in the archive: not followed' });
    expect(row(files, 'odd.tar!/dev/tty').reason).toBe('character device in the archive: not followed');
    expect(row(files, 'odd.tar!/dev/sda').reason).toBe('block device in the archive: not followed');
    expect(row(files, 'odd.tar!/logs/fifo')).toMatchObject({ status: 'skipped', reason: 'FIFO in the archive: not followed' });
    expect(events).toBe(2 + 3 + 4);
  });
});

describe('a truncated plain .tar (case 5)', () => {
  it('keeps the members before the cut, reads the cut member as far as it goes, and says where the archive ends', async () => {
    const evidence = tmpDir('kt-arch-');
    const whole = Buffer.concat([tarMember('export/a.jsonl', jsonl(300)), tarMember('export/b.jsonl', jsonl(2000)), tarEnd()]);
    const cutAt = Math.floor(whole.length * 0.8); // inside b.jsonl, about 1,500 records in
    write(`${evidence}/cut.tar`, whole.subarray(0, cutAt));
    write(`${evidence}/good.json.gz`, s3File(records(3)));
    const { files, events } = await ingestFolder(evidence, 3, false);
    expect(row(files, 'cut.tar!/export/a.jsonl')).toMatchObject({ status: 'ingested', events: 300 });
    const b = row(files, 'cut.tar!/export/b.jsonl');
    expect(b.status).toBe('partial');
    // Every record complete before the cut is loaded; only the one line the cut went through is rejected.
    expect(Number(b.events)).toBeGreaterThan(1400);
    expect(Number(b.events)).toBeLessThan(2000);
    expect(b).toMatchObject({ rejected_records: 1 });
    expect(b.reason).toMatch(
      /^the archive ends inside this member after \d+ of its \d+ bytes: truncated, only what it holds was read; the \d+ records before it were kept/,
    );
    expect(row(files, 'cut.tar')).toMatchObject({ status: 'partial' });
    expect(row(files, 'cut.tar').reason).toBe(
      `tar archive: 2 entries; the archive ends inside member export/b.jsonl at byte ${cutAt}: truncated; the 1 member before it was kept`,
    );
    expect(events).toBe(3 + 300 + Number(b.events));
  });

  it('a cut {"Records":[...]} member: the record reader streams it, so the records whole before the cut load and the member is partial', async () => {
    const evidence = tmpDir('kt-arch-');
    const recs = records(50);
    const doc = JSON.stringify({ Records: recs });
    // Cut inside the 26th record: 25 are whole.
    const cutAt = doc.indexOf(String(recs[25]!.eventID));
    const whole = Buffer.concat([tarMember('a.jsonl', jsonl(2)), tarMember('s3.json', doc), tarEnd()]);
    write(`${evidence}/cut.tar`, whole.subarray(0, 1024 + Math.ceil(Buffer.byteLength(jsonl(2)) / 512) * 512 + cutAt));
    write(`${evidence}/good.json.gz`, s3File(records(1)));
    // Nothing is rejected whole: --strict passes.
    const { files, events } = await ingestFolder(evidence, 1, false);
    expect(row(files, 'cut.tar!/a.jsonl')).toMatchObject({ status: 'ingested', events: 2 });
    expect(row(files, 'cut.tar!/s3.json')).toMatchObject({ status: 'partial', events: 25, rejected_records: 1 });
    expect(row(files, 'cut.tar!/s3.json').reason).toMatch(
      /^the archive ends inside this member after \d+ of its \d+ bytes: truncated, only what it holds was read; .*the 25 records before it were kept/,
    );
    expect(row(files, 'cut.tar').status).toBe('partial');
    expect(events).toBe(1 + 2 + 25);
  });
});

describe('zip entries small and large, stored and deflated, whole and damaged', () => {
  it('each is read or has its reason, whichever way it is read (small entries from a pack, large ones streamed)', async () => {
    const evidence = tmpDir('kt-arch-');
    const zip = new yazl.ZipFile();
    const mtime = new Date('2026-10-15T00:00:00Z');
    const big = JSON.stringify({ Records: records(600) }, null, 2); // over 256 KiB: streamed to a file of its own
    expect(big.length).toBeGreaterThan(256 << 10);
    zip.addBuffer(s3File(records(2)), 'stored.json.gz', { mtime, compress: false });
    zip.addBuffer(Buffer.from(JSON.stringify({ Records: records(3) })), 'deflated.json', { mtime });
    zip.addBuffer(Buffer.from(big), 'big.json', { mtime });
    zip.addBuffer(Buffer.from(jsonl(40)), 'damaged.jsonl', { mtime });
    zip.addBuffer(s3File(records(4)), 'after.json.gz', { mtime, compress: false });
    zip.end();
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    await once(zip.outputStream, 'end');
    const buf = Buffer.concat(chunks);
    // Break the deflate stream of damaged.jsonl in the middle of its data.
    const local = buf.indexOf('damaged.jsonl') - 30;
    expect(buf.readUInt32LE(local)).toBe(0x04034b50);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    buf.fill(0xff, start + 20, start + 60);
    fs.writeFileSync(`${evidence}/bundle.zip`, buf);
    write(`${evidence}/good.json.gz`, s3File(records(5)));
    const { files, events } = await ingestFolder(evidence, 5, true);
    expect(row(files, 'bundle.zip!/stored.json.gz')).toMatchObject({ status: 'ingested', events: 2 });
    expect(row(files, 'bundle.zip!/deflated.json')).toMatchObject({ status: 'ingested', events: 3 });
    expect(row(files, 'bundle.zip!/big.json')).toMatchObject({ status: 'ingested', events: 600 });
    expect(row(files, 'bundle.zip!/damaged.jsonl').status).toBe('rejected');
    expect(row(files, 'bundle.zip!/damaged.jsonl').reason).toMatch(/^cannot extract: /);
    expect(row(files, 'bundle.zip!/after.json.gz')).toMatchObject({ status: 'ingested', events: 4 });
    expect(events).toBe(5 + 2 + 3 + 600 + 4);
  });
});

describe('a truncated .zip (no central directory)', () => {
  /** A zip of five JSON Lines entries of 300 records each; `streamed` entries write their sizes after their data. */
  async function fiveParts(streamed: boolean): Promise<Buffer> {
    const zip = new yazl.ZipFile();
    const mtime = new Date('2026-10-15T00:00:00Z');
    for (let k = 0; k < 5; k++) {
      const data = Buffer.from(jsonl(300));
      if (streamed) zip.addReadStream(Readable.from([data]), `logs/part-${k}.jsonl`, { mtime });
      else zip.addBuffer(data, `logs/part-${k}.jsonl`, { mtime });
    }
    zip.end();
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    await once(zip.outputStream, 'end');
    return Buffer.concat(chunks);
  }

  for (const streamed of [false, true])
    it(`keeps the entries that were whole and reads the cut one as far as it goes (${streamed ? 'sizes after the data' : 'sizes in the headers'})`, async () => {
      const evidence = tmpDir('kt-arch-');
      const bytes = await fiveParts(streamed);
      // Cut in the middle of the fourth entry's data.
      const fourth = bytes.indexOf('logs/part-3.jsonl');
      const fifth = bytes.indexOf('logs/part-4.jsonl');
      write(`${evidence}/cut.zip`, bytes.subarray(0, Math.floor((fourth + fifth) / 2)));
      write(`${evidence}/good.json.gz`, s3File(records(4)));
      const { files, events } = await ingestFolder(evidence, 4, false);
      const archive = row(files, 'cut.zip');
      expect(archive.status).toBe('partial');
      expect(archive.reason).toMatch(
        /^zip archive: 4 entries; its central directory cannot be read \(.+\): 4 entries found by their local headers; the archive ends inside entry logs\/part-3\.jsonl, after \d+ of its (\d+ )?compressed bytes$/,
      );
      for (let k = 0; k < 3; k++) expect(row(files, `cut.zip!/logs/part-${k}.jsonl`)).toMatchObject({ status: 'ingested', events: 300 });
      const c = row(files, 'cut.zip!/logs/part-3.jsonl');
      expect(c.status).toBe('partial');
      expect(Number(c.events)).toBeGreaterThan(0);
      expect(Number(c.events)).toBeLessThan(300);
      expect(c.reason).toMatch(/the archive ends inside this entry after \d+ (of its \d+ )?compressed bytes: truncated, only what it holds was read/);
      expect(files.has('cut.zip!/logs/part-4.jsonl')).toBe(false);
      expect(events).toBe(4 + 900 + Number(c.events));
    });

  it('a zip whose directory is gone but whose entries are all there loads them all; bytes that are no entry stop the walk and say where', async () => {
    const evidence = tmpDir('kt-arch-');
    const bytes = await fiveParts(false);
    const directory = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), bytes.indexOf('logs/part-0.jsonl', bytes.indexOf('logs/part-4.jsonl')));
    // The directory cut in its middle: the entries before it are whole.
    write(`${evidence}/nodir.zip`, bytes.subarray(0, directory + 20));
    // Garbage after the third entry: the walk stops there.
    const other = await fiveParts(false);
    const third = other.indexOf('logs/part-2.jsonl') - 30;
    write(`${evidence}/garbage.zip`, Buffer.concat([other.subarray(0, third), Buffer.alloc(100, 0x41)]));
    write(`${evidence}/good.json.gz`, s3File(records(4)));
    const { files, events } = await ingestFolder(evidence, 4, false);
    expect(row(files, 'nodir.zip').reason).toMatch(
      /^zip archive: 5 entries; its central directory cannot be read \(.+\): 5 entries found by their local headers$/,
    );
    expect(row(files, 'garbage.zip').reason).toMatch(
      new RegExp(
        `^zip archive: 2 entries; its central directory cannot be read \\(.+\\): 2 entries found by their local headers; no entry header at byte ${third}: what follows is not read$`,
      ),
    );
    for (let k = 0; k < 5; k++) expect(row(files, `nodir.zip!/logs/part-${k}.jsonl`)).toMatchObject({ status: 'ingested', events: 300 });
    expect(events).toBe(4 + 1500 + 600);
  });
});
