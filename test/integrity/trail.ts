/**
 * A small S3 trail export with real digests, as CloudTrail writes them: per region and hour, log
 * files (`{"Records":[...]}`, gzip) and a digest listing each with the SHA-256 of its uncompressed
 * content, chained to the digest before it by that digest's content hash and signature, and signed
 * (RSA PKCS#1 v1.5, SHA-256, over AWS's documented signing string) by a key made for the test. The
 * signatures go beside the digests as `.sig` sidecars, the public key into `public-keys.json` in the
 * shape `aws cloudtrail list-public-keys` prints.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { gz, record, write } from '../helpers.js';

export const ACCT = '111122223333';
export const BUCKET = 'trail-bucket';
const TRAIL = 'management-events';

const keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const der = keys.publicKey.export({ format: 'der', type: 'pkcs1' });
export const FINGERPRINT = crypto.createHash('md5').update(der).digest('hex');

const pad = (n: number) => String(n).padStart(2, '0');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const compact = (ms: number, seconds: boolean) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${seconds ? pad(d.getUTCSeconds()) : ''}Z`;
};
const day = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
};
export const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

export const HOUR = 3600_000;
export const START = Date.UTC(2026, 9, 14, 3, 0, 0);

export const logKey = (region: string, at: number, n: number) =>
  `AWSLogs/${ACCT}/CloudTrail/${region}/${day(at)}/${ACCT}_CloudTrail_${region}_${compact(at, false)}_file${String(n).padStart(11, '0')}.json.gz`;
export const digestKey = (region: string, end: number) =>
  `AWSLogs/${ACCT}/CloudTrail-Digest/${region}/${day(end)}/${ACCT}_CloudTrail-Digest_${region}_${TRAIL}_us-east-1_${compact(end, true)}.json.gz`;

export interface Hour {
  /** Extra records for this hour's first log file (e.g. a StopLogging). */
  records?: Record<string, unknown>[];
}

export interface Trail {
  dir: string;
  publicKeys: string;
  /** Every file written, by S3 key: where it is on disk. */
  files: Map<string, string>;
  digests: string[];
  logs: string[];
}

/** The signing string CloudTrail signs (written here from AWS's documentation, apart from the code under test). */
export function sign(digest: Record<string, unknown>, text: string): string {
  const s = `${digest.digestEndTime}\n${digest.digestS3Bucket}/${digest.digestS3Object}\n${sha256(text)}\n${digest.previousDigestSignature ?? 'null'}`;
  return crypto.sign('sha256', Buffer.from(s), keys.privateKey).toString('hex');
}

/**
 * `hours` hours of one region from START, two log files each, under `dir/s3/`. Digest hour h ends
 * 5 minutes past hour h+1 and lists the files delivered in it.
 */
export function writeTrail(dir: string, hours: Hour[], region = 'us-east-1'): Trail {
  const trail: Trail = { dir, publicKeys: path.join(dir, 'public-keys.json'), files: new Map(), digests: [], logs: [] };
  let previous: { key: string; text: string; signature: string } | null = null;
  let n = 0;
  for (const [h, hour] of hours.entries()) {
    const start = START + h * HOUR + 5 * 60_000;
    const end = start + HOUR;
    const logFiles = [];
    for (let f = 0; f < 2; f++) {
      const delivered = start + (10 + f * 20) * 60_000;
      const times = [delivered - 9 * 60_000, delivered - 6 * 60_000, delivered - 3 * 60_000];
      const recs = times.map((t) => record({ eventTime: iso(t), awsRegion: region, recipientAccountId: ACCT }));
      if (f === 0 && hour.records) recs.push(...hour.records.map((r) => ({ ...record({ awsRegion: region, recipientAccountId: ACCT }), ...r })));
      const text = JSON.stringify({ Records: recs });
      const key = logKey(region, delivered, n++);
      trail.files.set(key, write(path.join(dir, 's3', key), gz(text)));
      trail.logs.push(key);
      const eventTimes = recs.map((r) => Date.parse(r.eventTime as string));
      logFiles.push({
        s3Bucket: BUCKET,
        s3Object: key,
        hashValue: sha256(text),
        hashAlgorithm: 'SHA-256',
        newestEventTime: iso(Math.max(...eventTimes)),
        oldestEventTime: iso(Math.min(...eventTimes)),
      });
    }
    const key = digestKey(region, end);
    const digest: Record<string, unknown> = {
      awsAccountId: ACCT,
      digestStartTime: iso(start),
      digestEndTime: iso(end),
      digestS3Bucket: BUCKET,
      digestS3Object: key,
      digestPublicKeyFingerprint: FINGERPRINT,
      digestSignatureAlgorithm: 'SHA256withRSA',
      newestEventTime: logFiles
        .map((l) => l.newestEventTime)
        .sort()
        .at(-1),
      oldestEventTime: logFiles.map((l) => l.oldestEventTime).sort()[0],
      previousDigestS3Bucket: previous ? BUCKET : null,
      previousDigestS3Object: previous?.key ?? null,
      previousDigestHashValue: previous ? sha256(previous.text) : null,
      previousDigestHashAlgorithm: previous ? 'SHA-256' : null,
      previousDigestSignature: previous?.signature ?? null,
      logFiles,
    };
    const text: string = JSON.stringify(digest);
    const signature = sign(digest, text);
    const file = write(path.join(dir, 's3', key), gz(text));
    write(`${file}.sig`, `${signature}\n`);
    trail.files.set(key, file);
    trail.digests.push(key);
    previous = { key, text, signature };
  }
  write(
    trail.publicKeys,
    JSON.stringify({
      PublicKeyList: [
        { Value: der.toString('base64'), ValidityStartTime: '2026-01-01T00:00:00Z', ValidityEndTime: '2027-01-01T00:00:00Z', Fingerprint: FINGERPRINT },
      ],
    }),
  );
  return trail;
}

/** A digest's JSON, changed by `edit`, written back (gzip) and, unless `resign` is false, signed again. */
export function rewriteDigest(trail: Trail, key: string, edit: (d: Record<string, unknown>) => void, resign = true): void {
  const file = trail.files.get(key)!;
  const d = JSON.parse(gunzipText(file)) as Record<string, unknown>;
  edit(d);
  const text = JSON.stringify(d);
  fs.writeFileSync(file, gz(text));
  if (resign) fs.writeFileSync(`${file}.sig`, `${sign(d, text)}\n`);
}

export const gunzipText = (file: string) => zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');

/** The same key pair for other signed files (CloudTrail Lake's sign file): a signature of `text`, and the keys' JSON. */
export const signText = (text: string) => crypto.sign('sha256', Buffer.from(text), keys.privateKey).toString('hex');
export const publicKeysJson = () =>
  JSON.stringify({
    PublicKeyList: [
      { Value: der.toString('base64'), ValidityStartTime: '2026-01-01T00:00:00Z', ValidityEndTime: '2027-01-01T00:00:00Z', Fingerprint: FINGERPRINT },
    ],
  });
