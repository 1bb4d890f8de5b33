/**
 * Issue 17 on the committed sample incident, whose digests are real (signed by the sample's test key,
 * public-keys.json beside it): investigate reports the evidence integrity, writes manifest.json, and
 * `verify --manifest` passes, then fails once one output byte changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import truth from '../../samples/leaked-key/truth.json' with { type: 'json' };
import { ROOT, cli, tmpDir } from '../helpers.js';

const SAMPLE = path.join(ROOT, 'samples', 'leaked-key');

describe('samples/leaked-key: integrity and custody', () => {
  it('investigate reports the integrity of every digested file; the manifest holds, then names the changed byte', () => {
    const out = path.join(tmpDir(), 'case');
    const r = cli([
      'investigate',
      path.join(SAMPLE, 'evidence'),
      '--key',
      truth.leakedKey,
      '--out',
      out,
      '--public-keys',
      path.join(SAMPLE, 'public-keys.json'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.integrity).toEqual({
      statement: `7 of 7 log file(s) listed in ${truth.counts.digestFiles} digest(s) match their digests; chain unbroken from 2026-10-14T02:47:22Z to 2026-10-14T08:47:22Z (us-east-1, eu-west-1); signatures: ${truth.counts.digestFiles} valid; 55 file(s) no digest covers`,
      problems: 0,
      rows: [],
    });
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('### Evidence integrity');
    expect(md).toContain(`signatures: ${truth.counts.digestFiles} valid`);

    const manifest = path.join(out, 'manifest.json');
    const ok = cli(['verify', '--manifest', manifest]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(
      `8 output(s) and ${truth.counts.eventFiles + truth.counts.digestFiles + truth.counts.signatureFiles + 1} input file(s) checked`,
    );
    const html = path.join(out, 'report.html');
    const bytes = fs.readFileSync(html);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x20;
    fs.writeFileSync(html, bytes);
    const bad = cli(['verify', '--manifest', manifest]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/\nchanged {5} output {2}report\.html — SHA-256 was [0-9a-f]{64}, is [0-9a-f]{64}\n$/);
  });

  it('without the public keys the signatures are reported as not checked; a log file removed from a copy is the first line of the summary', () => {
    const copy = path.join(tmpDir(), 'evidence');
    fs.cpSync(path.join(SAMPLE, 'evidence'), copy, { recursive: true });
    const digest = fs
      .readdirSync(copy, { recursive: true, encoding: 'utf8' })
      .find((f) => f.includes('CloudTrail-Digest') && f.endsWith('.json.gz') && f.includes('20261014T054722Z'))!;
    const listed = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(copy, digest))).toString('utf8')).logFiles[0].s3Object as string;
    fs.rmSync(path.join(copy, 's3', listed));
    const out = path.join(tmpDir(), 'case');
    expect(cli(['investigate', copy, '--key', truth.leakedKey, '--out', out]).status).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.integrity.rows).toEqual([{ file: listed, check: 'hash', status: 'missing', detail: expect.stringContaining('listed by') }]);
    expect(report.summary[0]).toMatch(
      /^Evidence integrity: 1 problem\(s\) against CloudTrail's digest files \(under Coverage\): 6 of 7 log file\(s\) .* 1 missing; .*signatures not checked/,
    );
  });
  it('a second bundle into the same case: the integrity is of the whole case, not of the last run; files of an earlier run that are gone are counted', () => {
    const first = path.join(tmpDir(), 'first');
    fs.cpSync(path.join(SAMPLE, 'evidence'), first, { recursive: true });
    // The customer sends eu-west-1's log files later, in a bundle of their own; its digests came in the first.
    const region = path.join('s3', 'AWSLogs', '111122223333', 'CloudTrail', 'eu-west-1');
    const second = path.join(tmpDir(), 'second');
    fs.cpSync(path.join(first, region), path.join(second, region), { recursive: true });
    fs.rmSync(path.join(first, region), { recursive: true });
    const out = path.join(tmpDir(), 'case');
    const keys = ['--public-keys', path.join(SAMPLE, 'public-keys.json')];
    const integrity = () => JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).integrity;

    expect(cli(['investigate', first, '--key', truth.leakedKey, '--out', out, ...keys]).status).toBe(0);
    const before = integrity();
    expect(before.problems).toBeGreaterThan(0);
    expect(before.rows.map((r: { status: string }) => r.status)).toEqual(before.rows.map(() => 'missing'));

    const r = cli(['investigate', second, '--key', truth.leakedKey, '--out', out, ...keys]);
    expect(r.status, r.stderr).toBe(0);
    expect(integrity()).toEqual({
      statement: `7 of 7 log file(s) listed in ${truth.counts.digestFiles} digest(s) match their digests; chain unbroken from 2026-10-14T02:47:22Z to 2026-10-14T08:47:22Z (us-east-1, eu-west-1); signatures: ${truth.counts.digestFiles} valid; 55 file(s) no digest covers`,
      problems: 0,
      rows: [],
    });

    // A log file of the first bundle moved away since: missing against its digest, and the run says why.
    const digest = fs
      .readdirSync(first, { recursive: true, encoding: 'utf8' })
      .find((f) => f.includes('CloudTrail-Digest') && f.includes('us-east-1') && f.endsWith('.json.gz'))!;
    const listed = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(first, digest))).toString('utf8')).logFiles[0].s3Object as string;
    fs.rmSync(path.join(first, 's3', listed));
    const third = cli(['investigate', second, '--key', truth.leakedKey, '--out', out, ...keys]);
    expect(third.status, third.stderr).toBe(0);
    expect(third.stdout + third.stderr).toContain('1 file(s) read into the case by an earlier run are no longer found at their paths: verified without them');
    const after = integrity();
    expect(after.rows).toEqual([{ file: listed, check: 'hash', status: 'missing', detail: expect.stringContaining('listed by') }]);
    expect(after.statement).toMatch(/^6 of 7 log file\(s\) .*; 1 file\(s\) read into the case by an earlier run no longer found at their paths, not verified$/);
  });
});
