/** The rule loader reports every problem of every rule at once, with file:line and the rule id. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadRules } from '../../src/rules/load-rules.js';
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
    expect(lines).toHaveLength(6);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^b\.yml:1: \[22222222-2222-4222-8222-222222222222\] rule: Unrecognized key: "detectoin"/),
        expect.stringMatching(/^b\.yml:1: \[22222222-2222-4222-8222-222222222222\] detection: Invalid input: expected record, received undefined/),
        expect.stringMatching(/^b\.yml:9: \[22222222-2222-4222-8222-222222222222\] level: .*"informational"/),
        expect.stringMatching(/^b\.yml:16: \[33333333-3333-4333-8333-333333333333\] detection: invalid regular expression "\(unclosed"/),
        expect.stringMatching(/^b\.yml:25: \[0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b\] detection: condition "sel and" ends where a selection was expected/),
        expect.stringMatching(/^c\.yml:2: YAML: /),
      ]),
    );
    expect(rules.map((r) => r.rule.title)).toEqual(['Trail stopped or deleted', 'Second rule in the same file']);
  });

  it('refuses two rules with one id, naming both places', async () => {
    const d = tmpDir();
    write(`${d}/a.yml`, good);
    write(`${d}/copy.yml`, good);
    const { rules, problems } = await loadRules([d]);
    expect(problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) }))).toEqual([
      expect.stringMatching(/^copy\.yml:1: \[0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b\] duplicate rule id \(also .*a\.yml:1\); neither rule is loaded/),
      expect.stringMatching(/^copy\.yml:23: \[1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d\] duplicate rule id \(also .*a\.yml:23\); neither rule is loaded/),
    ]);
    expect(rules).toEqual([]);
  });

  it('a schema problem does not hide a broken detection; a Sigma 1 aggregation says to write a correlation', async () => {
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
    const { problems } = await loadRules([d]);
    expect(problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) }))).toEqual([
      expect.stringMatching(/^v1\.yml:1: \[44444444-4444-4444-8444-444444444444\] rule: Unrecognized key: "timeframe"/),
      expect.stringMatching(
        /^v1\.yml:5: \[44444444-4444-4444-8444-444444444444\] detection: .* uses a Sigma 1 aggregation \("\| count\(\) \.\.\."\), which keytrail does not run; write it as a correlation rule/,
      ),
    ]);
  });
});
