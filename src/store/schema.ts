/**
 * The case database's data contract (ARCHITECTURE.md section 3). One definition of the CloudTrail
 * record drives the DDL, the JSON→column transform used at ingest and the "what has no column" patch,
 * so a field added here is stored, transformed and excluded from `extra_fields` in one move.
 */
import { quoteIdent, sql } from './sql.js';
import { isoTime } from './vocabulary.js';

/** A leaf type as read from the record; `TIMESTAMP` and `BOOLEAN` are read as text, then cast. */
export type Leaf = 'VARCHAR' | 'JSON' | 'TIMESTAMP' | 'BOOLEAN';
export interface StructField {
  [name: string]: Leaf | StructField;
}

export const SESSION_CONTEXT: StructField = {
  sessionIssuer: { type: 'VARCHAR', principalId: 'VARCHAR', arn: 'VARCHAR', accountId: 'VARCHAR', userName: 'VARCHAR' },
  webIdFederationData: 'JSON',
  attributes: { creationDate: 'VARCHAR', mfaAuthenticated: 'VARCHAR' },
  sourceIdentity: 'VARCHAR',
  ec2RoleDelivery: 'VARCHAR',
  assumedRoot: 'VARCHAR',
};

export const USER_IDENTITY: StructField = {
  type: 'VARCHAR',
  principalId: 'VARCHAR',
  arn: 'VARCHAR',
  accountId: 'VARCHAR',
  accessKeyId: 'VARCHAR',
  userName: 'VARCHAR',
  invokedBy: 'VARCHAR',
  identityProvider: 'VARCHAR',
  credentialId: 'VARCHAR',
  sessionContext: SESSION_CONTEXT,
  onBehalfOf: 'JSON',
  inScopeOf: 'JSON',
};

/** Top-level CloudTrail record fields, in the order CloudTrail writes them. */
export const RECORD: StructField = {
  eventVersion: 'VARCHAR',
  userIdentity: USER_IDENTITY,
  eventTime: 'TIMESTAMP',
  eventSource: 'VARCHAR',
  eventName: 'VARCHAR',
  awsRegion: 'VARCHAR',
  sourceIPAddress: 'VARCHAR',
  userAgent: 'VARCHAR',
  errorCode: 'VARCHAR',
  errorMessage: 'VARCHAR',
  requestParameters: 'JSON',
  responseElements: 'JSON',
  additionalEventData: 'JSON',
  requestID: 'VARCHAR',
  eventID: 'VARCHAR',
  readOnly: 'BOOLEAN',
  resources: 'JSON',
  eventType: 'VARCHAR',
  apiVersion: 'VARCHAR',
  managementEvent: 'BOOLEAN',
  recipientAccountId: 'VARCHAR',
  serviceEventDetails: 'JSON',
  sharedEventID: 'VARCHAR',
  vpcEndpointId: 'VARCHAR',
  vpcEndpointAccountId: 'VARCHAR',
  eventCategory: 'VARCHAR',
  tlsDetails: 'JSON',
  sessionCredentialFromConsole: 'VARCHAR',
  edgeDeviceDetails: 'JSON',
  insightDetails: 'JSON',
  addendum: 'JSON',
};

/** Columns keytrail adds beside the record: provenance and what the record had without a column. */
export const PROVENANCE_COLUMNS = {
  file_id: 'INTEGER',
  record_index: 'INTEGER',
  is_partial: 'BOOLEAN',
  extra_fields: 'JSON',
  /**
   * Top-level fields the record had as JSON null, which a NULL column cannot tell from absent: bit i
   * stands for the i-th field of RECORD (a list column cost a fifth of the load time).
   */
  null_field_mask: 'BIGINT',
  /**
   * Top-level fields the record wrote more than once (duplicate JSON keys, which RFC 8259 leaves
   * undefined): the record is flagged, and on every input path the first value is the one read.
   */
  duplicate_keys: 'VARCHAR[]',
} as const;

export const RECORD_FIELDS = Object.keys(RECORD);

/**
 * How DuckDB stores some of the record's columns, chosen once from what CloudTrail puts in them
 * instead of by DuckDB for every segment it writes (issue 19). Left to itself, DuckDB analyses each
 * string column for both dictionary and FSST compression on every segment, and that analysis was a
 * tenth of a load's CPU. These are the methods it chose on CloudTrail (pragma_storage_info, 1M bench
 * events): a dictionary for the fields drawn from a small set (services, actions, regions, agents),
 * FSST for ids and the variable sub-trees. A value a method cannot hold (FSST and a string past a
 * block) is stored uncompressed, as DuckDB does anyway. Measured on the 1M bench events' staged
 * lines, the INSERT alone (three interleaved runs): 19.7-21.0 s of CPU before, 18.5-19.8 s after;
 * the case file 254-262 MB before, 252-254 MB after. The setting is kept with the table. The
 * struct userIdentity cannot be given a method (DuckDB takes one per top-level column), and the
 * rest are rare.
 */
export const COMPRESSION: Readonly<Record<string, 'dictionary' | 'fsst'>> = {
  eventVersion: 'dictionary',
  eventSource: 'dictionary',
  eventName: 'dictionary',
  awsRegion: 'dictionary',
  sourceIPAddress: 'dictionary',
  userAgent: 'dictionary',
  recipientAccountId: 'dictionary',
  eventType: 'dictionary',
  eventCategory: 'dictionary',
  tlsDetails: 'dictionary',
  requestParameters: 'fsst',
  responseElements: 'fsst',
  additionalEventData: 'fsst',
  resources: 'fsst',
  requestID: 'fsst',
  eventID: 'fsst',
};

/** DuckDB column type of a field (a struct becomes STRUCT(...)). */
export function sqlType(t: Leaf | StructField): string {
  if (typeof t === 'string') return t;
  return `STRUCT(${Object.entries(t)
    .map(([k, v]) => `${quoteIdent(k)} ${sqlType(v)}`)
    .join(', ')})`;
}

/** The structure argument of json_transform: every leaf read as text or JSON, cast afterwards. */
export function transformStructure(t: StructField = RECORD): Record<string, unknown> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === 'string' ? (v === 'JSON' ? 'JSON' : 'VARCHAR') : transformStructure(v)]));
}

/** A JSON merge patch (RFC 7386) that removes every field that has a column, leaving the rest. */
export function columnsPatch(t: StructField = RECORD): Record<string, unknown> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === 'string' ? null : columnsPatch(v)]));
}

export { quoteIdent };

/** Bumped when the layout changes; a case written by another version is refused with a clear message. */
export const SCHEMA_VERSION = 2;

export const FILE_STATUSES = ['ingested', 'partial', 'skipped', 'duplicate-file', 'rejected'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export function createStatements(): string[] {
  const eventCols = [
    ...Object.entries(RECORD).map(([k, v]) => `${quoteIdent(k)} ${sqlType(v)}${COMPRESSION[k] ? ` USING COMPRESSION ${COMPRESSION[k]}` : ''}`),
    ...Object.entries(PROVENANCE_COLUMNS).map(([k, v]) => `${k} ${v}`),
  ];
  return [
    `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
    `CREATE TABLE IF NOT EXISTS files (
       id INTEGER PRIMARY KEY,
       parent_id INTEGER,
       path VARCHAR NOT NULL,
       sha256 VARCHAR,
       bytes BIGINT,
       format VARCHAR,
       status VARCHAR NOT NULL,
       reason VARCHAR,
       records INTEGER NOT NULL DEFAULT 0,
       events INTEGER NOT NULL DEFAULT 0,
       duplicates INTEGER NOT NULL DEFAULT 0,
       rejected_records INTEGER NOT NULL DEFAULT 0,
       ingested_at TIMESTAMP NOT NULL
     )`,
    `CREATE TABLE IF NOT EXISTS events (${eventCols.join(', ')})`,
    `CREATE TABLE IF NOT EXISTS rejects (
       file_id INTEGER NOT NULL,
       record_index INTEGER NOT NULL,
       reason VARCHAR NOT NULL,
       raw VARCHAR
     )`,
    // The whole record rebuilt from its columns and extra_fields: what `events --format json` and
    // `export --format jsonl` print. Absent fields are left out; JSON columns are embedded as they came.
    `CREATE OR REPLACE VIEW records AS
       SELECT eventID, eventTime, file_id, record_index, is_partial,
              ${RECORD_SQL} AS record
       FROM events`,
  ];
}

/**
 * SQL that rebuilds a record as JSON text from its columns, leaving out NULL fields (concat_ws skips
 * NULLs) so that no null appears that the record did not have, and nothing inside a JSON value changes.
 */
export function recordJsonExpr(t: StructField = RECORD, path = ''): string {
  const parts = Object.entries(t).map(([k, v]) => {
    const col = path ? `${path}.${quoteIdent(k)}` : quoteIdent(k);
    const key = `'${JSON.stringify(k)}:'`;
    const bit = RECORD_FIELDS.indexOf(k);
    const whenNull = path ? '' : ` WHEN (null_field_mask >> ${bit}) & 1 = 1 THEN '${JSON.stringify(k)}:null'`;
    if (typeof v !== 'string') return `CASE WHEN ${col} IS NOT NULL THEN ${key} || ${recordJsonExpr(v, col)}${whenNull} END`;
    if (v === 'JSON') return whenNull ? `CASE WHEN ${col} IS NOT NULL THEN ${key} || ${col}::VARCHAR${whenNull} END` : `${key} || ${col}::VARCHAR`;
    if (v === 'TIMESTAMP') return `${key} || to_json(${sql.text(isoTime(col))})::VARCHAR`;
    return whenNull ? `CASE WHEN ${col} IS NOT NULL THEN ${key} || to_json(${col})::VARCHAR${whenNull} END` : `${key} || to_json(${col})::VARCHAR`;
  });
  return `('{' || concat_ws(',', ${parts.join(', ')}) || '}')`;
}

/** The whole record as JSON, from an `events` row: columns, then what only extra_fields holds. */
export const RECORD_SQL = `(CASE WHEN extra_fields IS NULL THEN ${recordJsonExpr()}::JSON
   ELSE json_merge_patch(${recordJsonExpr()}, extra_fields) END)`;
