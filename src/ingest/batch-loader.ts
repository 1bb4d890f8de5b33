/**
 * Loads a batch of files into the case in one transaction: records go straight into `events`
 * (record-sql.ts makes the columns), those that cannot stay move to `rejects` with their text,
 * duplicates (eventID + eventTime + eventName) collapse with a full record beating a partial one,
 * and the files' rows are written with their counts. A crash before COMMIT leaves the case as it
 * was before the batch.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeytrailError } from '../errors.js';
import type { CaseDb } from '../store/db.js';
import type { Row } from '../store/db.js';
import { PROVENANCE_COLUMNS, RECORD, RECORD_SQL, quoteIdent, sqlType, type FileStatus } from '../store/schema.js';
import { messageOf } from '../errors.js';
import type { CaseAccounts } from './accounts.js';
import { TYPED_READ, eventsSelect, typedEventsSelect } from './record-sql.js';
import { int, textListOrNull, textOrNull } from './row-values.js';

const FIELDS = Object.keys(RECORD);

/**
 * DuckDB's JSON reader sizes its buffers from maximum_object_size (twice it, per thread), so it is
 * set per group from the files' sizes: a whole CloudTrail file is one object and can pass the 16 MB
 * default, and a generous fixed bound would cost gigabytes of buffers.
 */
export const MAX_OBJECT_BYTES = 512 << 20;

function objectBound(bytes: number): number {
  let b = 16 << 20;
  while (b < bytes * 1.05 && b < MAX_OBJECT_BYTES) b *= 2;
  return b;
}

export interface NativeUnit {
  fileId: number;
  path: string;
  gzip: boolean;
  /** Decompressed size, as far as known. */
  bytes: number;
  /** Each record's null_field_mask, when records-scan.ts found the file clean: DuckDB reads it straight into the typed columns. */
  masks?: number[];
}

/** A file's null_field_masks as staged and in batch_files, comma-separated text (empty: no record), as a list. */
const maskList = (text: string) => `CASE WHEN ${text} = '' THEN []::BIGINT[] ELSE string_split(${text}, ',')::BIGINT[] END`;

/** A `files` row as examined, before its records are counted. */
interface FileRowBase {
  id: number;
  parentId: number | null;
  path: string;
  sha256: string | null;
  bytes: number | null;
  format: string;
  status: FileStatus;
  reason: string | null;
}

export interface FileRow extends FileRowBase {
  /** Set by the loader for files whose records were staged. */
  counted?: boolean;
  /** A source that carries only some fields (field-limited CSV): status becomes partial. */
  partialSource?: string;
  /** Reading stopped early; records before were kept. */
  readError?: string;
  /** What a person should know about how the file was read (a repaired record...): the file is partial. */
  notes?: string[];
  /** What a person should know that lost nothing: in the reason, the status unchanged. */
  notice?: string;
}

export interface FileCounts {
  records: number;
  events: number;
  duplicates: number;
  rejected: number;
  /** The first rejected record's reason (NULL in the unlikely case that it has none). */
  firstReject?: string | null;
  /** Records that wrote a field twice, and which fields. */
  duplicateKeys?: { records: number; fields: string[] };
}

/**
 * A record cannot stay without a time or an id (an empty or blank eventID is none: two such records
 * are not one event). DuckDB's trim looks up every character's Unicode category; an id that starts
 * with a printable ASCII character (every real one) cannot trim to nothing, so only the others are
 * trimmed: the same answer for every string (checked over every code point), the batch's count of
 * them in 0.06 s instead of 0.27 s at 1M events.
 */
const INVALID = `(eventTime IS NULL OR eventID IS NULL OR CASE WHEN ascii(eventID) BETWEEN 33 AND 126 THEN false ELSE trim(eventID) = '' END)`;
/** Why an inserted row cannot stay, from its columns (see eventsSelect). */
const REJECT_REASON = `'record ' || record_index || ': ' || CASE
    WHEN eventTime IS NULL AND json_exists(extra_fields, '$.eventTime') THEN 'eventTime ' || (extra_fields->'$.eventTime') || ' is not a valid time'
    WHEN eventTime IS NULL THEN 'no eventTime'
    WHEN eventID IS NOT NULL THEN 'eventID ' || to_json(eventID) || ' is empty (every CloudTrail record has one)'
    ELSE 'no eventID (every CloudTrail record has one)' END`;
const REJECT_RAW = `${RECORD_SQL}::VARCHAR`;

/** DuckDB's memory limit for a batch without large files (see prepare()). */
const SMALL_BATCH_MEMORY = 512 * 2 ** 20;

/** '1GB', '512MiB', '1.5 GB' in bytes (DuckDB reads KB/MB/GB as powers of 1000, KiB/MiB/GiB of 1024); undefined when not a size. */
export function sizeBytes(size: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT])(i?)B$/i.exec(size);
  return m ? Number.parseFloat(m[1]!) * (m[3] ? 1024 : 1000) ** ('KMGT'.indexOf(m[2]!.toUpperCase()) + 1) : undefined;
}

/** Staging files of small S3 files (staging.ts) and the longest value in them. */
export interface StagedFiles {
  /** Read the careful way. */
  careful: readonly string[];
  /** Clean texts with their masks, read straight into the typed record. */
  typed: readonly string[];
  longest: number;
  /** Clean files' records as JSON Lines (record-lines.ts), read straight into the typed record. */
  lines: readonly string[];
  longestLine: number;
}

/** DuckDB could not read some `{"Records":[...]}` files of a batch; the batch was rolled back. */
export class NativeLoadError extends KeytrailError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NATIVE_LOAD', message, {}, options);
  }
}

/**
 * What a batch's load is doing, for the progress a person sees: its records read by the record
 * reader (load-batch.ts), then, in its transaction, the events inserted (most of the time), rejects
 * set apart, duplicates collapsed, the files' rows counted and written, and the checkpoint after it.
 */
export type LoadStep =
  | 'reading'
  | 'inserting events'
  | 'checking accounts'
  | 'setting rejects apart'
  | 'collapsing duplicates'
  | 'writing file rows'
  | 'checkpoint';

export class BatchLoader {
  private empty = true;
  /** What the batch loading now is doing (progress only: nothing depends on it). */
  step: LoadStep = 'reading';
  /** memoryLimit in bytes. */
  private readonly limitBytes: number | undefined;

  constructor(
    private readonly db: CaseDb,
    /** DuckDB's memory limit during the load (see release()). */
    readonly memoryLimit?: string,
    /** The longest record the record reader passes on: a normalized line holds one and its provenance. */
    private readonly maxRecordBytes = 64 << 20,
    /** Where the files' rows are written for DuckDB to read (insertFiles); the run's own temporary folder. */
    private readonly tmp = os.tmpdir(),
    /** The case's accounts (accounts.ts): a batch of another account's evidence is refused before it commits. */
    private readonly accounts?: CaseAccounts,
  ) {
    this.limitBytes = memoryLimit === undefined ? undefined : sizeBytes(memoryLimit);
  }

  /**
   * DuckDB's memory limit for one batch. A batch with files read whole by DuckDB gets the
   * configured limit: each is one JSON object of megabytes, parsed in buffers of twice
   * maximum_object_size a thread (1M events in one batch: 50 s at 1 GB, 69 s at 500 MB). A batch of
   * staged small files and JSON Lines gets half its JSON, at least 512 MiB: DuckDB fills whatever
   * limit it has with the batch's blocks, and 50,000 small files (0.8-0.95 GiB of JSON) load as
   * fast at 512 MiB (49 s, 0.98 GB RSS for 100,000) as at 576 MiB (46 s, 1.13 GB) or 1 GB
   * (49-53 s, 1.2 GB); below that they spill (448 MiB: 95 s). `shareBytes`, what others in the
   * process hold meanwhile (the probe workers examining the next batch), comes off the batch's
   * limit, down to half of it: the process, not DuckDB alone, keeps to what one batch takes. (Taken
   * off the configured limit only, it left a batch of lines the same limit with the workers running
   * as without: a 5M-event ingest peaked at 1,149-1,168 MB against 913-999 MB at 1M; now 1,032 MB,
   * as fast. The first batch of 50,000 small files now gets 362 MiB while the workers run, below
   * the 512 MiB above, and does not spill with staging as it is now: its INSERT took 2.8 s, 5.1 s
   * before.)
   */
  async prepare(batchBytes: number, largeFiles: boolean, shareBytes = 0): Promise<void> {
    const whole = this.limitBytes;
    if (whole === undefined) return;
    const wanted = largeFiles ? whole : Math.min(whole, Math.max(SMALL_BATCH_MEMORY, batchBytes / 2));
    const mb = Math.round(Math.max(wanted / 2, wanted - shareBytes) / 2 ** 20);
    await this.db.exec(`SET memory_limit = '${mb}MiB'`);
  }

  /**
   * After each commit: a checkpoint writes the batch into the case file (left to the end, the last
   * commit checkpointed every batch at once: 8.6 s at 1.6 GB RSS for 100,000 small files), and
   * dropping the memory limit for a moment evicts the blocks DuckDB still caches (they are on
   * disk, so evicting costs nothing): every batch starts from the same footprint, and memory stays
   * flat however large the evidence.
   */
  async release(): Promise<void> {
    this.step = 'checkpoint';
    await this.evict();
    try {
      await this.db.exec(`CHECKPOINT`);
    } catch (err) {
      // Stopped (Ctrl-C) after the commit: the batch is in the WAL, and the next open checkpoints it.
      if (!/^INTERRUPT Error/m.test(messageOf(err))) throw err;
    }
    await this.evict();
  }

  private async evict(): Promise<void> {
    if (!this.memoryLimit) return;
    await this.db.exec(`SET memory_limit = '32MB'`).catch(() => undefined);
    await this.db.exec(`SET memory_limit = '${this.memoryLimit}'`);
  }

  async init(): Promise<void> {
    // Rows carry their own order (file_id, record_index); keeping insertion order across the
    // files of one read_json costs DuckDB 2-3x the time and gigabytes over many small files.
    await this.db.exec(`SET preserve_insertion_order = false`);
    await this.db.exec(`CREATE OR REPLACE TEMP TABLE batch_files (path VARCHAR, file_id INTEGER, masks VARCHAR)`);
    const [p] = await this.db.all(`SELECT count(*) AS n FROM events`);
    this.empty = p !== undefined && int(p, 'n') === 0;
  }

  private nativeSource(group: NativeUnit[], countOnly = false): string {
    const args = `?, columns = {Records: 'MAP(VARCHAR, JSON)[]'}, format = 'auto', compression = '${group[0]!.gzip ? 'gzip' : 'uncompressed'}',
                  filename = true, maximum_object_size = ${objectBound(Math.max(...group.map((u) => u.bytes)))}`;
    if (countOnly) return `SELECT sum(len(Records)) FROM read_json(${args})`;
    return `
      SELECT bf.file_id, generate_subscripts(t.Records, 1)::INTEGER AS record_index, unnest(t.Records) AS m, false AS is_partial
      FROM read_json(${args}) t JOIN batch_files bf ON bf.path = t.filename`;
  }

  /** A clean group (every unit with masks) read straight into the typed record (typedEventsSelect). */
  private typedSource(group: NativeUnit[]): string {
    return `
      SELECT file_id, record_index, r, masks[record_index] AS mask FROM (
      SELECT bf.file_id, bf.masks, generate_subscripts(t.Records, 1)::INTEGER AS record_index, unnest(t.Records) AS r
      FROM read_json(?, columns = {Records: '${sqlType(TYPED_READ)}[]'}, format = 'auto', compression = '${group[0]!.gzip ? 'gzip' : 'uncompressed'}',
                     filename = true, maximum_object_size = ${objectBound(Math.max(...group.map((u) => u.bytes)))}) t
      JOIN (SELECT path, file_id, ${maskList('masks')} AS masks FROM batch_files) bf ON bf.path = t.filename)`;
  }

  /**
   * After a failed load: which `{"Records":[...]}` files DuckDB cannot read, by bisection with reads
   * that only count, and DuckDB's message for each (the record reader then tries them).
   */
  async probeNative(units: NativeUnit[]): Promise<{ unit: NativeUnit; error: string }[]> {
    const failed: { unit: NativeUnit; error: string }[] = [];
    const attempt = async (group: NativeUnit[]): Promise<void> => {
      if (group.length === 0) return;
      try {
        await this.db.all(this.nativeSource(group, true), [group.map((u) => u.path)]);
      } catch (err) {
        if (group.length === 1) failed.push({ unit: group[0]!, error: messageOf(err) });
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

  /**
   * Load a batch in one transaction: S3 files through DuckDB's reader (small ones staged), the record reader's
   * normalized JSON Lines, then rejects moved out, duplicates collapsed, files' rows written.
   */
  async load(natives: NativeUnit[], staged: StagedFiles | null, normalized: string[], files: FileRow[]): Promise<FinalRow[]> {
    const counted = files.filter((f) => f.counted).map((f) => f.id);
    const minId = Math.min(...counted, Number.MAX_SAFE_INTEGER);
    const cols = [...FIELDS.map(quoteIdent), ...Object.keys(PROVENANCE_COLUMNS)].join(', ');
    return this.db.transaction(async () => {
      this.step = 'inserting events';
      for (const gzip of [true, false])
        for (const typed of [true, false]) {
          const group = natives.filter((u) => u.gzip === gzip && (u.masks !== undefined) === typed);
          if (group.length === 0) continue;
          await this.db.exec(`DELETE FROM batch_files`);
          await this.db.exec(`INSERT INTO batch_files SELECT unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::VARCHAR[])`, [
            group.map((u) => u.path),
            group.map((u) => u.fileId),
            group.map((u) => u.masks?.join(',') ?? null),
          ]);
          const select = typed ? typedEventsSelect(this.typedSource(group)) : eventsSelect(this.nativeSource(group));
          await this.insertRead(`INSERT INTO events (${cols}) ${select}`, [group.map((u) => u.path)]);
        }
      if (staged && staged.careful.length > 0) {
        // Each value is {"f": file id, "d": the file's text} (staging.ts).
        const source = `
          SELECT f AS file_id, generate_subscripts(d.Records, 1)::INTEGER AS record_index, unnest(d.Records) AS m, false AS is_partial
          FROM read_json(?, columns = {f: 'INTEGER', d: 'STRUCT("Records" MAP(VARCHAR, JSON)[])'}, format = 'unstructured',
                         maximum_object_size = ${objectBound(staged.longest)})`;
        await this.insertRead(`INSERT INTO events (${cols}) ${eventsSelect(source)}`, [staged.careful]);
      }
      if (staged && staged.typed.length > 0) {
        // Each value is {"f": file id, "m": its records' null_field_masks, "d": the file's text}, a clean text (staging.ts).
        const source = `
          SELECT f AS file_id, record_index, r, masks[record_index] AS mask FROM (
            SELECT f, ${maskList('m')} AS masks,
                   generate_subscripts(d.Records, 1)::INTEGER AS record_index, unnest(d.Records) AS r
            FROM read_json(?, columns = {f: 'INTEGER', m: 'VARCHAR', d: 'STRUCT("Records" ${sqlType(TYPED_READ)}[])'}, format = 'unstructured',
                           maximum_object_size = ${objectBound(staged.longest)}))`;
        await this.insertRead(`INSERT INTO events (${cols}) ${typedEventsSelect(source)}`, [staged.typed]);
      }
      if (staged && staged.lines.length > 0) {
        // Each line is {"f": file id, "i": record index, "m": its null_field_mask, "r": the record} (record-lines.ts).
        const source = `
          SELECT f AS file_id, i AS record_index, r, m AS mask
          FROM read_json(?, columns = {f: 'INTEGER', i: 'INTEGER', m: 'BIGINT', r: '${sqlType(TYPED_READ)}'}, format = 'newline_delimited',
                         maximum_object_size = ${objectBound(staged.longestLine)})`;
        await this.insertRead(`INSERT INTO events (${cols}) ${typedEventsSelect(source)}`, [staged.lines]);
      }
      if (normalized.length > 0) {
        const read = `read_json(?, columns = {f: 'INTEGER', i: 'INTEGER', p: 'BOOLEAN', l: 'VARCHAR', j: 'MAP(VARCHAR, JSON)', w: 'VARCHAR', x: 'VARCHAR'},
                                format = 'newline_delimited', maximum_object_size = ${this.maxRecordBytes + (1 << 20)})`;
        await this.db.exec(
          `INSERT INTO events (${cols}) ${eventsSelect(`SELECT f AS file_id, i AS record_index, j AS m, coalesce(p, false) AS is_partial FROM ${read} WHERE w IS NULL`)}`,
          [normalized],
        );
        await this.db.exec(`INSERT INTO rejects SELECT f, i, w, x FROM ${read} WHERE w IS NOT NULL`, [normalized]);
      }
      this.step = 'checking accounts';
      await this.accounts?.check(minId, new Map(files.map((f) => [f.id, f.path])));
      this.step = 'setting rejects apart';
      // Records read = rows inserted (valid or not) + the record reader's unreadable values.
      const read = await this.db.all(
        `SELECT file_id, sum(n) AS n FROM (SELECT file_id, count(*) AS n FROM events WHERE file_id >= ? GROUP BY ALL
                                         UNION ALL SELECT file_id, count(*) FROM rejects WHERE file_id >= ? GROUP BY ALL) GROUP BY file_id`,
        [minId, minId],
      );
      // Most batches have none: one count, not a scan to copy and another to delete.
      const [invalid] = await this.db.all(`SELECT count(*) AS n FROM events WHERE file_id >= ? AND ${INVALID}`, [minId]);
      if (invalid !== undefined && int(invalid, 'n') > 0) {
        await this.db.exec(`INSERT INTO rejects SELECT file_id, record_index, ${REJECT_REASON}, ${REJECT_RAW} FROM events WHERE file_id >= ? AND ${INVALID}`, [
          minId,
        ]);
        await this.db.exec(`DELETE FROM events WHERE file_id >= ? AND ${INVALID}`, [minId]);
      }
      this.step = 'collapsing duplicates';
      const touched = await this.collapseDuplicates(minId);
      this.step = 'writing file rows';
      const counts = await this.countFiles(counted, minId, read);
      const finals = await this.insertFiles(files, counts);
      for (const id of touched.filter((t) => t < minId)) await this.recount(id);
      const [p] = await this.db.all(`SELECT count(*) AS n FROM events WHERE file_id >= ?`, [minId]);
      if (p !== undefined && int(p, 'n') > 0) this.empty = false;
      return finals;
    });
  }

  /** An INSERT through DuckDB's reader of evidence files (S3 or staged): a refusal is a NativeLoadError, for the way back file by file. */
  private async insertRead(sql: string, params: unknown[]): Promise<void> {
    try {
      await this.db.exec(sql, params);
    } catch (err) {
      throw new NativeLoadError(messageOf(err), { cause: err });
    }
  }

  /**
   * One row per event (eventID + eventTime + eventName): the first loaded wins, except that a full
   * record beats a partial one. Only events whose id the batch brought are looked at.
   */
  private async collapseDuplicates(minId: number): Promise<number[]> {
    const scope = this.empty ? `file_id >= ?` : `eventID IN (SELECT eventID FROM events WHERE file_id >= ?)`;
    if (!(await this.mayHaveDuplicates(minId))) return [];
    const gone = await this.db.all(
      `DELETE FROM events WHERE rowid IN (
         SELECT rowid FROM events WHERE ${scope}
         QUALIFY row_number() OVER (PARTITION BY eventID, eventTime, eventName ORDER BY is_partial, file_id, record_index) > 1)
       RETURNING file_id`,
      [minId],
    );
    return [...new Set(gone.map((r) => int(r, 'file_id')))];
  }

  /**
   * Whether the batch may hold an event twice, or one the case already holds: most batches do not,
   * and numbering every row (the window above) costs time, and on a later batch memory (it reads the
   * whole case's events that share an id with the batch). Two cheaper questions: is a key there
   * twice among the batch's rows (a grouping of them), and is any of the batch's ids older (a join
   * of the case's ids against the batch's). Either yes: the window runs. Both ask of 64-bit hashes
   * of the keys, not the keys: a hash table of 8 bytes a row, not of the texts (a later batch of the
   * 5M-event bench peaked at 1.13 GB RSS on the join of texts); two keys that share a hash only make
   * the window run, which decides on the keys themselves.
   */
  private async mayHaveDuplicates(minId: number): Promise<boolean> {
    const yes = async (q: string, params: number[]) => {
      const [r] = await this.db.all(q, params);
      return r === undefined || int(r, 'n') > 0;
    };
    if (
      await yes(`SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE file_id >= ? GROUP BY hash(eventID, eventTime, eventName) HAVING count(*) > 1)`, [minId])
    )
      return true;
    return (
      !this.empty &&
      (await yes(`SELECT count(*) AS n FROM events WHERE file_id < ? AND hash(eventID) IN (SELECT hash(eventID) FROM events WHERE file_id >= ?)`, [
        minId,
        minId,
      ]))
    );
  }

  private async countFiles(ids: number[], minId: number, read: Row[]): Promise<Map<number, FileCounts>> {
    const counts = new Map<number, FileCounts>();
    if (ids.length === 0) return counts;
    const kept = new Map(
      (await this.db.all(`SELECT file_id, count(*) AS n FROM events WHERE file_id >= ? GROUP BY file_id`, [minId])).map((r) => [
        int(r, 'file_id'),
        int(r, 'n'),
      ]),
    );
    const rejected = new Map(
      (
        await this.db.all(`SELECT file_id, count(*) AS n, arg_min(reason, record_index) AS first FROM rejects WHERE file_id >= ? GROUP BY file_id`, [minId])
      ).map((r) => [int(r, 'file_id'), { n: int(r, 'n'), first: textOrNull(r, 'first') }]),
    );
    const inserted = new Map(read.map((r) => [int(r, 'file_id'), int(r, 'n')]));
    const dupKeys = new Map(
      (
        await this.db.all(
          `SELECT file_id, count(*) AS n, list_sort(list_distinct(flatten(list(duplicate_keys)))) AS fields FROM events WHERE file_id >= ? AND duplicate_keys IS NOT NULL GROUP BY file_id`,
          [minId],
        )
      ).map((r) => [int(r, 'file_id'), { records: int(r, 'n'), fields: textListOrNull(r, 'fields') ?? [] }]),
    );
    for (const id of ids) {
      const rej = rejected.get(id);
      const events = kept.get(id) ?? 0;
      const records = inserted.get(id) ?? 0;
      counts.set(id, {
        records,
        events,
        rejected: rej?.n ?? 0,
        duplicates: records - (rej?.n ?? 0) - events,
        firstReject: rej?.first,
        duplicateKeys: dupKeys.get(id),
      });
    }
    return counts;
  }

  /** Write the files' rows with their final status and counts, and return them. */
  private async insertFiles(files: FileRow[], counts: Map<number, FileCounts>): Promise<FinalRow[]> {
    const rows = files.map((f) => finalizeFile(f, counts.get(f.id)));
    if (rows.length === 0) return rows;
    // The rows as JSON Lines in a file DuckDB reads in its threads: a VALUES list with twelve
    // parameters a row cost 2.7 s for 5,400 rows, a list per column 1.1 s for 21,000, one JSON text
    // 1.1 s for 58,000 and 220 MB at once (DuckDB parses a document whole), the file 0.75 s with
    // nothing held. Strings are made well-formed first (a reason may quote a cut surrogate pair).
    const cols: [string, string, (r: FinalRow) => unknown][] = [
      ['id', 'INTEGER', (r) => r.id],
      ['parent_id', 'INTEGER', (r) => r.parentId],
      ['path', 'VARCHAR', (r) => r.path],
      ['sha256', 'VARCHAR', (r) => r.sha256],
      ['bytes', 'BIGINT', (r) => r.bytes],
      ['format', 'VARCHAR', (r) => r.format],
      ['status', 'VARCHAR', (r) => r.status],
      ['reason', 'VARCHAR', (r) => r.reason],
      ['records', 'INTEGER', (r) => r.records],
      ['events', 'INTEGER', (r) => r.events],
      ['duplicates', 'INTEGER', (r) => r.duplicates],
      ['rejected_records', 'INTEGER', (r) => r.rejected],
    ];
    const file = path.join(this.tmp, `files-${rows[0]!.id}.jsonl`);
    const fd = fs.openSync(file, 'wx');
    try {
      const wellFormed = (_k: string, v: unknown) => (typeof v === 'string' ? v.toWellFormed() : v);
      for (let i = 0; i < rows.length; i += 5000) {
        const lines = rows.slice(i, i + 5000).map((r) =>
          JSON.stringify(
            cols.map(([, , get]) => get(r)),
            wellFormed,
          ),
        );
        fs.writeSync(fd, `${lines.join('\n')}\n`);
      }
    } finally {
      fs.closeSync(fd);
    }
    try {
      await this.db.exec(
        `INSERT INTO files (${cols.map(([c]) => c).join(', ')}, ingested_at)
         SELECT ${cols.map(([c, t], i) => `(r->>${i})::${t} AS ${c}`).join(', ')}, now()::TIMESTAMP
         FROM read_json(?, format = 'newline_delimited', records = false, columns = {r: 'JSON'}) t(r)`,
        [file],
      );
    } finally {
      fs.rmSync(file, { force: true });
    }
    return rows;
  }

  /** After a partial record of an earlier file was replaced by a full one, its counts move. */
  private async recount(fileId: number): Promise<void> {
    await this.db.exec(
      `UPDATE files SET events = (SELECT count(*) FROM events WHERE file_id = ?), duplicates = records - rejected_records - (SELECT count(*) FROM events WHERE file_id = ?) WHERE id = ?`,
      [fileId, fileId, fileId],
    );
  }
}

/** A `files` row as written, with its counts. */
export interface FinalRow extends FileRowBase {
  records: number;
  events: number;
  duplicates: number;
  rejected: number;
}

/** A file's status and reason from what happened to its records. */
export function finalizeFile(f: FileRow, c: FileCounts | undefined): FinalRow {
  // One object, filled in place: spreading a row a file costs more than the rest of this together.
  const row: FinalRow = {
    id: f.id,
    parentId: f.parentId,
    path: f.path,
    sha256: f.sha256,
    bytes: f.bytes,
    format: f.format,
    status: f.status,
    reason: f.reason,
    records: 0,
    events: 0,
    duplicates: 0,
    rejected: 0,
  };
  if (!f.counted || !c) return row;
  row.records = c.records;
  row.events = c.events;
  row.duplicates = c.duplicates;
  row.rejected = c.rejected;
  const kept = c.events + c.duplicates;
  return Object.assign(row, outcome(f, c, kept, fileNotes(f, c, kept)));
}

/** What a person should know about how a file's records were read: each a reason to call it partial. */
function fileNotes(f: FileRow, c: FileCounts, kept: number): string[] {
  const notes: string[] = [];
  if (f.readError) notes.push(f.readError + (kept > 0 ? `; the ${kept} records before it were kept` : ''));
  if (c.rejected > 0) notes.push(`${c.rejected} of ${c.records} records rejected (first: ${c.firstReject}); see the rejects table`);
  if (f.partialSource) notes.push(f.partialSource);
  if (c.duplicateKeys) {
    const d = c.duplicateKeys;
    notes.push(
      `${d.records} record(s) write a field twice (duplicate JSON keys: ${d.fields.slice(0, 5).join(', ')}): the first value is the one read, the other is not kept; they are flagged in events.duplicate_keys`,
    );
  }
  if (f.notes) notes.push(...f.notes);
  return notes;
}

/** The file's status and reason: rejected when nothing of it was kept for a reason, partial with notes, else ingested. */
function outcome(f: FileRow, c: FileCounts, kept: number, notes: string[]): { status: FileStatus; reason: string | null } {
  if (kept === 0 && (c.rejected > 0 || f.readError)) return { status: 'rejected', reason: notes.join('; ') };
  if (kept === 0 && c.records === 0) return { status: 'ingested', reason: 'no records in the file' };
  if (notes.length > 0) return { status: 'partial', reason: (f.notice ? [...notes, f.notice] : notes).join('; ') };
  return { status: 'ingested', reason: f.notice ?? null };
}
