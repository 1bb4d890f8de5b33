/**
 * The SQL that turns one CloudTrail record, read by DuckDB as a map of its top-level JSON values,
 * into the columns of `events`: typed fields, extra_fields for what has no column, and
 * null_field_mask for fields written as JSON null. Driven by RECORD in store/schema.ts, so a field
 * added there is read here without a change. A file the probe found clean (records-scan.ts) is read
 * straight into the typed record instead (typedEventsSelect): the same columns, without the map.
 */
import { RECORD, columnsPatch, quoteIdent, transformStructure, type StructField } from '../store/schema.js';

const FIELDS = Object.keys(RECORD);
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

/**
 * Typed event columns from a source of `m`, one record read by DuckDB as MAP(VARCHAR, JSON): the
 * record is parsed once, each top-level value kept as JSON text. Each field's value is looked up
 * once (`v<i>`), strings are unquoted, JSON fields taken as they are, userIdentity (a few hundred
 * bytes) parsed into its struct. Two bit sets over RECORD's fields, the keys present and the values
 * that are not JSON null, give null_field_mask (present with a NULL value: written as JSON null) and
 * tell a clean record (every key known, none twice: as many keys as bits present) from the few that
 * are not; only those are rebuilt and patched to find their extra fields and duplicated keys.
 * Rows that fail the checks (no valid eventTime, no eventID) are inserted too and moved to
 * `rejects` afterwards (REJECT_REASON), far cheaper than staging every batch twice.
 */
export function eventsSelect(source: string): string {
  const v = (k: string) => `v${FIELDS.indexOf(k)}`;
  const str = (k: string) => `json_extract_string(${v(k)}, '$')`;
  const bools = FIELDS.filter((k) => RECORD[k] === 'BOOLEAN');
  const structs = FIELDS.filter((k) => typeof RECORD[k] !== 'string');
  const cols = FIELDS.map((k) => {
    const t = RECORD[k]!;
    const q = quoteIdent(k);
    if (typeof t !== 'string') return `CASE WHEN ${v(k)} IS NOT NULL THEN json_transform(${v(k)}, '${JSON.stringify(transformStructure(t))}') END AS ${q}`;
    if (k === 'eventTime') return `ts AS ${q}`;
    if (t === 'BOOLEAN') return `TRY_CAST(text_${k} AS BOOLEAN) AS ${q}`;
    if (t === 'JSON') return `${v(k)} AS ${q}`;
    return `${str(k)} AS ${q}`;
  });
  // Values whose typed column cannot hold them as written are kept in extra_fields as written.
  // CloudTrail writes times as YYYY-MM-DDTHH:MM:SSZ, which the rebuilt record reproduces exactly.
  const keep = [
    `CASE WHEN ts IS NULL OR length(time_text) <> 20 OR time_text[11] <> 'T' OR time_text[20] <> 'Z' THEN '"eventTime":' || to_json(time_text) END`,
    ...bools.map((k) => `CASE WHEN text_${k} IS NOT NULL AND TRY_CAST(text_${k} AS BOOLEAN) IS NULL THEN '"${k}":' || ${v(k)} END`),
    ...structs.map((k) => `CASE WHEN NOT starts_with(${v(k)}, '{') THEN '"${k}":' || ${v(k)} END`),
  ];
  // Bit i stands for the i-th field of RECORD (the null_field_mask layout).
  const present = FIELDS.map((k, i) => `CASE WHEN map_contains(m, '${k}') THEN ${2 ** i} ELSE 0 END`).join(' + ');
  const valued = FIELDS.map((k, i) => `CASE WHEN ${v(k)} IS NOT NULL THEN ${2 ** i} ELSE 0 END`).join(' + ');
  const knownNested = structs.map((k) => {
    const levels = STRUCT_LEVELS.filter((l) => l.path.startsWith(`$.${k}`));
    const each = levels.map((l, i) => `list_has_all(${sqlList(Object.keys(l.fields))}, coalesce(keys_${k}[${i + 1}], []))`);
    return `(${v(k)} IS NULL OR (${each.join(' AND ')}))`;
  });
  const nestedKeys = structs.map((k) => {
    const levels = STRUCT_LEVELS.filter((l) => l.path.startsWith(`$.${k}`));
    return `json_keys(${v(k)}, ${sqlList(levels.map((l) => l.path.replace(`$.${k}`, '$')))}) AS keys_${k}`;
  });
  // A record with a key of no column, or one key twice, has more keys than known fields present.
  const clean = `cardinality(m) = bit_count(present) AND ${knownNested.join(' AND ')}`;
  return `
    SELECT ${cols.join(', ')},
      file_id, record_index, is_partial,
      CASE WHEN adds = '{}' THEN rest ELSE coalesce(json_merge_patch(rest, adds), adds::JSON) END AS extra_fields,
      nullif(present & ~valued, 0) AS null_field_mask,
      CASE WHEN cardinality(m) <> bit_count(present) AND cardinality(m) <> len(list_distinct(map_keys(m)))
           THEN list_sort(list_distinct(list_filter(map_keys(m), (k, i) -> list_position(map_keys(m), k) <> i))) END AS duplicate_keys
    FROM (
      SELECT *,
        CASE WHEN NOT (${clean}) THEN ${stripShells(`json_merge_patch(to_json(m), '${PATCH}')`)} END AS rest,
        '{' || concat_ws(',', ${keep.join(', ')}) || '}' AS adds
      FROM (
        SELECT *, TRY_CAST(time_text AS TIMESTAMPTZ)::TIMESTAMP AS ts
        FROM (
          SELECT *, (${valued})::BIGINT AS valued, ${str('eventTime')} AS time_text, ${bools.map((k) => `${str(k)} AS text_${k}`).join(', ')}, ${nestedKeys.join(', ')}
          FROM (
            SELECT *, ${FIELDS.map((k) => `m['${k}'] AS ${v(k)}`).join(', ')}, (${present})::BIGINT AS present
            FROM (${source})
          )
        )
      )
    )`;
}

/** Every struct level of the record ($, $.userIdentity, ...) with its known fields. */
const STRUCT_LEVELS: { path: string; fields: StructField }[] = [];
(function levels(t: StructField, path: string) {
  STRUCT_LEVELS.push({ path, fields: t });
  for (const [k, v] of Object.entries(t)) if (typeof v !== 'string') levels(v, `${path}.${k}`);
})(RECORD, '$');
const sqlList = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

/** The record as DuckDB reads a clean file straight into it: times and booleans as text, cast as eventsSelect casts them. */
export const TYPED_READ: StructField = Object.fromEntries(
  Object.entries(RECORD).map(([k, t]) => [k, t === 'TIMESTAMP' || t === 'BOOLEAN' ? 'VARCHAR' : t]),
) as StructField;

/**
 * Event columns from a source of `r`, a record DuckDB read straight into TYPED_READ, with `mask`, its
 * null_field_mask (records-scan.ts learnt it, and that the file is clean: every key a field, none
 * twice, each value of its field's kind, so nothing goes to extra_fields but what eventsSelect's
 * `keep` puts there). The same columns as eventsSelect gives for the same record, without the map
 * of every value: the typed read costs DuckDB what its plain read_json costs.
 */
export function typedEventsSelect(source: string): string {
  const bools = FIELDS.filter((k) => RECORD[k] === 'BOOLEAN');
  const cols = FIELDS.map((k) => {
    const q = quoteIdent(k);
    if (k === 'eventTime') return `ts AS ${q}`;
    if (RECORD[k] === 'BOOLEAN') return `TRY_CAST(r.${q} AS BOOLEAN) AS ${q}`;
    return `r.${q} AS ${q}`;
  });
  const keep = [
    `CASE WHEN ts IS NULL OR length(time_text) <> 20 OR time_text[11] <> 'T' OR time_text[20] <> 'Z' THEN '"eventTime":' || to_json(time_text) END`,
    ...bools.map(
      (k) => `CASE WHEN r.${quoteIdent(k)} IS NOT NULL AND TRY_CAST(r.${quoteIdent(k)} AS BOOLEAN) IS NULL THEN '"${k}":' || to_json(r.${quoteIdent(k)}) END`,
    ),
  ];
  return `
    SELECT ${cols.join(', ')},
      file_id, record_index, false AS is_partial,
      CASE WHEN adds <> '{}' THEN adds::JSON END AS extra_fields,
      nullif(mask, 0) AS null_field_mask,
      NULL::VARCHAR[] AS duplicate_keys
    FROM (
      SELECT *, '{' || concat_ws(',', ${keep.join(', ')}) || '}' AS adds
      FROM (
        SELECT *, TRY_CAST(time_text AS TIMESTAMPTZ)::TIMESTAMP AS ts
        FROM (SELECT *, r."eventTime" AS time_text FROM (${source}))
      )
    )`;
}
