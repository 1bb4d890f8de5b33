/** keytrail's library API: re-exports only, no side effects on import. */
export { ingest } from './ingest/ingest.js';
export type { IngestOptions, IngestSummary, IngestProgress } from './ingest/ingest.js';
export { CaseDb } from './store/db.js';
export type { Row } from './store/db.js';
export { KeytrailError, formatError } from './errors.js';
export { RECORD, FILE_STATUSES } from './store/schema.js';
export type { FileStatus } from './store/schema.js';
