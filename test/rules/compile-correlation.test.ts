import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/rules/detect.js';
import { labelledCase, type LabelledCase } from './labelled-case.js';

const userArn = (name: string) => `arn:aws:iam::111122223333:user/${name}`;
const who = (name: string, key?: string) => ({
  type: 'IAMUser',
  principalId: `AIDA${name.toUpperCase()}`,
  arn: userArn(name),
  accountId: '111122223333',
  userName: name,
  ...(key ? { accessKeyId: key } : {}),
});
const at = (hms: string) => `2026-10-14T${hms}Z`;

/** Labelled events: the label is the eventID, so expectations read as the story. */
const EVENTS: [string, string, Record<string, unknown>][] = [
  // AccessDenied bursts (event_count >= 3 in 10m by access key)
  ['deny-k1-1', '10:00:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListSecrets', errorCode: 'AccessDenied' }],
  ['ok-k1', '10:01:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListUsers' }],
  ['deny-k1-2', '10:02:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListDetectors', errorCode: 'AccessDenied' }],
  ['deny-k1-3', '10:04:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'DescribeOrganization', errorCode: 'AccessDenied' }],
  ['deny-k1-late', '10:30:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListKeys', errorCode: 'AccessDenied' }],
  ['deny-k2-1', '10:00:30', { userIdentity: who('dev', 'AKIAK2'), eventName: 'ListSecrets', errorCode: 'AccessDenied' }],
  ['deny-k2-2', '10:20:00', { userIdentity: who('dev', 'AKIAK2'), eventName: 'ListSecrets', errorCode: 'AccessDenied' }],
  ['deny-k2-3', '10:40:00', { userIdentity: who('dev', 'AKIAK2'), eventName: 'ListSecrets', errorCode: 'AccessDenied' }],
  ['deny-nokey-1', '11:00:00', { userIdentity: who('anon'), eventName: 'ListSecrets', errorCode: 'AccessDenied' }],
  ['deny-nokey-2', '11:00:01', { userIdentity: who('anon'), eventName: 'ListSecrets', errorCode: 'AccessDenied' }],
  ['deny-nokey-3', '11:00:02', { userIdentity: who('anon'), eventName: 'ListSecrets', errorCode: 'AccessDenied' }],
  // two overlapping satisfying windows: one finding of four events
  ['deny-k1-b1', '12:00:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListRoles', errorCode: 'AccessDenied' }],
  ['deny-k1-b2', '12:05:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListRoles', errorCode: 'AccessDenied' }],
  ['deny-k1-b3', '12:09:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListRoles', errorCode: 'AccessDenied' }],
  ['deny-k1-b4', '12:14:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'ListRoles', errorCode: 'AccessDenied' }],
  // RunInstances in many regions (value_count of awsRegion >= 3 in 1h by identity)
  ['run-a-use1', '13:00:00', { userIdentity: who('mallory', 'AKIAK1'), eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', awsRegion: 'us-east-1' }],
  [
    'run-a-usw2',
    '13:10:00',
    {
      userIdentity: who('mallory', 'AKIAK1'),
      eventSource: 'ec2.amazonaws.com',
      eventName: 'RunInstances',
      awsRegion: 'us-west-2',
      errorCode: 'Client.VcpuLimitExceeded',
    },
  ],
  ['run-a-usw2b', '13:11:00', { userIdentity: who('mallory', 'AKIAK1'), eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', awsRegion: 'us-west-2' }],
  ['run-a-euw1', '13:30:00', { userIdentity: who('mallory', 'AKIAK1'), eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', awsRegion: 'eu-west-1' }],
  ['run-b-use1', '13:00:00', { userIdentity: who('dev', 'AKIAK2'), eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', awsRegion: 'us-east-1' }],
  ['run-b-usw2', '13:05:00', { userIdentity: who('dev', 'AKIAK2'), eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', awsRegion: 'us-west-2' }],
  ['run-b-euw1-late', '15:00:00', { userIdentity: who('dev', 'AKIAK2'), eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', awsRegion: 'eu-west-1' }],
  // GuardDuty detector deleted and logging stopped by one identity, in any order (temporal, 30m)
  ['gd-a', '14:00:00', { userIdentity: who('mallory', 'AKIAK1'), eventSource: 'guardduty.amazonaws.com', eventName: 'DeleteDetector' }],
  ['stop-a', '14:10:00', { userIdentity: who('mallory', 'AKIAK1'), eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' }],
  ['stop-b', '14:00:00', { userIdentity: who('dev', 'AKIAK2'), eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' }],
  ['stop-c', '14:00:00', { userIdentity: who('carol', 'AKIAK3'), eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' }],
  ['gd-c', '16:00:00', { userIdentity: who('carol', 'AKIAK3'), eventSource: 'guardduty.amazonaws.com', eventName: 'DeleteDetector' }],
  // CreateUser then CreateAccessKey by the new user (temporal_ordered with aliases, 24h)
  [
    'cu-backup',
    '17:00:00',
    { userIdentity: who('mallory', 'AKIAK1'), eventName: 'CreateUser', readOnly: false, responseElements: { user: { userName: 'backup' } } },
  ],
  ['cak-by-backup', '18:00:00', { userIdentity: who('backup', 'AKIABACKUP'), eventName: 'CreateAccessKey', readOnly: false }],
  ['cak-by-ops-first', '17:00:00', { userIdentity: who('ops', 'AKIAOPS'), eventName: 'CreateAccessKey', readOnly: false }],
  ['cu-ops', '17:30:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'CreateUser', readOnly: false, responseElements: { user: { userName: 'ops' } } }],
];

let c: LabelledCase;
beforeAll(async () => {
  c = await labelledCase(EVENTS, at);
});
afterAll(() => c?.close());

/** Load rule files (name → YAML) and run them; returns findings and load problems. */
const run = (files: Record<string, string>, minLevel?: 'high') => c.run(files, { minLevel });
const summary = (f: Finding[]) => f.map((x) => ({ rule: x.rule.id, ids: x.eventIDs, summary: x.summary }));

const base = (name: string, detection: string, extra = '') => `title: ${name} base
name: ${name}
logsource: {product: aws, service: cloudtrail}
${extra}detection:
${detection}
`;
const denied = base('denied', `    sel:\n        errorCode: AccessDenied\n    condition: sel`);
const corr = (id: string, body: string) => `title: correlation ${id}
id: ${id}
level: high
correlation:
${body}
`;

const ID1 = '11111111-1111-4111-8111-111111111111';
const ID2 = '22222222-2222-4222-8222-222222222222';

describe('event_count', () => {
  it('fires once per burst and group; windows slide from every event and overlapping ones merge; an absent group-by field joins no group', async () => {
    const { findings, problems } = await run({
      'deny.yml': `${denied}---\n${corr(ID1, `    type: event_count\n    rules: [denied]\n    group-by: [userIdentity.accessKeyId]\n    timespan: 10m\n    condition: {gte: 3}\noutput:\n    summary: '{count} denied calls by {userIdentity.accessKeyId} from {first} to {last}'`)}`,
    });
    expect(problems).toEqual([]);
    expect(summary(findings)).toEqual([
      { rule: ID1, ids: ['deny-k1-1', 'deny-k1-2', 'deny-k1-3'], summary: '3 denied calls by AKIAK1 from 2026-10-14T10:00:00Z to 2026-10-14T10:04:00Z' },
      {
        rule: ID1,
        ids: ['deny-k1-b1', 'deny-k1-b2', 'deny-k1-b3', 'deny-k1-b4'],
        summary: '4 denied calls by AKIAK1 from 2026-10-14T12:00:00Z to 2026-10-14T12:14:00Z',
      },
    ]);
    // The finding speaks for the event that completed the pattern.
    expect(findings[0]).toMatchObject({ eventTime: '2026-10-14T10:04:00Z', eventName: 'DescribeOrganization', accessKeyId: 'AKIAK1', rule: { level: 'high' } });
  });

  it('without group-by counts over everything; a range condition (gt and lte) bounds the count', async () => {
    const { findings } = await run({
      'deny.yml': `${denied}---\n${corr(ID1, `    type: event_count\n    rules: [denied]\n    timespan: 5s\n    condition: {gte: 3}`)}---\n${corr(ID2, `    type: event_count\n    rules: [denied]\n    group-by: [userIdentity.accessKeyId]\n    timespan: 10m\n    condition: {gt: 1, lt: 3}`)}`,
    });
    // Exactly two in a window: the one starting at deny-k1-2 (deny-k1-1 is before it) and at deny-k1-b3.
    expect(summary(findings).map((f) => [f.rule, f.ids])).toEqual([
      [ID2, ['deny-k1-2', 'deny-k1-3']],
      [ID1, ['deny-nokey-1', 'deny-nokey-2', 'deny-nokey-3']],
      [ID2, ['deny-k1-b3', 'deny-k1-b4']],
    ]);
  });
});

describe('value_count', () => {
  it('counts distinct values of condition.field per group within the timespan, failed attempts included', async () => {
    const run1 = base('run', `    sel:\n        eventName: RunInstances\n    condition: sel`);
    const { findings, problems } = await run({
      'run.yml': `${run1}---\n${corr(ID1, `    type: value_count\n    rules: [run]\n    group-by: [userIdentity.arn]\n    timespan: 1h\n    condition: {field: awsRegion, gte: 3}\noutput:\n    summary: '{userIdentity.arn} ran instances in {values}'`)}`,
    });
    expect(problems).toEqual([]);
    expect(summary(findings)).toEqual([
      {
        rule: ID1,
        ids: ['run-a-use1', 'run-a-usw2', 'run-a-usw2b', 'run-a-euw1'],
        summary: `${userArn('mallory')} ran instances in eu-west-1, us-east-1, us-west-2`,
      },
    ]);
  });
});

describe('temporal', () => {
  const gd = base('gd_deleted', `    sel:\n        eventName: DeleteDetector\n    condition: sel`);
  const stop = base('logging_stopped', `    sel:\n        eventName: StopLogging\n    condition: sel`);
  it('all rules within the timespan in any order, per group', async () => {
    const { findings } = await run({
      'evasion.yml': `${gd}---\n${stop}---\n${corr(ID1, `    type: temporal\n    rules: [logging_stopped, gd_deleted]\n    group-by: [userIdentity.arn]\n    timespan: 30m`)}`,
    });
    expect(summary(findings).map((f) => f.ids)).toEqual([['gd-a', 'stop-a']]);
  });

  it('a condition asks for fewer of the rules (gte 1 of 2 is every match)', async () => {
    const { findings } = await run({
      'evasion.yml': `${gd}---\n${stop}---\n${corr(ID1, `    type: temporal\n    rules: [logging_stopped, gd_deleted]\n    group-by: [userIdentity.arn]\n    timespan: 30m\n    condition: {gte: 1}`)}`,
    });
    expect(summary(findings).map((f) => f.ids)).toEqual([['stop-b'], ['stop-c'], ['gd-a', 'stop-a'], ['gd-c']]);
  });
});

describe('temporal_ordered with aliases', () => {
  const files = (extra = '') => ({
    'bases.yml': `${base('user_created', `    sel:\n        eventName: CreateUser\n    condition: sel`)}---\n${base('key_created', `    sel:\n        eventName: CreateAccessKey\n    condition: sel`, 'id: 33333333-3333-4333-8333-333333333333\n')}`,
    'corr.yml': corr(
      ID1,
      `    type: temporal_ordered\n    rules: [user_created base, 33333333-3333-4333-8333-333333333333]\n    group-by: [new_user]\n    timespan: 24h\n    aliases:\n        new_user:\n            user_created: responseElements.user.userName\n            key_created: userIdentity.userName\n${extra}output:\n    summary: 'user {new_user} created at {first} made a key at {last}'`,
    ),
  });

  it('CreateUser then CreateAccessKey by that user, in that order, across files (by title and by id)', async () => {
    const { findings, problems } = await run(files());
    expect(problems).toEqual([]);
    expect(summary(findings)).toEqual([
      { rule: ID1, ids: ['cu-backup', 'cak-by-backup'], summary: 'user backup created at 2026-10-14T17:00:00Z made a key at 2026-10-14T18:00:00Z' },
    ]);
  });

  it('generate: true makes the base rules report on their own too', async () => {
    const { findings } = await run(files('    generate: true\n'));
    expect(findings.map((f) => f.eventIDs[0]).sort()).toEqual(['cak-by-backup', 'cak-by-ops-first', 'cu-backup', 'cu-backup', 'cu-ops'].sort());
  });

  it('--min-level keeps the base rules of a selected correlation, and drops a correlation below it', async () => {
    const high = await run(files(), 'high');
    expect(high.findings.map((f) => f.rule.id)).toEqual([ID1]);
    const low = await run({ ...files(), 'corr.yml': files()['corr.yml'].replace('level: high', 'level: low') }, 'high');
    expect(low.findings).toEqual([]);
  });
});

describe('a correlation that cannot run is a load problem with file:line and id', () => {
  it.each([
    [
      'an unknown base rule',
      `    type: event_count\n    rules: [nowhere]\n    group-by: [awsRegion]\n    timespan: 1h\n    condition: {gte: 2}`,
      /correlation\.rules: no loaded rule has the id, name or title "nowhere"/,
    ],
    [
      'value_count without a field',
      `    type: value_count\n    rules: [denied]\n    group-by: [awsRegion]\n    timespan: 1h\n    condition: {gte: 2}`,
      /value_count needs condition\.field/,
    ],
    [
      'event_count without a condition',
      `    type: event_count\n    rules: [denied]\n    group-by: [awsRegion]\n    timespan: 1h`,
      /event_count needs a condition/,
    ],
    [
      'a timespan in weeks',
      `    type: event_count\n    rules: [denied]\n    timespan: 2w\n    condition: {gte: 2}`,
      /correlation\.timespan: timespan is a number and one of s, m, h, d/,
    ],
    [
      'an alias without a field for one rule',
      `    type: temporal\n    rules: [denied]\n    group-by: [who]\n    timespan: 1h\n    aliases:\n        who:\n            other: userIdentity.arn`,
      /aliases\.who names rule "other", which is not one of this correlation's rules/,
    ],
    ['an unknown type', `    type: value_max\n    rules: [denied]\n    timespan: 1h`, /correlation\.type/],
    [
      'temporal_ordered with a partial condition',
      `    type: temporal_ordered\n    rules: [denied, denied2]\n    timespan: 1h\n    condition: {gte: 1}`,
      /temporal_ordered matches when all 2 rules occur in order/,
    ],
  ])('%s', async (_, body, message) => {
    const denied2 = base('denied2', `    sel:\n        errorCode: AccessDenied\n    condition: sel`);
    const { problems } = await run({ 'c.yml': `${denied}---\n${denied2}---\n${corr(ID1, body)}` });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`c\\.yml:\\d+: \\[${ID1}\\] `));
    expect(problems[0]).toMatch(message);
  });

  it('a summary placeholder a correlation does not have; a correlation naming it cannot load either', async () => {
    const { problems } = await run({
      'c.yml': `${denied}---\n${corr(ID1, `    type: event_count\n    rules: [denied]\n    timespan: 1h\n    condition: {gte: 2}\noutput:\n    summary: '{eventName} x{count}'`)}---\n${corr(ID2, `    type: event_count\n    rules: [${ID1}]\n    timespan: 1h\n    condition: {gte: 2}`)}`,
    });
    expect(problems.join('\n')).toMatch(/\[11111111-1111-4111-8111-111111111111\] output\.summary: \{eventName\} is not available in a correlation's summary/);
    expect(problems.join('\n')).toMatch(
      /\[22222222-2222-4222-8222-222222222222\] correlation\.rules: "11111111-1111-4111-8111-111111111111" is a correlation that cannot load \(see its problem\)/,
    );
  });

  it('hostile group-by and alias fields compile to "absent", bound, never to SQL', async () => {
    const { findings, problems, loaded } = await run({
      'c.yml': `${denied}---\n${corr(ID1, `    type: event_count\n    rules: [denied]\n    group-by: [who, "a..b"]\n    timespan: 1h\n    condition: {gte: 1}\n    aliases:\n        who:\n            denied: "requestParameters.x'); DROP TABLE events; --"`)}`,
    });
    expect(problems).toEqual([
      expect.stringMatching(/c\.yml:\d+: \[11111111-1111-4111-8111-111111111111\] warning: field a\.\.b is not in a CloudTrail record; it matches as absent$/),
    ]);
    expect(loaded.correlations[0]!.compiled.unknownFields).toEqual(['a..b']);
    expect(loaded.correlations[0]!.compiled.query.build().text).not.toContain('DROP');
    expect(findings).toEqual([]);
    expect((await c.db.all('SELECT count(*) AS n FROM events'))[0]!.n).toBe(EVENTS.length);
  });
});
