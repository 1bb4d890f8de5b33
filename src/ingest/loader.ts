/**
 * Loads a batch of files into the case in one transaction: records are staged (temp table), bad
 * records go to `rejects` with their text, new events go to `events` (duplicates by eventID +
 * eventTime + eventName collapse, a full record replaces a partial one), and the files' rows are
 * written with their counts. A crash before COMMIT leaves the case as it was before the batch.
 */
import type { CaseDb } from '../store/db.js';
import { PROVENANCE_COLUMNS, RECORD, columnsPatch, quoteIdent, sqlType, transformStructure, type StructField } from '../store/schema.js';

/**
 * DuckDB's JSON reader sizes its buffers from maximum_object_size (twice it, per thread), so it is
 * set per group from the files' sizes: a whole CloudTrail file is one object and can pass the 16 MB
 * default, and a generous fixed bound would cost gigabytes of buffers.
 */
export const MAX_OBJECT_BYTES = 512 << 20;
const RECORD_LINE_BYTES = 64 << 20;

function objectBound(bytes: number): number {
  let b = 16 << 20;
  while (b < bytes * 1.05 && b < MAX_OBJECT_BYTES) b *= 2;
  return b;
}

const FIELDS = Object.keys(RECORD);
const STRUCTURE = JSON.stringify(transformStructure());
const FIELD_LIST = `[${FIELDS.map((f) => `'${f}'`).join(', ')}]`;
const FIELD_PATHS = `[${FIELDS.map((f) => `'$.${f}'`).join(', ')}]`;
const PATCH = JSON.stringify(columnsPatch());
/**
 * json_merge_patch creates the patch's nested objects even where the record had none, so what it
 * leaves holds empty `"userIdentity":{...}` shells; they are removed (innermost first, one level a
 * pass) so that extra_fields holds only real content. Empty struct objects the record did have are
 * not lost: their struct columns are non-NULL and the rebuilt record shows them as {}.
 */
const SHELL = `,?"(${structKeys(RECORD).join('|')})":\\{\\}`;
function structKeys(t: StructField): string[] {
  return Object.entries(t).flatMap(([k, v]) => (typeof v === 'string' ? [] : [k, ...structKeys(v)]));
}
function stripShells(expr: string, depth = structDepth(RECORD)): string {
  for (let i = 0; i < depth; i++) expr = `regexp_replace(regexp_replace(${expr}, '${SHELL}', '', 'g'), '\\{,', '{', 'g')`;
  return `nullif(${expr}, '{}')`;
}
function structDepth(t: StructField): number {
  return 1 + Math.max(0, ...Object.values(t).map((v) => (typeof v === 'string' ? 0 : structDepth(v))));
}

export interface NativeUnit {
  fileId: number;
  path: string;
  gzip: boolean;
  /** Decompressed size, as far as known. */
  bytes: number;
}

export interface FileRow {
  id: number;
  parentId: number | null;
  path: string;
  sha256: string | null;
  bytes: number | null;
  format: string;
  status: string;
  reason: string | null;
  /** Set by the loader for files whose records were staged. */
  counted?: boolean;
  /** A source that carries only some fields (field-limited CSV): status becomes partial. */
  partialSource?: string;
  /** Reading stopped early; records before were kept. */
  readError?: string;
}

export interface FileCounts {
  records: number;
  events: number;
  duplicates: number;
  rejected: number;
  firstReject?: string;
}

function stageSelect(source: string): string {
  const cols = FIELDS.map((k) => {
    const t = RECORD[k]!;
    if (k === 'eventTime') return `ts AS "eventTime"`;
    if (t === 'BOOLEAN') return `TRY_CAST(r.${quoteIdent(k)} AS BOOLEAN) AS ${quoteIdent(k)}`;
    return `r.${quoteIdent(k)} AS ${quoteIdent(k)}`;
  });
  // Values whose typed column cannot hold them as written are kept in extra_fields as written.
  const keep = [
    `CASE WHEN r.eventTime IS DISTINCT FROM strftime(ts, '%Y-%m-%dT%H:%M:%SZ') THEN '"eventTime":' || to_json(r.eventTime) END`,
    ...FIELDS.filter((k) => RECORD[k] === 'BOOLEAN').map(
      (k) => `CASE WHEN r.${k} IS NOT NULL AND TRY_CAST(r.${k} AS BOOLEAN) IS NULL THEN '"${k}":' || to_json(r.${k}) END`,
    ),
  ];
  return `
    SELECT ${cols.join(', ')},
      file_id, record_index, is_partial,
      CASE WHEN adds = '{}' THEN rest2 WHEN rest2 IS NULL THEN adds::JSON ELSE json_merge_patch(rest2, adds) END AS extra_fields,
      nullif([x[1] FOR x IN list_zip(${FIELD_LIST}, jt) IF x[2] = 'NULL'], []) AS null_fields,
      why, CASE WHEN why IS NOT NULL THEN coalesce(raw0, j::VARCHAR) END AS raw
    FROM (
      SELECT *,
        ${stripShells('rest')} AS rest2,
        '{' || concat_ws(',', ${keep.join(', ')}) || '}' AS adds,
        CASE WHEN why0 IS NOT NULL THEN why0
             WHEN r IS NULL THEN loc || ': not a JSON object'
             WHEN r.eventTime IS NULL THEN loc || ': no eventTime'
             WHEN ts IS NULL THEN loc || ': eventTime ' || to_json(r.eventTime) || ' is not a valid time'
             WHEN r.eventID IS NULL THEN loc || ': no eventID (every CloudTrail record has one)'
        END AS why
      FROM (
        SELECT *, TRY_CAST(r.eventTime AS TIMESTAMPTZ)::TIMESTAMP AS ts
        FROM (
          SELECT file_id, record_index, is_partial, why0, raw0, j, coalesce(loc, 'record ' || record_index) AS loc,
                 CASE WHEN json_type(j) = 'OBJECT' THEN json_transform(j, '${STRUCTURE}') END AS r,
                 CASE WHEN json_type(j) = 'OBJECT' THEN json_merge_patch(j, '${PATCH}') END AS rest,
                 CASE WHEN json_type(j) = 'OBJECT' THEN json_type(j, ${FIELD_PATHS}) END AS jt
          FROM (${source})
        )
      )
    )`;
}

export class BatchLoader {
  private hasPartial = false;
  private empty = true;

  constructor(private readonly db: CaseDb) {}

  async init(): Promise<void> {
    const cols = [
      ...Object.entries(RECORD).map(([k, v]) => `${quoteIdent(k)} ${sqlType(v)}`),
      'file_id INTEGER',
      'record_index INTEGER',
      'is_partial BOOLEAN',
      'extra_fields JSON',
      'null_fields VARCHAR[]',
      'why VARCHAR',
      'raw VARCHAR',
    ];
    await this.db.exec(`CREATE OR REPLACE TEMP TABLE stage (${cols.join(', ')})`);
    await this.db.exec(`CREATE OR REPLACE TEMP TABLE batch_files (path VARCHAR, file_id INTEGER)`);
    const [p] = await this.db.all(`SELECT count(*) FILTER (WHERE is_partial) AS partial, count(*) AS n FROM events`);
    this.hasPartial = Number(p?.partial) > 0;
    this.empty = Number(p?.n) === 0;
  }

  async clear(): Promise<void> {
    await this.db.exec(`DELETE FROM stage`);
  }

  /**
   * Stage `{"Records":[...]}` files through DuckDB's own JSON reader. Files it cannot read are
   * found by bisection and returned with DuckDB's message, for the record-by-record reader to retry.
   */
  async stageNative(units: NativeUnit[]): Promise<{ unit: NativeUnit; error: string }[]> {
    const failed: { unit: NativeUnit; error: string }[] = [];
    const attempt = async (group: NativeUnit[]): Promise<void> => {
      if (group.length === 0) return;
      try {
        await this.stageNativeGroup(group);
      } catch (err) {
        if (group.length === 1) failed.push({ unit: group[0]!, error: (err as Error).message });
        else {
          const mid = group.length >> 1;
          await attempt(group.slice(0, mid));
          await attempt(group.slice(mid));
        }
      }
    };
    for (const gzip of [true, false]) await attempt(units.filter((u) => u.gzip === gzip));
    return failed;
  }

  private async stageNativeGroup(group: NativeUnit[]): Promise<void> {
    await this.db.exec(`DELETE FROM batch_files`);
    await this.db.exec(`INSERT INTO batch_files SELECT unnest(?::VARCHAR[]), unnest(?::INTEGER[])`, [group.map((u) => u.path), group.map((u) => u.fileId)]);
    const source = `
      SELECT bf.file_id, generate_subscripts(t.Records, 1)::INTEGER AS record_index, unnest(t.Records) AS j,
             false AS is_partial, NULL::VARCHAR AS why0, NULL::VARCHAR AS raw0, NULL::VARCHAR AS loc
      FROM read_json(?, columns = {Records: 'JSON[]'}, format = 'auto', compression = '${group[0]!.gzip ? 'gzip' : 'uncompressed'}',
                     filename = true, maximum_object_size = ${objectBound(Math.max(...group.map((u) => u.bytes)))}) t
      JOIN batch_files bf ON bf.path = t.filename`;
    await this.db.exec(`INSERT INTO stage BY NAME ${stageSelect(source)}`, [group.map((u) => u.path)]);
  }

  /** Stage records the record-by-record reader wrote as normalized JSON Lines (see NormalizedWriter). */
  async stageNormalized(ndjson: string): Promise<void> {
    const source = `
      SELECT f AS file_id, i AS record_index, j, coalesce(p, false) AS is_partial, w AS why0, x AS raw0, l AS loc
      FROM read_json(?, columns = {f: 'INTEGER', i: 'INTEGER', p: 'BOOLEAN', l: 'VARCHAR', j: 'JSON', w: 'VARCHAR', x: 'VARCHAR'},
                     format = 'newline_delimited', maximum_object_size = ${RECORD_LINE_BYTES})`;
    await this.db.exec(`INSERT INTO stage BY NAME ${stageSelect(source)}`, [ndjson]);
  }

  /** Move the stage into the case and write the files' rows, in one transaction. */
  async commit(files: FileRow[]): Promise<Map<number, FileCounts>> {
    const counted = files.filter((f) => f.counted).map((f) => f.id);
    return this.db.transaction(async () => {
      await this.db.exec(`INSERT INTO rejects SELECT file_id, record_index, why, raw FROM stage WHERE why IS NOT NULL`);
      const key = `e.eventID = s.eventID AND e.eventTime = s.eventTime AND e.eventName IS NOT DISTINCT FROM s.eventName`;
      let touched: number[] = [];
      if (this.hasPartial) {
        // A full record replaces a partial one already in the case (e.g. S3 export after a CSV).
        const gone = await this.db.all(
          `DELETE FROM events e WHERE e.is_partial AND EXISTS (SELECT 1 FROM stage s WHERE s.why IS NULL AND NOT s.is_partial AND ${key}) RETURNING e.file_id`,
        );
        touched = [...new Set(gone.map((r) => Number(r.file_id)))];
      }
      const cols = [...FIELDS.map(quoteIdent), ...Object.keys(PROVENANCE_COLUMNS)].join(', ');
      await this.db.exec(`
        INSERT INTO events (${cols})
        SELECT ${cols} FROM stage s
        WHERE why IS NULL ${this.empty ? '' : `AND NOT EXISTS (SELECT 1 FROM events e WHERE ${key})`}
        QUALIFY row_number() OVER (PARTITION BY eventID, eventTime, eventName ORDER BY is_partial, file_id, record_index) = 1`);
      const counts = await this.countFiles(counted);
      await this.insertFiles(files, counts);
      for (const id of touched) await this.recount(id);
      const [p] = await this.db.all(`SELECT bool_or(is_partial) AS partial, count(*) AS n FROM stage WHERE why IS NULL`);
      if (p?.partial) this.hasPartial = true;
      if (Number(p?.n) > 0) this.empty = false;
      return counts;
    });
  }

  private async countFiles(ids: number[]): Promise<Map<number, FileCounts>> {
    const counts = new Map<number, FileCounts>();
    if (ids.length === 0) return counts;
    const staged = await this.db.all(`
      SELECT file_id, count(*) AS records, count(*) FILTER (WHERE why IS NOT NULL) AS rejected,
             arg_min(why, record_index) FILTER (WHERE why IS NOT NULL) AS first_reject
      FROM stage GROUP BY file_id`);
    const loaded = await this.db.all(`SELECT file_id, count(*) AS n FROM events WHERE file_id >= ? AND file_id IN (SELECT unnest(?::INTEGER[])) GROUP BY file_id`, [
      Math.min(...ids),
      ids,
    ]);
    const inserted = new Map(loaded.map((r) => [Number(r.file_id), Number(r.n)]));
    for (const id of ids) counts.set(id, { records: 0, events: 0, duplicates: 0, rejected: 0 });
    for (const r of staged) {
      const id = Number(r.file_id);
      const events = inserted.get(id) ?? 0;
      const records = Number(r.records);
      const rejected = Number(r.rejected);
      counts.set(id, { records, events, rejected, duplicates: records - rejected - events, firstReject: (r.first_reject as string) ?? undefined });
    }
    return counts;
  }

  private async insertFiles(files: FileRow[], counts: Map<number, FileCounts>): Promise<void> {
    if (files.length === 0) return;
    const rows = files.map((f) => finalizeFile(f, counts.get(f.id)));
    const cols = ['id', 'parent_id', 'path', 'sha256', 'bytes', 'format', 'status', 'reason', 'records', 'events', 'duplicates', 'rejected_records'];
    const params: unknown[] = [];
    const tuples = rows.map((r) => {
      params.push(r.id, r.parentId, r.path, r.sha256, r.bytes, r.format, r.status, r.reason, r.records, r.events, r.duplicates, r.rejected);
      return `(${cols.map(() => '?').join(', ')}, now()::TIMESTAMP)`;
    });
    await this.db.exec(`INSERT INTO files (${cols.join(', ')}, ingested_at) VALUES ${tuples.join(', ')}`, params);
  }

  /** After a partial record of an earlier file was replaced by a full one, its counts move. */
  private async recount(fileId: number): Promise<void> {
    await this.db.exec(
      `UPDATE files SET events = (SELECT count(*) FROM events WHERE file_id = ?), duplicates = records - rejected_records - (SELECT count(*) FROM events WHERE file_id = ?) WHERE id = ?`,
      [fileId, fileId, fileId],
    );
  }
}

export interface FinalRow {
  id: number;
  parentId: number | null;
  path: string;
  sha256: string | null;
  bytes: number | null;
  format: string;
  status: string;
  reason: string | null;
  records: number;
  events: number;
  duplicates: number;
  rejected: number;
}

/** A file's status and reason from what happened to its records. */
export function finalizeFile(f: FileRow, c: FileCounts | undefined): FinalRow {
  const base = { id: f.id, parentId: f.parentId, path: f.path, sha256: f.sha256, bytes: f.bytes, format: f.format };
  if (!f.counted || !c) return { ...base, status: f.status, reason: f.reason, records: 0, events: 0, duplicates: 0, rejected: 0 };
  const kept = c.events + c.duplicates;
  const nums = { records: c.records, events: c.events, duplicates: c.duplicates, rejected: c.rejected };
  const notes: string[] = [];
  if (f.readError) notes.push(f.readError + (kept > 0 ? `; the ${kept} records before it were kept` : ''));
  if (c.rejected > 0) notes.push(`${c.rejected} of ${c.records} records rejected (first: ${c.firstReject}); see the rejects table`);
  if (f.partialSource) notes.push(f.partialSource);
  if (kept === 0 && (c.rejected > 0 || f.readError)) return { ...base, ...nums, status: 'rejected', reason: notes.join('; ') };
  if (kept === 0 && c.records === 0) return { ...base, ...nums, status: 'ingested', reason: 'no records in the file' };
  if (notes.length > 0) return { ...base, ...nums, status: 'partial', reason: notes.join('; ') };
  return { ...base, ...nums, status: 'ingested', reason: null };
}
