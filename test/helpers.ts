/** Shared test fixtures: real-shaped CloudTrail records, temp folders, and the CLI binary. */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const CLI = path.join(ROOT, 'dist/cli/main.js');
/** Real-shaped data committed with the tests (each folder's README names its source and licence). */
export const FIXTURES = path.join(ROOT, 'test/fixtures');

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpDir(prefix = 'kt-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

/** A seeded pseudo-random source in [0, 1) (a linear congruential generator): random test texts that are the same at every run. */
export function seeded(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/**
 * Texts at the edges of a JSON scan's depth and one-value verdicts (bytes.ts DepthScanner,
 * records-scan.ts and its WebAssembly twin): brackets inside strings, escaped quotes, a trailing
 * backslash, text after the value, an unclosed value, a BOM, a stray closing bracket, nesting past
 * MAX_NATIVE_DEPTH.
 */
export const SCAN_EDGE_TEXTS: readonly string[] = [
  '{"Records":[{"a":1}]}',
  '  {"Records":[]}\n\r\n\t ',
  '{"a":"}]}"}',
  '{"a":"\\"}"}',
  '{"a":1}}',
  '{"a":1}\n{"f":1,"d":{"Records":[]}}',
  '{"a":1},"f":2',
  '{"a":1} x',
  '{"a":1',
  '{"a":"x\\\\"}',
  '\ufeff{"Records":[]}',
  ']{"a":1}',
  '"x"',
  `${'['.repeat(1200)}${']'.repeat(1200)}`,
  `{"Records":[${'{"a":'.repeat(999)}1${'}'.repeat(999)}]}`,
];

let counter = 0;
/** A CloudTrail record as S3 delivers it; every call gets a new eventID and a later time. */
export function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  const t = new Date(Date.UTC(2026, 9, 14, 9, 0, 0) + counter * 1000).toISOString().replace('.000Z', 'Z');
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEPRINCIPAL1',
      arn: 'arn:aws:iam::111122223333:user/ci-deploy',
      accountId: '111122223333',
      accessKeyId: 'AKIAEXAMPLELEAKED001',
      userName: 'ci-deploy',
    },
    eventTime: t,
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListUsers',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.7',
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
    requestParameters: null,
    responseElements: null,
    requestID: crypto.randomUUID(),
    eventID: crypto.randomUUID(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'iam.amazonaws.com' },
    ...overrides,
  };
}

export const records = (n: number, overrides: Record<string, unknown> = {}) => Array.from({ length: n }, () => record(overrides));

export function write(file: string, content: string | Buffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

export const gz = (s: string | Buffer) => zlib.gzipSync(s);
export const s3File = (recs: unknown[]) => gz(JSON.stringify({ Records: recs }));

/** `aws cloudtrail lookup-events` output for these records, as the CLI prints it. */
export function lookupPage(recs: Record<string, unknown>[], nextToken?: string): string {
  const ui = (r: Record<string, unknown>) => r.userIdentity as Record<string, unknown> | undefined;
  return JSON.stringify(
    {
      Events: recs.map((r) => ({
        EventId: r.eventID,
        EventName: r.eventName,
        ReadOnly: String(r.readOnly),
        AccessKeyId: ui(r)?.accessKeyId,
        EventTime: String(r.eventTime).replace('Z', '+00:00'),
        EventSource: r.eventSource,
        Username: ui(r)?.userName,
        Resources: [],
        CloudTrailEvent: JSON.stringify(r),
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    },
    null,
    4,
  );
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { cwd?: string; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, input: opts.input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
