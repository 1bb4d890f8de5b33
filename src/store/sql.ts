/**
 * SQL as values, not strings (drizzle-orm's `sql` is the model): a statement is a tree of text
 * chunks written in keytrail's code, bound values, typed list values and identifiers, kept apart
 * until `build()` numbers the values once, in order. Fragments nest and join without anyone
 * counting placeholders, and a value can never become SQL text: only the template's literal parts
 * and `sql.raw` (text written in keytrail, never from a log or a rule) are text.
 */

/** An identifier as SQL text: double-quoted, its quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export type Scalar = string | number | bigint | boolean | null;

/** Element types a bound list can have; a list is typed, so an empty list binds as one. */
export type ListElement = 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN';

class Param {
  constructor(readonly value: Scalar) {}
}

export class ListParam {
  constructor(
    readonly values: readonly Scalar[],
    readonly element: ListElement,
  ) {}
}

class Identifier {
  constructor(readonly name: string) {}
}

type Chunk = string | Param | ListParam | Identifier | Sql;

/** What a template may hold: a value (bound), a list (bound, typed), an identifier, or another fragment. */
export type SqlValue = Scalar | Sql | ListParam | Identifier;

/** A bound parameter as the gateway passes it to DuckDB. */
export type Bound = { kind: 'value'; value: Scalar } | { kind: 'list'; values: readonly Scalar[]; element: ListElement };

export interface BuiltSql {
  text: string;
  params: Bound[];
}

export class Sql {
  constructor(readonly chunks: readonly Chunk[]) {}

  /** The statement text with `$1..$n` in order of appearance, and the values they stand for. */
  build(): BuiltSql {
    const params: Bound[] = [];
    const text = render(this, params);
    return { text, params };
  }

  /** A fragment is not text: written into a string it would lose its values, so that is refused, loudly. */
  toString(): string {
    throw new TypeError('an sql fragment was used as a string: interpolate it in sql`...`, or use sql.text() for one that binds nothing');
  }

  /** True when the fragment holds no text and no value. */
  get isEmpty(): boolean {
    return this.chunks.every((c) => (typeof c === 'string' ? c === '' : c instanceof Sql && c.isEmpty));
  }
}

function render(s: Sql, params: Bound[]): string {
  let out = '';
  for (const c of s.chunks) {
    if (typeof c === 'string') out += c;
    else if (c instanceof Sql) out += render(c, params);
    else if (c instanceof Identifier) out += quoteIdent(c.name);
    else if (c instanceof ListParam) out += `$${params.push({ kind: 'list', values: c.values, element: c.element })}`;
    else out += `$${params.push({ kind: 'value', value: c.value })}`;
  }
  return out;
}

function chunkOf(v: SqlValue): Chunk {
  if (v instanceof Sql || v instanceof ListParam || v instanceof Identifier) return v;
  if (v === undefined) throw new TypeError('sql: undefined interpolated (a missing value); bind null for SQL NULL');
  return new Param(v);
}

/** sql`SELECT ... WHERE eventName = ${name}`: the literal parts are text, every `${}` a bound value or a fragment. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): Sql {
  const chunks: Chunk[] = [];
  strings.forEach((s, i) => {
    if (s) chunks.push(s);
    if (i < values.length) chunks.push(chunkOf(values[i]!));
  });
  return new Sql(chunks);
}

/** Text written in keytrail's own code (generated from the schema, a fixed keyword): never a value from a log or a rule. */
sql.raw = (text: string): Sql => new Sql([text]);

/** An identifier (column, alias, table), double-quoted and escaped. */
sql.id = (name: string): Identifier => new Identifier(name);

/** A typed list, bound as one value: `x IN (SELECT unnest(${sql.list(keys)}))`, `list_contains(${...}, x)`. */
sql.list = (values: Iterable<Scalar>, element: ListElement = 'VARCHAR'): ListParam => new ListParam([...values], element);

/** Fragments joined by a separator (default `, `); joining none gives the empty fragment. */
sql.join = (parts: readonly SqlValue[], separator: Sql = sql.raw(', ')): Sql => {
  const chunks: Chunk[] = [];
  parts.forEach((p, i) => {
    if (i > 0) chunks.push(separator);
    chunks.push(chunkOf(p));
  });
  return new Sql(chunks);
};

sql.empty = new Sql([]);

/**
 * The text of a fragment that binds nothing, for SQL that is itself text: expressions generated
 * from the schema, inlined into DDL or into other generated expressions. A fragment with a value in
 * it is refused: its value would otherwise have to become text.
 */
sql.text = (fragment: Sql): string => {
  const built = fragment.build();
  if (built.params.length > 0) throw new TypeError(`sql.text: the fragment binds ${built.params.length} value(s): ${built.text}`);
  return built.text;
};

/** Conditions joined by `op`, each and the whole in parentheses so the result embeds anywhere; `none` when there are none. */
const conditions =
  (op: ' AND ' | ' OR ', none: 'TRUE' | 'FALSE') =>
  (conds: readonly Sql[]): Sql =>
    conds.length
      ? sql`(${sql.join(
          conds.map((c) => sql`(${c})`),
          sql.raw(op),
        )})`
      : sql.raw(none);

/** Conditions joined with AND (TRUE when there are none). */
sql.and = conditions(' AND ', 'TRUE');

/** Conditions joined with OR (FALSE when there are none). */
sql.or = conditions(' OR ', 'FALSE');
