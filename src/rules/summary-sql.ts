/**
 * An output.summary template as SQL (summary-template.ts says what a template is). Literal text is
 * bound, fields come only through the catalog (catalog.ts), and a formatter is SQL of keytrail's
 * own over the field's JSON value: nothing a rule or an event holds is ever written into the SQL.
 */
import { sql, type Sql } from '../store/sql.js';
import { fieldSql, resolveField, type FieldRef } from './catalog.js';
import { parseTemplate, type Alternative, type FormatterName, type Placeholder } from './summary-template.js';

/** What an alternative of a placeholder reads (a field through the catalog, a correlation's value). */
export type ValueOf = (alt: Alternative) => Sql;

/** A field's value as JSON: the JSON itself for a path into a JSON column, else the column's value. */
function jsonOf(ref: FieldRef): Sql {
  if (ref.kind === 'json') return sql`json_extract(${sql.raw(ref.column)}, ${ref.pointer})`;
  if (ref.kind === 'column') return sql`to_json(${sql.raw(ref.sql)})`;
  return sql.raw('CAST(NULL AS JSON)');
}

/** A JSON value that may be a string holding JSON (a policy document): the JSON it holds. */
const unwrapped = (j: Sql) =>
  sql`(CASE WHEN json_type(${j}) = 'VARCHAR' THEN (CASE WHEN json_valid(json_extract_string(${j}, '$')) THEN json_extract_string(${j}, '$')::JSON END) ELSE ${j} END)`;

/** A list of text as `a, b`, NULL when empty (so that `{a:list|b}` falls through). */
const joined = (list: Sql, sep = ', ') => sql`nullif(array_to_string(${list}, ${sep}), '')`;

/** The elements of an array, or of an object's `items` (EC2's shape for lists). */
const elements = (j: Sql) => sql`(CASE json_type(${j}) WHEN 'ARRAY' THEN json_extract(${j}, '$[*]') WHEN 'OBJECT' THEN json_extract(${j}, '$.items[*]') END)`;

/** One EC2 IpPermission as `tcp/22 from 0.0.0.0/0, sg-1`. */
const permission = sql.raw(`p -> concat(
  CASE WHEN json_extract_string(p, '$.ipProtocol') IN ('-1', 'all') THEN 'all traffic'
       ELSE concat(coalesce(json_extract_string(p, '$.ipProtocol'), '(protocol not given)'),
         CASE WHEN json_extract_string(p, '$.fromPort') IS NULL OR json_extract_string(p, '$.fromPort') = '-1' THEN ''
              WHEN json_extract_string(p, '$.fromPort') = coalesce(json_extract_string(p, '$.toPort'), json_extract_string(p, '$.fromPort')) THEN '/' || json_extract_string(p, '$.fromPort')
              ELSE '/' || json_extract_string(p, '$.fromPort') || '-' || json_extract_string(p, '$.toPort') END) END,
  ' from ' || nullif(array_to_string(list_concat(json_extract_string(p, '$.ipRanges..cidrIp'), json_extract_string(p, '$.ipv6Ranges..cidrIpv6'),
    json_extract_string(p, '$.groups..groupId'), json_extract_string(p, '$.prefixListIds..prefixListId')), ', '), ''))`);

/** The formatters: each from the field's JSON value to text, NULL when there is nothing to say. */
const FORMATTERS: Record<FormatterName, (j: Sql) => Sql> = {
  permissions: (j) => joined(sql`list_transform(${elements(j)}, ${permission})`, '; '),
  list: (j) =>
    joined(
      sql`list_transform(${elements(j)}, e -> CASE json_type(e) WHEN 'OBJECT' THEN array_to_string(json_extract_string(e, '$.*'), ' ') WHEN 'ARRAY' THEN e::VARCHAR ELSE json_extract_string(e, '$') END)`,
    ),
  principals: (j) =>
    joined(
      sql`list_sort(list_distinct(flatten(list_transform(json_extract(${unwrapped(j)}, '$..Principal'), p -> CASE json_type(p) WHEN 'OBJECT' THEN flatten(list_transform(json_extract(p, '$.*'), v -> CASE json_type(v) WHEN 'ARRAY' THEN json_extract_string(v, '$[*]') ELSE [json_extract_string(v, '$')] END)) ELSE [json_extract_string(p, '$')] END))))`,
    ),
  filters: (j) => {
    const one = sql.raw(`f -> concat_ws(' ', json_extract_string(f, '$.key'), nullif(array_to_string(json_extract_string(f, '$.values[*]'), ' or '), ''))`);
    return sql`'secrets matching ' || ${joined(sql`list_transform(${elements(j)}, ${one})`, '; ')}`;
  },
  for: (j) => sql`' for ' || json_extract_string(${j}, '$')`,
  failed: (j) => sql`' (failed: ' || json_extract_string(${j}, '$') || ')'`,
};

/** A single-event rule's alternative: its field through the catalog, formatted when it says so. */
export const eventValue: ValueOf = (alt) => {
  const ref = resolveField(alt.field);
  return alt.format ? FORMATTERS[alt.format](jsonOf(ref)) : fieldSql(ref);
};

const firstPresent = (p: Placeholder, value: ValueOf) => sql`coalesce(${sql.join([...p.alts.map(value), sql.raw('CAST(NULL AS VARCHAR)')])})`;

/**
 * The template as SQL: literal text bound, each `{a|b|}` placeholder the first of its alternatives
 * that is present, else `?` (or nothing after an empty last alternative).
 */
export function summarySql(template: string, value: ValueOf): Sql {
  const parts = parseTemplate(template).map((p) => (typeof p === 'string' ? sql`${p}` : sql`coalesce(${firstPresent(p, value)}, ${p.optional ? '' : '?'})`));
  return parts.length === 0 ? sql`${''}` : sql`concat(${sql.join(parts)})`;
}

/**
 * For the rule tester: what is wrong with the placeholders of a rendered summary, as a list of text
 * (empty when nothing is): one that no field fills (it prints `?`), one that prints an empty value,
 * one that prints a JSON object or array raw.
 */
export function summaryProblemsSql(template: string, value: ValueOf): Sql {
  const checks = parseTemplate(template).flatMap((p) => {
    if (typeof p === 'string') return [];
    const v = firstPresent(p, value);
    return [
      sql`CASE WHEN ${v} IS NULL AND NOT ${sql.raw(p.optional ? 'TRUE' : 'FALSE')} THEN ${`${p.text} is absent (prints ?)`}
               WHEN ${v} = '' AND NOT ${sql.raw(p.optional ? 'TRUE' : 'FALSE')} THEN ${`${p.text} is empty`}
               WHEN json_valid(${v}) AND left(ltrim(${v}), 1) IN ('{', '[') THEN ${`${p.text} prints a JSON value raw (use a formatter)`} END`,
    ];
  });
  return checks.length === 0 ? sql`CAST([] AS VARCHAR[])` : sql`list_filter([${sql.join(checks)}], x -> x IS NOT NULL)`;
}

/** What a rendered summary's text must not hold: debris of an empty value or an unreadable one. */
const DEBRIS: [RegExp, string][] = [
  [/\{\s*\}|\[\s*\]/, 'an empty {} or []'],
  [/\(\s*\)/, 'an empty pair of parentheses'],
  [/(^|[\s(])\?($|[\s),:;])/, 'a ? where a value is missing'],
  [/\s{2}|^\s|\s$/, 'doubled, leading or trailing space'],
  [/\s[,;)]|\(\s|[,;]\s*[,;]|:\s+[,;:]|[,;:]\s*$/, 'a separator left by an empty value'],
];

/** The debris a rendered summary holds, as messages (empty when none). */
export const summaryDebris = (text: string) => DEBRIS.filter(([re]) => re.test(text)).map(([, what]) => what);
