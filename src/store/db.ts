/**
 * The one gateway to DuckDB (the only module that imports @duckdb/node-api). Every call runs exactly
 * one statement with bound values: SQL text and values never mix, and a string with two statements
 * is refused before anything runs (DuckDB would otherwise run all but the last unbound).
 */
import { parseExact } from './exact-json.js';
import fs from 'node:fs';
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTypeId,
  type DuckDBValueConverter,
  INTEGER,
  JsonDuckDBValueConverter,
  LIST,
  VARCHAR,
  createDuckDBValueConverter,
  dateFromDateValue,
  dateFromTimestampMillisecondsValue,
  dateFromTimestampNanosecondsValue,
  dateFromTimestampSecondsValue,
  dateFromTimestampTZValue,
  dateFromTimestampValue,
  doubleFromDecimalValue,
  listValue,
} from '@duckdb/node-api';
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { z } from 'zod';
import { KeytrailError, messageOf } from '../errors.js';
import { createStatements, SCHEMA_VERSION } from './schema.js';
import { type Bound, type ListElement, Sql } from './sql.js';

export type Row = Record<string, unknown>;

/** KEYTRAIL_TRACE=1: each statement's time on stderr, to see where a slow ingest spends it. */
const TRACE = Boolean(process.env.KEYTRAIL_TRACE);
export type Params = readonly unknown[];

export interface OpenOptions {
  readOnly?: boolean;
  /** Create the case if the file does not exist (ingest does; readers do not). */
  create?: boolean;
  /** DuckDB memory limit, e.g. '2GB'; keytrail keeps its own work bounded below it. */
  memoryLimit?: string;
  threads?: number;
  /** Let SQL read or write files (read_json, COPY). Off for user queries: they see the case only. */
  fileAccess?: boolean;
  /**
   * Never spill to a temporary directory: memoryLimit is then the whole bound. For the read-only
   * query connection, which must write nothing beside the case and not fill the disk instead.
   */
  noSpill?: boolean;
}

/** Settings that keep keytrail offline and deterministic whatever the environment says. */
const OFFLINE_CONFIG: Record<string, string> = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
};

export class CaseDb {
  private interrupted = false;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly readOnly: boolean,
  ) {}

  static async open(path: string, opts: OpenOptions = {}): Promise<CaseDb> {
    const inMemory = path === ':memory:';
    if (!inMemory && !opts.create && !fs.existsSync(path)) {
      throw new KeytrailError('DATABASE', `no case database at ${path}: run 'keytrail ingest <evidence> --db ${path}' first`, { file: path });
    }
    const config: Record<string, string> = { ...OFFLINE_CONFIG };
    if (opts.readOnly && !inMemory) config.access_mode = 'READ_ONLY';
    if (opts.memoryLimit) config.memory_limit = opts.memoryLimit;
    if (opts.threads) config.threads = String(opts.threads);
    if (opts.noSpill) config.temp_directory = '';
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (err) {
      throw new KeytrailError('DATABASE', `cannot open case database ${path}: ${messageOf(err)}`, { file: path }, { cause: err });
    }
    const conn = await instance.connect();
    const db = new CaseDb(path, instance, conn, Boolean(opts.readOnly));
    await db.exec(`SET TimeZone = 'UTC'`);
    if (opts.fileAccess === false) await db.exec(`SET enable_external_access = false`);
    if (!opts.readOnly) await db.migrate();
    else await db.checkVersion();
    return db;
  }

  private async migrate(): Promise<void> {
    await this.checkVersion();
    for (const stmt of createStatements()) await this.exec(stmt);
    await this.exec(`INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)`, [String(SCHEMA_VERSION)]);
  }

  private async checkVersion(): Promise<void> {
    const hasMeta = await this.all(`SELECT 1 FROM information_schema.tables WHERE table_name = 'meta'`);
    if (hasMeta.length === 0) {
      const tables = await this.all(`SELECT table_name FROM information_schema.tables`);
      if (tables.length > 0 || this.readOnly) {
        throw new KeytrailError('DATABASE', `${this.path} is a DuckDB database but not a keytrail case (no meta table)`, { file: this.path });
      }
      return;
    }
    const rows = await this.all(`SELECT value FROM meta WHERE key = 'schema_version'`);
    const v = rows[0]?.value;
    if (v !== undefined && v !== String(SCHEMA_VERSION)) {
      throw new KeytrailError(
        'DATABASE',
        `${this.path} was written by a keytrail with case schema ${String(v)}; this keytrail reads schema ${SCHEMA_VERSION}`,
        { file: this.path },
      );
    }
  }

  /** Run one statement that returns nothing of interest. */
  async exec(q: Statement, params: Params = []): Promise<void> {
    const st = prepare(q, params);
    await this.guarded(st.text, async () => {
      await this.conn.run(st.text, st.values, st.types);
    });
  }

  /** Run one statement and return its rows as plain JSON-safe objects (see PLAIN). */
  async all(q: Statement, params: Params = []): Promise<Row[]> {
    const st = prepare(q, params);
    return this.guarded(st.text, async () => {
      const reader = await this.conn.runAndReadAll(st.text, st.values, st.types);
      return rowObjects(reader.columnNames(), reader.columnTypes(), reader.convertRows(PLAIN));
    });
  }

  /**
   * Rows checked against a schema: a column renamed or missing in the SQL fails here, loudly, naming
   * the field, instead of travelling on as undefined or NaN.
   */
  async rows<T>(q: Sql, schema: z.ZodType<T>): Promise<T[]> {
    const rows = await this.all(q);
    return rows.map((r) => {
      const parsed = schema.safeParse(r);
      if (parsed.success) return parsed.data;
      const issue = parsed.error.issues[0]!;
      throw new Error(`row does not match its schema at '${issue.path.join('.')}': ${issue.message} (query: ${excerptSql(q.build().text)})`);
    });
  }

  /** The first row, checked against a schema (the statement must return one). */
  async one<T>(q: Sql, schema: z.ZodType<T>): Promise<T> {
    const [row] = await this.rows(q, schema);
    if (row === undefined) throw new Error(`query returned no row: ${excerptSql(q.build().text)}`);
    return row;
  }

  /**
   * Run a query and stream its rows in chunks, for outputs that must not hold a whole table in
   * memory. The column names come from the running statement itself, so the user's SQL is never
   * wrapped in anything (its errors quote it as written).
   */
  async query(q: Statement, params: Params = []): Promise<{ columns: string[]; rows: AsyncGenerator<Row[]> }> {
    const st = prepare(q, params);
    const sql = st.text;
    const result = await this.guarded(sql, () => this.conn.stream(sql, st.values, st.types));
    const interrupted = () => this.interrupted;
    const names = result.columnNames();
    const types = result.columnTypes();
    async function* rows(): AsyncGenerator<Row[]> {
      // A statement can still fail while its rows stream (interrupted, out of memory): DuckDB's message, as for any statement.
      try {
        for await (const chunk of result.yieldConvertedRows(PLAIN)) {
          if (chunk.length > 0) yield rowObjects(names, types, chunk);
        }
        // An interrupted stream just ends, as if it were complete: say it was not.
        if (interrupted()) throw new SqlError('INTERRUPT Error: Interrupted!', sql);
      } catch (err) {
        if (err instanceof KeytrailError) throw err;
        throw new SqlError(messageOf(err), sql, { cause: err });
      }
    }
    return { columns: [...names], rows: rows() };
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.exec('BEGIN TRANSACTION');
    try {
      const out = await fn();
      await this.exec('COMMIT');
      return out;
    } catch (err) {
      await this.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Stop the statement running on this connection (from a timer): it fails with DuckDB's INTERRUPT error. */
  interrupt(): void {
    this.interrupted = true;
    this.conn.interrupt();
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }

  private async assertOneStatement(sql: string): Promise<void> {
    const extracted = await this.conn.extractStatements(sql);
    if (extracted.count !== 1) {
      throw new KeytrailError('QUERY', `expected exactly one SQL statement, got ${extracted.count}`);
    }
  }

  private async guarded<T>(sql: string, fn: () => Promise<T>): Promise<T> {
    try {
      await this.assertOneStatement(sql);
      if (!TRACE) return await fn();
      const t = performance.now();
      const out = await fn();
      process.stderr.write(
        `[trace] ${((performance.now() - t) / 1000).toFixed(2)} s  rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB  ${sql.replace(/\s+/g, ' ').slice(0, 70)}\n`,
      );
      return out;
    } catch (err) {
      if (err instanceof KeytrailError) throw err;
      throw new SqlError(messageOf(err), sql, { cause: err });
    }
  }
}

/** A statement DuckDB refused; the message is DuckDB's, the SQL is kept for --debug. */
export class SqlError extends KeytrailError {
  constructor(
    message: string,
    readonly sql: string,
    options?: { cause?: unknown },
  ) {
    super('QUERY', message, {}, options);
  }
}

const excerptSql = (text: string) => text.replace(/\s+/g, ' ').slice(0, 200);

/** A statement: a fragment built with `sql`, or fixed text (DDL, a user's query) with values for its `?`/`$n`. */
export type Statement = Sql | string;

/** A whole number as a JS number when a double holds it exactly, else its decimal text. */
const wholeNumber = (v: DuckDBValue): number | string => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : String(v);
};
const iso = (d: Date) => d.toISOString();

/**
 * DuckDB values → JSON-safe JS, on node-api's own converters (its JSON table for everything else):
 * whole numbers as numbers when they fit (else text), DECIMAL as a double, timestamps as ISO-8601
 * UTC, DATE as YYYY-MM-DD, JSON columns parsed so they nest as objects in JSON output (numbers that a
 * double cannot hold exactly as ExactNumber, written back as written).
 */
const OVERRIDES: Partial<Record<DuckDBTypeId, DuckDBValueConverter<unknown>>> = {
  [DuckDBTypeId.BIGINT]: wholeNumber,
  [DuckDBTypeId.UBIGINT]: wholeNumber,
  [DuckDBTypeId.HUGEINT]: wholeNumber,
  [DuckDBTypeId.UHUGEINT]: wholeNumber,
  [DuckDBTypeId.DECIMAL]: doubleFromDecimalValue,
  [DuckDBTypeId.DOUBLE]: (v) => v,
  [DuckDBTypeId.FLOAT]: (v) => v,
  [DuckDBTypeId.DATE]: (v) => iso(dateFromDateValue(v)).slice(0, 10),
  [DuckDBTypeId.TIMESTAMP]: (v) => iso(dateFromTimestampValue(v)),
  [DuckDBTypeId.TIMESTAMP_TZ]: (v) => iso(dateFromTimestampTZValue(v)),
  [DuckDBTypeId.TIMESTAMP_MS]: (v) => iso(dateFromTimestampMillisecondsValue(v)),
  [DuckDBTypeId.TIMESTAMP_S]: (v) => iso(dateFromTimestampSecondsValue(v)),
  [DuckDBTypeId.TIMESTAMP_NS]: (v) => iso(dateFromTimestampNanosecondsValue(v)),
};
const PLAIN = createDuckDBValueConverter<unknown>(
  Object.fromEntries(
    Object.values(DuckDBTypeId)
      .filter((id) => typeof id === 'number')
      .map((id) => [id, OVERRIDES[id] ?? JsonDuckDBValueConverter]),
  ) as Record<DuckDBTypeId, DuckDBValueConverter<unknown>>,
);

/** JSON text parsed, so a JSON column nests as an object in JSON output; text that does not parse stays text. */
function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return parseExact(text);
  } catch {
    return text;
  }
}

/**
 * Converted rows as objects by column name. A JSON column is known by its column type's alias, which
 * only the result's column types carry (the values' own types lose it), so it is parsed here.
 */
function rowObjects(names: readonly string[], types: readonly DuckDBType[], rows: readonly unknown[][]): Row[] {
  const json = types.map((t) => t.alias === 'JSON');
  return rows.map((r) => {
    const o: Row = {};
    names.forEach((n, i) => {
      o[n] = json[i] ? parseJson(r[i]) : r[i];
    });
    return o;
  });
}

const LIST_TYPES: Record<ListElement, DuckDBType> = {
  VARCHAR: LIST(VARCHAR),
  INTEGER: LIST(INTEGER),
  BIGINT: LIST(BIGINT),
  DOUBLE: LIST(DOUBLE),
  BOOLEAN: LIST(BOOLEAN),
};

interface Prepared {
  text: string;
  values: DuckDBValue[];
  /** Per value; node-api reads a missing entry as "infer from the value", which its declaration does not say. */
  types: DuckDBType[];
}

function prepare(q: Statement, params: Params): Prepared {
  if (q instanceof Sql) {
    const built = q.build();
    return { text: built.text, values: built.params.map(boundValue), types: built.params.map(boundType) as DuckDBType[] };
  }
  return { text: q, values: bind(params), types: bindTypes(params) as DuckDBType[] };
}

const boundValue = (b: Bound): DuckDBValue => (b.kind === 'list' ? listValue([...b.values]) : b.value);
const boundType = (b: Bound): DuckDBType | undefined => (b.kind === 'list' ? LIST_TYPES[b.element] : undefined);

/**
 * The types of bound lists, from their first non-null element: left to itself DuckDB types a list
 * from its first element, so [null, 'x'] would bind as a list of NULLs and lose the 'x'.
 */
function bindTypes(params: Params): (DuckDBType | undefined)[] {
  return params.map((p) => {
    if (!Array.isArray(p)) return undefined;
    const first = (p as unknown[]).find((x) => x !== null && x !== undefined);
    if (first === undefined || typeof first === 'string') return LIST(VARCHAR);
    if (typeof first === 'number') return LIST(DOUBLE);
    if (typeof first === 'bigint') return LIST(BIGINT);
    if (typeof first === 'boolean') return LIST(BOOLEAN);
    return undefined;
  });
}

/** JS values → DuckDB values: arrays become LISTs (e.g. a file list for read_json). */
function bind(params: Params): DuckDBValue[] {
  return params.map((p) => (Array.isArray(p) ? listValue(p as DuckDBValue[]) : (p as DuckDBValue)));
}
