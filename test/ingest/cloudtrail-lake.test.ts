/**
 * CloudTrail Lake's saved query results (issue 18): `result_N.csv.gz` files with `result_sign.json`
 * beside them, as CloudTrail delivers them to S3 ("CloudTrail sign file structure"). The results load
 * as events (camelCase columns, struct and map cells in Trino's text), the sign file is accounted for
 * and not loaded, and `keytrail verify` checks each result file's SHA-256 (of the file as delivered,
 * compressed) and the sign file's signature offline: tampered, missing and unlisted result files are
 * each said.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/ingest.js';
import { CaseDb } from '../../src/store/db.js';
import { sql } from '../../src/store/sql.js';
import { athenaCsv } from '../athena-csv.js';
import { FINGERPRINT, publicKeysJson, sha256, signText } from '../integrity/trail.js';
import { cli, gz, tmpDir, write } from '../helpers.js';

const HEADER = [
  'eventVersion',
  'userIdentity',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'errorCode',
  'requestParameters',
  'responseElements',
  'eventID',
  'readOnly',
  'resources',
  'managementEvent',
];

const identity = (user: string, key: string) =>
  `{type=IAMUser, principalId=AIDAEXAMPLE, arn=arn:aws:iam::111122223333:user/${user}, accountId=111122223333, accessKeyId=${key}, userName=${user}, sessionContext=null, invokedBy=null}`;

function results(dir: string): { files: string[] } {
  const rows1 = [
    [
      '1.09',
      identity('ci-deploy', 'AKIALEAKED0000000001'),
      '2026-10-14 03:10:00.000',
      'iam.amazonaws.com',
      'CreateAccessKey',
      'us-east-1',
      '203.0.113.77',
      null,
      '{userName=svc-backup}',
      '{accessKey={userName=svc-backup, accessKeyId=AKIANEWKEY0000000002, status=Active, createDate=Oct 14, 2026 3:10:00 AM}}',
      'lake-0001',
      'false',
      '[{accountId=111122223333, type=AWS::IAM::User, arn=arn:aws:iam::111122223333:user/svc-backup}]',
      'true',
    ],
  ];
  const rows2 = [
    [
      '1.09',
      identity('svc-backup', 'AKIANEWKEY0000000002'),
      '2026-10-14 03:20:00.000',
      'ec2.amazonaws.com',
      'RunInstances',
      'eu-west-1',
      '203.0.113.77',
      '',
      '{instanceType=g5.xlarge, tagSpecificationSet={items=[{"resourceType":"instance"}]}}',
      null,
      'lake-0002',
      'false',
      null,
      'true',
    ],
  ];
  const files = [
    write(path.join(dir, 'result_1.csv.gz'), gz(athenaCsv(HEADER, rows1))),
    write(path.join(dir, 'result_2.csv.gz'), gz(athenaCsv(HEADER, rows2))),
  ];
  const hashes = files.map((f) => sha256(fs.readFileSync(f)));
  write(
    path.join(dir, 'result_sign.json'),
    JSON.stringify({
      version: '1.0',
      region: 'us-east-1',
      files: files.map((f, i) => ({ fileHashValue: hashes[i], fileName: path.basename(f) })),
      hashAlgorithm: 'SHA-256',
      signatureAlgorithm: 'SHA256withRSA',
      queryCompleteTime: '2026-10-14T09:00:00Z',
      hashSignature: signText(hashes.join(' ')),
      publicKeyFingerprint: FINGERPRINT,
    }),
  );
  write(path.join(path.dirname(dir), 'public-keys.json'), publicKeysJson());
  return { files };
}

const lakeDir = () => path.join(tmpDir(), 'AWSLogs', '111122223333', 'CloudTrail-Lake', 'Query', '2026', '10', '14', 'q-1');

describe('CloudTrail Lake query results', () => {
  it('load as events, with their struct and map cells as CloudTrail nests them; the sign file is accounted for', async () => {
    const dir = lakeDir();
    results(dir);
    const file = path.join(dir, '..', 'case.duckdb');
    const summary = await ingest([dir], { db: file });
    expect(summary.events).toBe(2);
    const db = await CaseDb.open(file);
    const files = await db.rows(
      sql`SELECT regexp_extract(path, '[^/]+$') AS name, format, status FROM files ORDER BY name`,
      z.object({ name: z.string(), format: z.string(), status: z.string() }),
    );
    const events = await db.rows(
      sql`SELECT eventID, userIdentity.userName AS u, userIdentity.accessKeyId AS k, errorCode, readOnly,
            json_extract_string(responseElements, '$.accessKey.accessKeyId') AS created,
            json_extract_string(requestParameters, '$.tagSpecificationSet.items[0].resourceType') AS tag,
            json_extract_string(resources, '$[0].ARN') AS arn, strftime(eventTime, '%Y-%m-%dT%H:%M:%S') AS t
          FROM events ORDER BY eventID`,
      z.object({
        eventID: z.string(),
        u: z.string(),
        k: z.string(),
        errorCode: z.string().nullable(),
        readOnly: z.boolean(),
        created: z.string().nullable(),
        tag: z.string().nullable(),
        arn: z.string().nullable(),
        t: z.string(),
      }),
    );
    db.close();
    expect(files).toEqual([
      { name: 'result_1.csv.gz', format: 'cloudtrail-lake-result', status: 'ingested' },
      { name: 'result_2.csv.gz', format: 'cloudtrail-lake-result', status: 'ingested' },
      { name: 'result_sign.json', format: 'cloudtrail-lake-sign', status: 'skipped' },
    ]);
    expect(events).toEqual([
      {
        eventID: 'lake-0001',
        u: 'ci-deploy',
        k: 'AKIALEAKED0000000001',
        errorCode: null,
        readOnly: false,
        created: 'AKIANEWKEY0000000002',
        tag: null,
        arn: 'arn:aws:iam::111122223333:user/svc-backup',
        t: '2026-10-14T03:10:00',
      },
      {
        eventID: 'lake-0002',
        u: 'svc-backup',
        k: 'AKIANEWKEY0000000002',
        errorCode: '',
        readOnly: false,
        created: null,
        tag: 'instance',
        arn: null,
        t: '2026-10-14T03:20:00',
      },
    ]);
  });

  it('verify checks every result file against the sign file, and its signature, offline', () => {
    const dir = lakeDir();
    results(dir);
    const keys = path.join(path.dirname(dir), 'public-keys.json');
    const ok = cli(['verify', dir, '--public-keys', keys, '--format', 'json']);
    expect(ok.status, ok.stderr).toBe(0);
    const Rows = z.object({ rows: z.array(z.object({ file: z.string(), status: z.string() })) });
    const rows = (r: { stdout: string }) =>
      Rows.parse(JSON.parse(r.stdout))
        .rows.map((x) => `${path.basename(x.file)} ${x.status}`)
        .sort();
    expect(rows(ok)).toEqual(['result_1.csv.gz match', 'result_2.csv.gz match', 'result_sign.json valid']);
    // Without the keys the hashes are still checked; the signature is said not checked.
    expect(rows(cli(['verify', dir, '--format', 'json']))).toContain('result_sign.json not-checked');

    // A result file changed, one removed, one added that the sign file does not list.
    fs.appendFileSync(path.join(dir, 'result_2.csv.gz'), 'x');
    fs.rmSync(path.join(dir, 'result_1.csv.gz'));
    fs.copyFileSync(path.join(dir, 'result_2.csv.gz'), path.join(dir, 'result_3.csv.gz'));
    const bad = cli(['verify', dir, '--public-keys', keys, '--format', 'json']);
    expect(bad.status).toBe(1);
    expect(rows(bad)).toEqual(['result_1.csv.gz missing', 'result_2.csv.gz mismatch', 'result_3.csv.gz not-covered', 'result_sign.json valid']);
    // A hash changed in the sign file: its signature no longer verifies.
    const signFile = path.join(dir, 'result_sign.json');
    const sign = JSON.parse(fs.readFileSync(signFile, 'utf8'));
    sign.files[0].fileHashValue = '0'.repeat(64);
    fs.writeFileSync(signFile, JSON.stringify(sign));
    expect(rows(cli(['verify', dir, '--public-keys', keys, '--format', 'json']))).toContain('result_sign.json invalid');
  });
});
