/** The rule loader reports every problem of every rule at once, with file:line and the rule id. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, isError, loadRules } from '../../src/rules/load-rules.js';
import { tmpDir, write } from '../helpers.js';

const good = `title: Trail stopped or deleted
id: 0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b
status: test
description: A trail was stopped, updated or deleted.
author: keytrail tests
date: 2026/10/14
tags:
    - attack.defense-evasion
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: cloudtrail.amazonaws.com
        eventName:
            - StopLogging
            - DeleteTrail
    condition: selection
falsepositives:
    - A planned change
level: high
---
title: Second rule in the same file
id: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
logsource:
    product: aws
    service: cloudtrail
detection:
    sel:
        eventName: GetCallerIdentity
    condition: sel
level: low
`;

describe('loadRules', () => {
  it('loads Sigma rules unmodified, several per file', async () => {
    const d = tmpDir();
    write(`${d}/pack/trail.yml`, good);
    const { rules, problems } = await loadRules([`${d}/pack`]);
    expect(problems).toEqual([]);
    expect(rules.map((r) => [r.rule.title, r.line, r.rule.level])).toEqual([
      ['Trail stopped or deleted', 1, 'high'],
      ['Second rule in the same file', 23, 'low'],
    ]);
    expect(rules[0]!.compiled.where.build().params).toEqual(
      ['cloudtrail.amazonaws.com', 'StopLogging', 'DeleteTrail'].map((value) => ({ kind: 'value', value })),
    );
  });

  it('reports every problem of every rule in one run, with file:line and rule id', async () => {
    const d = tmpDir();
    write(`${d}/a.yml`, good);
    write(
      `${d}/b.yml`,
      `title: Misspelt key
id: 22222222-2222-4222-8222-222222222222
logsource:
    product: aws
detectoin:
    sel:
        eventName: x
    condition: sel
level: severe
---
title: Bad regex
id: 33333333-3333-4333-8333-333333333333
logsource:
    product: aws
detection:
    sel:
        eventName|re: '(unclosed'
    condition: sel
---
title: Same id as a.yml
id: 0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b
logsource:
    product: aws
detection:
    sel:
        eventName: x
    condition: sel and
`,
    );
    write(`${d}/c.yml`, 'title: [unclosed\n');
    const { rules, problems } = await loadRules([d]);
    const lines = problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) }));
    expect(lines).toEqual([
      'b.yml:1: [22222222-2222-4222-8222-222222222222] no detection: a rule needs detection (its selections and a condition), or correlation',
      'b.yml:5: [22222222-2222-4222-8222-222222222222] warning: unknown key "detectoin": not a Sigma key; ignored',
      'b.yml:9: [22222222-2222-4222-8222-222222222222] warning: level "severe": must be one of informational, low, medium, high, critical; left out',
      expect.stringMatching(/^b\.yml:16: \[33333333-3333-4333-8333-333333333333\] detection: invalid regular expression "\(unclosed"/),
      'b.yml:25: [0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b] detection: condition "sel and" ends where a selection was expected',
      expect.stringMatching(/^c\.yml:2: YAML: /),
    ]);
    expect(problems.filter(isError).map((p) => p.code)).toEqual(['SCHEMA', 'DETECTION', 'DETECTION', 'YAML']);
    expect(rules.map((r) => r.rule.title)).toEqual(['Trail stopped or deleted', 'Second rule in the same file']);
  });

  it('one rule written twice loads once with a note; two different rules with one id are both left out, each naming the other', async () => {
    const d = tmpDir();
    write(`${d}/a.yml`, good);
    write(`${d}/copy.yml`, good);
    const same = await loadRules([d]);
    expect(same.problems.map((p) => [p.code, formatProblem({ ...p, file: path.basename(p.file) })])).toEqual([
      [
        'DUPLICATE_RULE',
        expect.stringMatching(/^copy\.yml:1: \[0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b\] warning: the same rule as .*a\.yml:1, written twice: loaded once$/),
      ],
      [
        'DUPLICATE_RULE',
        expect.stringMatching(/^copy\.yml:23: \[1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d\] warning: the same rule as .*a\.yml:23, written twice: loaded once$/),
      ],
    ]);
    expect(same.rules.map((r) => path.basename(r.file))).toEqual(['a.yml', 'a.yml']);

    write(`${d}/copy.yml`, good.replace('level: low', 'level: high'));
    const different = await loadRules([d]);
    expect(different.problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) }))).toEqual([
      expect.stringMatching(
        /^a\.yml:23: \[1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d\] rule id also used by a different rule at .*copy\.yml:23: none of them is loaded/,
      ),
      expect.stringMatching(/^copy\.yml:1: \[0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b\] warning: the same rule as .*a\.yml:1, written twice: loaded once$/),
      expect.stringMatching(
        /^copy\.yml:23: \[1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d\] rule id also used by a different rule at .*a\.yml:23: none of them is loaded/,
      ),
    ]);
    // The trail rule (identical in a.yml and copy.yml) loads once; the other id's two versions do not load.
    expect(different.rules.map((r) => `${path.basename(r.file)}:${r.line}`)).toEqual(['a.yml:1']);
  });

  it('a Sigma 1 aggregation is read as its correlation, with a note; an unknown top-level key is a warning', async () => {
    const d = tmpDir();
    write(
      `${d}/v1.yml`,
      `title: Discovery burst (Sigma 1 style)
id: 44444444-4444-4444-8444-444444444444
logsource: {product: aws, service: cloudtrail}
detection:
    selection:
        eventName|startswith: List
    timeframe: 10m
    condition: selection | count(eventName) by userIdentity.arn > 6
timeframe: 10m
`,
    );
    const { problems, rules, correlations } = await loadRules([d]);
    expect(problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) }))).toEqual([
      'v1.yml:8: [44444444-4444-4444-8444-444444444444] warning: Sigma 1 "selection | count(eventName) by userIdentity.arn > 6" read as a value_count correlation within 10m',
      'v1.yml:9: [44444444-4444-4444-8444-444444444444] warning: unknown key "timeframe": not a Sigma key; ignored',
    ]);
    expect(rules.map((r) => [r.rule.id, r.rule.name, r.rule.detection])).toEqual([
      [undefined, '44444444-4444-4444-8444-444444444444#search', { selection: { 'eventName|startswith': 'List' }, condition: 'selection' }],
    ]);
    expect(correlations.map((c) => [c.rule.id, c.rule.title, c.rule.correlation, c.bases.length])).toEqual([
      [
        '44444444-4444-4444-8444-444444444444',
        'Discovery burst (Sigma 1 style)',
        {
          type: 'value_count',
          rules: ['44444444-4444-4444-8444-444444444444#search'],
          'group-by': ['userIdentity.arn'],
          timespan: '10m',
          condition: { gt: 6, field: 'eventName' },
        },
        1,
      ],
    ]);
  });
});
