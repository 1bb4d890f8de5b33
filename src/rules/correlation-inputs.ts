/**
 * What a correlation reads when it runs: the matches of its base rules (corr_input, from the run's
 * rule_hits) and the findings of the correlations it names (corr_nested, from their results kept
 * in corr_res_<index>); and in which order correlations run, named ones first.
 */
import { NESTED } from './compile-correlation.js';
import type { LoadedCorrelation, LoadedRule } from './load-rules.js';
import { sql, type Sql } from '../store/sql.js';

export const isLoadedCorrelation = (x: LoadedRule | LoadedCorrelation): x is LoadedCorrelation => 'correlation' in x.rule;
/** The correlations a correlation names. */
export const innerOf = (c: LoadedCorrelation) => c.inputs.filter(isLoadedCorrelation);
const generates = (c: LoadedCorrelation) => c.rule.generate ?? c.rule.correlation.generate ?? false;

/**
 * A correlation named by another produces no findings of its own unless one of those that name it
 * says `generate: true`, as for base rules (Sigma correlation specification, "Generate").
 */
export function silentCorrelations(correlations: readonly LoadedCorrelation[]): Set<LoadedCorrelation> {
  const referenced = new Set(correlations.flatMap(innerOf));
  const generated = new Set(correlations.filter(generates).flatMap(innerOf));
  return new Set([...referenced].filter((c) => !generated.has(c)));
}

/** The correlations to run for `wanted`: each after the correlations it names (the loader refused cycles). */
export function evaluationOrder(wanted: readonly LoadedCorrelation[]): LoadedCorrelation[] {
  const out: LoadedCorrelation[] = [];
  const seen = new Set<LoadedCorrelation>();
  const add = (c: LoadedCorrelation) => {
    if (seen.has(c)) return;
    seen.add(c);
    for (const inner of innerOf(c)) add(inner);
    out.push(c);
  };
  for (const c of wanted) add(c);
  return out;
}

/** The table a correlation's findings are kept in while correlations that name it run. */
export const resultTable = (ri: number) => {
  if (!Number.isSafeInteger(ri) || ri < 0) throw new TypeError(`not a rule index: ${ri}`);
  return `corr_res_${ri}`;
};

/**
 * corr_nested (compile-correlation.ts NESTED) from the kept results of the correlations `c` names:
 * `tables[r]` holds the results of the correlation at position r of its rules (null for a base rule).
 * Each finding fires at its last event, which speaks for it; its contributing events are looked up
 * by eventID for their times.
 */
export function nestedSql(c: LoadedCorrelation, tables: readonly (string | null)[]): Sql {
  const parts = c.inputs.flatMap((x, r) => {
    const table = tables[r];
    if (!isLoadedCorrelation(x) || !table) return [];
    const gs = x.compiled.groupBy.map((_, j) => `x.g_${j}`).join(', ');
    return [sql.raw(`SELECT ${r} AS r, CAST([${gs}] AS VARCHAR[]) AS gs, x.last_t AS t, x.last_rid AS rid, x.event_ids FROM ${table} x`)];
  });
  return sql`CREATE OR REPLACE TEMP TABLE ${sql.raw(NESTED)} AS
    WITH f AS (SELECT -row_number() OVER (ORDER BY r, t, rid, event_ids) AS k, * FROM (${sql.join(parts, sql.raw(' UNION ALL '))})),
    ev AS (SELECT u.k, list({'t': e.eventTime, 'eid': e.eventID} ORDER BY e.eventTime, e.eventID) AS evs
           FROM (SELECT k, unnest(event_ids) AS id FROM f) u JOIN events e ON e.eventID = u.id GROUP BY u.k)
    SELECT f.k, f.r, f.t, f.rid, e.eventID AS eid, f.gs, ev.evs FROM f JOIN ev USING (k) JOIN events e ON e.rowid = f.rid`;
}
