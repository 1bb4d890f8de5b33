/**
 * Query results as evidence, from the committed fixtures of test/fixtures/athena-results/ (see its
 * README): Athena's JSON form and struct form, a subset of the columns gzipped, CloudTrail Lake's
 * saved results with their sign file, and the hostile ones (a value that imitates the next key,
 * quotes, newlines, unicode, a cut file, a bad cell). The fixtures are what test/athena-csv.ts makes
 * of records of samples/leaked-key/evidence; the first test proves they still are
 * (KEYTRAIL_WRITE_FIXTURES=1 writes them again).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATHENA_COLUMNS } from '../../src/athena/columns.js';
import { ingest } from '../../src/ingest/ingest.js';
import { CaseDb } from '../../src/store/db.js';
import { sql } from '../../src/store/sql.js';
import { FIELDS, JSON_FIELDS, LAKE_HEADER, athenaCells, athenaCsv, fields, lakeCells } from '../athena-csv.js';
import { FIXTURES, ROOT, cli, tmpDir } from '../helpers.js';
import { sha256 } from '../integrity/trail.js';

const DIR = path.join(FIXTURES, 'athena-results');
const fixture = (...p: string[]) => path.join(DIR, ...p);

type Rec = Record<string, unknown>;

/** The sample's records the fixtures hold: one of each kind of identity, error, resource list and login. */
const PICK: [string, (r: Rec) => boolean][] = [
  ['CreateAccessKey', (r) => r.eventName === 'CreateAccessKey'],
  ['CreateUser failed', (r) => r.eventName === 'CreateUser' && r.errorCode === 'EntityAlreadyExists'],
  ['AssumeRole by a user', (r) => r.eventName === 'AssumeRole' && (r.userIdentity as Rec).type === 'IAMUser'],
  ['GetCallerIdentity by a role', (r) => r.eventName === 'GetCallerIdentity' && (r.userIdentity as Rec).type === 'AssumedRole'],
  ['DescribeOrganization denied', (r) => r.eventName === 'DescribeOrganization' && r.errorCode === 'AccessDeniedException'],
  ['ConsoleLogin', (r) => r.eventName === 'ConsoleLogin'],
  ['CreateLoginProfile', (r) => r.eventName === 'CreateLoginProfile'],
];

/** The hostile records: a CreateAccessKey of the sample with values crafted against each reading. */
function hostile(base: Rec): Rec[] {
  const ui = base.userIdentity as Rec;
  const clone = (id: string, edit: (r: Rec) => void): Rec => {
    const r = structuredClone(base);
    r.eventID = id;
    edit(r);
    return r;
  };
  return [
    // A key already read (arn): the struct text still parses right, but says its doubt.
    clone('hostile-1', (r) => (r.userIdentity = { ...ui, userName: 'evil, arn=arn:aws:iam::999999999999:user/x' })),
    // Quotes, commas, newlines (LF and CRLF) and text beyond ASCII: CSV's business, not the struct text's.
    clone('hostile-2', (r) => {
      r.userAgent = 'agent "quoted", with, commas';
      r.errorMessage = 'line one\nline two\r\nline "three"';
      r.userIdentity = { ...ui, userName: 'ユーザー🚀 naïve' };
    }),
    // A key still to come (type) inside a resource's ARN: struct text splits there and reads wrong,
    // which it can only say; a request parameter imitating a list boundary stays JSON.
    clone('hostile-3', (r) => {
      r.requestParameters = { userName: 'a "b"\nc', note: '}, {arn=x' };
      r.resources = [{ ARN: 'arn:aws:s3:::b, type=AWS::Fake', accountId: '111122223333', type: 'AWS::S3::Bucket' }];
    }),
    // A key that comes later (sessioncontext) followed by what the struct would hold: the real
    // onbehalfof then runs into the real sessioncontext, and no reading fits.
    clone('hostile-4', (r) => (r.userIdentity = { ...ui, userName: 'x, sessioncontext=null' })),
  ];
}

/** Every fixture, by its path under DIR, from the sample's records. */
function makeFixtures(records: Rec[]): Map<string, string | Buffer> {
  const picked = PICK.map(([what, test]) => {
    const r = records.find(test);
    if (!r) throw new Error(`the sample has no ${what}`);
    return r;
  });
  const out = new Map<string, string | Buffer>();
  const all = (rs: Rec[], form: 'json' | 'struct') =>
    athenaCsv(
      ATHENA_COLUMNS,
      rs.map((r) => athenaCells(r, form)),
    );
  out.set('json-form/result.csv', all(picked, 'json'));
  out.set('struct-form/result.csv', all(picked, 'struct'));
  // A user's own SELECT: some columns, in another order, with a partition column, gzipped.
  const cols = ['eventname', 'timestamp', 'eventid', 'eventsource', 'eventtime', 'useridentity', 'readonly', 'errorcode', 'resources'];
  const subset = picked.map((r) => {
    const cells = athenaCells(r, 'json');
    return cols.map((c) => (c === 'timestamp' ? String(r.eventTime).slice(0, 10).replaceAll('-', '/') : cells[ATHENA_COLUMNS.indexOf(c)]!));
  });
  out.set('subset/result.csv.gz', zlib.gzipSync(athenaCsv(cols, subset)));
  const bad = hostile(picked[0]!);
  out.set('hostile/json-form.csv', all(bad, 'json'));
  out.set('hostile/struct-form.csv', all(bad, 'struct'));
  // Cut inside the third row's user identity: the file ends in a quoted value.
  const whole = all(picked, 'json');
  const third = whole.indexOf(`"${picked[2]!.eventVersion}","{`);
  out.set('truncated/result.csv', whole.slice(0, third + 40));
  const lake = (rs: Rec[]) => zlib.gzipSync(athenaCsv(LAKE_HEADER, rs.map(lakeCells)));
  out.set('lake/result_1.csv.gz', lake(picked.slice(0, 4)));
  out.set('lake/result_2.csv.gz', lake(picked.slice(4)));
  return out;
}

/** The sign file for the committed result files: their hashes, and a signature no key can check (see the README). */
function signFile(): string {
  const files = ['result_1.csv.gz', 'result_2.csv.gz'].map((f) => ({ fileHashValue: sha256(fs.readFileSync(fixture('lake', f))), fileName: f }));
  return `${JSON.stringify(
    {
      version: '1.0',
      region: 'us-east-1',
      files,
      hashAlgorithm: 'SHA-256',
      signatureAlgorithm: 'SHA256withRSA',
      queryCompleteTime: '2026-10-14T09:00:00Z',
      hashSignature: '00'.repeat(256),
      publicKeyFingerprint: '00000000000000000000000000000000',
    },
    null,
    2,
  )}\n`;
}

const Text = z.object({ r: z.string() });
const FileRow = z.object({ name: z.string(), format: z.string(), status: z.string(), reason: z.string().nullable(), events: z.number() });

async function filesOf(db: string) {
  const c = await CaseDb.open(db);
  try {
    return await c.rows(
      sql`SELECT regexp_extract(path, '[^/]+$') AS name, format, status, reason, events FROM files WHERE sha256 IS NOT NULL ORDER BY path`,
      FileRow,
    );
  } finally {
    c.close();
  }
}

async function rejectsOf(db: string): Promise<string[]> {
  const c = await CaseDb.open(db);
  try {
    return (await c.rows(sql`SELECT reason AS r FROM rejects ORDER BY file_id, record_index`, Text)).map((x) => x.r);
  } finally {
    c.close();
  }
}

let dir: string;
let records: Rec[];
let sample: Map<string, Rec>;

beforeAll(async () => {
  dir = tmpDir();
  const file = path.join(dir, 'sample.duckdb');
  await ingest([path.join(ROOT, 'samples', 'leaked-key', 'evidence')], { db: file });
  const db = await CaseDb.open(file);
  records = (await db.rows(sql`SELECT record::VARCHAR AS r FROM records ORDER BY eventID`, Text)).map((x) => JSON.parse(x.r));
  db.close();
  sample = await fields(file);
}, 120_000);

/** Ingest `inputs` into a new case of its own. */
async function caseOf(name: string, ...inputs: string[]) {
  const db = path.join(dir, `${name}.duckdb`);
  const summary = await ingest(inputs, { db });
  return { db, summary };
}

/** Where a case's events differ from the sample's, field by field (`only`: those fields). */
function differences(got: Map<string, Rec>, only?: readonly string[]): string[] {
  const out: string[] = [];
  for (const [id, have] of got) {
    const want = sample.get(id);
    if (!want) {
      out.push(`${id}: not in the sample`);
      continue;
    }
    for (const f of only ?? [...FIELDS, ...JSON_FIELDS])
      if (JSON.stringify(have[f]) !== JSON.stringify(want[f])) out.push(`${id} ${f}: ${JSON.stringify(want[f])} != ${JSON.stringify(have[f])}`);
  }
  return out;
}

describe('the committed fixtures', () => {
  it('are what the test helper makes of the sample evidence', () => {
    const made = makeFixtures(records);
    if (process.env.KEYTRAIL_WRITE_FIXTURES) {
      for (const [p, content] of made) {
        fs.mkdirSync(path.dirname(fixture(p)), { recursive: true });
        fs.writeFileSync(fixture(p), content);
      }
      fs.writeFileSync(fixture('lake', 'result_sign.json'), signFile());
    }
    const text = (p: string) => (p.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(fixture(p))) : fs.readFileSync(fixture(p))).toString('utf8');
    for (const [p, content] of made) {
      const want = Buffer.isBuffer(content) ? zlib.gunzipSync(content).toString('utf8') : content;
      expect(text(p), p).toBe(want);
    }
    expect(fs.readFileSync(fixture('lake', 'result_sign.json'), 'utf8')).toBe(signFile());
  });
});

describe('Athena results', () => {
  it.each(['json', 'struct'] as const)('the %s form loads the same events as the sample, field by field', async (form) => {
    const { db, summary } = await caseOf(`fixture-${form}`, fixture(`${form}-form`, 'result.csv'));
    expect(summary.events).toBe(PICK.length);
    const got = await fields(db);
    expect([...got.keys()].sort()).toEqual(PICK.map(([, t]) => records.find(t)!.eventID as string).sort());
    expect(differences(got)).toEqual([]);
    // The comparison covers the fields that matter here: each is set in some picked event.
    for (const f of ['userIdentity.sessionContext.sessionIssuer.arn', 'errorCode', 'requestParameters', 'responseElements', 'resources', 'additionalEventData'])
      expect(
        [...got.values()].some((r) => r[f] !== null),
        f,
      ).toBe(true);
    expect(await filesOf(db)).toEqual([{ name: 'result.csv', format: 'athena-result', status: 'ingested', reason: null, events: PICK.length }]);
  });

  it('a subset of the columns, in another order, with a partition column, gzipped: those fields, the rest absent', async () => {
    const { db } = await caseOf('fixture-subset', fixture('subset', 'result.csv.gz'));
    const got = await fields(db);
    expect(got.size).toBe(PICK.length);
    expect(
      differences(got, [
        'eventID',
        'eventName',
        'eventTime',
        'eventSource',
        'userIdentity.arn',
        'userIdentity.accessKeyId',
        'readOnly',
        'errorCode',
        'resources',
      ]),
    ).toEqual([]);
    for (const r of got.values()) {
      expect(r.requestParameters).toBeNull();
      expect(r.awsRegion).toBeNull();
      expect(r.sourceIPAddress).toBeNull();
    }
    expect((await filesOf(db))[0]).toMatchObject({ format: 'athena-result', status: 'ingested' });
  });

  it('is told by its header, not its name', async () => {
    const odd = path.join(dir, 'named-oddly', 'notes.txt');
    fs.mkdirSync(path.dirname(odd), { recursive: true });
    fs.copyFileSync(fixture('json-form', 'result.csv'), odd);
    const { db, summary } = await caseOf('oddly', odd);
    expect(summary.events).toBe(PICK.length);
    expect((await filesOf(db))[0]).toMatchObject({ name: 'notes.txt', format: 'athena-result', status: 'ingested' });
  });

  it('hostile values survive the JSON form exactly: quotes, commas, newlines, unicode, text that imitates keys', async () => {
    const { db, summary } = await caseOf('hostile-json', fixture('hostile', 'json-form.csv'));
    expect(summary.events).toBe(4);
    const c = await CaseDb.open(db);
    const got = await c.rows(
      sql`SELECT eventID AS id, userIdentity.userName AS u, userAgent AS a, errorMessage AS m, requestParameters::VARCHAR AS p, resources::VARCHAR AS r FROM events ORDER BY eventID`,
      z.object({ id: z.string(), u: z.string(), a: z.string(), m: z.string().nullable(), p: z.string().nullable(), r: z.string().nullable() }),
    );
    c.close();
    expect(got.map((r) => r.u)).toEqual(['evil, arn=arn:aws:iam::999999999999:user/x', 'ユーザー🚀 naïve', got[2]!.u, 'x, sessioncontext=null']);
    expect(got[1]!.a).toBe('agent "quoted", with, commas');
    expect(got[1]!.m).toBe('line one\nline two\r\nline "three"');
    expect(JSON.parse(got[2]!.p!)).toEqual({ userName: 'a "b"\nc', note: '}, {arn=x' });
    expect(JSON.parse(got[2]!.r!)).toEqual([{ ARN: 'arn:aws:s3:::b, type=AWS::Fake', accountId: '111122223333', type: 'AWS::S3::Bucket' }]);
    expect((await filesOf(db))[0]).toMatchObject({ status: 'ingested', reason: null });
  });

  it('hostile values in the struct form: read where they can be, doubted by line and row where they could be read otherwise, rejected where they cannot', async () => {
    const { db, summary } = await caseOf('hostile-struct', fixture('hostile', 'struct-form.csv'));
    expect(summary.events).toBe(3);
    const c = await CaseDb.open(db);
    const got = await c.rows(
      sql`SELECT eventID AS id, userIdentity.userName AS u, userAgent AS a, errorMessage AS m, resources::VARCHAR AS r FROM events ORDER BY eventID`,
      z.object({ id: z.string(), u: z.string(), a: z.string(), m: z.string().nullable(), r: z.string().nullable() }),
    );
    c.close();
    // A key already read cannot end a value: this one is read right, and still doubted below.
    expect(got[0]!.u).toBe('evil, arn=arn:aws:iam::999999999999:user/x');
    expect(got[1]).toMatchObject({ u: 'ユーザー🚀 naïve', a: 'agent "quoted", with, commas', m: 'line one\nline two\r\nline "three"' });
    // The ARN holding ", type=" is split there: read wrong, as the struct text allows, and said.
    expect(JSON.parse(got[2]!.r!)).toEqual([{ ARN: 'arn:aws:s3:::b', type: 'AWS::Fake', accountId: '111122223333, type=AWS::S3::Bucket' }]);
    const [file] = await filesOf(db);
    expect(file!.status).toBe('partial');
    // Row 2 spans three lines (its error message holds two newlines): row 3 starts on line 6.
    expect(file!.reason).toContain('1 of 4 records rejected (first: line 7 (row 4): column useridentity: expected "{" at character 215)');
    expect(file!.reason).toContain(
      '2 row(s) hold struct text (Trino\'s {key=value} form) that could be read more than one way: a value holds ", key=" for a key of its column, or a list element\'s boundary; ' +
        'each was read with the first reading and may be split wrongly (line 2 (row 1) column useridentity: username holds ", arn="; line 6 (row 3) column resources: [0].accountid holds ", type=")',
    );
    expect(await rejectsOf(db)).toEqual([expect.stringMatching(/^line 7 \(row 4\): column useridentity: expected "\{" at character 215$/)]);
    // The ingest summary says it, naming the file.
    expect(summary.problems).toEqual([{ path: fixture('hostile', 'struct-form.csv'), status: 'partial', reason: file!.reason }]);
  });

  it('a file cut inside a quoted value keeps the rows before it and says where it ends', async () => {
    const { db, summary } = await caseOf('truncated', fixture('truncated', 'result.csv'));
    expect(summary.events).toBe(2);
    const [file] = await filesOf(db);
    expect(file).toMatchObject({ status: 'partial', events: 2 });
    expect(file!.reason).toMatch(/quote.*line 4.*the 2 records before it were kept/i);
  });

  it('a gzip cut short keeps what was read before the cut', async () => {
    const whole = zlib.gzipSync(fs.readFileSync(fixture('json-form', 'result.csv')));
    const cut = path.join(dir, 'cut', 'result.csv.gz');
    fs.mkdirSync(path.dirname(cut), { recursive: true });
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.8)));
    const { db, summary } = await caseOf('cut-gzip', cut);
    const [file] = await filesOf(db);
    expect(summary.events).toBeGreaterThan(0);
    expect(summary.events).toBeLessThan(PICK.length);
    expect(file).toMatchObject({ status: 'partial', events: summary.events });
    expect(file!.reason).toMatch(/unexpected end of file|truncated/i);
  });

  it('a bad cell rejects its row, named by line, row and column; the other rows and files load', async () => {
    const text = fs.readFileSync(fixture('json-form', 'result.csv'), 'utf8').split('\n');
    const cells = (i: number) => text[i]!;
    // Row 2: its user identity cut short (not JSON, nor struct text); row 3: a key the table does not have.
    text[2] = cells(2).replace(/"\{""type"":[^\n]*?\}",/, '"{""type"":""IAMUser"",""arn"":",');
    text[3] = cells(3).replace(/"\{""type"":/, '"{""typo"":""x"",""type"":');
    const bad = path.join(dir, 'bad-cell', 'result.csv');
    fs.mkdirSync(path.dirname(bad), { recursive: true });
    fs.writeFileSync(bad, text.join('\n'));
    // The struct form beside it, under the same folder: files load in path order, the bad one first
    // wherever the clone lies.
    const struct = path.join(dir, 'struct-form-copy', 'result.csv');
    fs.mkdirSync(path.dirname(struct), { recursive: true });
    fs.copyFileSync(fixture('struct-form', 'result.csv'), struct);
    const { db, summary } = await caseOf('bad-cell', bad, struct);
    const reasons = await rejectsOf(db);
    expect(reasons).toEqual([
      expect.stringMatching(/^line 3 \(row 2\): column useridentity: neither JSON \(.+\) nor Trino's struct text \(.+\)$/),
      'line 4 (row 3): column useridentity: unknown key "typo"',
    ]);
    // The struct form holds the same events: the two rejected rows are still loaded from it.
    expect(summary.events).toBe(PICK.length);
    expect((await filesOf(db)).map((f) => `${f.name} ${f.status} ${f.events}`)).toEqual(['result.csv partial 5', 'result.csv ingested 2']);
  });
});

describe('CloudTrail Lake saved results', () => {
  const copyLake = (name: string) => {
    const to = path.join(dir, name);
    fs.cpSync(fixture('lake'), to, { recursive: true });
    return to;
  };

  it('load as events; the sign file is accounted for, not loaded', async () => {
    const { db, summary } = await caseOf('lake', fixture('lake'));
    expect(summary.events).toBe(PICK.length);
    expect((await filesOf(db)).map((f) => `${f.name} ${f.format} ${f.status} ${f.events}`)).toEqual([
      'result_1.csv.gz cloudtrail-lake-result ingested 4',
      'result_2.csv.gz cloudtrail-lake-result ingested 3',
      'result_sign.json cloudtrail-lake-sign skipped 0',
    ]);
    const got = await fields(db);
    expect(
      differences(got, [
        'eventID',
        'eventName',
        'eventTime',
        'eventSource',
        'awsRegion',
        'sourceIPAddress',
        'userAgent',
        'errorCode',
        'readOnly',
        'userIdentity.type',
        'userIdentity.arn',
        'userIdentity.accessKeyId',
        'userIdentity.userName',
        'userIdentity.sessionContext.sessionIssuer.arn',
        'resources',
      ]),
    ).toEqual([]);
  });

  const Rows = z.object({ rows: z.array(z.object({ file: z.string(), status: z.string() })) });
  const verify = (d: string) => {
    const r = cli(['verify', d, '--format', 'json']);
    return {
      status: r.status,
      rows: Rows.parse(JSON.parse(r.stdout))
        .rows.map((x) => `${path.basename(x.file)} ${x.status}`)
        .sort(),
    };
  };

  it('verify checks each result file against the sign file offline; the signature is not checked without the keys', () => {
    expect(verify(copyLake('lake-ok'))).toEqual({
      status: 0,
      rows: ['result_1.csv.gz match', 'result_2.csv.gz match', 'result_sign.json not-checked'],
    });
  });

  it('verify says a tampered result file, a missing one and one the sign file does not list, each by name', () => {
    const d = copyLake('lake-bad');
    const tampered = zlib
      .gunzipSync(fs.readFileSync(path.join(d, 'result_2.csv.gz')))
      .toString('utf8')
      .replace('ConsoleLogin', 'ConsoleLogout');
    fs.writeFileSync(path.join(d, 'result_2.csv.gz'), zlib.gzipSync(tampered));
    fs.rmSync(path.join(d, 'result_1.csv.gz'));
    fs.copyFileSync(fixture('lake', 'result_1.csv.gz'), path.join(d, 'result_3.csv.gz'));
    expect(verify(d)).toEqual({
      status: 1,
      rows: ['result_1.csv.gz missing', 'result_2.csv.gz mismatch', 'result_3.csv.gz not-covered', 'result_sign.json not-checked'],
    });
  });
});
