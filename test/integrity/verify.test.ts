/**
 * Issue 17: digest verification, offline, on trails generated with real digests signed by a test RSA
 * key (trail.ts): each tampering gives its exact status, and nothing else changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import yazl from 'yazl';
import { describe, expect, it } from 'vitest';
import { readPublicKeys } from '../../src/integrity/digest.js';
import { type IntegrityRow, verifyEvidence } from '../../src/integrity/verify.js';
import { gz, record, s3File, tmpDir, write } from '../helpers.js';
import { ACCT, HOUR, START, digestKey, gunzipText, logKey, rewriteDigest, sha256, writeTrail } from './trail.js';

/** The rows of one status, as `file: status` with the file's S3 key (so a test names what it expects). */
const of = (rows: IntegrityRow[], ...statuses: string[]) =>
  rows
    .filter((r) => statuses.includes(r.status))
    .map((r) => `${r.file.slice(r.file.indexOf('AWSLogs/'))}: ${r.status}`)
    .sort();
const problems = (rows: IntegrityRow[]) =>
  of(
    rows,
    'mismatch',
    'missing',
    'not-covered',
    'outside',
    'moved',
    'inconsistent',
    'broken',
    'previous-missing',
    'invalid',
    'unknown-key',
    'gap',
    'unreadable',
  );

describe('keytrail verify: digests, their chain and signatures', () => {
  it('an intact chain: every log file matches, every link holds, every signature is valid', async () => {
    const t = writeTrail(tmpDir(), [{}, {}, {}]);
    const r = await verifyEvidence([path.join(t.dir, 's3')], { publicKeys: t.publicKeys });
    expect(problems(r.rows)).toEqual([]);
    expect(of(r.rows, 'match')).toEqual(t.logs.map((k) => `${k}: match`).sort());
    expect(of(r.rows, 'inside')).toHaveLength(6);
    expect(of(r.rows, 'valid')).toEqual(t.digests.map((k) => `${k}: valid`).sort());
    expect(of(r.rows, 'start', 'linked')).toEqual([`${t.digests[0]}: start`, `${t.digests[1]}: linked`, `${t.digests[2]}: linked`].sort());
    expect(r.summary).toMatchObject({ digests: 3, logFiles: { listed: 6, matched: 6, mismatched: 0, missing: 0 }, problems: 0, gaps: [] });
    expect(r.summary.statement).toBe(
      '6 of 6 log file(s) listed in 3 digest(s) match their digests; chain unbroken from 2026-10-14T03:05:00Z to 2026-10-14T06:05:00Z (us-east-1); signatures: 3 valid',
    );
  });

  it('an edited log file is a mismatch, and nothing else', async () => {
    const t = writeTrail(tmpDir(), [{}, {}]);
    const file = t.files.get(t.logs[1]!)!;
    const original = gunzipText(file);
    const body = JSON.parse(original);
    body.Records[1].sourceIPAddress = '203.0.113.66';
    fs.writeFileSync(file, gz(JSON.stringify(body)));
    const r = await verifyEvidence([s3(t)], { publicKeys: t.publicKeys });
    expect(problems(r.rows)).toEqual([`${t.logs[1]}: mismatch`]);
    // Recompressing alone changes nothing: the hash is of the content.
    fs.writeFileSync(file, zlibLevel1(original));
    expect(problems((await verifyEvidence([s3(t)], { publicKeys: t.publicKeys })).rows)).toEqual([]);
  });

  it('a log file listed and absent is missing; one present and listed nowhere, in a digested hour, is not covered', async () => {
    const t = writeTrail(tmpDir(), [{}, {}]);
    fs.rmSync(t.files.get(t.logs[2]!)!);
    const extra = logKey('us-east-1', START + HOUR + 40 * 60_000, 99);
    write(path.join(t.dir, 's3', extra), s3File([record({ eventTime: '2026-10-14T04:40:00Z' })]));
    const r = await verifyEvidence([s3(t)], { publicKeys: t.publicKeys });
    expect(problems(r.rows)).toEqual([`${extra}: not-covered`, `${t.logs[2]}: missing`].sort());
    expect(r.rows.find((x) => x.status === 'missing')!.file).toBe(t.logs[2]);
    expect(r.summary.logFiles).toEqual({ listed: 4, matched: 3, mismatched: 0, missing: 1 });
  });

  it("a broken chain link: a digest whose previous digest's hash is not the one named", async () => {
    const t = writeTrail(tmpDir(), [{}, {}, {}]);
    rewriteDigest(t, t.digests[2]!, (d) => {
      d.previousDigestHashValue = 'ab'.repeat(32);
    });
    const r = await verifyEvidence([s3(t)], { publicKeys: t.publicKeys });
    expect(problems(r.rows)).toEqual([`${t.digests[2]}: broken`]);
    expect(r.summary.chains).toEqual([expect.objectContaining({ region: 'us-east-1', digests: 3, links: 1, broken: 1 })]);
  });

  it('a changed digest: its signature fails and the next digest no longer links to it', async () => {
    const t = writeTrail(tmpDir(), [{}, {}, {}]);
    rewriteDigest(
      t,
      t.digests[1]!,
      (d) => {
        (d.logFiles as unknown[]).pop();
      },
      false,
    );
    const r = await verifyEvidence([s3(t)], { publicKeys: t.publicKeys });
    // The log file it no longer lists is in its hour: not covered.
    expect(problems(r.rows)).toEqual([`${t.digests[1]}: invalid`, `${t.digests[2]}: broken`, `${t.logs[3]}: not-covered`].sort());
  });

  it('a missing hour: a gap, and the next digest names a previous one that is not there', async () => {
    const t = writeTrail(tmpDir(), [{}, {}, {}, {}]);
    fs.rmSync(t.files.get(t.digests[2]!)!);
    const r = await verifyEvidence([s3(t)], { publicKeys: t.publicKeys });
    expect(problems(r.rows)).toEqual([`${t.digests[3]}: gap`, `${t.digests[3]}: previous-missing`]);
    // The hour's log files are still read: no digest covers them now.
    expect(of(r.rows, 'not-digested')).toEqual([`${t.logs[4]}: not-digested`, `${t.logs[5]}: not-digested`]);
    expect(r.summary.gaps).toEqual([
      { region: 'us-east-1', from: '2026-10-14T05:05:00Z', to: '2026-10-14T06:05:00Z', expected: false, detail: expect.any(String) },
    ]);
    expect(r.summary.statement).toContain('1 gap(s) without digest: us-east-1 2026-10-14T05:05:00Z – 2026-10-14T06:05:00Z');
  });

  it('a gap after StopLogging is expected, and says who stopped it', async () => {
    const stop = {
      eventName: 'StopLogging',
      eventSource: 'cloudtrail.amazonaws.com',
      eventTime: '2026-10-14T04:10:00Z',
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCT}:user/mallory` },
      requestParameters: { name: 'management-events' },
    };
    const t = writeTrail(tmpDir(), [{}, { records: [stop] }, {}, {}]);
    // Logging stopped: hour 3 has no digest, and CloudTrail starts a new chain when it starts again.
    fs.rmSync(t.files.get(t.digests[2]!)!);
    rewriteDigest(t, t.digests[3]!, (d) => {
      for (const k of ['previousDigestS3Bucket', 'previousDigestS3Object', 'previousDigestHashValue', 'previousDigestHashAlgorithm', 'previousDigestSignature'])
        d[k] = null;
    });
    const r = await verifyEvidence([s3(t)], { publicKeys: t.publicKeys });
    expect(problems(r.rows)).toEqual([]);
    expect(r.rows.filter((x) => x.status === 'gap-after-stoplogging').map((x) => x.detail)).toEqual([
      `no digest from 2026-10-14T05:05:00Z to 2026-10-14T06:05:00Z (1 hour), after StopLogging of management-events by arn:aws:iam::${ACCT}:user/mallory at 2026-10-14T04:10:00Z`,
    ]);
    expect(of(r.rows, 'start')).toEqual([`${t.digests[0]}: start`, `${t.digests[3]}: start`]);
  });

  it('a bad signature is invalid; hashes and links are still checked', async () => {
    const t = writeTrail(tmpDir(), [{}, {}]);
    const sig = `${t.files.get(t.digests[1]!)!}.sig`;
    const hex = fs.readFileSync(sig, 'utf8').trim();
    fs.writeFileSync(sig, `${hex.slice(0, -2)}${hex.endsWith('00') ? '01' : '00'}\n`);
    const r = await verifyEvidence([s3(t)], { publicKeys: t.publicKeys });
    expect(problems(r.rows)).toEqual([`${t.digests[1]}: invalid`]);
    expect(of(r.rows, 'match')).toHaveLength(4);
  });

  it('no public key given: hashes and the chain are checked, signatures reported as not checked', async () => {
    const t = writeTrail(tmpDir(), [{}, {}]);
    const r = await verifyEvidence([s3(t)]);
    expect(problems(r.rows)).toEqual([]);
    expect(of(r.rows, 'not-checked')).toEqual(t.digests.map((k) => `${k}: not-checked`));
    expect(of(r.rows, 'match')).toHaveLength(4);
    expect(r.summary.signatures).toEqual({ valid: 0, invalid: 0, 'unknown-key': 0, 'not-checked': 2 });
    expect(r.summary.statement).toContain('signatures not checked');
  });

  it("a key list without the digest's fingerprint: unknown key", async () => {
    const t = writeTrail(tmpDir(), [{}]);
    const list = JSON.parse(fs.readFileSync(t.publicKeys, 'utf8'));
    list.PublicKeyList[0].Fingerprint = '0'.repeat(32);
    fs.writeFileSync(t.publicKeys, JSON.stringify(list));
    expect(problems((await verifyEvidence([s3(t)], { publicKeys: t.publicKeys })).rows)).toEqual([`${t.digests[0]}: unknown-key`]);
  });

  it('a digest moved from its key is flagged; its signature still holds (it covers the original key)', async () => {
    const t = writeTrail(tmpDir(), [{}]);
    const from = t.files.get(t.digests[0]!)!;
    const to = path.join(t.dir, 's3', digestKey('us-east-1', START + 7 * HOUR));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.renameSync(from, to);
    fs.renameSync(`${from}.sig`, `${to}.sig`);
    const r = await verifyEvidence([s3(t)], { publicKeys: t.publicKeys });
    expect(problems(r.rows)).toEqual([`${digestKey('us-east-1', START + 7 * HOUR)}: moved`]);
    expect(of(r.rows, 'valid')).toHaveLength(1);
  });

  it('an event outside the time range its digest lists', async () => {
    const t = writeTrail(tmpDir(), [{}]);
    const file = t.files.get(t.logs[0]!)!;
    const body = JSON.parse(gunzipText(file));
    body.Records[0].eventTime = '2026-10-13T23:00:00Z';
    const text = JSON.stringify(body);
    fs.writeFileSync(file, gz(text));
    // Listed with its new hash: only the time is off.
    rewriteDigest(t, t.digests[0]!, (d) => {
      (d.logFiles as { hashValue: string }[])[0]!.hashValue = sha256(text);
    });
    expect(problems((await verifyEvidence([s3(t)], { publicKeys: t.publicKeys })).rows)).toEqual([`${t.logs[0]}: outside`]);
  });

  it('reads digests, logs and signatures inside a zip bundle, named as ingest names them', async () => {
    const t = writeTrail(tmpDir(), [{}, {}]);
    const zip = new yazl.ZipFile();
    for (const [key, file] of t.files) {
      zip.addFile(file, key);
      if (fs.existsSync(`${file}.sig`)) zip.addFile(`${file}.sig`, `${key}.sig`);
    }
    zip.end();
    const bundle = path.join(tmpDir(), 'bundle.zip');
    await new Promise<void>((resolve) => zip.outputStream.pipe(fs.createWriteStream(bundle)).on('close', () => resolve()));
    const r = await verifyEvidence([bundle], { publicKeys: t.publicKeys });
    expect(problems(r.rows)).toEqual([]);
    expect(of(r.rows, 'valid')).toHaveLength(2);
    expect(r.rows.find((x) => x.status === 'match')!.file).toMatch(/\/bundle\.zip!\/AWSLogs\//);
  });

  it('lookup-events output and console downloads are not digested, which is not a problem; hostile digests are unreadable, not a crash', async () => {
    const d = tmpDir();
    write(path.join(d, 'console.json'), JSON.stringify({ Records: [record()] }));
    write(path.join(d, 'lookup.json'), JSON.stringify({ Events: [] }));
    write(path.join(d, 'AWSLogs', ACCT, 'CloudTrail-Digest', 'us-east-1', 'x.json.gz'), gz(JSON.stringify({ digestStartTime: 5, logFiles: 'no' })));
    const r = await verifyEvidence([d]);
    expect(of(r.rows, 'not-digested')).toHaveLength(2);
    expect(problems(r.rows)).toEqual([`AWSLogs/${ACCT}/CloudTrail-Digest/us-east-1/x.json.gz: unreadable`]);
    expect(r.summary.statement).toBe('no CloudTrail digest files in the evidence: the integrity of the log files cannot be checked');
  });

  it('a public key file that is not one is a clear error naming it', () => {
    const f = write(path.join(tmpDir(), 'keys.json'), '{"PublicKeyList":[{"Value":"bm90IGEga2V5","Fingerprint":"ab"}]}');
    expect(() => readPublicKeys(f)).toThrow(`${f}: PublicKeyList[0] (fingerprint ab): its Value is not a base64 DER PKCS#1 RSA public key`);
    const g = write(path.join(tmpDir(), 'keys.json'), 'nope');
    expect(() => readPublicKeys(g)).toThrow(`${g}: not JSON`);
  });
});

/** The trail's S3 export (public-keys.json, beside it, is not evidence). */
const s3 = (t: { dir: string }) => path.join(t.dir, 's3');
const zlibLevel1 = (text: string) => zlib.gzipSync(text, { level: 1 });
