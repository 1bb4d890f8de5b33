/**
 * Public Sigma packs run as written: metadata problems are warnings and the rule runs (each class
 * below, with the rule's findings checked); a Sigma 1 aggregation runs as the correlation it means
 * (exact findings over a hand-designed case, rules shaped as SigmaHQ's unsupported/cloud ones);
 * the expand modifier takes its values from a placeholders file; a pack's rules are selected by
 * status and an exclusion list, a correlation keeping the bases it needs.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRules, type Finding } from '../../src/rules/detect.js';
import { isError } from '../../src/rules/load-rules.js';
import { loadPlaceholders } from '../../src/rules/placeholders.js';
import { readExcludeFile, selectionNote, selectRules } from '../../src/rules/select.js';
import type { CaseDb } from '../../src/store/db.js';
import { write } from '../helpers.js';
import { labelledCase, type Labelled, type LabelledCase } from './labelled-case.js';

const who = (name: string, key: string) => ({
  type: 'IAMUser',
  principalId: `AIDA${name.toUpperCase()}`,
  arn: `arn:aws:iam::111122223333:user/${name}`,
  accountId: '111122223333',
  userName: name,
  accessKeyId: key,
});
const at = (hms: string, day = '14') => `2026-10-${day}T${hms}Z`;
const ec2 = 'ec2.amazonaws.com';

/** Labelled events: the label is the eventID. */
const EVENTS: Labelled[] = [
  // mallory reads EC2 user data six times in 20 minutes (from two addresses), then once more a day later.
  ...[0, 3, 6, 9, 12, 19].map((m, i): [string, string, Record<string, unknown>] => [
    `ud-m-${i + 1}`,
    `10:${String(m).padStart(2, '0')}:00`,
    {
      userIdentity: who('mallory', 'AKIAMAL'),
      eventSource: ec2,
      eventName: 'DescribeInstanceAttribute',
      requestParameters: { instanceId: `i-0${i}`, attribute: 'userData' },
      sourceIPAddress: i < 3 ? '198.51.100.7' : '203.0.113.9',
    },
  ]),
  [
    'ud-m-late',
    at('10:00:00', '15'),
    {
      userIdentity: who('mallory', 'AKIAMAL'),
      eventSource: ec2,
      eventName: 'DescribeInstanceAttribute',
      requestParameters: { instanceId: 'i-09', attribute: 'userData' },
      sourceIPAddress: '198.51.100.7',
    },
  ],
  // dev reads one attribute that is not user data, and user data twice: under the bar.
  [
    'ud-d-type',
    '10:01:00',
    {
      userIdentity: who('dev', 'AKIADEV'),
      eventSource: ec2,
      eventName: 'DescribeInstanceAttribute',
      requestParameters: { instanceId: 'i-10', attribute: 'instanceType' },
      sourceIPAddress: '192.0.2.1',
    },
  ],
  [
    'ud-d-1',
    '10:02:00',
    {
      userIdentity: who('dev', 'AKIADEV'),
      eventSource: ec2,
      eventName: 'DescribeInstanceAttribute',
      requestParameters: { instanceId: 'i-11', attribute: 'userData' },
      sourceIPAddress: '192.0.2.1',
    },
  ],
  [
    'ud-d-2',
    '10:04:00',
    {
      userIdentity: who('dev', 'AKIADEV'),
      eventSource: ec2,
      eventName: 'DescribeInstanceAttribute',
      requestParameters: { instanceId: 'i-12', attribute: 'userData' },
      sourceIPAddress: '192.0.2.1',
    },
  ],
  // Lambda: created, then invoked 3 minutes later (near within 5m) by mallory; dev's invocation is an hour after his creation.
  ['fn-create-m', '11:00:00', { userIdentity: who('mallory', 'AKIAMAL'), eventSource: 'lambda.amazonaws.com', eventName: 'CreateFunction20150331' }],
  ['fn-invoke-m', '11:03:00', { userIdentity: who('mallory', 'AKIAMAL'), eventSource: 'lambda.amazonaws.com', eventName: 'Invoke' }],
  ['fn-create-d', '12:00:00', { userIdentity: who('dev', 'AKIADEV'), eventSource: 'lambda.amazonaws.com', eventName: 'CreateFunction20150331' }],
  ['fn-invoke-d', '13:00:00', { userIdentity: who('dev', 'AKIADEV'), eventSource: 'lambda.amazonaws.com', eventName: 'Invoke' }],
  // Instances launched: mallory asks for 10, 20 and 5 in ten minutes, dev for 1.
  ...[10, 20, 5].map((count, i): [string, string, Record<string, unknown>] => [
    `run-m-${i + 1}`,
    `14:0${i * 4}:00`,
    {
      userIdentity: who('mallory', 'AKIAMAL'),
      eventSource: ec2,
      eventName: 'RunInstances',
      requestParameters: { instanceType: 'p3.16xlarge', minCount: 1, maxCount: count },
    },
  ]),
  [
    'run-d-1',
    '14:01:00',
    {
      userIdentity: who('dev', 'AKIADEV'),
      eventSource: ec2,
      eventName: 'RunInstances',
      requestParameters: { instanceType: 't3.micro', minCount: 1, maxCount: 1 },
    },
  ],
  // Console logins: one from a country the placeholders allow, one from elsewhere, one failed.
  [
    'login-de',
    '09:00:00',
    {
      userIdentity: who('dev', 'AKIADEV'),
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      sourceIPAddress: '192.0.2.1',
      responseElements: { ConsoleLogin: 'Success' },
    },
  ],
  [
    'login-other',
    '09:30:00',
    {
      userIdentity: who('mallory', 'AKIAMAL'),
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      sourceIPAddress: '203.0.113.9',
      responseElements: { ConsoleLogin: 'Success' },
    },
  ],
  [
    'login-failed',
    '09:31:00',
    {
      userIdentity: who('mallory', 'AKIAMAL'),
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      sourceIPAddress: '203.0.113.9',
      responseElements: { ConsoleLogin: 'Failure' },
    },
  ],
];

let c: LabelledCase;
let dir: string;
let db: CaseDb;
beforeAll(async () => {
  c = await labelledCase(EVENTS, (t) => (t.includes('T') ? t : at(t)));
  ({ dir, db } = c);
});
afterAll(() => c?.close());

let n = 0;
/** Rule files (name → YAML) loaded (with placeholders from a file of `vars` when given) and run. */
function run(files: Record<string, string>, vars?: string) {
  const placeholders = vars === undefined ? undefined : loadPlaceholders(write(path.join(dir, `vars-${++n}.yml`), vars));
  return c.run(files, { placeholders });
}
const shown = (f: Finding[]) => f.map((x) => [x.rule.id, x.eventIDs]);

const HEAD = (id: string, extra = '') => `title: Rule ${id.slice(0, 8)}
id: ${id}
status: test
logsource:
    product: aws
    service: cloudtrail
${extra}`;
const USERDATA = `detection:
    selection_source:
        eventSource: ec2.amazonaws.com
        requestParameters.attribute: userData
        eventName: DescribeInstanceAttribute
`;
const ID = {
  a: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  b: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb',
  c: 'cccccccc-cccc-4ccc-8ccc-cccccccccccc',
  d: 'dddddddd-dddd-4ddd-8ddd-dddddddddddd',
};

describe('Sigma 1 aggregations run as the correlation they mean', () => {
  it('count() by a field within a timeframe: an event_count per group, sliding windows merged into one finding per burst', async () => {
    const { problems, findings, loaded } = await run({
      'ud.yml': `${HEAD(ID.a)}${USERDATA}    timeframe: 30m\n    condition: selection_source | count() by userIdentity.arn > 5\nlevel: medium\n`,
    });
    expect(problems).toEqual([
      `ud.yml:13: [${ID.a}] warning: Sigma 1 "selection_source | count() by userIdentity.arn > 5" read as an event_count correlation within 30m`,
    ]);
    expect(loaded.correlations.map((c) => c.rule.correlation.type)).toEqual(['event_count']);
    // mallory's six in 19 minutes; not dev's two, not mallory's late one; the base rule has no findings of its own.
    expect(shown(findings)).toEqual([[ID.a, ['ud-m-1', 'ud-m-2', 'ud-m-3', 'ud-m-4', 'ud-m-5', 'ud-m-6']]]);
    expect(findings[0]!.rule.title).toBe('Rule aaaaaaaa');
  });

  it('count(field) by another: a value_count; >= and a smaller timeframe change the answer exactly', async () => {
    const { findings } = await run({
      'a.yml': `${HEAD(ID.a)}${USERDATA}    timeframe: 30m\n    condition: selection_source | count(sourceIPAddress) by userIdentity.arn >= 2\n`,
      'b.yml': `${HEAD(ID.b)}${USERDATA}    timeframe: 5m\n    condition: selection_source | count() by userIdentity.arn >= 2\n`,
    });
    // In the time of the event that completes each: dev's two reads 2 minutes apart (b); mallory's
    // reads 3 minutes apart, one burst until the 7-minute gap (b); mallory's two addresses in 30m (a).
    expect(shown(findings)).toEqual([
      [ID.b, ['ud-d-1', 'ud-d-2']],
      [ID.b, ['ud-m-1', 'ud-m-2', 'ud-m-3', 'ud-m-4', 'ud-m-5']],
      [ID.a, ['ud-m-1', 'ud-m-2', 'ud-m-3', 'ud-m-4', 'ud-m-5', 'ud-m-6']],
    ]);
    expect(findings.map((f) => f.summary)).toEqual(['Rule bbbbbbbb', 'Rule bbbbbbbb', 'Rule aaaaaaaa']);
  });

  it('no timeframe counts over the whole case', async () => {
    const { problems, findings } = await run({ 'ud.yml': `${HEAD(ID.a)}${USERDATA}    condition: selection_source | count() by userIdentity.arn > 6\n` });
    expect(problems).toEqual([
      `ud.yml:12: [${ID.a}] warning: Sigma 1 "selection_source | count() by userIdentity.arn > 6" read as an event_count correlation over the whole case (no timeframe)`,
    ]);
    expect(shown(findings)).toEqual([[ID.a, ['ud-m-1', 'ud-m-2', 'ud-m-3', 'ud-m-4', 'ud-m-5', 'ud-m-6', 'ud-m-late']]]);
  });

  it('sum(field) and avg(field) by a field: a value_sum and a value_avg of the numbers the events hold', async () => {
    const run1 = `detection:
    selection:
        eventSource: ec2.amazonaws.com
        eventName: RunInstances
    timeframe: 15m
`;
    const { problems, findings, loaded } = await run({
      'sum.yml': `${HEAD(ID.a)}${run1}    condition: selection | sum(requestParameters.maxCount) by userIdentity.arn >= 30\n`,
      'avg.yml': `${HEAD(ID.b)}${run1}    condition: selection | avg(requestParameters.maxCount) by userIdentity.arn < 5\n`,
    });
    expect(problems.filter((p) => !p.includes('Sigma 1'))).toEqual([]);
    expect(loaded.correlations.map((c) => [c.rule.id, c.rule.correlation.type, c.rule.correlation.condition])).toEqual([
      [ID.b, 'value_avg', { lt: 5, field: 'requestParameters.maxCount' }],
      [ID.a, 'value_sum', { gte: 30, field: 'requestParameters.maxCount' }],
    ]);
    // mallory: 10 + 20 + 5 = 35 in 8 minutes; dev: one instance, average 1.
    expect(shown(findings)).toEqual([
      [ID.b, ['run-d-1']],
      [ID.a, ['run-m-1', 'run-m-2', 'run-m-3']],
    ]);
  });

  it('near within a timeframe: a temporal correlation of the searches', async () => {
    const lambda = `detection:
    selection1:
        eventSource: lambda.amazonaws.com
        eventName|startswith: CreateFunction
    selection2:
        eventSource: lambda.amazonaws.com
        eventName: Invoke
    timeframe: 5m
`;
    const { findings } = await run({ 'near.yml': `${HEAD(ID.c)}${lambda}    condition: selection1 | near selection2\n` });
    expect(shown(findings)).toEqual([[ID.c, ['fn-create-m', 'fn-invoke-m']]]);
  });

  it('what has no Sigma 2 equivalent is one clear error each, and the other rules load', async () => {
    const { problems, loaded } = await run({
      'min.yml': `${HEAD(ID.a)}${USERDATA}    condition: selection_source | min(eventName) > 5\n`,
      'near.yml': `${HEAD(ID.b)}${USERDATA}    condition: selection_source | near selection_source\n`,
      'nearnot.yml': `${HEAD(ID.c)}${USERDATA}    timeframe: 5m\n    condition: selection_source | near selection_source and not selection_source\n`,
      'ok.yml': `${HEAD(ID.d)}${USERDATA}    condition: selection_source | count() > 1\n`,
      // A search RE2 refuses: the search and its correlation are both left out, nothing half-loaded runs.
      're2.yml': `${HEAD('eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee')}detection:\n    sel:\n        userAgent|re: '(a{1000}){1000}'\n    condition: sel | count() > 1\n`,
    });
    expect(loaded.problems.filter((p) => p.ruleId === 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee' && isError(p)).map((p) => p.code)).toEqual([
      'REGEX',
      'CORRELATION',
    ]);
    expect(problems.filter((p) => !p.includes('warning:') && !p.startsWith('re2.yml'))).toEqual([
      `min.yml:12: [${ID.a}] detection: "selection_source | min(eventName) > 5": min() has no Sigma 2 correlation equivalent (count, count(field), sum and avg have)`,
      `near.yml:12: [${ID.b}] detection: "selection_source | near selection_source": near needs a timeframe (detection.timeframe, e.g. 5m) to say how near`,
      `nearnot.yml:13: [${ID.c}] detection: "selection_source | near selection_source and not selection_source": near ... and not (an event that must not occur) has no Sigma 2 correlation equivalent`,
    ]);
    expect(loaded.correlations.map((c) => c.rule.id)).toEqual([ID.d]);
    expect(loaded.rules.map((r) => r.rule.name)).toEqual([`${ID.d}#search`]);
  });
});

describe('the expand modifier takes its values from a placeholders file', () => {
  // SigmaHQ rules-placeholder/cloud/aws/cloudtrail/aws_cloudtrail_console_login_success_from_susp_locations.yml, its detection with a CloudTrail field.
  const rule = `${HEAD(ID.a)}detection:
    selection:
        eventName: 'ConsoleLogin'
        responseElements.ConsoleLogin: 'Success'
    filter_main_ip:
        sourceIPAddress|expand: '%Legitimate_IP_Ranges%'
    condition: selection and not 1 of filter_main_*
level: medium
`;

  it("as pySigma's pipeline vars: (several values, wildcards as in any value) or a plain map", async () => {
    const pipeline = await run({ 'login.yml': rule }, 'name: my pipeline\nvars:\n    Legitimate_IP_Ranges: ["192.0.2.*", 198.51.100.7]\ntransformations: []\n');
    expect(pipeline.problems).toEqual([]);
    expect(shown(pipeline.findings)).toEqual([[ID.a, ['login-other']]]);
    const plain = await run({ 'login.yml': rule }, 'Legitimate_IP_Ranges: 203.0.113.9\n');
    expect(shown(plain.findings)).toEqual([[ID.a, ['login-de']]]);
  });

  it('a placeholder without a value is an error of that rule (PLACEHOLDER), with or without a file', async () => {
    for (const vars of [undefined, 'Other: x\n']) {
      const { loaded, problems } = await run({ 'login.yml': rule }, vars);
      expect(loaded.rules).toEqual([]);
      expect(loaded.problems.map((p) => p.code)).toEqual(['PLACEHOLDER']);
      expect(problems[0]).toMatch(
        /^login\.yml:\d+: \[aaaaaaaa-[a-f0-9-]+\] detection: placeholder %Legitimate_IP_Ranges% has no value.*: give it with --placeholders FILE/,
      );
    }
  });

  it('a placeholders file that is not a map of values is a usage error naming the file', () => {
    const f = write(path.join(dir, 'bad-vars.yml'), '- a\n- b\n');
    expect(() => loadPlaceholders(f)).toThrow(/^--placeholders .*bad-vars\.yml: expected a map of names to a value or a list of values/);
    const nested = write(path.join(dir, 'nested-vars.yml'), 'vars:\n    X: {a: 1}\n');
    expect(() => loadPlaceholders(nested)).toThrow(/nested-vars\.yml: .*X:/);
  });
});

describe('metadata problems are warnings: the rule runs', () => {
  const ud = `${USERDATA}    condition: selection_source\n`;
  it('each class is named with its line, and every rule still finds its events', async () => {
    const { problems, loaded, findings } = await run({
      // empty falsepositives, null references, a level with capitals (read as pySigma reads it)
      'empty.yml': `${HEAD(ID.a, 'falsepositives:\nreferences:\n')}${ud}level: High\n`,
      // a well-formed UUID that is not RFC 4122, an unknown key, a level no tool knows
      'id.yml': `${HEAD('8e0f2a4b-6c7d-9e1f-3a5b-7c8d9e0f1a2b', 'custom_field: x\n')}${ud}level: severe\n`,
      // an id that is no UUID at all, no title, a logsource for another product, a field CloudTrail has not
      'azure.yml': `id: my-rule-1\nlogsource: {product: azure, service: signinlogs}\ndetection:\n    sel:\n        ResultType: 50126\n    condition: sel or not sel\n`,
      // timeframe without an aggregation
      'tf.yml': `${HEAD(ID.b)}${USERDATA}    timeframe: 5m\n    condition: selection_source\n`,
    });
    expect(problems).toEqual([
      'azure.yml:1: [my-rule-1] warning: id "my-rule-1" is not a UUID; kept as the rule\'s id',
      'azure.yml:1: [my-rule-1] warning: no title; called "my-rule-1"',
      'azure.yml:2: [my-rule-1] warning: logsource is product azure, service signinlogs, not AWS CloudTrail: its fields are unlikely to be in a CloudTrail record',
      'azure.yml:4: [my-rule-1] warning: field ResultType is not in a CloudTrail record; it matches as absent',
      `empty.yml:7: [${ID.a}] warning: falsepositives is empty; left out`,
      `empty.yml:8: [${ID.a}] warning: references is empty; left out`,
      'id.yml:2: [8e0f2a4b-6c7d-9e1f-3a5b-7c8d9e0f1a2b] warning: id "8e0f2a4b-6c7d-9e1f-3a5b-7c8d9e0f1a2b" is a well-formed UUID but not an RFC 4122 one (version or variant digits); kept as the rule\'s id',
      'id.yml:7: [8e0f2a4b-6c7d-9e1f-3a5b-7c8d9e0f1a2b] warning: unknown key "custom_field": not a Sigma key; ignored',
      'id.yml:14: [8e0f2a4b-6c7d-9e1f-3a5b-7c8d9e0f1a2b] warning: level "severe": must be one of informational, low, medium, high, critical; left out',
      `tf.yml:12: [${ID.b}] warning: detection.timeframe is ignored: it applies only to a Sigma 1 aggregation ("| count() ...")`,
    ]);
    expect(loaded.problems.filter(isError)).toEqual([]);
    expect(loaded.rules.map((r) => [r.rule.id, r.rule.level ?? null])).toEqual([
      ['my-rule-1', null],
      [ID.a, 'high'],
      ['8e0f2a4b-6c7d-9e1f-3a5b-7c8d9e0f1a2b', null],
      [ID.b, null],
    ]);
    const byRule = (id: string) => findings.filter((f) => f.rule.id === id).map((f) => f.eventIDs[0]);
    const userData = ['ud-m-1', 'ud-m-2', 'ud-m-3', 'ud-m-4', 'ud-m-5', 'ud-m-6', 'ud-m-late', 'ud-d-1', 'ud-d-2'].sort();
    for (const id of [ID.a, '8e0f2a4b-6c7d-9e1f-3a5b-7c8d9e0f1a2b', ID.b]) expect(byRule(id).sort()).toEqual(userData);
    // `sel or not sel` over an absent field: every event, as Sigma means it.
    expect(byRule('my-rule-1')).toHaveLength(EVENTS.length);
  });

  it('a logsource on a correlation is a warning, and the correlation runs', async () => {
    const { problems, findings } = await run({
      'c.yml': `title: Many user-data reads
id: ${ID.c}
logsource:
    product: aws
    service: cloudtrail
correlation:
    type: event_count
    rules: [${ID.a}]
    group-by: [userIdentity.arn]
    timespan: 30m
    condition: {gte: 6}
level: high
---
${HEAD(ID.a)}${ud}`,
    });
    expect(problems).toEqual([`c.yml:3: [${ID.c}] warning: a correlation rule has no logsource (its rules have theirs); ignored`]);
    expect(shown(findings)).toEqual([[ID.c, ['ud-m-1', 'ud-m-2', 'ud-m-3', 'ud-m-4', 'ud-m-5', 'ud-m-6']]]);
  });
});

describe('a pack is selected by status and an exclusion list', () => {
  it('a correlation named by a kept one runs for it whatever its status, without findings of its own', async () => {
    const { loaded } = await run({
      'nested.yml': `title: Repeated user-data bursts
id: ${ID.a}
status: test
correlation:
    type: event_count
    rules: [burst]
    group-by: [userIdentity.arn]
    timespan: 1d
    condition: {gte: 1}
---
title: User-data burst
name: burst
status: deprecated
correlation:
    type: event_count
    rules: [${ID.b}]
    group-by: [userIdentity.arn]
    timespan: 30m
    condition: {gte: 6}
---
${HEAD(ID.b)}${USERDATA}    condition: selection_source
`,
    });
    const s = selectRules(loaded.rules, loaded.correlations);
    expect(selectionNote(s)).toBeNull();
    const findings = await runRules(db, s.rules, { correlations: s.correlations });
    expect(shown(findings)).toEqual([[ID.a, ['ud-m-1', 'ud-m-2', 'ud-m-3', 'ud-m-4', 'ud-m-5', 'ud-m-6']]]);
  });

  const ud = `${USERDATA}    condition: selection_source\n`;
  it('deprecated and unsupported rules are left out by default and counted; --exclude leaves out by id; a kept correlation keeps its base', async () => {
    const { loaded } = await run({
      'dep.yml': `${HEAD(ID.a).replace('status: test', 'status: deprecated')}${ud}`,
      'uns.yml': `${HEAD(ID.b).replace('status: test', 'status: unsupported')}${ud}`,
      // A correlation whose base rule is deprecated: the base still runs (silently) for it.
      'corr.yml': `title: Burst\nid: ${ID.c}\nstatus: test\ncorrelation:\n    type: event_count\n    rules: [base]\n    timespan: 30m\n    condition: {gte: 6}\n---\ntitle: base\nname: base\nstatus: deprecated\nlogsource: {product: aws, service: cloudtrail}\n${ud}`,
      'keep.yml': `${HEAD(ID.d)}${ud}`,
    });
    const ids = (s: ReturnType<typeof selectRules>) => [...s.rules.map((r) => r.rule.id ?? r.rule.name), ...s.correlations.map((c) => c.rule.id)];
    const byDefault = selectRules(loaded.rules, loaded.correlations);
    expect(ids(byDefault)).toEqual(['base', ID.d, ID.c]);
    expect(selectionNote(byDefault)).toBe(
      'rule(s) left out: 1 deprecated (--include-deprecated to run them), 1 unsupported (--include-unsupported to run them)',
    );
    expect(ids(selectRules(loaded.rules, loaded.correlations, { leaveOut: [] }))).toEqual(['base', ID.a, ID.d, ID.b, ID.c]);

    const exclude = readExcludeFile(write(path.join(dir, 'exclude_rules.txt'), `# noisy here\n${ID.d} # the user-data rule\n\n${ID.c}\nnot-a-rule\n`));
    const excluded = selectRules(loaded.rules, loaded.correlations, { exclude });
    // The correlation is excluded, so its base (deprecated, and silent anyway) goes with it.
    expect(ids(excluded)).toEqual([]);
    expect(excluded.unknownExcludes).toEqual(['not-a-rule']);
    expect(selectionNote(excluded)).toBe(
      'rule(s) left out: 1 deprecated (--include-deprecated to run them), 1 unsupported (--include-unsupported to run them), 2 by --exclude',
    );
    const findings = await runRules(db, byDefault.rules, { correlations: byDefault.correlations });
    expect(findings.map((f) => f.rule.id).filter((id, i, a) => a.indexOf(id) === i)).toEqual([ID.d, ID.c]);
  });
});
