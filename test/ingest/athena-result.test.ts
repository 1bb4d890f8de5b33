/**
 * Athena query results as evidence (issue 18): the sample's records written as Athena writes a
 * result CSV, in keytrail's JSON form and in Trino's struct text, ingest into the same events as the
 * sample itself, field by field, for every field Athena's table holds. Then what can go wrong: a cell
 * that cannot be read (the row is rejected, the rest loads), a crafted value that imitates the next
 * key, NULL against an empty string, gzip, and the file's accounting.
 */
import path from 'node:path';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStruct } from '../../src/ingest/athena-result.js';
import { ATHENA_CLOUDTRAIL } from '../../src/athena/table.js';
import { ingest } from '../../src/ingest/ingest.js';
import { CaseDb } from '../../src/store/db.js';
import { sql } from '../../src/store/sql.js';
import { FIELDS, JSON_FIELDS, athenaCells, athenaCsv, fields, recordsAsAthenaCsv } from '../athena-csv.js';
import { ROOT, cli, gz, record, tmpDir, write } from '../helpers.js';

let dir: string;
let records: Record<string, unknown>[];
let sample: Map<string, Record<string, unknown>>;

beforeAll(async () => {
  dir = tmpDir();
  const file = path.join(dir, 'sample.duckdb');
  await ingest([path.join(ROOT, 'samples', 'leaked-key', 'evidence')], { db: file });
  const db = await CaseDb.open(file);
  records = (await db.rows(sql`SELECT record::VARCHAR AS r FROM records ORDER BY eventID`, z.object({ r: z.string() }))).map((x) => JSON.parse(x.r));
  db.close();
  sample = await fields(file);
}, 120_000);

describe('an Athena result CSV', () => {
  it.each(['json', 'struct'] as const)('in the %s form holds the same events as the evidence, field by field', async (form) => {
    const csv = write(path.join(dir, `${form}/result.csv`), recordsAsAthenaCsv(records, form));
    const file = path.join(dir, `${form}.duckdb`);
    const summary = await ingest([csv], { db: file });
    expect(summary.events).toBe(records.length);
    const got = await fields(file);
    expect(got.size).toBe(sample.size);
    const differs: string[] = [];
    for (const [id, want] of sample) {
      for (const f of [...FIELDS, ...JSON_FIELDS])
        if (JSON.stringify(got.get(id)?.[f]) !== JSON.stringify(want[f]))
          differs.push(`${id} ${f}: ${JSON.stringify(want[f])} != ${JSON.stringify(got.get(id)?.[f])}`);
    }
    expect(differs.slice(0, 10)).toEqual([]);
    // Each field is set somewhere in the sample, or the comparison proves nothing for it.
    const unset = [...FIELDS, ...JSON_FIELDS].filter((f) => ![...sample.values()].some((r) => r[f] !== null));
    expect(unset.length).toBeLessThan(8);
    const db = await CaseDb.open(file);
    const files = await db.rows(sql`SELECT format, status FROM files`, z.object({ format: z.string(), status: z.string() }));
    const partial = await db.rows(sql`SELECT count(*) FILTER (WHERE is_partial)::INTEGER AS n FROM events`, z.object({ n: z.number() }));
    db.close();
    expect(files).toEqual([{ format: 'athena-result', status: 'ingested' }]);
    // Athena's table keeps only its columns: the records are field-limited.
    expect(partial[0]!.n).toBe(records.length);
  });

  it('investigate on a result says what such evidence cannot hold, and tells the same story', () => {
    const csv = write(path.join(dir, 'investigate/phase-1.csv'), recordsAsAthenaCsv(records, 'json'));
    const out = path.join(dir, 'investigate-case');
    const r = cli(['investigate', path.dirname(csv), '--key', 'AKIABTX3GSDSS5LN7GPS', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('1 input(s) are Athena or CloudTrail Lake query results');
    expect(r.stdout + r.stderr).toContain('identities the attacker created: user/svc-backup, role/ops-maintenance');
  });

  it('reads any subset of the columns in any order, gzipped, with the partition columns; NULL is absent, "" an empty string', async () => {
    const header = ['eventname', 'timestamp', 'eventid', 'eventsource', 'eventtime', 'errorcode', 'useridentity'];
    const rows = [
      ['CreateUser', '2026/10/14', 'e-1', 'iam.amazonaws.com', '2026-10-14T10:00:00Z', null, '{"type":"IAMUser","arn":null,"username":"alice"}'],
      ['CreateUser', '2026/10/14', 'e-2', 'iam.amazonaws.com', '2026-10-14T10:00:01Z', '', null],
    ];
    const file = path.join(dir, 'subset.duckdb');
    await ingest([write(path.join(dir, 'subset/result.csv.gz'), gz(athenaCsv(header, rows)))], { db: file });
    const db = await CaseDb.open(file);
    const got = await db.rows(
      sql`SELECT eventID, errorCode, userIdentity.userName AS u, userIdentity.arn AS a FROM events ORDER BY eventID`,
      z.object({ eventID: z.string(), errorCode: z.string().nullable(), u: z.string().nullable(), a: z.string().nullable() }),
    );
    db.close();
    expect(got).toEqual([
      { eventID: 'e-1', errorCode: null, u: 'alice', a: null },
      { eventID: 'e-2', errorCode: '', u: null, a: null },
    ]);
  });

  it('rejects a row whose cell cannot be read, naming the line and column, and loads the others', async () => {
    const ok = athenaCells(record({ eventID: 'ok-1' }), 'struct');
    const bad = athenaCells(record({ eventID: 'bad-1' }), 'struct');
    bad[Object.keys(ATHENA_CLOUDTRAIL).indexOf('useridentity')] = '{type=IAMUser, principalid=AIDA';
    const file = path.join(dir, 'bad.duckdb');
    const summary = await ingest([write(path.join(dir, 'bad/result.csv'), athenaCsv(Object.keys(ATHENA_CLOUDTRAIL), [ok, bad]))], { db: file });
    expect(summary.events).toBe(1);
    const db = await CaseDb.open(file);
    const rejects = await db.rows(sql`SELECT reason FROM rejects`, z.object({ reason: z.string() }));
    db.close();
    expect(rejects.map((r) => r.reason)).toEqual([expect.stringMatching(/^line 3 \(row 2\): column useridentity: a value at character \d+ has no end$/)]);
  });
});

describe("Trino's struct text", () => {
  const ui = ATHENA_CLOUDTRAIL.useridentity!;

  it('splits values at the keys the struct may still hold: a value may contain commas, braces, "=" and keys already seen', () => {
    const v = parseStruct(
      ui,
      '{type=IAMUser, principalid=AIDA, arn=arn:aws:iam::1:user/a, b, accountid=1, invokedby=null, accesskeyid=AKIA, username=x, arn=y {z}, onbehalfof=null, sessioncontext=null}',
    );
    expect(v).toMatchObject({ arn: 'arn:aws:iam::1:user/a, b', username: 'x, arn=y {z}', invokedby: null, sessioncontext: null });
    const list = parseStruct(ATHENA_CLOUDTRAIL.resources!, '[{arn=arn:aws:s3:::b, accountid=1, type=AWS::S3::Bucket}, {arn=x}, y, accountid=null, type=null}]');
    expect(list).toEqual([
      { arn: 'arn:aws:s3:::b', accountid: '1', type: 'AWS::S3::Bucket' },
      { arn: 'x}, y', accountid: null, type: null },
    ]);
  });

  it('cannot tell a value that imitates a key still to come, and says so rather than guess', () => {
    // A crafted user name that reads as the start of the next field: the struct no longer parses.
    expect(() => parseStruct(ui, '{type=IAMUser, username=x, sessioncontext=evil, onbehalfof=null, sessioncontext=null}')).toThrow(/expected|unexpected key/);
  });
});
