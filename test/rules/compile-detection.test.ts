/**
 * Sigma detections compiled to SQL: the exact text for a simple rule, then semantics checked by
 * running the SQL over a real case (DuckDB) loaded with real-shaped records.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaseDb, ingest } from '../../src/index.js';
import { compileDetection, DetectionError, ipv6Hex, re2Unsupported } from '../../src/rules/compile-detection.js';
import { parseCondition } from '../../src/rules/condition.js';
import { sql } from '../../src/store/sql.js';
import { record, tmpDir, write } from '../helpers.js';

const R = {
  createUser: record({
    eventName: 'CreateUser',
    readOnly: false,
    requestParameters: { userName: 'svc-backup' },
    responseElements: { user: { userName: 'svc-backup', arn: 'arn:aws:iam::111122223333:user/svc-backup' } },
  }),
  listUsers: record({ eventName: 'ListUsers', userAgent: 'python-requests/2.31.0', requestParameters: { maxItems: 100 } }),
  denied: record({
    eventName: 'StopLogging',
    eventSource: 'cloudtrail.amazonaws.com',
    errorCode: 'AccessDenied',
    sourceIPAddress: '10.1.2.3',
    userAgent: 'a*b literal star',
  }),
  role: record({
    eventName: 'RunInstances',
    eventSource: 'ec2.amazonaws.com',
    awsRegion: 'sa-east-1',
    sourceIPAddress: '198.51.100.23',
    requestParameters: { instanceType: 'p3.16xlarge', maxCount: 8 },
    userIdentity: {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/ops-maintenance/maint',
      accountId: '111122223333',
      accessKeyId: 'ASIAEXAMPLE000000001',
      sessionContext: {
        sessionIssuer: { type: 'Role', userName: 'ops-maintenance', arn: 'arn:aws:iam::111122223333:role/ops-maintenance' },
        attributes: { mfaAuthenticated: 'false' },
      },
    },
  }),
};
const ID = Object.fromEntries(Object.entries(R).map(([k, r]) => [k, String(r.eventID)])) as Record<keyof typeof R, string>;
let db: CaseDb;

beforeAll(async () => {
  const d = tmpDir();
  write(`${d}/e.json`, JSON.stringify({ Records: Object.values(R) }));
  const file = path.join(d, 'case.duckdb');
  await ingest([`${d}/e.json`], { db: file });
  db = await CaseDb.open(file, { readOnly: true });
  return () => db.close();
});

async function matches(detection: Record<string, unknown>): Promise<string[]> {
  const { where } = compileDetection(detection);
  const rows = await db.all(sql`SELECT eventID FROM events WHERE ${where} ORDER BY eventTime`);
  return rows.map((r) => String(r.eventID));
}

describe('compiled text', () => {
  it('is exact: fields from the catalog, values as numbered parameters', () => {
    const { where, ...rest } = compileDetection({ sel: { eventName: 'CreateUser', 'requestParameters.userName|startswith': 'svc-' }, condition: 'sel' });
    const value = (v: string) => ({ kind: 'value', value: v });
    expect(where.build()).toEqual({
      text:
        `(coalesce(lower("eventName") = lower($1), false) AND (coalesce(json_extract_string("requestParameters", $2) ILIKE $3 ESCAPE '\\', false) OR ` +
        `(NOT coalesce((json_extract_string("requestParameters", $4) IS NOT NULL AND json_type("requestParameters", $5) <> 'ARRAY'), false) AND ` +
        `coalesce(list_bool_or(list_transform(flatten([json_extract_string("requestParameters", $6)]), x -> coalesce(x ILIKE $7 ESCAPE '\\', false))), false))))`,
      params: ['CreateUser', '/userName', 'svc-%', '/userName', '/userName', '$."userName"[*]', 'svc-%'].map(value),
    });
    expect(rest).toEqual({ unknownFields: [], eventNames: ['createuser'], eventSources: null, regexes: [] });
  });
});

describe('matching', () => {
  it('is case-insensitive by default; cased makes it exact', async () => {
    expect(await matches({ s: { eventName: 'createuser' }, condition: 's' })).toEqual([ID.createUser]);
    expect(await matches({ s: { 'eventName|cased': 'createuser' }, condition: 's' })).toEqual([]);
  });

  it('wildcards * and ?, and their escapes', async () => {
    expect(await matches({ s: { eventName: 'List?sers' }, condition: 's' })).toEqual([ID.listUsers]);
    expect(await matches({ s: { userAgent: 'a\\*b*' }, condition: 's' })).toEqual([ID.denied]);
    expect(await matches({ s: { userAgent: 'a\\*x*' }, condition: 's' })).toEqual([]);
    expect(await matches({ s: { userAgent: '100%' }, condition: 's' })).toEqual([]);
  });

  it('contains, startswith, endswith, all; a list is OR', async () => {
    expect(await matches({ s: { 'userAgent|contains': 'REQUESTS' }, condition: 's' })).toEqual([ID.listUsers]);
    expect(await matches({ s: { 'eventName|startswith': ['Create', 'Stop'] }, condition: 's' })).toEqual([ID.createUser, ID.denied]);
    expect(await matches({ s: { 'eventName|endswith': 'Users' }, condition: 's' })).toEqual([ID.listUsers]);
    expect(await matches({ s: { 'userAgent|contains|all': ['python', 'requests'] }, condition: 's' })).toEqual([ID.listUsers]);
    expect(await matches({ s: { 'userAgent|contains|all': ['python', 'curl'] }, condition: 's' })).toEqual([]);
  });

  it('nested fields, fields inside JSON columns, and object values as compact JSON', async () => {
    expect(await matches({ s: { 'userIdentity.sessionContext.sessionIssuer.type': 'Role' }, condition: 's' })).toEqual([ID.role]);
    expect(await matches({ s: { 'responseElements.user.userName': 'svc-backup' }, condition: 's' })).toEqual([ID.createUser]);
    expect(await matches({ s: { 'requestParameters|contains': '"instanceType":"p3.16xlarge"' }, condition: 's' })).toEqual([ID.role]);
  });

  it('null means absent or null; exists', async () => {
    expect(await matches({ s: { errorCode: null }, condition: 's' })).toEqual([ID.createUser, ID.listUsers, ID.role]);
    expect(await matches({ s: { 'errorCode|exists': true }, condition: 's' })).toEqual([ID.denied]);
    expect(await matches({ s: { 'requestParameters.userName|exists': false, eventName: 'CreateUser' }, condition: 's' })).toEqual([]);
  });

  it('selection and not filter is true when the filter field is absent (three-valued logic)', async () => {
    const all = [ID.createUser, ID.listUsers, ID.denied, ID.role];
    expect(await matches({ s: { 'eventName|exists': true }, f: { 'requestParameters.userName': 'svc-backup' }, condition: 's and not f' })).toEqual(
      all.filter((x) => x !== ID.createUser),
    );
    expect(await matches({ s: { 'eventName|exists': true }, f: { errorCode: 'AccessDenied' }, condition: 's and not f' })).toEqual(
      all.filter((x) => x !== ID.denied),
    );
  });

  it('re (with i), cidr, fieldref, gt/gte/lt/lte', async () => {
    expect(await matches({ s: { 'eventName|re': '^(Create|Stop)' }, condition: 's' })).toEqual([ID.createUser, ID.denied]);
    expect(await matches({ s: { 'eventName|re': '^create' }, condition: 's' })).toEqual([]);
    expect(await matches({ s: { 'eventName|re|i': '^create' }, condition: 's' })).toEqual([ID.createUser]);
    expect(await matches({ s: { 'sourceIPAddress|cidr': ['10.0.0.0/8', '198.51.100.0/24'] }, condition: 's' })).toEqual([ID.denied, ID.role]);
    expect(await matches({ s: { 'requestParameters.userName|fieldref': 'responseElements.user.userName' }, condition: 's' })).toEqual([ID.createUser]);
    expect(await matches({ s: { 'requestParameters.maxCount|gt': 4 }, condition: 's' })).toEqual([ID.role]);
    expect(await matches({ s: { 'requestParameters.maxItems|gte': 100 }, condition: 's' })).toEqual([ID.listUsers]);
    expect(await matches({ s: { 'requestParameters.maxItems|lt': 100 }, condition: 's' })).toEqual([]);
    expect(await matches({ s: { 'requestParameters.maxCount|lte': 8 }, condition: 's' })).toEqual([ID.role]);
  });

  it('conditions: and/or/not/parentheses, 1 of, all of, them (without _names)', async () => {
    const d = { sel_a: { eventName: 'CreateUser' }, sel_b: { eventName: 'StopLogging' }, _filter: { errorCode: 'AccessDenied' } };
    expect(await matches({ ...d, condition: '1 of sel_*' })).toEqual([ID.createUser, ID.denied]);
    expect(await matches({ ...d, condition: '1 of sel_* and not _filter' })).toEqual([ID.createUser]);
    expect(await matches({ ...d, condition: 'all of sel_*' })).toEqual([]);
    expect(await matches({ ...d, condition: '1 of them' })).toEqual([ID.createUser, ID.denied]);
    expect(await matches({ ...d, condition: 'not (sel_a or sel_b)' })).toEqual([ID.listUsers, ID.role]);
    expect(await matches({ ...d, condition: ['sel_a', 'sel_b'] })).toEqual([ID.createUser, ID.denied]);
  });

  it('a list of maps is OR of ANDs; a list of plain values searches the whole record', async () => {
    expect(await matches({ s: [{ eventName: 'CreateUser', readOnly: 'false' }, { awsRegion: 'sa-east-1' }], condition: 's' })).toEqual([
      ID.createUser,
      ID.role,
    ]);
    expect(await matches({ k: ['p3.16xlarge'], condition: 'k' })).toEqual([ID.role]);
  });
});

describe('hostile or broken rules', () => {
  it('values are data: quotes, SQL and shell text match nothing and run nothing', async () => {
    for (const v of ["'; DROP TABLE events; --", '$(rm -rf /)', "x' OR '1'='1", '`id`', '\\', '%', "';ATTACH '/tmp/x.db' AS x;--"]) {
      expect(await matches({ s: { eventName: v }, f: { 'requestParameters.userName|contains': v }, condition: 's or f' })).toEqual([]);
    }
    expect((await db.all(`SELECT count(*) AS n FROM events`))[0]!.n).toBe(4);
  });

  it('unknown fields and broken paths are reported and match as absent', async () => {
    const c = compileDetection({ s: { noSuchField: 'x', 'a..b': 'y', 'eventName.deeper': 'z' }, condition: 's' });
    expect(c.unknownFields.sort()).toEqual(['a..b', 'eventName.deeper', 'noSuchField']);
    expect(await matches({ s: { noSuchField: 'x' }, condition: 's' })).toEqual([]);
    expect(await matches({ s: { noSuchField: null }, condition: 's' })).toHaveLength(4);
    expect(await matches({ s: { noSuchField: 'x' }, condition: 'not s' })).toHaveLength(4);
    // A JSON path segment with quotes or slashes is bound as a pointer, not written into SQL.
    expect(await matches({ s: { "requestParameters.a'b/c~d": 'x' }, condition: 's' })).toEqual([]);
  });

  it('invalid regex, unknown modifiers, bad values and bad conditions fail at compile time', () => {
    expect(() => compileDetection({ s: { 'eventName|re': '(unclosed' }, condition: 's' })).toThrow(DetectionError);
    expect(() => compileDetection({ s: { 'eventName|base64offset': 'x' }, condition: 's' })).toThrow(/unknown modifier "base64offset"/);
    // Valid in JavaScript, refused by RE2 (DuckDB): caught at load, not when the rule runs.
    expect(() => compileDetection({ s: { 'userAgent|re': 'boto(?!core)' }, condition: 's' })).toThrow(/uses a lookahead .* RE2/);
    expect(() => compileDetection({ s: { 'userAgent|re': '(?<=x)y' }, condition: 's' })).toThrow(/lookbehind/);
    expect(() => compileDetection({ s: { 'userAgent|re': '(a)\\1' }, condition: 's' })).toThrow(/backreference/);
    expect(re2Unsupported(String.raw`\(?=literal[(?=]\\1x`)).toBeNull();
    expect(re2Unsupported(String.raw`[\]](?:ok)(?i)x`)).toBeNull();
    expect(() => compileDetection({ s: { 'sourceIPAddress|cidr': '10.0.0.0/33' }, condition: 's' })).toThrow(
      /not a network like 10\.0\.0\.0\/8 or 2001:db8::\/32/,
    );
    expect(() => compileDetection({ s: { 'sourceIPAddress|cidr': '2001:db8::1::/64' }, condition: 's' })).toThrow(/not a network/);
    expect(() => compileDetection({ s: { 'sourceIPAddress|cidr': '2001:db8::/129' }, condition: 's' })).toThrow(/not a network/);
    expect(() => compileDetection({ s: { 'x|gt': 'abc' }, condition: 's' })).toThrow(/needs a number/);
    expect(() => compileDetection({ s: { eventName: 'x' }, condition: 's and' })).toThrow(DetectionError);
    expect(() => compileDetection({ s: { eventName: 'x' }, condition: 'other' })).toThrow(/not a selection/);
    expect(() => compileDetection({ s: { eventName: 'x' }, condition: '1 of nomatch*' })).toThrow(/matches no selection/);
  });
});

describe('condition grammar', () => {
  it('binds not tighter than and, and tighter than or', () => {
    expect(parseCondition('a or not b and c')).toEqual({
      op: 'or',
      args: [
        { op: 'sel', name: 'a' },
        {
          op: 'and',
          args: [
            { op: 'not', arg: { op: 'sel', name: 'b' } },
            { op: 'sel', name: 'c' },
          ],
        },
      ],
    });
    expect(parseCondition('any of sel* and (x or y)')).toEqual({
      op: 'and',
      args: [
        { op: 'of', quantifier: 'one', pattern: 'sel*' },
        {
          op: 'or',
          args: [
            { op: 'sel', name: 'x' },
            { op: 'sel', name: 'y' },
          ],
        },
      ],
    });
  });
});

describe('paths inside JSON that cross arrays', () => {
  it('match the plain path (an array as its compact JSON text) or any element reached through the arrays; null keeps to the plain path', async () => {
    const docs = [
      { containerDefinitions: [{ name: 'web', command: ['sh', '-c', 'curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'] }, { name: 'side' }] },
      { containerDefinitions: [{ name: 'web', command: ['nginx'] }] },
      { containerDefinitions: { name: 'single', command: 'echo $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI' } },
      { userName: ['a', 'svc-x'] },
      {},
    ];
    const hit = async (detection: Record<string, unknown>) => {
      const { where } = compileDetection(detection);
      const json = sql.list(docs.map((d) => JSON.stringify(d)));
      const rows = await db.all(
        sql`SELECT i FROM (SELECT unnest(range(${sql.raw(`${docs.length}`)})) AS i, unnest(${json})::JSON AS "requestParameters") WHERE ${where} ORDER BY i`,
      );
      return rows.map((r) => r.i);
    };
    expect(await hit({ s: { 'requestParameters.containerDefinitions.command|contains': '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI' }, condition: 's' })).toEqual([
      0, 2,
    ]);
    expect(await hit({ s: { 'requestParameters.containerDefinitions.name': 'SIDE' }, condition: 's' })).toEqual([0]);
    expect(await hit({ s: { 'requestParameters.containerDefinitions.command': 'nginx' }, condition: 's' })).toEqual([1]);
    expect(await hit({ s: { 'requestParameters.userName|startswith': 'svc-' }, condition: 's' })).toEqual([3]);
    expect(await hit({ s: { 'requestParameters.userName': null }, condition: 's' })).toEqual([0, 1, 2, 4]);
    expect(await hit({ s: { 'requestParameters.containerDefinitions.command': 'nginx' }, condition: 'not s' })).toEqual([0, 2, 3, 4]);
  });
});

describe('cidr over IPv6 addresses', () => {
  it('expands both sides (:: anywhere, leading zeros, any case) and compares whole networks and partial hextets', async () => {
    expect(ipv6Hex('2001:DB8::1')).toBe('20010db8000000000000000000000001');
    expect(ipv6Hex('::')).toBe('0'.repeat(32));
    expect(ipv6Hex('1:2:3:4:5:6:7:8')).toBe('00010002000300040005000600070008');
    expect(ipv6Hex('1:2:3:4:5:6:7:8::')).toBeNull();
    expect(ipv6Hex('12345::')).toBeNull();
    const addrs = [
      '2001:db8::1',
      '2001:0DB8:0:0:1::',
      '2001:db9::1',
      'fe80::1',
      '::1',
      '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
      '10.1.2.3',
      'not:an:ip',
      '2001:db8::1::2',
      'ec2.amazonaws.com',
    ];
    const hit = async (network: string) => {
      const { where } = compileDetection({ s: { 'sourceIPAddress|cidr': network }, condition: 's' });
      const rows = await db.all(sql`SELECT "sourceIPAddress" FROM (SELECT unnest(${sql.list(addrs)}) AS "sourceIPAddress") WHERE ${where}`);
      return rows.map((r) => r.sourceIPAddress);
    };
    expect(await hit('2001:db8::/32')).toEqual(['2001:db8::1', '2001:0DB8:0:0:1::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']);
    expect(await hit('2001:db8::/31')).toEqual(['2001:db8::1', '2001:0DB8:0:0:1::', '2001:db9::1', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']);
    expect(await hit('fe80::/10')).toEqual(['fe80::1']);
    expect(await hit('::1/128')).toEqual(['::1']);
    expect(await hit('::/0')).toEqual(['2001:db8::1', '2001:0DB8:0:0:1::', '2001:db9::1', 'fe80::1', '::1', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']);
  });
});

describe('eventName prefilter (a necessary condition the runner tests once per event)', () => {
  const names = (detection: Record<string, unknown>) => compileDetection(detection).eventNames;
  it('plain eventName values constrain; AND takes the tightest part, OR the union', () => {
    expect(names({ sel: { eventSource: 'iam.amazonaws.com', eventName: ['CreateUser', 'DeleteUser'] }, condition: 'sel' })).toEqual([
      'createuser',
      'deleteuser',
    ]);
    expect(names({ a: { eventName: 'A' }, b: { eventName: ['B', 'C'] }, condition: 'a or b' })).toEqual(['a', 'b', 'c']);
    expect(names({ a: { eventName: ['A', 'B'] }, f: { eventName: 'A' }, condition: 'a and f' })).toEqual(['a']);
    expect(names({ sel_1: { eventName: 'A' }, sel_2: [{ eventName: 'B' }, { eventName: 'C', errorCode: 'X' }], condition: '1 of sel_*' })).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(names({ sel: { eventName: 'A' }, filter: { userAgent: 'x' }, condition: 'sel and not filter' })).toEqual(['a']);
    // Prefixes (a trailing * or startswith) are kept as `name*`.
    expect(names({ sel: { 'eventName|startswith': ['Describe', 'List'] }, condition: 'sel' })).toEqual(['describe*', 'list*']);
    expect(names({ sel: { eventName: ['Get*', 'CreateUser'] }, condition: 'sel' })).toEqual(['createuser', 'get*']);
  });
  it('anything else leaves the rule unconstrained (it is evaluated on every event)', () => {
    expect(names({ sel: { eventName: '*Policy' }, condition: 'sel' })).toBeNull();
    expect(names({ sel: { eventName: 'Get?ser' }, condition: 'sel' })).toBeNull();
    expect(names({ sel: { 'eventName|contains': 'User' }, condition: 'sel' })).toBeNull();
    expect(names({ sel: { eventName: 'A' }, other: { errorCode: 'X' }, condition: 'sel or other' })).toBeNull();
    expect(names({ sel: { eventName: 'A' }, condition: 'not sel' })).toBeNull();
    expect(names({ sel: { eventName: ['A', null] }, condition: 'sel' })).toBeNull();
    expect(names({ sel: ['CreateUser'], condition: 'sel' })).toBeNull();
  });
});
