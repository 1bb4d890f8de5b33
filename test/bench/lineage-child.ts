/**
 * The lineage side of the benchmark, run as a child process by run.ts: on a copy of the cached case
 * (1,000,000 background events), a leaked key's chain six levels deep is added (user and key,
 * role and session, user and key, session token, user and key, user and key, each credential
 * busy in several regions), then `buildLineage` from the seed is timed with the activity
 * summaries, as `keytrail lineage --key` runs it. The result must hold the whole chain.
 *
 *   node lineage-child.js <case.duckdb>
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ingest } from '../../src/ingest/ingest.js';
import { buildLineage } from '../../src/lineage/lineage.js';
import { CaseDb } from '../../src/store/db.js';
import { errorText, fileBytes, peakRssMB, reply, startRssSampler } from './measure.js';

const ACCOUNT = '210987654321';
const SEED = 'AKIAQBENCHSEED000001';
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'sa-east-1'];

/** The chain: each step is made by the credential of the step before. */
function chain(start: Date): Record<string, unknown>[] {
  let t = start.getTime();
  let n = 0;
  const records: Record<string, unknown>[] = [];
  const user = (name: string, key: string) => ({
    type: 'IAMUser',
    principalId: `AIDA${name.toUpperCase()}`,
    arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    accountId: ACCOUNT,
    accessKeyId: key,
    userName: name,
  });
  const role = (name: string, key: string) => ({
    type: 'AssumedRole',
    principalId: `AROA${name.toUpperCase()}:s`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/s`,
    accountId: ACCOUNT,
    accessKeyId: key,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: `AROA${name.toUpperCase()}`,
        arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
        accountId: ACCOUNT,
        userName: name,
      },
      attributes: { creationDate: new Date(t).toISOString(), mfaAuthenticated: 'false' },
    },
  });
  const rec = (
    who: object,
    eventSource: string,
    eventName: string,
    requestParameters: object | null,
    responseElements: object | null,
    region = 'us-east-1',
  ) => {
    t += 7000;
    records.push({
      eventVersion: '1.09',
      userIdentity: who,
      eventTime: new Date(t).toISOString().replace('.000Z', 'Z'),
      eventSource,
      eventName,
      awsRegion: region,
      sourceIPAddress: '198.51.100.77',
      userAgent: 'aws-cli/2.15.0',
      requestParameters,
      responseElements,
      requestID: `bench-req-${++n}`,
      eventID: `bench-lineage-${n}`,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
    });
  };
  const busy = (who: object) => {
    for (const region of REGIONS) {
      rec(who, 'ec2.amazonaws.com', 'DescribeInstances', null, null, region);
      rec(who, 'ec2.amazonaws.com', 'RunInstances', { instanceType: 'p3.16xlarge' }, { instancesSet: { items: [{ instanceId: `i-bench${n}` }] } }, region);
    }
  };
  const newUser = (by: object, name: string, key: string) => {
    rec(by, 'iam.amazonaws.com', 'CreateUser', { userName: name }, { user: { userName: name, arn: `arn:aws:iam::${ACCOUNT}:user/${name}` } });
    rec(by, 'iam.amazonaws.com', 'CreateAccessKey', { userName: name }, { accessKey: { accessKeyId: key, userName: name, status: 'Active' } });
    return user(name, key);
  };
  const seed = user('ci-bench', SEED);
  busy(seed);
  const l1 = newUser(seed, 'bench-l1', 'AKIAQBENCHLEVEL00001'); // level 1
  busy(l1);
  rec(l1, 'iam.amazonaws.com', 'CreateRole', { roleName: 'bench-l2' }, { role: { arn: `arn:aws:iam::${ACCOUNT}:role/bench-l2` } }); // level 2
  rec(
    l1,
    'sts.amazonaws.com',
    'AssumeRole',
    { roleArn: `arn:aws:iam::${ACCOUNT}:role/bench-l2`, roleSessionName: 's' },
    { credentials: { accessKeyId: 'ASIAQBENCHLEVEL00003' } },
  ); // level 3
  const l3 = role('bench-l2', 'ASIAQBENCHLEVEL00003');
  busy(l3);
  const l4 = newUser(l3, 'bench-l4', 'AKIAQBENCHLEVEL00004'); // level 4
  busy(l4);
  rec(l4, 'sts.amazonaws.com', 'GetSessionToken', null, { credentials: { accessKeyId: 'ASIAQBENCHLEVEL00005' } }); // level 5
  const l5 = user('bench-l4', 'ASIAQBENCHLEVEL00005');
  busy(l5);
  const l6 = newUser(l5, 'bench-l6', 'AKIAQBENCHLEVEL00006'); // level 6
  busy(l6);
  return records;
}

async function main(casePath: string): Promise<void> {
  if (!fs.existsSync(casePath)) throw new Error(`no case database at ${casePath}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keytrail-bench-lineage-'));
  try {
    const copy = path.join(tmp, 'case.duckdb');
    fs.copyFileSync(casePath, copy);
    let db = await CaseDb.open(copy, { readOnly: true });
    const last = String((await db.all('SELECT max(eventTime) AS t FROM events'))[0]!.t);
    db.close();
    const file = path.join(tmp, 'chain.json.gz');
    const records = chain(new Date(new Date(last).getTime() - 6 * 3600_000));
    fs.writeFileSync(file, zlib.gzipSync(JSON.stringify({ Records: records })));
    // The chain is of its own AWS account, not the background's: added on purpose.
    await ingest([file], { db: copy, append: true });

    const sampler = startRssSampler();
    const t0 = performance.now();
    db = await CaseDb.open(copy, { readOnly: true });
    let events: number;
    let l: Awaited<ReturnType<typeof buildLineage>>;
    try {
      events = Number((await db.all('SELECT count(*) AS n FROM events'))[0]!.n);
      l = await buildLineage(db, { keys: [SEED] });
    } finally {
      db.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    const rss = sampler.stop();
    const want = ['AKIAQBENCHLEVEL00001', 'role/bench-l2', 'ASIAQBENCHLEVEL00003', 'AKIAQBENCHLEVEL00004', 'ASIAQBENCHLEVEL00005', 'AKIAQBENCHLEVEL00006'];
    const missing = want.filter((id) => !l.nodes.some((n) => n.id === id && n.tainted));
    if (missing.length > 0) throw new Error(`the lineage misses ${missing.join(', ')} of the six-level chain`);
    const chainEvents = l.nodes.filter((n) => n.kind === 'access_key' && n.tainted).reduce((a, n) => a + n.activity.events, 0);
    reply({
      ok: true,
      result: {
        events,
        seconds,
        eventsPerSecond: events / seconds,
        peakRssMB: peakRssMB(),
        sampledPeakRssMB: rss.peakMB,
        rssCurveMB: rss.curveMB,
        rssIntervalMs: rss.intervalMs,
        dbBytes: fileBytes(copy),
        detail: {
          chainRecords: records.length,
          nodes: l.nodes.length,
          tainted: l.nodes.filter((n) => n.tainted).length,
          edges: l.edges.length,
          chainEvents,
          levels: 6,
        },
      },
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main(process.argv[2] ?? '').catch((err: unknown) => reply({ ok: false, error: errorText(err) }));
