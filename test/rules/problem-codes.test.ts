/** Each rule problem carries a code, and callers (the duplicate-id check among them) tell problems apart by it, not by message text. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isError, loadRules } from '../../src/rules/load-rules.js';
import { tmpDir, write } from '../helpers.js';

const rule = (id: string, detection: string, extra = '') => `title: Rule ${id}
id: ${id}
logsource: {product: aws, service: cloudtrail}
detection:
${detection}
level: low
${extra}`;
const ok = '    sel:\n        eventName: GetCallerIdentity\n    condition: sel';

describe('rule problem codes', () => {
  it('name the kind of each problem', async () => {
    const d = tmpDir();
    write(`${d}/yaml.yml`, 'title: [unclosed\n');
    write(`${d}/schema.yml`, rule('11111111-1111-4111-8111-111111111111', ok, 'colour: blue\n'));
    write(`${d}/detection.yml`, rule('22222222-2222-4222-8222-222222222222', '    sel:\n        eventName|nosuch: x\n    condition: sel'));
    write(`${d}/regex.yml`, rule('33333333-3333-4333-8333-333333333333', '    sel:\n        eventName|re: (a{1000}){1000}\n    condition: sel'));
    write(`${d}/dup-a.yml`, rule('44444444-4444-4444-8444-444444444444', ok));
    write(`${d}/dup-b.yml`, rule('44444444-4444-4444-8444-444444444444', ok));
    write(
      `${d}/correlation.yml`,
      `title: Burst
id: 55555555-5555-4555-8555-555555555555
correlation:
    type: event_count
    rules: [no-such-rule]
    group-by: [userIdentity.arn]
    timespan: 10m
    condition: {gte: 3}
level: high
`,
    );
    write(`${d}/dup-c.yml`, rule('44444444-4444-4444-8444-444444444444', ok, 'status: test\n'));
    const { problems } = await loadRules([d, path.join(d, 'missing')]);
    const codes = problems.map((p) => [path.basename(p.file), p.code, isError(p) ? 'error' : 'warning']);
    expect(codes).toEqual([
      ['correlation.yml', 'CORRELATION', 'error'],
      ['detection.yml', 'DETECTION', 'error'],
      // dup-a and dup-b are one rule written twice, dup-c another rule with the same id: none loads.
      ['dup-a.yml', 'DUPLICATE_ID', 'error'],
      ['dup-b.yml', 'DUPLICATE_ID', 'error'],
      ['dup-c.yml', 'DUPLICATE_ID', 'error'],
      ['missing', 'FILE', 'error'],
      ['regex.yml', 'REGEX', 'error'],
      ['schema.yml', 'UNKNOWN_KEY', 'warning'],
      ['yaml.yml', 'YAML', 'error'],
    ]);
  });
});
