/**
 * The field catalog: the only way a rule's field name becomes SQL. A name resolves against the
 * `events` schema (store/schema.ts RECORD): a column or struct field becomes a quoted identifier
 * path, a path inside a JSON column becomes json_extract_string with the path as a *bound* JSON
 * pointer, anything else is unknown and compiles to "absent" (NULL), never to an SQL error.
 */
import { RECORD, quoteIdent, type Leaf, type StructField } from '../store/schema.js';
import { sql, type Sql } from '../store/sql.js';
import { isoTime } from '../store/vocabulary.js';
import { BASELINE_FIELD, BASELINE_SQL } from './baseline.js';

export type FieldRef =
  | { kind: 'column'; sql: string; name: string }
  | { kind: 'json'; column: string; pointer: string; name: string }
  | { kind: 'unknown'; name: string; why: string };

/** Resolve a dotted Sigma field name (`userIdentity.sessionContext.sessionIssuer.type`). */
export function resolveField(name: string): FieldRef {
  // keytrail's one field beyond the record: what is usual for the caller (baseline.ts).
  if (name === BASELINE_FIELD) return { kind: 'column', sql: BASELINE_SQL, name };
  const segs = name.split('.');
  if (segs.some((s) => s === '')) return { kind: 'unknown', name, why: `field ${JSON.stringify(name)} has an empty path segment` };
  let node: Leaf | StructField = RECORD;
  const path: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (typeof node === 'string') return { kind: 'unknown', name, why: `${path.join('.')} is a ${node} field without ${seg}` };
    const next: Leaf | StructField | undefined = Object.hasOwn(node, seg) ? node[seg] : undefined;
    if (next === undefined) return { kind: 'unknown', name, why: `no field ${JSON.stringify(name)} in a CloudTrail record` };
    path.push(seg);
    if (next === 'JSON' && i < segs.length - 1) {
      const rest = segs.slice(i + 1);
      return {
        kind: 'json',
        column: path.map(quoteIdent).join('.'),
        pointer: `/${rest.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`,
        name,
      };
    }
    node = next;
  }
  const col = path.map(quoteIdent).join('.');
  if (typeof node !== 'string') return { kind: 'column', sql: `to_json(${col})::VARCHAR`, name };
  if (node === 'TIMESTAMP') return { kind: 'column', sql: sql.text(isoTime(col)), name };
  if (node === 'VARCHAR') return { kind: 'column', sql: col, name };
  return { kind: 'column', sql: `CAST(${col} AS VARCHAR)`, name };
}

/** The SQL of a resolved field; a JSON path is a bound value, never written into the SQL. */
export function fieldSql(ref: FieldRef): Sql {
  if (ref.kind === 'column') return sql.raw(ref.sql);
  if (ref.kind === 'json') return sql`json_extract_string(${sql.raw(ref.column)}, ${ref.pointer})`;
  return sql.raw('CAST(NULL AS VARCHAR)');
}
