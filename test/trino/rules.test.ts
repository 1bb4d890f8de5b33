/**
 * Issue 18: `keytrail rules compile --target athena` on a real Trino gives exactly the (rule,
 * eventID) pairs `keytrail detect` gives on the same evidence: the built-in pack (its single-event
 * rules, the baseline-gated ones, its correlations), SigmaHQ's CloudTrail rules as published, and
 * test/fixtures/athena-correlations (value_sum, value_avg, temporal, aliases per rule, generate).
 * The evidence: the sample case, SigmaHQ's rule-test events, TrailDiscover's and OTRF's real
 * records (669 events; many rules fire). Some events are loaded twice into the Trino table, as a
 * trail delivered twice would hold them: Athena's results count each event once, as detect does.
 * Then the same with a --since/--until window against detect on a case of that window's events.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CaseDb } from '../../src/store/db.js';
import { sql } from '../../src/store/sql.js';
import { FIXTURES, ROOT, cli, tmpDir } from '../helpers.js';
import { query } from './client.js';
import { loadEvidence } from './load.js';

const url = inject('trinoUrl');
const TABLE = 'memory.default.ct_rules';
const EVIDENCE = [
  path.join(ROOT, 'samples', 'leaked-key', 'evidence'),
  path.join(FIXTURES, 'sigmahq', 'events.ndjson'),
  path.join(FIXTURES, 'traildiscover'),
  path.join(FIXTURES, 'otrf'),
];
/** The built-in pack, SigmaHQ's CloudTrail rules as published, and correlations of every type the built-in pack lacks. */
const PACKS = [path.join(ROOT, 'rules'), path.join(FIXTURES, 'sigmahq-cloudtrail', 'rules'), path.join(FIXTURES, 'athena-correlations')];

let dir: string;
let caseFile: string;

beforeAll(async () => {
  dir = tmpDir();
  caseFile = path.join(dir, 'case.duckdb');
  // Every tenth event twice: delivered twice, counted once.
  await loadEvidence(url, TABLE, EVIDENCE, caseFile, (i) => i % 10 === 0);
}, 600_000);

/** The (rule id, eventID) pairs of `keytrail detect` on a case. */
function detectPairs(db: string, extra: string[] = []): string[] {
  const out = path.join(dir, `findings-${path.basename(db)}.json`);
  const r = cli(['detect', '--db', db, ...PACKS.slice(1).flatMap((p) => ['--rules', p]), '--format', 'json', '-o', out, ...extra]);
  expect(r.status, r.stderr).toBe(0);
  const findings = z.array(z.object({ rule: z.object({ id: z.string() }), eventIDs: z.array(z.string()) })).parse(JSON.parse(fs.readFileSync(out, 'utf8')));
  return [...new Set(findings.flatMap((f) => f.eventIDs.map((e) => `${f.rule.id} ${e}`)))].sort();
}

/** The statements `rules compile --target athena` writes, run on Trino: their (rule_id, eventid) pairs. */
async function athenaPairs(out: string, extra: string[] = []): Promise<{ pairs: string[]; refused: string; stderr: string }> {
  const r = cli(['rules', 'compile', ...PACKS, '--target', 'athena', '--table', TABLE, '--out', out, ...extra]);
  expect(r.status, r.stderr).toBe(0);
  const pairs: string[] = [];
  for (const f of fs.readdirSync(out).filter((n) => n.endsWith('.sql'))) {
    const text = fs.readFileSync(path.join(out, f), 'utf8').replace(/;\s*$/, '');
    const rows = (await query(url, text)) as [string, string, string][];
    for (const [rule, eventid, eventtime] of rows) {
      expect(eventtime, `${f}: ${rule} ${eventid}`).toMatch(/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d/);
      pairs.push(`${rule} ${eventid}`);
    }
  }
  // One row per pair: the events delivered twice come back once.
  expect(pairs.length).toBe(new Set(pairs).size);
  return { pairs: pairs.sort(), refused: fs.readFileSync(path.join(out, 'refused.txt'), 'utf8'), stderr: r.stderr };
}

describe('rules compiled for Athena, on Trino', () => {
  it('give exactly the (rule, eventID) pairs detect gives on the case', async () => {
    const expected = detectPairs(caseFile);
    const { pairs, refused, stderr } = await athenaPairs(path.join(dir, 'athena'));
    // Many rules fire, of every kind: a test of the compiler, not of an empty result.
    const rules = new Set(expected.map((p) => p.split(' ')[0]));
    expect(expected.length).toBeGreaterThan(600);
    // Every correlation type fires: event_count, value_count, temporal, temporal_ordered, value_sum, value_avg.
    for (const id of ['3e2ea61d-2572-4563-8699-0bbf79f4e030', 'a0495438-84a2-442a-98c7-e304f5f95fef', 'c1fd296c-84d4-4ccf-97b0-de117c5c3e91'])
      expect(rules, id).toContain(id);
    for (const n of [1, 2, 3, 4, 5, 6]) expect(rules, `athena-correlations #${n}`).toContain(`7d0c1a2e-4b5f-4c6d-8e9f-0a1b2c3d4e0${n}`);
    expect(rules.size).toBeGreaterThanOrEqual(45);
    expect(pairs).toEqual(expected);
    // Every rule is compiled or refused with its reason; what is refused is named in refused.txt and on stderr.
    for (const line of refused
      .trim()
      .split('\n')
      .filter((l) => l.includes('not for Athena')))
      expect(stderr).toContain(line);
    expect(stderr).toMatch(/\d+ rule\(s\) in \d+ Athena statement\(s\)/);
  }, 600_000);

  it('the same in a window: partition and eventtime predicates give what detect gives on that window', async () => {
    const records = (await query(url, `SELECT eventtime FROM ${TABLE} ORDER BY eventtime`)) as [string][];
    const mid = records[Math.floor(records.length / 3)]![0];
    const end = records[Math.floor((records.length * 2) / 3)]![0];
    // The case of that window: the same evidence, ingested and then cut to [mid, end).
    const windowCase = path.join(dir, 'window.duckdb');
    fs.copyFileSync(caseFile, windowCase);
    const db = await CaseDb.open(windowCase);
    await db.exec(sql`DELETE FROM events WHERE NOT (eventTime >= ${mid}::TIMESTAMP AND eventTime < ${end}::TIMESTAMP)`);
    db.close();
    const expected = detectPairs(windowCase);
    expect(expected.length).toBeGreaterThan(20);
    const { pairs } = await athenaPairs(path.join(dir, 'athena-window'), ['--since', mid, '--until', end]);
    expect(pairs).toEqual(expected);
    const text = fs.readFileSync(path.join(dir, 'athena-window', 'detections.sql'), 'utf8');
    expect(text).toContain(`"timestamp" >= '${mid.slice(0, 10).replaceAll('-', '/')}'`);
  }, 600_000);
});
