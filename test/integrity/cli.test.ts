/**
 * Issue 17 through the CLI: `keytrail verify` (exit status, table and JSON, the case's integrity
 * table) and `investigate`, whose report states the evidence's integrity under Coverage and puts
 * a problem first in its summary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../helpers.js';
import { gunzipText, writeTrail } from './trail.js';
import { gz } from '../helpers.js';

const KEY = 'AKIAEXAMPLELEAKED001';

function tampered() {
  const t = writeTrail(tmpDir(), [{}, {}, {}]);
  const file = t.files.get(t.logs[3]!)!;
  const body = JSON.parse(gunzipText(file));
  body.Records[0].sourceIPAddress = '198.51.100.99';
  fs.writeFileSync(file, gz(JSON.stringify(body)));
  return { t, s3: path.join(t.dir, 's3'), file };
}

describe('keytrail verify', () => {
  it('exit 0 and one statement when all holds; exit 1 and each problem when not', () => {
    const t = writeTrail(tmpDir(), [{}, {}]);
    const ok = cli(['verify', path.join(t.dir, 's3'), '--public-keys', t.publicKeys]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe(
      '8 file(s) read. 4 of 4 log file(s) listed in 2 digest(s) match their digests; chain unbroken from 2026-10-14T03:05:00Z to 2026-10-14T05:05:00Z (us-east-1); signatures: 2 valid.',
    );
    expect(ok.stderr).toContain('no problem found');

    const { s3, file, t: bad } = tampered();
    const r = cli(['verify', s3, '--public-keys', bad.publicKeys]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`mismatch  hash        ${file} — its content hashes to `);
    expect(r.stderr).toContain('1 problem(s)');
    const json = JSON.parse(cli(['verify', s3, '--format', 'json']).stdout);
    expect(json.summary.logFiles).toEqual({ listed: 6, matched: 5, mismatched: 1, missing: 0 });
    expect(json.rows.filter((x: { status: string }) => x.status === 'not-checked')).toHaveLength(3);
  });

  it('--into keeps the results in the case, each row joined to its files row', () => {
    const { s3, file } = tampered();
    const db = path.join(tmpDir(), 'case.duckdb');
    expect(cli(['ingest', s3, '--db', db]).status).toBe(0);
    expect(cli(['verify', s3, '--into', db]).status).toBe(1);
    const q = cli([
      'query',
      `SELECT i.status, f.path, f.format FROM integrity i JOIN files f ON f.id = i.file_id WHERE i.problem`,
      '--db',
      db,
      '--format',
      'json',
    ]);
    expect(JSON.parse(q.stdout)).toEqual([{ status: 'mismatch', path: file, format: 'cloudtrail-records' }]);
  });

  it('bad input: a key file that is not one, evidence that is not there, --manifest with evidence: one line, exit 2', () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, 'keys.json'), '[]');
    const keys = cli(['verify', d, '--public-keys', path.join(d, 'keys.json')]);
    expect([keys.status, keys.stderr.trim()]).toEqual([
      2,
      `keytrail: ${path.join(d, 'keys.json')}: not a public key list: top level: Invalid input: expected object, received array (expected the JSON that 'aws cloudtrail list-public-keys' prints)`,
    ]);
    const none = cli(['verify', path.join(d, 'nope')]);
    expect([none.status, none.stderr.trim()]).toEqual([2, `keytrail: ${path.join(d, 'nope')}: no such file or folder`]);
    expect(cli(['verify']).status).toBe(2);
    expect(cli(['verify', d, '--manifest', path.join(d, 'manifest.json')]).stderr).toContain('give either --manifest or evidence, not both');
  });
});

describe('investigate states the evidence integrity', () => {
  it('a changed log file: the first line of the summary, and a row under Coverage', () => {
    const { s3, file, t } = tampered();
    const out = path.join(tmpDir(), 'case');
    const r = cli(['investigate', s3, '--key', KEY, '--out', out, '--public-keys', t.publicKeys]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('verifying the evidence against 3 digest or sign file(s)...');
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.integrity).toMatchObject({ problems: 1, rows: [{ file, check: 'hash', status: 'mismatch' }] });
    expect(report.summary[0]).toBe(
      `Evidence integrity: 1 problem(s) against CloudTrail's digest files (under Coverage): 5 of 6 log file(s) listed in 3 digest(s) match their digests; 1 changed; chain unbroken from 2026-10-14T03:05:00Z to 2026-10-14T06:05:00Z (us-east-1); signatures: 3 valid.`,
    );
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md.indexOf('- Evidence integrity: 1 problem(s)')).toBeLessThan(md.indexOf('- Attacker activity'));
    expect(md).toContain('### Evidence integrity');
    expect(md.replaceAll('\\', '')).toContain(`| mismatch | hash | ${file} | its content hashes to`);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('Evidence integrity');
  });

  it('intact evidence: stated under Coverage, not in the summary; evidence without digests: nothing said', () => {
    const t = writeTrail(tmpDir(), [{}]);
    const out = path.join(tmpDir(), 'case');
    expect(cli(['investigate', path.join(t.dir, 's3'), '--key', KEY, '--out', out]).status).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.integrity.problems).toBe(0);
    expect(report.summary.join('\n')).not.toContain('Evidence integrity');
    const logsOnly = tmpDir();
    fs.cpSync(path.join(t.dir, 's3', 'AWSLogs', '111122223333', 'CloudTrail'), logsOnly, { recursive: true });
    const out2 = path.join(tmpDir(), 'case');
    expect(cli(['investigate', logsOnly, '--key', KEY, '--out', out2]).status).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out2, 'report.json'), 'utf8')).integrity).toBeNull();
  });
});
