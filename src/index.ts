/**
 * keytrail's library API: the pipeline a responder runs, as functions (re-exports only, no side
 * effects on import). The CLI is a thin layer over these; tests call them directly.
 *
 *   const summary = await ingest(['evidence/'], { db: 'case.duckdb' });
 *   const db = await CaseDb.open('case.duckdb');
 *   const { rules, correlations, problems } = await loadRules([BUILTIN_RULES, 'suzaku-rules/']);
 *   // problems.filter(isError): rules left out; the rest are warnings. selectRules() leaves out
 *   // deprecated and unsupported rules and an exclusion list, as detect does.
 *   const lineage = await buildLineage(db, { keys: ['AKIA...'] });
 *   const report = await buildReport(db, { keys: ['AKIA...'], rules, correlations });
 *
 * or all of it into a case folder: `await investigate(['evidence/'], { out, keys, rules, correlations })`.
 */
export { ingest } from './ingest/ingest.js';
export type { IngestOptions, IngestSummary, IngestProgress } from './ingest/ingest.js';
export { CaseDb } from './store/db.js';
export type { Row, Statement } from './store/db.js';
export { sql, Sql } from './store/sql.js';
export { filterSql, type EventFilter } from './store/event-filter.js';
export { KeytrailError, formatError } from './errors.js';
export { RECORD, FILE_STATUSES } from './store/schema.js';
export type { FileStatus } from './store/schema.js';
export {
  loadRules,
  isError,
  formatProblem,
  skippedRules,
  type LoadOptions,
  type LoadResult,
  type LoadedRule,
  type LoadedCorrelation,
  type RuleProblem,
  type RuleProblemCode,
} from './rules/load-rules.js';
export { loadPlaceholders, type Placeholders } from './rules/placeholders.js';
export { selectRules, readExcludeFile, LEFT_OUT_STATUSES, type Selection } from './rules/select.js';
export { detect, BUILTIN_RULES, type Finding } from './rules/detect.js';
export {
  buildLineage,
  taintOf,
  taintedEvents,
  EDGE_KINDS,
  type Lineage,
  type LineageNode,
  type LineageEdge,
  type EdgeKind,
  type Seeds,
} from './lineage/lineage.js';
export { suggestKeys, type Suggestion } from './lineage/suggest.js';
export { checkSeedKeys, seedKeysWithoutEvents, SeedKeyWithoutEvents, type KeyWithoutEvents } from './lineage/seed-keys.js';
export { buildReport, type Report, type ReportOptions } from './report/report.js';
export { investigate, CASE_FILES, type InvestigateOptions } from './report/investigate.js';
