/**
 * Issue 18: the lineage loop on Athena, run as a responder would, on a real Trino. The sample
 * evidence is the trail in the Athena-shaped table; `athena plan --key` writes phase 1, its SQL runs
 * on Trino, the rows are written as Athena writes a result CSV, `keytrail ingest` loads them, `athena
 * plan --db` writes the next phase, until it says the loop is complete. The lineage of that case
 * (a small part of the trail) equals the lineage of the whole evidence: the same nodes, taint and
 * edges, each edge proven by the same event. Then the same within a window.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CaseDb } from '../../src/store/db.js';
import { sql } from '../../src/store/sql.js';
import { athenaCsv } from '../athena-csv.js';
import { ROOT, cli, tmpDir } from '../helpers.js';
import { queryWithColumns } from './client.js';
import { loadEvidence } from './load.js';

const url = inject('trinoUrl');
const TABLE = 'memory.default.ct_lineage';
const EVIDENCE = path.join(ROOT, 'samples', 'leaked-key', 'evidence');
const KEY = z.object({ leakedKey: z.string() }).parse(JSON.parse(fs.readFileSync(path.join(ROOT, 'samples', 'leaked-key', 'truth.json'), 'utf8'))).leakedKey;

let dir: string;
let full: string;
let events = 0;

beforeAll(async () => {
  dir = tmpDir();
  full = path.join(dir, 'full.duckdb');
  events = (await loadEvidence(url, TABLE, [EVIDENCE], full)).length;
}, 600_000);

const Lineage = z.object({
  nodes: z.array(z.object({ id: z.string(), kind: z.string(), tainted: z.boolean() }).passthrough()),
  edges: z.array(z.object({ from: z.string(), to: z.string(), kind: z.string(), eventID: z.string() }).passthrough()),
});

function lineage(db: string, extra: string[] = []): z.infer<typeof Lineage> {
  const out = path.join(dir, `lineage-${path.basename(db)}-${extra.join('')}.json`.replace(/[^\w.-]/g, '_'));
  const r = cli(['lineage', '--db', db, '--key', KEY, '--format', 'json', '-o', out, ...extra]);
  expect(r.status, r.stderr).toBe(0);
  return Lineage.parse(JSON.parse(fs.readFileSync(out, 'utf8')));
}

/** The loop as a user runs it; the phases' reports and how many events the case ends with. */
async function loop(name: string, window: string[]): Promise<{ db: string; phases: string[]; loaded: number }> {
  const out = path.join(dir, name);
  const db = path.join(dir, `${name}.duckdb`);
  const phases: string[] = [];
  let r = cli(['athena', 'plan', '--key', KEY, '--table', TABLE, '--out', out, ...window]);
  for (let n = 1; n <= 20; n++) {
    expect(r.status, r.stderr).toBe(0);
    phases.push(r.stderr);
    if (/the loop is complete/.test(r.stderr)) break;
    const phase = path.join(out, `phase-${n}.sql`);
    expect(r.stderr).toContain(`phase ${n}: `);
    const { columns, rows } = await queryWithColumns(url, fs.readFileSync(phase, 'utf8').replace(/;\s*$/, ''));
    const csv = path.join(out, `phase-${n}.csv`);
    fs.writeFileSync(csv, athenaCsv(columns, rows as (string | null)[][]));
    const ing = cli(['ingest', csv, '--db', db]);
    expect(ing.status, ing.stderr).toBe(0);
    r = cli(['athena', 'plan', '--db', db, '--out', out]);
  }
  expect(phases.at(-1)).toMatch(/the loop is complete/);
  const c = await CaseDb.open(db);
  const rows = await c.rows(sql`SELECT count(*)::INTEGER AS n FROM events`, z.object({ n: z.number() }));
  c.close();
  return { db, phases, loaded: rows[0]!.n };
}

const view = (l: z.infer<typeof Lineage>) => ({
  nodes: l.nodes.map((n) => `${n.kind} ${n.id}${n.tainted ? ' tainted' : ''}`).sort(),
  edges: l.edges.map((e) => `${e.from} -${e.kind}-> ${e.to} (${e.eventID})`).sort(),
  all: l,
});

describe('the lineage loop on Athena, on Trino', () => {
  it('phase by phase, gives the lineage of the whole evidence from a part of it', async () => {
    const want = view(lineage(full));
    expect(want.edges.length).toBeGreaterThan(10);
    const { db, phases, loaded } = await loop('plan', []);
    // Phase 1 and at least one phase of new identities, each saying how many.
    expect(phases.length).toBeGreaterThanOrEqual(3);
    for (const p of phases.slice(0, -1)) expect(p).toMatch(/phase \d+: \d+ new identit(y|ies); wrote/);
    expect(phases[1]).toMatch(/phase 2: [1-9]\d* new identit/);
    const got = view(lineage(db));
    expect(got.nodes).toEqual(want.nodes);
    expect(got.edges).toEqual(want.edges);
    // Activity too (events, regions, attempts per node): the case holds every event of the chain.
    expect(got.all.nodes).toEqual(want.all.nodes);
    // Only part of the trail came home.
    expect(loaded).toBeLessThan(events);
  }, 600_000);

  it('within a window, gives what lineage gives on the whole evidence in that window', async () => {
    const window = ['--since', '2026-10-13T00:00:00Z', '--until', '2026-10-14T06:00:00Z'];
    const want = view(lineage(full, window));
    expect(want.edges.length).toBeGreaterThan(3);
    const { db } = await loop('plan-window', window);
    const got = view(lineage(db, window));
    expect(got.nodes).toEqual(want.nodes);
    expect(got.edges).toEqual(want.edges);
  }, 600_000);
});
