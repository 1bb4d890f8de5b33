import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/rules/detect.js';
import { labelledCase, type LabelledCase } from './labelled-case.js';

const userArn = (name: string) => `arn:aws:iam::111122223333:user/${name}`;
const who = (name: string, key: string) => ({
  type: 'IAMUser',
  principalId: `AIDA${name.toUpperCase()}`,
  arn: userArn(name),
  accountId: '111122223333',
  userName: name,
  accessKeyId: key,
});
const at = (hms: string) => `2026-10-14T${hms}Z`;
const denied = (name: string, key: string, region: string, eventName = 'ListSecrets') => ({
  userIdentity: who(name, key),
  eventSource: 'secretsmanager.amazonaws.com',
  eventName,
  awsRegion: region,
  errorCode: 'AccessDenied',
  errorMessage: `User: ${userArn(name)} is not authorized to perform: secretsmanager:${eventName}`,
});

const EVENTS: [string, string, Record<string, unknown>][] = [
  // mallory: denied bursts in us-east-1 then us-west-2 (each >= 2 in 5m), then makes a key
  ['m-e1', '10:00:00', denied('mallory', 'AKIAK1', 'us-east-1')],
  ['m-e2', '10:01:00', denied('mallory', 'AKIAK1', 'us-east-1')],
  ['m-w1', '10:20:00', denied('mallory', 'AKIAK1', 'us-west-2')],
  ['m-w2', '10:22:00', denied('mallory', 'AKIAK1', 'us-west-2')],
  ['m-key', '10:40:00', { userIdentity: who('mallory', 'AKIAK1'), eventName: 'CreateAccessKey', readOnly: false }],
  // dev: one burst in one region, a lone denial elsewhere, then a key
  ['d-e1', '10:00:30', denied('dev', 'AKIAK2', 'us-east-1')],
  ['d-e2', '10:02:00', denied('dev', 'AKIAK2', 'us-east-1')],
  ['d-w1', '10:30:00', denied('dev', 'AKIAK2', 'us-west-2')],
  ['d-key', '09:00:00', { userIdentity: who('dev', 'AKIAK2'), eventName: 'CreateAccessKey', readOnly: false }],
];

let c: LabelledCase;
beforeAll(async () => {
  c = await labelledCase(EVENTS, at);
});
afterAll(() => c?.close());

const run = (text: string) => c.run({ 'r.yml': text });
const summary = (f: Finding[]) => f.map((x) => ({ rule: x.rule.id, ids: x.eventIDs, summary: x.summary }));

const BASES = `title: denied base
name: denied
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        errorCode: AccessDenied
    condition: sel
---
title: key base
name: key_created
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: CreateAccessKey
    condition: sel
`;
const INNER = 'burst';
const OUTER = '55555555-5555-4555-8555-555555555555';
/** Denied bursts: >= 2 denials in 5m, per identity and region. */
const inner = (extra = '', groupBy = '[userIdentity.arn, awsRegion]', said = '{count} denials by {userIdentity.arn} in {awsRegion}') => `title: denied burst
name: ${INNER}
correlation:
    type: event_count
    rules: [denied]
    group-by: ${groupBy}
    timespan: 5m
    condition: {gte: 2}
${extra}output:
    summary: '${said}'
`;
const outer = (body: string, summaryText = '{userIdentity.arn}: bursts in {values}') => `title: outer
id: ${OUTER}
level: high
correlation:
${body}
output:
    summary: '${summaryText}'
`;
const doc = (...docs: string[]) => [BASES, ...docs].join('---\n');

describe('a correlation of a correlation', () => {
  it('value_count over the inner findings: bursts in two regions; its events are all the bursts contributed, in time order; the inner is silent', async () => {
    const { findings, problems } = await run(
      doc(
        inner(),
        outer(`    type: value_count\n    rules: [${INNER}]\n    group-by: [userIdentity.arn]\n    timespan: 1h\n    condition: {field: awsRegion, gte: 2}`),
      ),
    );
    expect(problems).toEqual([]);
    expect(summary(findings).filter((f) => f.rule !== 'key_created')).toEqual([
      { rule: OUTER, ids: ['m-e1', 'm-e2', 'm-w1', 'm-w2'], summary: `${userArn('mallory')}: bursts in us-east-1, us-west-2` },
    ]);
    // The finding fires when the last burst did, and that burst's last event speaks for it.
    expect(findings.find((f) => f.rule.id === OUTER)).toMatchObject({ eventTime: at('10:22:00'), awsRegion: 'us-west-2' });
  });

  it('generate: true on the outer makes the inner report its own findings too', async () => {
    const { findings } = await run(
      doc(
        inner(),
        outer(
          `    type: event_count\n    rules: [${INNER}]\n    group-by: [userIdentity.arn]\n    timespan: 1h\n    condition: {gte: 2}\n    generate: true`,
          '{count} bursts by {userIdentity.arn}',
        ),
      ),
    );
    expect(summary(findings).filter((f) => f.rule !== 'key_created')).toEqual([
      { rule: INNER, ids: ['m-e1', 'm-e2'], summary: `2 denials by ${userArn('mallory')} in us-east-1` },
      { rule: INNER, ids: ['d-e1', 'd-e2'], summary: `2 denials by ${userArn('dev')} in us-east-1` },
      // Both spoken for by m-w2: by time, then rule id.
      { rule: OUTER, ids: ['m-e1', 'm-e2', 'm-w1', 'm-w2'], summary: `2 bursts by ${userArn('mallory')}` },
      { rule: INNER, ids: ['m-w1', 'm-w2'], summary: `2 denials by ${userArn('mallory')} in us-west-2` },
    ]);
  });

  it('temporal_ordered of a correlation and a base rule: a burst, then a key by the same identity', async () => {
    const { findings, problems } = await run(
      doc(
        inner(),
        outer(
          `    type: temporal_ordered\n    rules: [${INNER}, key_created]\n    group-by: [userIdentity.arn]\n    timespan: 1h`,
          '{userIdentity.arn} was denied, then made a key at {last}',
        ),
      ),
    );
    expect(problems).toEqual([]);
    // Each burst of mallory's starts a chain to the same key: two findings, each with its burst.
    expect(summary(findings)).toEqual([
      { rule: OUTER, ids: ['m-e1', 'm-e2', 'm-key'], summary: `${userArn('mallory')} was denied, then made a key at 2026-10-14T10:40:00Z` },
      { rule: OUTER, ids: ['m-w1', 'm-w2', 'm-key'], summary: `${userArn('mallory')} was denied, then made a key at 2026-10-14T10:40:00Z` },
    ]);
  });

  it('three levels deep, the middle one named by alias; each runs after those it names', async () => {
    const middle = `title: many bursts
name: many_bursts
correlation:
    type: event_count
    rules: [${INNER}]
    group-by: [principal]
    timespan: 1h
    condition: {gte: 2}
    aliases:
        principal:
            ${INNER}: userIdentity.arn
`;
    const { findings, problems } = await run(
      doc(
        outer(`    type: event_count\n    rules: [many_bursts]\n    group-by: [principal]\n    timespan: 1d\n    condition: {gte: 1}`, '{principal} x{count}'),
        middle,
        inner(),
      ),
    );
    expect(problems).toEqual([]);
    expect(summary(findings).filter((f) => f.rule !== 'key_created')).toEqual([
      { rule: OUTER, ids: ['m-e1', 'm-e2', 'm-w1', 'm-w2'], summary: `${userArn('mallory')} x1` },
    ]);
  });
});

describe('problems of a chain', () => {
  it('a group-by field the inner findings do not carry is an error naming it', async () => {
    const { problems } = await run(
      doc(
        inner('', '[userIdentity.arn]', '{count} denials'),
        outer(`    type: event_count\n    rules: [${INNER}]\n    group-by: [awsRegion]\n    timespan: 1h\n    condition: {gte: 2}`),
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /\[55555555-5555-4555-8555-555555555555\] correlation: "awsRegion" is not a group-by field of correlation "burst", whose findings carry only userIdentity\.arn$/,
      ),
    ]);
  });

  it('a cycle is an error of each correlation in it, and of one that names it', async () => {
    const a = `title: a\nname: ca\ncorrelation:\n    type: event_count\n    rules: [cb]\n    timespan: 1h\n    condition: {gte: 1}\n`;
    const b = `title: b\nname: cb\ncorrelation:\n    type: event_count\n    rules: [ca]\n    timespan: 1h\n    condition: {gte: 1}\n`;
    const self = `title: self\nname: cs\ncorrelation:\n    type: event_count\n    rules: [cs, denied]\n    timespan: 1h\n    condition: {gte: 1}\n`;
    const { problems } = await run(doc(a, b, self, outer(`    type: event_count\n    rules: [ca]\n    timespan: 1h\n    condition: {gte: 1}`)));
    expect(problems.map((p) => p.replace(/^.*?: \[/, '['))).toEqual([
      '[ca] correlation.rules: the correlations "ca" → "cb" → "ca" name each other in a cycle',
      '[cb] correlation.rules: the correlations "ca" → "cb" → "ca" name each other in a cycle',
      '[cs] correlation.rules: the correlations "cs" → "cs" name each other in a cycle',
      `[${OUTER}] correlation.rules: "ca" is a correlation that cannot load (see its problem)`,
    ]);
  });
});

describe('inline tests of a correlation of a correlation', () => {
  it('run the correlations it names over the same events first', async () => {
    const { testRules } = await import('../../src/harness/rule-tests.js');
    const d = (id: number, name: string, region: string) =>
      `{eventName: ListSecrets, errorCode: AccessDenied, awsRegion: ${region}, userIdentity: {arn: '${userArn(name)}'}, eventTime: '2026-10-14T10:0${id}:00Z'}`;
    const text = doc(
      inner(),
      `${outer(`    type: value_count\n    rules: [${INNER}]\n    group-by: [userIdentity.arn]\n    timespan: 1h\n    condition: {field: awsRegion, gte: 2}`)}tests:
    - name: bursts in two regions
      match: true
      events: [${d(0, 'm', 'us-east-1')}, ${d(1, 'm', 'us-east-1')}, ${d(2, 'm', 'us-west-2')}, ${d(3, 'm', 'us-west-2')}]
    - name: a burst and a lone denial
      match: false
      events: [${d(0, 'm', 'us-east-1')}, ${d(1, 'm', 'us-east-1')}, ${d(2, 'm', 'us-west-2')}]
`,
    );
    const { loaded } = await c.run({ 'r.yml': text });
    const withTests = loaded.correlations.filter((x) => x.rule.id === OUTER);
    const report = await testRules([], withTests);
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(2);
  });
});
