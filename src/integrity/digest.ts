/**
 * CloudTrail digest files and their signatures, as AWS's "custom implementations of CloudTrail log
 * file integrity validation" documents them (and aws-cli's `cloudtrail validate-logs` does them):
 * - a digest (hourly, per region) lists each log file CloudTrail delivered in its hour with the
 *   SHA-256 of the file's uncompressed content, and links to the digest before it by the SHA-256 of
 *   that digest's uncompressed content and its signature;
 * - its signature (hex, in the S3 object's `x-amz-meta-signature`, not in the file) is RSA PKCS#1
 *   v1.5 with SHA-256 over `digestEndTime \n bucket/key \n sha256(digest content) \n previous signature`;
 * - the public keys come from `aws cloudtrail list-public-keys` (DER PKCS#1, base64), by fingerprint.
 * Every value here comes from evidence that may be crafted: each is validated, none is trusted.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { KeytrailError } from '../errors.js';

const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a time');
const hex = z.string().regex(/^[0-9a-fA-F]*$/, 'not hexadecimal');

export const LogFileEntry = z.object({
  s3Bucket: z.string(),
  s3Object: z.string().min(1),
  hashValue: hex,
  hashAlgorithm: z.string(),
  newestEventTime: time.nullish(),
  oldestEventTime: time.nullish(),
});
export type LogFileEntry = z.infer<typeof LogFileEntry>;

export const DigestFile = z.looseObject({
  awsAccountId: z.string(),
  digestStartTime: time,
  digestEndTime: time,
  digestS3Bucket: z.string(),
  digestS3Object: z.string().min(1),
  digestPublicKeyFingerprint: z.string().nullish(),
  digestSignatureAlgorithm: z.string().nullish(),
  newestEventTime: time.nullish(),
  oldestEventTime: time.nullish(),
  previousDigestS3Bucket: z.string().nullish(),
  previousDigestS3Object: z.string().nullish(),
  previousDigestHashValue: hex.nullish(),
  previousDigestHashAlgorithm: z.string().nullish(),
  previousDigestSignature: hex.nullish(),
  logFiles: z.array(LogFileEntry),
});
export type DigestFile = z.infer<typeof DigestFile>;

/** The string CloudTrail signs for a digest: aws-cli's `_create_string_to_sign`, byte for byte. */
export const signingString = (d: DigestFile, contentSha256: string) =>
  `${d.digestEndTime}\n${d.digestS3Bucket}/${d.digestS3Object}\n${contentSha256}\n${d.previousDigestSignature ?? 'null'}`;

export interface PublicKey {
  fingerprint: string;
  key: crypto.KeyObject;
  validFrom: number | null;
  validTo: number | null;
}

const PublicKeyList = z.object({
  PublicKeyList: z.array(
    z.object({
      Value: z.string().min(1),
      Fingerprint: z.string().min(1),
      ValidityStartTime: z.union([z.string(), z.number()]).nullish(),
      ValidityEndTime: z.union([z.string(), z.number()]).nullish(),
    }),
  ),
});

/** `aws cloudtrail list-public-keys` prints times as ISO text, or as epoch seconds with some output settings. */
const epoch = (t: string | number | null | undefined) => (t == null ? null : typeof t === 'number' ? t * 1000 : Date.parse(t));

/** The public keys of a `aws cloudtrail list-public-keys` output file, by fingerprint; a clear error naming the file otherwise. */
export function readPublicKeys(file: string): Map<string, PublicKey[]> {
  const fail = (what: string) => new KeytrailError('INPUT', `${file}: ${what} (expected the JSON that 'aws cloudtrail list-public-keys' prints)`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw fail(`cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let parsed: z.infer<typeof PublicKeyList>;
  try {
    const r = PublicKeyList.safeParse(JSON.parse(text));
    if (!r.success) throw fail(`not a public key list: ${r.error.issues[0]?.path.join('.') || 'top level'}: ${r.error.issues[0]?.message}`);
    parsed = r.data;
  } catch (err) {
    if (err instanceof KeytrailError) throw err;
    throw fail('not JSON');
  }
  const keys = new Map<string, PublicKey[]>();
  for (const [i, k] of parsed.PublicKeyList.entries()) {
    let key: crypto.KeyObject;
    try {
      key = crypto.createPublicKey({ key: Buffer.from(k.Value, 'base64'), format: 'der', type: 'pkcs1' });
    } catch {
      throw fail(`PublicKeyList[${i}] (fingerprint ${k.Fingerprint}): its Value is not a base64 DER PKCS#1 RSA public key`);
    }
    const fp = k.Fingerprint.toLowerCase();
    keys.set(fp, [...(keys.get(fp) ?? []), { fingerprint: fp, key, validFrom: epoch(k.ValidityStartTime), validTo: epoch(k.ValidityEndTime) }]);
  }
  return keys;
}

export type SignatureStatus = 'valid' | 'invalid' | 'unknown-key' | 'not-checked';

/**
 * A digest's signature against the public keys: `valid` proves the digest (and so the hashes it
 * lists) is what the holder of CloudTrail's private key for that fingerprint signed.
 */
export function checkSignature(
  d: DigestFile,
  contentSha256: string,
  signature: string | undefined,
  keys: Map<string, PublicKey[]> | undefined,
): { status: SignatureStatus; detail: string } {
  if (!keys) return { status: 'not-checked', detail: 'no public keys given (--public-keys FILE, from aws cloudtrail list-public-keys)' };
  if (signature === undefined)
    return { status: 'not-checked', detail: "no signature beside it (its S3 object's x-amz-meta-signature, as <digest file>.sig or <digest file>.head.json)" };
  const fp = (d.digestPublicKeyFingerprint ?? '').toLowerCase();
  const candidates = keys.get(fp) ?? [];
  if (candidates.length === 0) return { status: 'unknown-key', detail: `no public key with fingerprint ${fp || '(none in the digest)'} in the keys given` };
  if (d.digestSignatureAlgorithm && d.digestSignatureAlgorithm !== 'SHA256withRSA')
    return { status: 'invalid', detail: `signature algorithm ${d.digestSignatureAlgorithm} is not SHA256withRSA, the one CloudTrail uses` };
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(signature)) return { status: 'invalid', detail: 'the signature is not hexadecimal' };
  const data = Buffer.from(signingString(d, contentSha256), 'utf8');
  const sig = Buffer.from(signature, 'hex');
  const end = Date.parse(d.digestEndTime);
  for (const c of candidates) {
    if (!crypto.verify('sha256', data, { key: c.key, padding: crypto.constants.RSA_PKCS1_PADDING }, sig)) continue;
    const inWindow = (c.validFrom === null || c.validFrom <= end) && (c.validTo === null || end <= c.validTo);
    return inWindow
      ? { status: 'valid', detail: `signed by the key with fingerprint ${fp}` }
      : { status: 'invalid', detail: `signed by the key with fingerprint ${fp}, but the digest's end time is outside that key's validity` };
  }
  return {
    status: 'invalid',
    detail: `the signature does not verify with the key of fingerprint ${fp}: the digest, its location or the signature was changed`,
  };
}

/**
 * A CloudTrail Lake query-results sign file (`result_sign.json`, "CloudTrail sign file structure"):
 * the SHA-256 of each result file as delivered (`result_1.csv.gz`, compressed), and an RSA
 * signature over those hashes.
 */
export const LakeSignFile = z.looseObject({
  version: z.string().optional(),
  region: z.string().optional(),
  files: z.array(z.looseObject({ fileName: z.string().min(1), fileHashValue: z.string().regex(/^[0-9a-fA-F]{64}$/) })).min(1),
  hashAlgorithm: z.string().optional(),
  signatureAlgorithm: z.string().optional(),
  queryCompleteTime: z.string().optional(),
  hashSignature: z.string(),
  publicKeyFingerprint: z.string().optional(),
});
export type LakeSignFile = z.infer<typeof LakeSignFile>;

/** A sign file's signature: over its files' hashes joined by spaces, in their order (AWS's manual validation steps). */
export function checkLakeSignature(s: LakeSignFile, keys: Map<string, PublicKey[]> | undefined): { status: SignatureStatus; detail: string } {
  if (!keys) return { status: 'not-checked', detail: 'no public keys given (--public-keys FILE, from aws cloudtrail list-public-keys)' };
  const fp = (s.publicKeyFingerprint ?? '').toLowerCase();
  const candidates = keys.get(fp) ?? [];
  if (candidates.length === 0) return { status: 'unknown-key', detail: `no public key with fingerprint ${fp || '(none in the sign file)'} in the keys given` };
  if (s.signatureAlgorithm && s.signatureAlgorithm !== 'SHA256withRSA')
    return { status: 'invalid', detail: `signature algorithm ${s.signatureAlgorithm} is not SHA256withRSA, the one CloudTrail uses` };
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(s.hashSignature)) return { status: 'invalid', detail: 'the signature is not hexadecimal' };
  const data = Buffer.from(s.files.map((f) => f.fileHashValue).join(' '), 'utf8');
  const sig = Buffer.from(s.hashSignature, 'hex');
  for (const c of candidates)
    if (crypto.verify('sha256', data, { key: c.key, padding: crypto.constants.RSA_PKCS1_PADDING }, sig))
      return { status: 'valid', detail: `signed by the key with fingerprint ${fp}` };
  return { status: 'invalid', detail: `the signature does not verify with the key of fingerprint ${fp}: a hash or the signature was changed` };
}
