/**
 * Issue 17 point 3: chain of custody. investigate writes manifest.json (inputs, command, versions,
 * rule packs, times, the SHA-256 of every output); `keytrail verify --manifest` re-checks it later
 * and says what changed, file by file.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import pkg from '../../package.json' with { type: 'json' };
import { provenance } from '../../src/provenance.js';
import { checkManifest } from '../../src/report/manifest.js';
import { cli, record, s3File, tmpDir, write } from '../helpers.js';

const KEY = 'AKIAEXAMPLELEAKED001';
const OUTPUTS = ['report.html', 'report.md', 'report.json', 'findings.csv', 'lineage.html', 'timeline.csv', 'remediation.sh', 'keytrail.duckdb'];

async function caseFolder() {
  const d = tmpDir();
  const a = write(path.join(d, 'ev', 'a.json.gz'), s3File([record({ eventName: 'CreateUser', readOnly: false, requestParameters: { userName: 'x' } })]));
  const inner = write(path.join(d, 'inner.json'), JSON.stringify({ Records: [record()] }));
  const zip = new yazl.ZipFile();
  zip.addFile(inner, 'logs/inner.json');
  zip.end();
  const bundle = path.join(d, 'ev', 'bundle.zip');
  await new Promise<void>((resolve) => zip.outputStream.pipe(fs.createWriteStream(bundle)).on('close', () => resolve()));
  const out = path.join(d, 'case');
  const r = cli(['investigate', 'ev', '--key', KEY, '--out', out], { cwd: d });
  expect(r.status, r.stderr).toBe(0);
  return { d, a, bundle, out, manifest: path.join(out, 'manifest.json') };
}

describe('manifest.json', () => {
  it('lists every input and output with the SHA-256 sha256sum gives, the command, the versions and rule packs, start and end', async () => {
    const { d, a, bundle, out, manifest } = await caseFolder();
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    const p = provenance();
    expect([m.keytrail, m.duckdb, m.builtinRules]).toEqual([pkg.version, p.duckdb, p.rules]);
    expect(m.rulesRun).toEqual([{ path: 'built-in', ...p.rules }]);
    expect(m.command).toEqual(['keytrail', 'investigate', 'ev', '--key', KEY, '--out', out]);
    expect([m.cwd, m.evidence]).toEqual([fs.realpathSync(d), ['ev']]);
    expect(Date.parse(m.started)).toBeLessThanOrEqual(Date.parse(m.finished));
    const sum = (f: string) => spawnSync('sha256sum', [f], { encoding: 'utf8' }).stdout.split(' ')[0];
    expect(m.inputs).toEqual([
      { path: fs.realpathSync(a), bytes: fs.statSync(a).size, sha256: sum(a), status: 'ingested', reason: null, parent: null },
      expect.objectContaining({ path: fs.realpathSync(bundle), sha256: sum(bundle), parent: null }),
      expect.objectContaining({ path: `${fs.realpathSync(bundle)}!/logs/inner.json`, status: 'ingested', parent: fs.realpathSync(bundle) }),
    ]);
    expect(m.outputs.map((o: { file: string }) => o.file)).toEqual(OUTPUTS);
    for (const o of m.outputs) expect([o.file, o.sha256, o.bytes]).toEqual([o.file, sum(path.join(out, o.file)), fs.statSync(path.join(out, o.file)).size]);
    expect(fs.readdirSync(out).sort()).toEqual([...OUTPUTS, 'manifest.json'].sort());
  });

  it('verify --manifest passes on the case as written, then names each change: an output byte, a deleted output, an added file, a changed input', async () => {
    const { a, out, manifest } = await caseFolder();
    const ok = cli(['verify', '--manifest', manifest]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/8 output\(s\) and 2 input file\(s\) checked \(1 archive member\(s\) through their archive\): nothing changed\n$/);

    const md = path.join(out, 'report.md');
    const bytes = fs.readFileSync(md);
    bytes[100] = bytes[100]! ^ 1;
    fs.writeFileSync(md, bytes);
    const one = cli(['verify', '--manifest', manifest]);
    expect(one.status).toBe(1);
    expect(one.stdout.split('\n').filter((l) => /^(changed|missing|added) /.test(l))).toEqual([
      expect.stringMatching(/^changed {6}output {2}report\.md — SHA-256 was [0-9a-f]{64}, is [0-9a-f]{64}$/),
    ]);

    fs.rmSync(path.join(out, 'timeline.csv'));
    fs.writeFileSync(path.join(out, 'notes.txt'), 'x');
    fs.appendFileSync(a, ' ');
    const r = await checkManifest(manifest);
    expect(r.ok).toBe(false);
    expect(r.rows.filter((x) => x.status !== 'unchanged').map((x) => `${x.status} ${x.role} ${path.basename(x.file)}`)).toEqual([
      'changed output report.md',
      'missing output timeline.csv',
      'added output notes.txt',
      'changed input a.json.gz',
    ]);
  });

  it('a manifest that is not one: one clear line, exit 2, no stack', () => {
    const d = tmpDir();
    const bad = write(path.join(d, 'manifest.json'), JSON.stringify({ manifest: 1, outputs: [{ file: '../../etc/passwd' }] }));
    const r = cli(['verify', '--manifest', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `keytrail: ${bad}: not a keytrail manifest.json: keytrail: Invalid input: expected string, received undefined`,
    ]);
    const notJson = write(path.join(d, 'm2.json'), '{');
    expect(cli(['verify', '--manifest', notJson]).stderr.trim()).toBe(`keytrail: ${notJson}: not JSON: not a keytrail manifest.json`);
  });

  it('a hostile manifest: a FIFO, a device or a folder where it names a file is never opened; names out of the folder and times that are not ISO are refused', async () => {
    const d = tmpDir();
    const fifo = path.join(d, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const digest = 'a'.repeat(64);
    const base = {
      manifest: 1,
      keytrail: '0.1.0',
      duckdb: 'v1.5.6',
      builtinRules: { sha256: digest, files: 1 },
      rulesRun: null,
      command: null,
      cwd: d,
      evidence: [],
      started: '2026-10-14T09:00:00.000Z',
      finished: '2026-10-14T09:01:00.000Z',
    };
    const input = (p: string) => ({ path: p, bytes: 1, sha256: digest, status: 'ingested', reason: null, parent: null });
    fs.mkdirSync(path.join(d, 'case', 'report.md'), { recursive: true });
    const m = write(
      path.join(d, 'case', 'manifest.json'),
      JSON.stringify({ ...base, inputs: [input('pipe'), input('/dev/zero'), input(d)], outputs: [{ file: 'report.md', bytes: 1, sha256: digest }] }),
    );
    const r = await checkManifest(m);
    expect(r.ok).toBe(false);
    expect(r.rows.map((x) => `${x.status} ${x.role} ${x.file} — ${x.detail}`)).toEqual([
      'missing output report.md — not a plain file any more: a folder (not read)',
      'missing input pipe — not a plain file any more: a FIFO, socket or device (not read)',
      'missing input /dev/zero — not a plain file any more: a FIFO, socket or device (not read)',
      `missing input ${d} — not a plain file any more: a folder (not read)`,
    ]);

    const refused = async (value: unknown, message: string) => {
      const f = write(path.join(d, 'bad.json'), JSON.stringify(value));
      await expect(checkManifest(f)).rejects.toMatchObject({ code: 'INPUT', message: `${f}: not a keytrail manifest.json: ${message}` });
    };
    await refused({ ...base, inputs: [], outputs: [{ file: '..', bytes: 1, sha256: digest }] }, 'outputs.0.file: a file name inside the case folder');
    await refused({ ...base, inputs: [], outputs: [{ file: 'a/../../x', bytes: 1, sha256: digest }] }, 'outputs.0.file: a file name inside the case folder');
    await refused({ ...base, started: 'yesterday', inputs: [], outputs: [] }, 'started: Invalid ISO datetime');
    await refused([], 'top level: Invalid input: expected object, received array');
    await expect(checkManifest(fifo)).rejects.toMatchObject({
      code: 'INPUT',
      message: `${fifo}: not a plain file (a FIFO, socket or device): not a keytrail manifest.json`,
    });
  });

  it("a manifest's text never reaches the terminal as control codes", async () => {
    const { manifest } = await caseFolder();
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    m.keytrail = '\u001b]0;owned\u0007\u001b[31m0.1.0';
    m.command = ['keytrail', '\u001b[2Jinvestigate'];
    fs.writeFileSync(manifest, JSON.stringify(m));
    const r = cli(['verify', '--manifest', manifest]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('by keytrail ');
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});
