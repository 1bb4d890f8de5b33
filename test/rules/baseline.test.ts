/**
 * keytrail.baseline (src/rules/baseline.ts): what is usual for a principal, learnt from the case.
 * Each event is labelled with what the field must say of it; rules select on each value.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_RULES, runRules } from '../../src/rules/detect.js';
import { loadRules } from '../../src/rules/load-rules.js';
import { labelledCase, type LabelledCase, type Labelled } from './labelled-case.js';

const ACCOUNT = '111122223333';
const user = (name: string, key: string) => ({
  type: 'IAMUser',
  arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
  accountId: ACCOUNT,
  userName: name,
  accessKeyId: key,
});
const session = (role: string, name: string, key: string) => ({
  type: 'AssumedRole',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${name}`,
  accountId: ACCOUNT,
  accessKeyId: key,
  sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/${role}`, userName: role } },
});
const call = (who: object, ip: string, eventName = 'ListBuckets', extra: object = {}) => ({
  userIdentity: who,
  sourceIPAddress: ip,
  eventSource: eventName === 'CreateUser' ? 'iam.amazonaws.com' : 's3.amazonaws.com',
  eventName,
  ...extra,
});
const alice = user('alice', 'AKIAALICEEXAMPLE0001');
const createUser = { requestParameters: { userName: 'backdoor' }, responseElements: { user: { userName: 'backdoor' } } };

/** Day and hour from the case's first event: `d2 03` is two days and three hours in. */
const at = (t: string) => {
  const [d, h] = t.split(' ');
  return new Date(Date.UTC(2026, 9, 1) + Number(d!.slice(1)) * 86_400_000 + Number(h) * 3_600_000).toISOString().replace('.000Z', 'Z');
};

// Labels: what keytrail.baseline must say (usual, new-principal, new-key, new-network).
const EVENTS: Labelled[] = [
  ['usual-alice-first', 'd0 00', call(alice, '192.0.2.10')],
  ['usual-alice-same-network', 'd2 00', call(alice, '192.0.2.99', 'CreateUser', createUser)],
  ['new-network-alice', 'd2 01', call(alice, '203.0.113.7', 'CreateUser', createUser)],
  ['new-network-alice-day-8', 'd8 00', call(alice, '203.0.113.8')],
  ['usual-alice-day-10', 'd10 00', call(alice, '203.0.113.9')],
  ['new-principal-eve', 'd2 02', call(user('eve', 'AKIAEVEEXAMPLE000001'), '192.0.2.10')],
  // Seen on the first day only, never again: not routine.
  ['new-principal-bob-first-day-only', 'd0 03', call(user('bob', 'AKIABOBEXAMPLE000001'), '192.0.2.10')],
  // alice, from her usual network, with a key first used on day three (in one short burst).
  ['new-key-alice-second-key', 'd3 00', call(user('alice', 'AKIAALICEEXAMPLE0002'), '192.0.2.10', 'CreateUser', createUser)],
  ['usual-role-session-1', 'd0 01', call(session('ops', 's1', 'ASIAOPS1EXAMPLE00001'), '10.0.0.1')],
  // A new session of the same role, from the role's network: the role's history counts.
  ['usual-role-session-2', 'd3 00', call(session('ops', 's2', 'ASIAOPS2EXAMPLE00002'), '10.0.0.2')],
  [
    'usual-service',
    'd0 02',
    { userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' }, sourceIPAddress: 'ec2.amazonaws.com', eventName: 'AssumeRole' },
  ],
  [
    'usual-service-later',
    'd5 00',
    { userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' }, sourceIPAddress: 'ec2.amazonaws.com', eventName: 'AssumeRole' },
  ],
];

const ruleFor = (value: string) => `title: baseline ${value}
id: 00000000-0000-4000-8000-00000000000${['usual', 'new-principal', 'new-key', 'new-network', 'no-baseline'].indexOf(value)}
logsource: {product: aws, service: cloudtrail}
detection:
    selection:
        keytrail.baseline: ${value}
    condition: selection
level: low
`;

const labelsBy = (findings: { rule: { title: string }; eventIDs: string[] }[], value: string) =>
  findings
    .filter((f) => f.rule.title === `baseline ${value}`)
    .flatMap((f) => f.eventIDs)
    .sort();

describe('keytrail.baseline over a case with history', () => {
  let kase: LabelledCase;
  beforeAll(async () => {
    kase = await labelledCase(EVENTS, at);
  });
  afterAll(() => kase.close());

  it('says of each event whether its principal and network are usual, new or newly seen', async () => {
    const values = ['usual', 'new-principal', 'new-key', 'new-network', 'no-baseline'];
    const run = await kase.run(Object.fromEntries(values.map((v) => [`${v}.yml`, ruleFor(v)])));
    expect(run.problems).toEqual([]);
    for (const v of values) {
      expect(labelsBy(run.findings, v), v).toEqual(
        EVENTS.map(([id]) => id)
          .filter((id) => id.startsWith(`${v}-`))
          .sort(),
      );
    }
  });

  it('keeps the built-in IAM rule quiet on the usual network and key, and fires on the new ones', async () => {
    const loaded = await loadRules([path.join(BUILTIN_RULES, 'persistence', 'iam-user-created.yml')]);
    const findings = await runRules(kase.db, loaded.rules);
    expect(findings.flatMap((f) => f.eventIDs).sort()).toEqual(['new-key-alice-second-key', 'new-network-alice']);
  });
});

describe('keytrail.baseline over a case shorter than two days', () => {
  let kase: LabelledCase;
  beforeAll(async () => {
    // The same calls within a day: nothing can be told apart from routine, so everything counts as new.
    kase = await labelledCase(
      EVENTS.filter(([, t]) => t.startsWith('d0 ')),
      at,
    );
  });
  afterAll(() => kase.close());

  it('says no-baseline of every event', async () => {
    const run = await kase.run({ 'usual.yml': ruleFor('usual'), 'none.yml': ruleFor('no-baseline') });
    expect(labelsBy(run.findings, 'usual')).toEqual([]);
    expect(labelsBy(run.findings, 'no-baseline')).toEqual(['new-principal-bob-first-day-only', 'usual-alice-first', 'usual-role-session-1', 'usual-service']);
  });
});
