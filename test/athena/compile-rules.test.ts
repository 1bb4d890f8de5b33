/**
 * `rules compile --target athena` without Java (test/trino/rules.test.ts runs the statements on a
 * real Trino against detect): what is refused and why, how values from a rule reach the SQL, the
 * window's partition predicates, and the command's files.
 */
import fs from 'node:path';
import nodeFs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileForAthena, statementText, type AthenaTarget } from '../../src/athena/compile-rules.js';
import { isError, loadRules } from '../../src/rules/load-rules.js';
import { cli, tmpDir, write } from '../helpers.js';

const TARGET: AthenaTarget = { table: 'db.cloudtrail_logs', layout: 'projection' };

const rule = (id: string, detection: string, extra = '') => `title: rule ${id}
id: ${id}
logsource: { product: aws, service: cloudtrail }
${extra}detection:
${detection}
`;

async function compiled(files: Record<string, string>, target: AthenaTarget = TARGET) {
  const dir = tmpDir();
  for (const [name, text] of Object.entries(files)) write(fs.join(dir, name), text);
  const loaded = await loadRules([dir]);
  expect(loaded.problems.filter(isError)).toEqual([]);
  return compileForAthena(loaded.rules, loaded.correlations, target);
}

describe('rules compiled for Athena', () => {
  it('refuses what Athena cannot run as keytrail means it, each with its reason, and compiles the rest', async () => {
    const c = await compiled({
      'keyword.yml': rule('11111111-0000-4000-8000-000000000001', '  keywords: [evil]\n  condition: keywords'),
      'source-identity.yml': rule('11111111-0000-4000-8000-000000000002', '  sel: { userIdentity.sessionContext.sourceIdentity: attacker }\n  condition: sel'),
      'struct.yml': rule('11111111-0000-4000-8000-000000000003', "  sel: { userIdentity.sessionContext|contains: 'x' }\n  condition: sel"),
      'resources.yml': rule('11111111-0000-4000-8000-000000000004', "  sel: { resources.ARN|contains: 'bucket' }\n  condition: sel"),
      'plain.yml': rule(
        '11111111-0000-4000-8000-000000000005',
        '  sel: { eventName: CreateUser, requestParameters.userName|startswith: adm }\n  condition: sel',
      ),
      'unknown-field.yml': rule('11111111-0000-4000-8000-000000000006', '  sel: { NoSuchField: x }\n  condition: not sel'),
      'percentile.yml': `title: p
id: 11111111-0000-4000-8000-000000000007
correlation:
  type: value_percentile
  rules: [11111111-0000-4000-8000-000000000005]
  group-by: [userIdentity.arn]
  timespan: 1h
  condition: { field: requestParameters.maxResults, percentile: 90, gt: 10 }
`,
    });
    const reasons = Object.fromEntries(c.refused.map((r) => [r.id.slice(-1), r.reason]));
    expect(reasons).toEqual({
      '1': expect.stringContaining('keyword search over the whole record'),
      '2': expect.stringContaining("userIdentity.sessionContext.sourceIdentity, which Athena's CloudTrail table does not have"),
      '3': expect.stringContaining('a whole struct or list'),
      '4': expect.stringContaining('resources.ARN'),
      '7': expect.stringContaining('approx_percentile'),
    });
    // Rule 5 is a base rule of the percentile correlation without generate: no findings of its own in detect, none here.
    expect(c.statements.map((s) => s.rules)).toEqual([['11111111-0000-4000-8000-000000000006']]);
    // A field no CloudTrail record has is absent in both engines: `not sel` matches every event.
    expect(c.statements[0]!.sql).toContain('CAST(NULL AS VARCHAR)');
  });

  it('writes every value from a rule as one escaped literal: quotes, line breaks and lookalikes never reach the SQL as they are', async () => {
    const c = await compiled({
      'hostile.yml': rule(
        '22222222-0000-4000-8000-000000000001',
        `  sel:\n    requestParameters.userName:\n      - "it's'; DROP TABLE x; --"\n      - "line\\nbreak"\n      - "caf\\u00e9 \\u202e"\n  condition: sel`,
      ),
    });
    const text = statementText(c.statements[0]!, TARGET);
    expect(text).toContain(`lower('it''s''; DROP TABLE x; --')`);
    expect(text).toContain(`lower(U&'line\\000Abreak')`);
    expect(text).toContain(`lower(U&'caf\\00E9 \\202E')`);
    expect(text).not.toMatch(/[\u0080-\uffff]/);
    expect(text.split('\n').some((l) => l.startsWith('break'))).toBe(false);
    // The table's name is quoted part by part.
    expect(text).toContain('FROM "db"."cloudtrail_logs"');
  });

  it('prunes partitions for --since/--until in either layout, and tests eventtime exactly', async () => {
    const files = { 'r.yml': rule('33333333-0000-4000-8000-000000000001', '  sel: { eventName: ConsoleLogin }\n  condition: sel') };
    const p = await compiled(files, { ...TARGET, window: { since: '2026-10-01', until: '2026-10-14T09:30:00Z' } });
    expect(p.statements[0]!.sql).toContain(`"timestamp" >= '2026/10/01'`);
    expect(p.statements[0]!.sql).toContain(`"timestamp" <= '2026/10/14'`);
    expect(p.statements[0]!.sql).toContain(`>= from_iso8601_timestamp('2026-10-01T00:00:00Z')`);
    expect(p.statements[0]!.sql).toContain(`< from_iso8601_timestamp('2026-10-14T09:30:00Z')`);
    const r = await compiled(files, { ...TARGET, layout: 'region-date', window: { since: '2026-10-01' } });
    expect(r.statements[0]!.sql).toContain(`concat("year", '/', "month", '/', "day") >= '2026/10/01'`);
    await expect(compiled(files, { ...TARGET, window: { since: 'yesterday' } })).rejects.toThrow('--since "yesterday" is not a time');
  });
});

describe('keytrail rules compile --target athena', () => {
  it('writes the built-in pack as statement files and says what it wrote and refused', () => {
    const out = fs.join(tmpDir(), 'athena');
    const r = cli(['rules', 'compile', '--target', 'athena', '--table', 'logs.cloudtrail', '--since', '2026-10-01', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/(\d+) rule\(s\) in (\d+) Athena statement\(s\) in .*; 0 refused/);
    const files = nodeFs.readdirSync(out).sort();
    expect(files).toContain('detections.sql');
    expect(files.filter((f) => /^correlation-\d\d\.sql$/.test(f)).length).toBeGreaterThanOrEqual(5);
    expect(nodeFs.readFileSync(fs.join(out, 'refused.txt'), 'utf8')).toBe('every rule compiled\n');
    const detections = nodeFs.readFileSync(fs.join(out, 'detections.sql'), 'utf8');
    expect(detections).toMatch(/^-- keytrail rules compile --target athena: detections, over logs.cloudtrail/);
    // The baseline-gated rules bring the baseline's computation along.
    expect(detections).toContain('kt_baseline AS');
    expect(detections.trimEnd().endsWith(';')).toBe(true);
  });

  it('refuses --out for the duckdb target, in one line', () => {
    const r = cli(['rules', 'compile', '--out', tmpDir()]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('keytrail: --out, --since and --until apply to --target athena only');
  });
});
