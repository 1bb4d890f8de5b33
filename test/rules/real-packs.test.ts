/**
 * Real public Sigma packs, as published, load and run: Yamato Security's suzaku-rules (793 files,
 * test/fixtures/suzaku-rules) with warnings only, and SigmaHQ's rules-placeholder and unsupported
 * CloudTrail rules (test/fixtures/sigmahq-published), where the one rule with no Sigma 2 equivalent
 * is one error and the others run. The events are the SigmaHQ fixture's (panther-labs test events
 * and near misses, test/fixtures/sigmahq/README.md) and a few failed console logins.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/ingest.js';
import { runRules } from '../../src/rules/detect.js';
import { formatProblem, isError, loadRules, type LoadResult } from '../../src/rules/load-rules.js';
import { loadPlaceholders } from '../../src/rules/placeholders.js';
import { CaseDb } from '../../src/store/db.js';
import { FIXTURES, record, s3File, tmpDir, write } from '../helpers.js';

const SUZAKU = path.join(FIXTURES, 'suzaku-rules');
const PUBLISHED = path.join(FIXTURES, 'sigmahq-published');

/** Three failed console logins from one address in two minutes, one from another address. */
const LOGINS = ['10:00:00', '10:01:00', '10:02:00'].map((t, i) =>
  record({
    eventID: `login-failed-${i + 1}`,
    eventTime: `2026-10-14T${t}Z`,
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    sourceIPAddress: '203.0.113.9',
    responseElements: { ConsoleLogin: 'Failure' },
  }),
);
LOGINS.push(record({ ...LOGINS[0], eventID: 'login-failed-other', sourceIPAddress: '198.51.100.7' }));

let db: CaseDb;
beforeAll(async () => {
  const dir = tmpDir();
  write(path.join(dir, 'evidence/logins.json.gz'), s3File(LOGINS));
  fs.copyFileSync(path.join(FIXTURES, 'sigmahq/events.ndjson'), path.join(dir, 'evidence/events.ndjson'));
  await ingest([path.join(dir, 'evidence')], { db: path.join(dir, 'case.duckdb') });
  db = await CaseDb.open(path.join(dir, 'case.duckdb'), { readOnly: true });
});
afterAll(() => db?.close());

const codes = (l: LoadResult) =>
  Object.fromEntries([...new Set(l.problems.map((p) => p.code))].sort().map((c) => [c, l.problems.filter((p) => p.code === c).length]));
const eventsOf = (findings: Awaited<ReturnType<typeof runRules>>, id: string) => findings.filter((f) => f.rule.id === id).map((f) => f.eventIDs);

/** Every id written in the pack's files, document by document. */
function idsInFiles(dir: string): string[] {
  const ids: string[] = [];
  for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.yml'))) {
    for (const d of parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8'))) {
      const id = d.get('id');
      if (typeof id === 'string') ids.push(id);
    }
  }
  return ids;
}

describe("Yamato Security's suzaku-rules, as published", () => {
  let loaded: LoadResult;
  beforeAll(async () => {
    loaded = await loadRules([SUZAKU]);
  }, 120_000);

  it('loads with warnings only: metadata, ids, logsource on correlations, a field CloudTrail has not, and the one rule written twice', () => {
    expect(loaded.problems.filter(isError).map(formatProblem)).toEqual([]);
    expect(codes(loaded)).toEqual({ DUPLICATE_RULE: 1, FIELD: 1, ID: 8, LOGSOURCE: 5, METADATA: 28 });
    const dup = loaded.problems.find((p) => p.code === 'DUPLICATE_RULE')!;
    expect([path.basename(dup.file), dup.ruleId, dup.message]).toEqual([
      'aws_cloudtrail_many_failed_logins.yml',
      '978c15f1-3468-42b2-bf0f-bb29ae6168cc',
      expect.stringMatching(/^the same rule as .*aws_cloudtrail_failed_login\.yml:1, written twice: loaded once$/),
    ]);
    // Every rule of every file is loaded: each id once, the duplicate once.
    const loadedIds = [...loaded.rules, ...loaded.correlations].map((r) => r.rule.id).sort();
    const written = idsInFiles(SUZAKU);
    expect(written).toHaveLength(800);
    expect(loadedIds).toHaveLength(799);
    expect(loadedIds).toEqual([...new Set(written)].sort());
    expect(loaded.correlations.map((c) => c.rule.correlation.type).sort()).toEqual([
      'event_count',
      'event_count',
      'temporal_ordered',
      'temporal_ordered',
      'value_count',
    ]);
  });

  it('runs all of them; hand-checked rules flag exactly their events; the rule written twice keeps findings of its own beside its correlation', async () => {
    const findings = await runRules(db, loaded.rules, { correlations: loaded.correlations });
    // suzaku's own: eventName GetCallerIdentity; SigmaHQ's as redistributed: UpdateLoginProfile not by the user itself, userAgent exactly TruffleHog.
    // The Detection Rule License asks that messages based on a rule's matches keep its author: every finding carries it.
    expect(findings.find((f) => f.rule.id === '0e854216-b78f-4e05-9d62-1314cf16bb40')!.rule.author).toBe('Zach Mathis (@yamatosecurity)');
    expect(eventsOf(findings, '0e854216-b78f-4e05-9d62-1314cf16bb40').flat().sort()).toEqual([
      'sts-gci-awscli',
      'sts-gci-trufflehog',
      'sts-gci-trufflehog-lowercase',
    ]);
    expect(eventsOf(findings, '055fb148-60f8-462d-ad16-26926ce050f1').flat().sort()).toEqual(['iam-updateloginprofile-alice', 'iam-updateloginprofile-bob']);
    expect(eventsOf(findings, 'a840e606-7c8c-4684-9bc1-eb6b6155127f').flat().sort()).toEqual(['sts-assumerole-trufflehog', 'sts-gci-trufflehog']);
    // Many Failed Logins: three in 5 minutes from one address; Failed Console Login: each failed login.
    expect(eventsOf(findings, '68f8de62-97cd-4a9a-afba-7804fddf43d4')).toEqual([['login-failed-1', 'login-failed-2', 'login-failed-3']]);
    expect(eventsOf(findings, '978c15f1-3468-42b2-bf0f-bb29ae6168cc').flat().sort()).toEqual([
      'login-failed-1',
      'login-failed-2',
      'login-failed-3',
      'login-failed-other',
    ]);
  });
});

describe("SigmaHQ's rules-placeholder and unsupported rules, as published", () => {
  it('the placeholder rule needs its values; with them, it loads', async () => {
    const without = await loadRules([path.join(PUBLISHED, 'rules-placeholder')]);
    expect(without.problems.filter(isError).map((p) => p.code)).toEqual(['PLACEHOLDER']);
    const vars = write(path.join(tmpDir(), 'vars.yml'), 'vars:\n    Legitimate_Countries: [DE, FR]\n    Legitimate_IP_Ranges: ["192.0.2.*"]\n');
    const withVars = await loadRules([path.join(PUBLISHED, 'rules-placeholder')], { placeholders: loadPlaceholders(vars) });
    expect(withVars.problems.filter(isError)).toEqual([]);
    // src_country and src_ip are not CloudTrail fields: said, and they match as absent.
    expect(codes(withVars)).toEqual({ FIELD: 2 });
    expect(withVars.rules).toHaveLength(1);
  });

  it('the Sigma 1 aggregations load as correlations; near without a timeframe is the one error, and the rest run', async () => {
    const l = await loadRules([path.join(PUBLISHED, 'unsupported')]);
    expect(l.problems.filter(isError).map((p) => `${path.basename(p.file)}: ${p.message}`)).toEqual([
      'aws_lambda_function_created_or_invoked.yml: detection: "selection1 | near selection2": near needs a timeframe (detection.timeframe, e.g. 5m) to say how near',
    ]);
    expect(
      l.correlations.map((c) => [path.basename(c.file), c.rule.correlation.type, c.rule.correlation['group-by'] ?? [], c.rule.correlation.timespan]),
    ).toEqual([
      ['aws_ec2_download_userdata.yml', 'event_count', [], '30m'],
      ['aws_enum_backup.yml', 'event_count', [], '10m'],
      ['aws_enum_listing.yml', 'event_count', [], '10m'],
      ['aws_enum_network.yml', 'event_count', [], '10m'],
      ['aws_enum_storage.yml', 'event_count', [], '10m'],
      ['aws_macic_evasion.yml', 'event_count', ['sourceIPAddress'], '10m'],
      ['azure_aad_secops_signin_failure_bad_password_threshold.yml', 'value_count', ['IpAddress'], '36500d'],
    ]);
    // Over CloudTrail test events none of these thresholds is reached; they run without a failure.
    const findings = await runRules(db, l.rules, { correlations: l.correlations });
    expect(findings.map((f) => f.rule.id).filter((id) => l.correlations.some((c) => c.rule.id === id))).toEqual([]);
  });
});
