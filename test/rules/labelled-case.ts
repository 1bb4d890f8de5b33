/**
 * A case of labelled events for the rule tests: each event's eventID is its label, so expectations
 * read as the story. The events are ingested through the real path and the case opened read-only;
 * `run` writes rule files (name → YAML) to a folder of their own, loads them and runs them over it.
 */
import path from 'node:path';
import { ingest } from '../../src/ingest/ingest.js';
import { runRules, type Finding } from '../../src/rules/detect.js';
import { formatProblem, isError, loadRules, type LoadResult } from '../../src/rules/load-rules.js';
import type { Placeholders } from '../../src/rules/placeholders.js';
import type { Level } from '../../src/rules/schema.js';
import { CaseDb } from '../../src/store/db.js';
import { record, s3File, tmpDir, write } from '../helpers.js';

/** An event: its label (the eventID), its time as the test writes it, and its fields. */
export type Labelled = readonly [label: string, time: string, fields: Record<string, unknown>];

export interface Run {
  /** The findings; none when a rule has an error (the test looks at the problems then). */
  findings: Finding[];
  /** Each problem as `file:line: [id] message`, the file by its name alone. */
  problems: string[];
  loaded: LoadResult;
}

export interface LabelledCase {
  dir: string;
  db: CaseDb;
  run(files: Record<string, string>, opts?: { minLevel?: Level; placeholders?: Placeholders }): Promise<Run>;
  close(): void;
}

export async function labelledCase(events: readonly Labelled[], timeOf: (time: string) => string): Promise<LabelledCase> {
  const dir = tmpDir();
  const recs = events.map(([id, t, o]) => record({ ...o, eventID: id, eventTime: timeOf(t) }));
  write(path.join(dir, 'evidence/events.json.gz'), s3File(recs));
  await ingest([path.join(dir, 'evidence')], { db: path.join(dir, 'case.duckdb') });
  const db = await CaseDb.open(path.join(dir, 'case.duckdb'), { readOnly: true });
  let n = 0;
  const run = async (files: Record<string, string>, opts: { minLevel?: Level; placeholders?: Placeholders } = {}): Promise<Run> => {
    const d = path.join(dir, `rules-${++n}`);
    for (const [name, text] of Object.entries(files)) write(path.join(d, name), text);
    const loaded = await loadRules([d], { placeholders: opts.placeholders });
    const findings = loaded.problems.some(isError) ? [] : await runRules(db, loaded.rules, { correlations: loaded.correlations, minLevel: opts.minLevel });
    return { findings, problems: loaded.problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) })), loaded };
  };
  return { dir, db, run, close: () => db.close() };
}
