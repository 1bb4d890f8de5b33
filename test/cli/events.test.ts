/**
 * `keytrail events` end to end through the built binary: every filter against known fixture data
 * (test/fixtures/use/case.ts), time order, and whole records that come back as they went in.
 * The database is built once; the read-only invocations run concurrently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, cli, tmpDir } from '../helpers.js';
import {
  ATTACKER_IP,
  BACKDOOR_KEY,
  CI_ARN,
  LEAKED_KEY,
  ROLE_ARN,
  ROLE_NAME,
  SESSION_ARN,
  SESSION_KEY,
  ids,
  ingestCase,
  labelsWhere,
  type Case,
} from '../fixtures/use/case.js';
import { cliAsync, expectUserError } from '../fixtures/use/run.js';

type Json = Record<string, any>;

let c: Case;
let db: string;
/** `events --format json` with no filter, run once on first use: shared by the tests about whole records. */
let allRun: Promise<Json[]> | undefined;
const all = () => (allRun ??= events([]));

const OTRF_FILE = path.join(FIXTURES, 'otrf', 'ec2_proxy_s3_exfiltration_2020-09-14011940.json');
let otrfDb: string;
let otrf: Json[];

beforeAll(() => {
  const loaded = ingestCase('kt-events-');
  ({ c, db } = loaded);
  const dir = loaded.dir;

  otrfDb = path.join(dir, 'otrf.duckdb');
  otrf = fs
    .readFileSync(OTRF_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  const o = cli(['ingest', OTRF_FILE, '--db', otrfDb, '--quiet']);
  expect(o.status).toBe(0);
});

/** Run `events --format json` on a case; returns the records printed. */
async function events(args: string[], database = db): Promise<Json[]> {
  const r = await cliAsync(['events', '--db', database, '--format', 'json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(Array.isArray(out)).toBe(true);
  return out;
}
const eventIds = async (args: string[]) => (await events(args)).map((r) => r.eventID as string);

const CI = ['ci-listusers', 'ci-createuser', 'ci-createkey', 'ci-whoami', 'ci-attach-denied', 'ci-assumerole', 'ci-midnight', 'ci-describeregions-unknown'];
const BACKDOOR = ['bd-listbuckets', 'bd-runinstances', 'bd-describe', 'bd-whoami-apse2'];
const ROLE = ['role-getobject', 'role-putpolicy', 'role-keypair-denied', 'role-listfunctions'];
const inTimeOrder = (labels: string[]) => labelsWhere(c, (r) => labels.some((l) => c.byLabel[l] === r));

describe.concurrent('keytrail events: order and output', () => {
  it('lists every event in time order (the files were written out of order)', async () => {
    const got = (await all()).map((r) => r.eventID);
    expect(got).toHaveLength(20);
    expect(got).toEqual(c.records.map((r) => r.eventID));
    expect(c.files[0]!.records[0]!.eventTime > c.files.at(-1)!.records[0]!.eventTime).toBe(true);
  });

  it('csv shows the summary columns, one row per event, empty cells for NULL', async () => {
    const r = await cliAsync(['events', '--db', db, '--format', 'csv', '--key', SESSION_KEY]);
    expect(r.status).toBe(0);
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.eventID)).toEqual(ids(c, ROLE));
    expect(rows[2]!.errorCode).toBe('Client.UnauthorizedOperation');
    expect(rows[0]).toEqual({
      eventTime: '2026-10-14T11:00:00Z',
      eventName: 'GetObject',
      eventSource: 's3.amazonaws.com',
      awsRegion: 'us-east-1',
      principal: SESSION_ARN,
      accessKeyId: SESSION_KEY,
      sourceIPAddress: ATTACKER_IP,
      errorCode: '',
      eventID: c.byLabel['role-getobject']!.eventID,
    });
  });
});

describe.concurrent('keytrail events: filters', () => {
  it('--key: one key', async () => {
    expect(await eventIds(['--key', LEAKED_KEY])).toEqual(ids(c, CI));
  });

  it('--key: two keys comma-separated', async () => {
    expect(await eventIds(['--key', `${LEAKED_KEY},${BACKDOOR_KEY}`])).toEqual(ids(c, inTimeOrder([...CI, ...BACKDOOR])));
  });

  it('--user: an IAM user name (not the user named in requestParameters)', async () => {
    // alice's DeleteAccessKey/DeleteUser name the backdoor user in requestParameters; only its own calls match.
    expect(await eventIds(['--user', 'backdoor'])).toEqual(ids(c, BACKDOOR));
  });

  it('--user: a role name matches its sessions (sessionContext.sessionIssuer.userName)', async () => {
    const got = await events(['--user', ROLE_NAME]);
    expect(got.map((r) => r.eventID)).toEqual(ids(c, ROLE));
    for (const r of got) expect(r.userIdentity.type).toBe('AssumedRole');
  });

  it('--arn: a user ARN and the role ARN that issued sessions (comma-separated)', async () => {
    expect(await eventIds(['--arn', `${CI_ARN},${ROLE_ARN}`])).toEqual(ids(c, inTimeOrder([...CI, ...ROLE])));
  });

  it('--since with a date includes that whole day on', async () => {
    const got = await eventIds(['--since', '2026-10-15']);
    expect(got).toEqual(
      ids(
        c,
        labelsWhere(c, (r) => r.eventTime >= '2026-10-15'),
      ),
    );
    expect(got).toHaveLength(8);
    expect(got[0]).toBe(c.byLabel['ci-midnight']!.eventID);
  });

  it('--until with a date is exclusive: the event at exactly midnight is not before 2026-10-15', async () => {
    const got = await eventIds(['--until', '2026-10-15']);
    expect(got).toEqual(
      ids(
        c,
        labelsWhere(c, (r) => r.eventTime < '2026-10-15'),
      ),
    );
    expect(got).toHaveLength(12);
    expect(got).not.toContain(c.byLabel['ci-midnight']!.eventID);
  });

  it('--since/--until with full ISO times: since inclusive, until exclusive', async () => {
    expect(await eventIds(['--since', '2026-10-14T10:00:00Z', '--until', '2026-10-14T11:00:30Z'])).toEqual(
      ids(c, ['bd-listbuckets', 'bd-runinstances', 'bd-describe', 'role-getobject']),
    );
  });

  it('--since/--until with an offset are converted to UTC', async () => {
    // 02:00+02:00 is midnight UTC (the midnight event is in); 10:30:01+02:00 is just after 08:30:00Z.
    expect(await eventIds(['--since', '2026-10-15T02:00:00+02:00', '--until', '2026-10-15T10:30:01+02:00'])).toEqual(
      ids(c, ['ci-midnight', 'bd-whoami-apse2']),
    );
  });

  it('--region, two comma-separated', async () => {
    expect(await eventIds(['--region', 'eu-west-1,ap-southeast-2'])).toEqual(
      ids(c, ['bd-runinstances', 'bd-describe', 'role-keypair-denied', 'bd-whoami-apse2', 'ci-describeregions-unknown']),
    );
  });

  it('--event A,B', async () => {
    expect(await eventIds(['--event', 'CreateUser,CreateAccessKey'])).toEqual(ids(c, ['ci-createuser', 'ci-createkey']));
  });

  it('--source in short form (iam)', async () => {
    const iam = ids(
      c,
      labelsWhere(c, (r) => r.eventSource === 'iam.amazonaws.com'),
    );
    expect(iam).toHaveLength(8);
    expect(await eventIds(['--source', 'iam'])).toEqual(iam);
  });

  it('--source in full form (iam.amazonaws.com)', async () => {
    expect(await eventIds(['--source', 'iam.amazonaws.com'])).toEqual(
      ids(
        c,
        labelsWhere(c, (r) => r.eventSource === 'iam.amazonaws.com'),
      ),
    );
  });

  it('--ip', async () => {
    expect(await eventIds(['--ip', ATTACKER_IP])).toEqual(ids(c, inTimeOrder([...BACKDOOR, ...ROLE])));
  });

  it('--errors: only failed calls (also written with -o)', async () => {
    const out = path.join(tmpDir('kt-events-out-'), 'errors.json');
    const r = await cliAsync(['events', '--db', db, '--format', 'json', '--errors', '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const got = JSON.parse(fs.readFileSync(out, 'utf8')) as Json[];
    expect(got.map((x) => x.eventID)).toEqual(ids(c, ['ci-attach-denied', 'role-keypair-denied']));
    expect(got.map((x) => x.errorCode)).toEqual(['AccessDenied', 'Client.UnauthorizedOperation']);
  });

  it('--write: only readOnly false', async () => {
    const got = await events(['--write']);
    expect(got.map((r) => r.eventID)).toEqual(
      ids(
        c,
        labelsWhere(c, (r) => r.readOnly === false),
      ),
    );
    expect(got.map((r) => r.eventName)).toEqual([
      'CreateUser',
      'CreateAccessKey',
      'AttachUserPolicy',
      'RunInstances',
      'PutBucketPolicy',
      'CreateKeyPair',
      'DeleteAccessKey',
      'DeleteUser',
    ]);
  });

  it('--limit keeps the first events in time order, after filtering', async () => {
    expect(await eventIds(['--key', BACKDOOR_KEY, '--limit', '2'])).toEqual(ids(c, ['bd-listbuckets', 'bd-runinstances']));
  });

  it('filters combine with AND: key + write', async () => {
    expect(await eventIds(['--key', SESSION_KEY, '--write'])).toEqual(ids(c, ['role-putpolicy', 'role-keypair-denied']));
  });

  it('filters combine with AND: user (role) + source + since', async () => {
    expect(await eventIds(['--user', ROLE_NAME, '--source', 's3', '--since', '2026-10-14T11:00:10Z'])).toEqual(ids(c, ['role-putpolicy']));
  });
});

describe.concurrent('keytrail events --format json: nothing of a record is lost', () => {
  it('keeps an unknown top-level field and an unknown userIdentity sub-field, adding nothing', async () => {
    const input = c.byLabel['ci-describeregions-unknown']!;
    const got = (await all()).find((r) => r.eventID === input.eventID)!;
    expect(got.addendumX).toEqual({ a: 1 });
    expect(got.userIdentity.futureIdentityField).toEqual({ level: 2, tags: ['a', 'b'] });
    expect(got.userIdentity).toEqual(input.userIdentity);
  });

  it("keeps an AssumedRole session context and a data event's JSON fields whole", async () => {
    const input = c.byLabel['role-getobject']!;
    const got = (await all()).find((r) => r.eventID === input.eventID)!;
    expect(got.userIdentity).toEqual(input.userIdentity);
    expect(got.requestParameters).toEqual(input.requestParameters);
    expect(got.resources).toEqual(input.resources);
    expect(got.additionalEventData).toEqual(input.additionalEventData);
    expect(got.managementEvent).toBe(false);
    expect(got.eventTime).toBe('2026-10-14T11:00:00Z');
  });

  it('keeps fields that CloudTrail writes as null (requestParameters: null)', async () => {
    const input = c.byLabel['ci-listusers']!;
    expect(input.requestParameters).toBeNull();
    const got = (await all()).find((r) => r.eventID === input.eventID)!;
    expect(got).toHaveProperty('requestParameters', null);
    expect(got).toHaveProperty('responseElements', null);
  });

  it('every record deep-equals the record ingested', async () => {
    const got = await all();
    expect(got).toHaveLength(c.records.length);
    for (let i = 0; i < got.length; i++) expect({ i, record: got[i] }).toEqual({ i, record: c.records[i] });
  });
});

describe('keytrail events: errors', () => {
  it('a bad --since gives exit 2 and a message, no stack trace', async () => {
    const r = await cliAsync(['events', '--db', db, '--since', 'last-tuesday']);
    expectUserError(r);
    expect(r.stderr).toContain('--since');
    expect(r.stderr).toContain('last-tuesday');
  });
});

describe.concurrent('keytrail events on the OTRF EC2-proxy S3-exfiltration dataset (Logstash JSON Lines, @timestamp)', () => {
  const byTime = (a: Json, b: Json) =>
    a['@timestamp'] < b['@timestamp'] ? -1 : a['@timestamp'] > b['@timestamp'] ? 1 : a.eventID < b.eventID ? -1 : a.eventID > b.eventID ? 1 : 0;
  const expectedFor = (pred: (r: Json) => boolean) =>
    otrf
      .filter(pred)
      .sort(byTime)
      .map((r) => r.eventID as string);
  const STOLEN = 'ASIA5FLZVX4OPVKKVBMX';
  const OTRF_ROLE = 'MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0';

  it('--key of the stolen instance-profile session returns its events, in @timestamp order', async () => {
    const expected = expectedFor((r) => r.userIdentity?.accessKeyId === STOLEN);
    expect(expected.length).toBeGreaterThan(0);
    const got = await events(['--key', STOLEN], otrfDb);
    expect(got.map((r) => r.eventID)).toEqual(expected);
    for (const r of got) {
      const src = otrf.find((o) => o.eventID === r.eventID)!;
      expect(Date.parse(r.eventTime)).toBe(Date.parse(src['@timestamp']));
      expect(r.userIdentity.sessionContext.sessionIssuer.userName).toBe(OTRF_ROLE);
    }
  });

  it("--key ASIA5FLZVX4OI4ZDQJOL (the console user pedro's session) with --source narrowing to two services", async () => {
    const key = 'ASIA5FLZVX4OI4ZDQJOL';
    const sources = ['elasticloadbalancing.amazonaws.com', 'monitoring.amazonaws.com'];
    const expected = expectedFor((r) => r.userIdentity?.accessKeyId === key && sources.includes(r.eventSource));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(otrf.filter((r) => r.userIdentity?.accessKeyId === key).length);
    expect((await events(['--key', key, '--source', 'elasticloadbalancing,monitoring'], otrfDb)).map((r) => r.eventID)).toEqual(expected);
  });
});
