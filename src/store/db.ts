/**
 * The one gateway to DuckDB (the only module that imports @duckdb/node-api). Every call runs exactly
 * one statement with bound values: SQL text and values never mix, and a string with two statements
 * is refused before anything runs (DuckDB would otherwise run all but the last unbound).
 */
import { parseExact } from './exact-json.js';
import fs from 'node:fs';
import { BIGINT, BOOLEAN, DOUBLE, type DuckDBConnection, DuckDBInstance, DuckDBTypeId, LIST, VARCHAR, listValue } from '@duckdb/node-api';
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { KeytrailError, messageOf } from '../errors.js';
import { createStatements, SCHEMA_VERSION } from './schema.js';

export type Row = Record<string, unknown>;

/** KEYTRAIL_TRACE=1: each statement's time on stderr, to see where a slow ingest spends it. */
const TRACE = Boolean(process.env.KEYTRAIL_TRACE);
export type Params = readonly unknown[];

/** A list of strings to bind: DuckDB cannot type an empty list, so an impossible value stands in for none. */
export const bindList = (xs: Iterable<string>): string[] => {
  const a = [...xs];
  return a.length ? a : ['\u0000'];
};

/** SQL written with `?` placeholders, numbered ($n) to follow `after` parameters already bound. */
export function numberPlaceholders(sql: string, after: number): string {
  let i = after;
  return sql.replace(/\?/g, () => `$${++i}`);
}

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
  async exec(sql: string, params: Params = []): Promise<void> {
    await this.guarded(sql, async () => {
      await this.conn.run(sql, bind(params), bindTypes(params));
    });
  }

  /** Run one statement and return its rows as plain JSON-safe objects (see toPlain). */
  async all(sql: string, params: Params = []): Promise<Row[]> {
    return this.guarded(sql, async () => {
      const reader = await this.conn.runAndReadAll(sql, bind(params), bindTypes(params));
      const names = reader.columnNames();
      const types = reader.columnTypes();
      return reader.getRowsJS().map((r) => {
        const o: Row = {};
        for (const [i, n] of names.entries()) o[n] = toPlain(r[i], types[i]!);
        return o;
      });
    });
  }

  /**
   * Run a query and stream its rows in chunks, for outputs that must not hold a whole table in
   * memory. The column names come from the running statement itself, so the user's SQL is never
   * wrapped in anything (its errors quote it as written).
   */
  async query(sql: string, params: Params = []): Promise<{ columns: string[]; rows: AsyncGenerator<Row[]> }> {
    const result = await this.guarded(sql, () => this.conn.stream(sql, bind(params), bindTypes(params)));
    const names = result.columnNames();
    const types = result.columnTypes();
    const interrupted = () => this.interrupted;
    async function* rows(): AsyncGenerator<Row[]> {
      // A statement can still fail while its rows stream (interrupted, out of memory): DuckDB's message, as for any statement.
      try {
        for await (const chunk of result.yieldRowsJs()) {
          if (chunk.length === 0) continue;
          yield chunk.map((r) => {
            const o: Row = {};
            for (const [i, n] of names.entries()) o[n] = toPlain(r[i], types[i]!);
            return o;
          });
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

/**
 * DuckDB values → JSON-safe JS: BIGINT as a number when it fits (else a string), timestamps as
 * ISO-8601 UTC, DATE as YYYY-MM-DD, JSON columns parsed so they nest as objects in JSON output (numbers
 * that a double cannot hold exactly as ExactNumber, written back as written).
 */
export function toPlain(v: unknown, type: DuckDBType): unknown {
  if (v === null || v === undefined) return null;
  if (type.alias === 'JSON' && typeof v === 'string') {
    try {
      return parseExact(v);
    } catch {
      return v;
    }
  }
  switch (type.typeId) {
    case DuckDBTypeId.STRUCT: {
      const o: Row = {};
      const names = type.entryNames;
      for (let i = 0; i < names.length; i++) o[names[i]!] = toPlain((v as Row)[names[i]!], type.entryTypes[i]!);
      return o;
    }
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return (v as unknown[]).map((x) => toPlain(x, type.valueType));
    case DuckDBTypeId.DATE:
      return (v as Date).toISOString().slice(0, 10);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_NS:
      return v instanceof Date ? v.toISOString() : String(v);
    default:
      if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
      if (v instanceof Date) return v.toISOString();
      if (typeof v === 'object' && !Array.isArray(v)) return String(v);
      return v;
  }
}

/**
 * The types of bound lists, from their first non-null element: left to itself DuckDB types a list
 * from its first element, so [null, 'x'] would bind as a list of NULLs and lose the 'x'.
 */
function bindTypes(params: Params): DuckDBType[] {
  return params.map((p) => {
    if (!Array.isArray(p)) return undefined;
    const first = (p as unknown[]).find((x) => x !== null && x !== undefined);
    if (first === undefined || typeof first === 'string') return LIST(VARCHAR);
    if (typeof first === 'number') return LIST(DOUBLE);
    if (typeof first === 'bigint') return LIST(BIGINT);
    if (typeof first === 'boolean') return LIST(BOOLEAN);
    return undefined;
  }) as DuckDBType[];
}

/** JS values → DuckDB values: arrays become LISTs (e.g. a file list for read_json). */
function bind(params: Params): DuckDBValue[] {
  return params.map((p) => (Array.isArray(p) ? listValue(p as DuckDBValue[]) : (p as DuckDBValue)));
}
