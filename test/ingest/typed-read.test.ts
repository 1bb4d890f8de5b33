/**
 * Clean S3 files are read by DuckDB straight into the typed record (records-scan.ts finds them
 * clean, record-sql.ts typedEventsSelect reads them): issue 19's speed. The typed read must change
 * nothing the case holds: the same files are ingested with typed reads on and off and every table
 * compared, on real-shaped records (the committed fixtures) and on records made to sit at the edge
 * of what the typed read may take (nulls of every kind, booleans as text, odd times, empty objects,
 * numbers JSON cannot hold, escapes). What the scan calls unclean is read the careful way, and its
 * depth and one-value verdicts are the DepthScanner's, which staging's safety rests on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaseDb, ingest } from '../../src/index.js';
import { RECORD_FIELDS } from '../../src/store/schema.js';
import { DepthScanner, MAX_NATIVE_DEPTH, probeFile } from '../../src/ingest/bytes.js';
import { scanRecords, typedReads } from '../../src/ingest/records-scan.js';
import { FIXTURES, SCAN_EDGE_TEXTS, gz, record, seeded, tmpDir, write } from '../helpers.js';

afterEach(() => {
  typedReads.enabled = true;
});

const scan = (text: string) => scanRecords(Buffer.from(text), MAX_NATIVE_DEPTH);
const clean = (text: string) => scan(text).masks !== undefined;

describe('the scan tells a clean S3 file, and each record’s JSON nulls', () => {
  it('a clean file: its masks have a bit for each field written as null', () => {
    const r = JSON.stringify({
      Records: [record({ requestParameters: null, responseElements: null, errorCode: null }), record({ requestParameters: { a: 1 } })],
    });
    const s = scan(r);
    // Bit i stands for the i-th field of the record (null_field_mask's layout).
    const bit = (k: string) => 1 << RECORD_FIELDS.indexOf(k);
    expect(s.masks).toEqual([bit('errorCode') | bit('requestParameters') | bit('responseElements'), bit('responseElements')]);
    expect(scan('{"Records":[]}').masks).toEqual([]);
    expect(scan(' {\n "Records" : [ {\n"eventName" : "X" , "userIdentity" : { "type" : "Root" } } ]\n}\n').masks).toEqual([0]);
  });

  it('anything the typed read could not hold as the careful read does is not clean', () => {
    const one = (rec: string) => `{"Records":[${rec}]}`;
    expect(clean(one('{"eventName":"X"}'))).toBe(true);
    expect(clean(one('{"eventName":"X","foo":1}'))).toBe(false); // a key of no field
    expect(clean(one('{"eventName":"X","eventName":"Y"}'))).toBe(false); // a key twice
    expect(clean(one('{"event\\u004eame":"X"}'))).toBe(false); // an escaped key
    expect(clean(one('{"EventName":"X"}'))).toBe(false); // another case
    expect(clean(one('{"eventVersion":1.08}'))).toBe(false); // a number in a text field
    expect(clean(one('{"eventTime":{"a":1}}'))).toBe(false);
    expect(clean(one('{"readOnly":1}'))).toBe(false);
    expect(clean(one('{"readOnly":"true","managementEvent":false}'))).toBe(true);
    expect(clean(one('{"userIdentity":"root"}'))).toBe(false); // a struct field not an object
    expect(clean(one('{"userIdentity":[]}'))).toBe(false);
    expect(clean(one('{"userIdentity":{"sessionContext":{"x":1}}}'))).toBe(false); // an unknown nested key
    expect(clean(one('{"userIdentity":{"userName":"a","userName":"b"}}'))).toBe(false);
    expect(clean(one('{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":false}}}}'))).toBe(false);
    expect(clean(one('{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"false"}},"onBehalfOf":{"x":[1,{"y":2}]}}}'))).toBe(true);
    expect(clean(one('{"requestParameters":{"foo":{"eventName":1,"eventName":2}},"resources":[{"ARN":"a"}]}'))).toBe(true); // inside JSON fields: anything
    expect(clean('{"Records":[null]}')).toBe(false);
    expect(clean('{"Records":["x"]}')).toBe(false);
    expect(clean('{"Records":[1]}')).toBe(false);
    expect(clean('{"Records":[[]]}')).toBe(false);
    expect(clean('{"Records":[],"x":1}')).toBe(false);
    expect(clean('{"Records":{}}')).toBe(false);
    expect(clean('[{"Records":[]}]')).toBe(false);
    expect(clean('{}')).toBe(false);
    expect(clean('{"Records":[]} x')).toBe(false);
    expect(clean('{"Records":[{"eventName":"X"}]')).toBe(false);
  });

  it('depth and one-value verdicts are the DepthScanner’s, on edge texts and on random ones', () => {
    const texts = [...SCAN_EDGE_TEXTS];
    const rand = seeded(7);
    const alphabet = ['{', '}', '[', ']', '"', '\\', ',', ':', ' ', 'a', '"Records"', '"eventName"', '"userIdentity"', 'null', '1'];
    for (let i = 0; i < 3000; i++)
      texts.push(Array.from({ length: 1 + Math.floor(rand() * 40) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));
    for (const t of texts) {
      const d = new DepthScanner(MAX_NATIVE_DEPTH);
      const whole = d.push(Buffer.from(t));
      const s = scan(t);
      expect({ t, max: s.max, single: s.single, stopped: s.stopped }).toEqual({ t, max: d.max, single: d.single, stopped: !whole });
    }
  });
});

/** Filler records enough to take a file past staging (MAX_CONTENT_BYTES), so that DuckDB's reader reads it from its own file. */
const filler = (n = 700) => Array.from({ length: n }, () => record({ requestParameters: { userName: 'x'.repeat(200) } }));

/** Records at the edge of what the typed read may take: each still clean. */
function edgeRecords(): unknown[] {
  const ui = (o: Record<string, unknown>) => ({ type: 'AssumedRole', principalId: 'AROAX:s', ...o });
  return [
    record({ requestParameters: null, responseElements: null, errorCode: null, errorMessage: null, additionalEventData: null, resources: null }),
    record({ userIdentity: null }),
    record({ userIdentity: {} }),
    record({ userIdentity: ui({ userName: null, sessionContext: null }) }),
    record({ userIdentity: ui({ sessionContext: { attributes: {}, sessionIssuer: {} } }) }),
    record({
      userIdentity: ui({
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: 'AROAX', arn: 'arn:aws:iam::111122223333:role/r', accountId: '111122223333', userName: 'r' },
          webIdFederationData: { federatedProvider: 'x', attributes: { a: [1, 2] } },
          attributes: { creationDate: '2026-10-14T09:00:00Z', mfaAuthenticated: 'true' },
          sourceIdentity: 'me',
          ec2RoleDelivery: '2.0',
          assumedRoot: 'true',
        },
        invokedBy: 'ec2.amazonaws.com',
        onBehalfOf: { userId: 'u', identityStoreArn: 'arn' },
        inScopeOf: { issuerType: 'AWS::Lambda::Function' },
        identityProvider: 'idp',
        credentialId: 'c',
      }),
    }),
    record({ readOnly: 'true', managementEvent: 'false' }),
    record({ readOnly: 'yes' }),
    record({ readOnly: null, managementEvent: null }),
    record({ eventTime: '2026-10-14 09:00:00' }),
    record({ eventTime: '2026-10-14T09:00:00.123Z' }),
    record({ eventTime: 'not a time' }),
    record({ eventTime: null }),
    record({ eventID: '' }),
    record({ eventID: null }),
    record({
      eventVersion: null,
      eventType: null,
      sharedEventID: 'abc',
      vpcEndpointId: 'vpce-1',
      vpcEndpointAccountId: '1',
      sessionCredentialFromConsole: 'true',
    }),
    record({ additionalEventData: 'just text', serviceEventDetails: 12, edgeDeviceDetails: [1, 'a', null], insightDetails: true, addendum: { reason: 'x' } }),
    record({ resources: [], requestParameters: {} }),
    record({ resources: [{ ARN: 'arn:aws:s3:::b', accountId: '1', type: 'AWS::S3::Bucket' }] }),
    record({ userAgent: 'a"b\\c\u0001d\u00e9\u{1F600}', errorMessage: '</script><script>alert(1)</script>' }),
  ];
}

/** Raw JSON where JSON.stringify cannot write it: numbers JSON keeps, escapes the writer chose. */
const RAW_EDGES = [
  '"requestParameters":{"big":12345678901234567890,"neg":-0,"f":1.0,"e":1E5,"tiny":1e-400,"s":"\\u00e9\\ud83d\\ude00\\/x"}',
  '"responseElements":[1,2,{"a":null}]',
  '"userAgent":"esc \\u0041 \\t \\n"',
];

function rawEdges(): string[] {
  return RAW_EDGES.map((extra) => {
    const r = JSON.stringify(record({ requestParameters: undefined, responseElements: undefined, userAgent: undefined }));
    return `${r.slice(0, -1)},${extra}}`;
  });
}

async function tables(db: string): Promise<Record<string, unknown[]>> {
  const c = await CaseDb.open(db);
  try {
    const all = async (q: string) => (await c.all(q)).map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
    return {
      events: await all(`SELECT to_json(e)::VARCHAR AS row FROM events e ORDER BY file_id, record_index`),
      records: await all(`SELECT file_id, record_index, record::VARCHAR AS record FROM records ORDER BY file_id, record_index`),
      files: await all(`SELECT * EXCLUDE (ingested_at) FROM files ORDER BY id`),
      rejects: await all(`SELECT * FROM rejects ORDER BY file_id, record_index`),
    };
  } finally {
    c.close();
  }
}

/** The folder ingested with typed reads and without: the same events, and every table the same. */
async function bothWays(dir: string) {
  const typed = path.join(tmpDir(), 'typed.duckdb');
  const careful = path.join(tmpDir(), 'careful.duckdb');
  const a = await ingest([dir], { db: typed });
  typedReads.enabled = false;
  const b = await ingest([dir], { db: careful });
  typedReads.enabled = true;
  expect(a.events).toBe(b.events);
  const [ta, tb] = await Promise.all([tables(typed), tables(careful)]);
  for (const k of Object.keys(tb)) expect({ k, rows: ta[k] }).toEqual({ k, rows: tb[k] });
  return { typed, a, b };
}

describe('a clean file read straight into the typed record holds what the careful read holds', () => {
  it('edge records, raw numbers and escapes, real-shaped fixtures, unclean files beside them: every table the same', { timeout: 120_000 }, async () => {
    const dir = tmpDir();
    const edges = edgeRecords();
    // Edge records among fillers, at the start, in the middle and at the end of one file.
    const mixed = [edges.slice(0, 7), ...filler(300), ...edges.slice(7, 14), ...filler(300), ...edges.slice(14)].flat();
    write(path.join(dir, 'a/edges.json.gz'), gz(JSON.stringify({ Records: mixed })));
    const raw = `{"Records":[${[...rawEdges(), ...filler().map((r) => JSON.stringify(r))].join(',')}]}`;
    write(path.join(dir, 'a/raw.json'), raw);
    // Real-shaped records from the committed fixtures, each file past staging.
    const lines = (f: string) =>
      fs
        .readFileSync(path.join(FIXTURES, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as unknown);
    const trailDiscover = fs
      .readdirSync(path.join(FIXTURES, 'traildiscover'))
      .filter((f) => f.endsWith('.cloudtrail'))
      .flatMap((f) => {
        const v = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'traildiscover', f), 'utf8')) as unknown;
        return Array.isArray(v) ? (v as unknown[]) : [v];
      });
    const fixtures = [...lines('sigmahq/events.ndjson'), ...lines('otrf/ec2_proxy_s3_exfiltration_2020-09-14011940.json'), ...trailDiscover];
    // Split by the scan's verdict on each record alone: the clean ones in one file (typed), the rest in another (careful).
    const alone = fixtures.map((r) => clean(JSON.stringify({ Records: [r] })));
    const cleanOnes = fixtures.filter((_, i) => alone[i]);
    expect(fixtures.length).toBeGreaterThan(150);
    // Most real records are clean; the others carry fields keytrail has no column for (kept in extra_fields).
    expect(cleanOnes.length / fixtures.length).toBeGreaterThan(0.5);
    write(path.join(dir, 'b/fixtures-clean.json.gz'), gz(JSON.stringify({ Records: [...cleanOnes, ...filler()] })));
    write(path.join(dir, 'b/fixtures-rest.json.gz'), gz(JSON.stringify({ Records: [...fixtures.filter((_, i) => !alone[i]), ...filler()] })));
    // Unclean beside them: an unknown key, a key twice.
    write(path.join(dir, 'c/unknown.json.gz'), gz(JSON.stringify({ Records: [...filler(), record({ myField: { a: 1 } })] })));
    const twice = JSON.stringify(record());
    write(
      path.join(dir, 'c/twice.json'),
      `{"Records":[${[...filler().map((r) => JSON.stringify(r)), `${twice.slice(0, -1)},"eventName":"Again"}`].join(',')}]}`,
    );

    // Small files are staged (staging.ts): each edge record alone, and a few together, clean and not.
    for (const [i, r] of edges.entries()) write(path.join(dir, `d/edge-${i}.json${i % 2 ? '.gz' : ''}`), JSON.stringify({ Records: [r] }));
    for (const [i, r] of rawEdges().entries()) write(path.join(dir, `d/raw-${i}.json`), `{"Records":[${r}]}`);
    write(path.join(dir, 'd/some.json'), JSON.stringify({ Records: edges.slice(0, 9) }));
    write(path.join(dir, 'd/empty.json'), '{"Records":[]}');
    write(path.join(dir, 'd/unknown.json'), JSON.stringify({ Records: [record({ myField: 1 })] }));

    // The typed read takes the clean files (their probes carry masks, or lines that hold them), not the others.
    const verdict = async (f: string) => {
      const p = await probeFile(path.join(dir, f));
      return (p.masks ?? p.lines) !== undefined;
    };
    const files = ['a/edges.json.gz', 'a/raw.json', 'b/fixtures-clean.json.gz', 'b/fixtures-rest.json.gz', 'c/unknown.json.gz', 'c/twice.json'];
    expect(await Promise.all(files.map(verdict))).toEqual([true, true, true, false, false, false]);
    expect(await Promise.all(['d/edge-3.json.gz', 'd/some.json', 'd/empty.json', 'd/unknown.json'].map(verdict))).toEqual([true, true, true, false]);

    const { typed, a, b } = await bothWays(dir);
    expect(a.events).toBeGreaterThan(2000);
    // eventTime 'not a time' and null, eventID '' and null: rejected by both, with the same reasons (the rejects table below).
    expect(a.rejectedRecords).toBe(b.rejectedRecords);
    expect(a.rejectedRecords).toBeGreaterThanOrEqual(4);
    const ta = await tables(typed);
    // And what the careful read keeps apart is kept: the odd time and the boolean as written, the nulls.
    const extra = ta.events!.filter((r) => (r as string).includes('extra_fields\\":{')).length;
    expect(extra).toBeGreaterThanOrEqual(3);
  });
});

describe('files the scan finds clean but that are not whole JSON load as the careful read loads them', () => {
  it('a stray, missing or doubled comma, a wrong closing bracket, a break inside a record: every table the same', { timeout: 120_000 }, async () => {
    const dir = tmpDir();
    const recs = () => filler(40).map((r) => JSON.stringify(r));
    const inner = JSON.stringify(record());
    const files: Record<string, string> = {
      'good.json': `{"Records":[${recs().join(',')}]}`,
      'trailing-comma.json': `{"Records":[${recs().join(',')},]}`,
      'missing-comma.json': `{"Records":[${recs().join('')}]}`,
      'double-comma.json': `{"Records":[${recs().join(',,')}]}`,
      'root-comma.json': `{"Records":[${recs().join(',')}],}`,
      'wrong-close.json': `{"Records":[${recs().join(',')}}]`,
      // Inside a value the scan does not look into: plain around the records, refused in its lines.
      'inner.json': `{"Records":[${[...recs(), `${inner.slice(0, -1)},"serviceEventDetails":{"a":[1}]}`].join(',')}]}`,
      // Pretty-printed: clean, no lines (its records hold line breaks), too large to stage whole: DuckDB reads it typed from its own file.
      'pretty.json': JSON.stringify({ Records: filler(400) }, null, 2),
    };
    for (const [name, text] of Object.entries(files)) {
      write(path.join(dir, name), text);
      write(path.join(dir, 'gz', `${name}.gz`), gz(text));
    }
    // Clean to the scan, all of them: the typed read is what is under test.
    for (const name of Object.keys(files)) {
      const p = await probeFile(path.join(dir, name));
      expect({ name, clean: (p.masks ?? p.lines) !== undefined }).toEqual({ name, clean: true });
    }
    expect((await probeFile(path.join(dir, 'good.json'))).lines).toBeDefined();
    expect((await probeFile(path.join(dir, 'inner.json'))).lines).toBeDefined();
    const pretty = await probeFile(path.join(dir, 'pretty.json'));
    expect([pretty.lines, pretty.content, pretty.masks?.length]).toEqual([undefined, undefined, 400]);

    const { typed, a, b } = await bothWays(dir);
    expect(a.problems.map((p) => p.path).sort()).toEqual(b.problems.map((p) => p.path).sort());
    // The good and pretty files are whole. DuckDB's reader, like the careful read, takes a stray or missing comma.
    const status = new Map(
      (
        await CaseDb.open(typed, { readOnly: true }).then(async (c) => {
          try {
            return await c.all(`SELECT path, status FROM files`);
          } finally {
            c.close();
          }
        })
      ).map((r) => [path.relative(dir, String(r.path)), String(r.status)]),
    );
    for (const name of ['good.json', 'pretty.json', 'gz/good.json.gz', 'gz/pretty.json.gz'])
      expect({ name, s: status.get(name) }).toEqual({ name, s: 'ingested' });
    // Refused by DuckDB in its lines (inner) and in its own file (wrong-close): read again by the record reader.
    for (const name of ['inner.json', 'wrong-close.json', 'gz/inner.json.gz', 'gz/wrong-close.json.gz'])
      expect({ name, s: status.get(name) }).toEqual({ name, s: 'partial' });
  });
});
