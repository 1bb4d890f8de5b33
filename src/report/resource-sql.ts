/**
 * The resource registry as one set-based query: given a relation of `events` rows, one row per
 * (event, resource id) for every registered event, with its action, type, details, whether it is
 * billable, and the values its undo template needs. The registry travels as one bound JSON value
 * (its paths are values, never SQL text); the SQL around it is keytrail's own and fixed.
 *
 * An event whose record holds no id (a refused call: AccessDenied leaves no response, sometimes no
 * request) still gives one row, its id NULL, so that attempts stay visible.
 */
import { z } from 'zod';
import { type Sql, sql } from '../store/sql.js';
import { isoTime } from '../store/vocabulary.js';
import { RESOURCE_REGISTRY } from './resource-registry.js';
import { ACTIONS, DOCS, type Locator, type ResourceEntry } from './resources/entry.js';

/** A locator as the SQL reads it: the path split at its `[*]` into the list and the path in each element. */
interface SqlLocator {
  doc: string;
  each: string | null;
  path: string;
  rtype: string | null;
}

function sqlLocator(l: Locator): SqlLocator {
  const star = l.path.indexOf('[*]');
  if (l.doc === 'resources') return { doc: l.doc, each: null, path: l.path, rtype: l.resourceType ?? null };
  if (star < 0) return { doc: l.doc, each: null, path: l.path, rtype: null };
  return { doc: l.doc, each: l.path.slice(0, star), path: `$${l.path.slice(star + 3)}`, rtype: null };
}

/**
 * The registry as two relations the query binds as JSON: the entries, and every locator of every
 * entry as a row (`role` id, detail or arg; `slot` the detail's place; `name` the detail's label or
 * the arg's name; `alt` the locator's place among the alternatives, the first that yields winning).
 */
export function registryRelations(registry: readonly ResourceEntry[]): { entries: string; locators: string } {
  const locators = registry.flatMap((e) => {
    const at = { eventSource: e.eventSource, eventName: e.eventName };
    return [
      ...e.ids.map((l, alt) => ({ ...at, role: 'id', slot: 0, name: 'id', format: 'text', alt, ...sqlLocator(l) })),
      ...e.details.flatMap((d, slot) => d.from.map((l, alt) => ({ ...at, role: 'detail', slot, name: d.label, format: d.format, alt, ...sqlLocator(l) }))),
      ...Object.entries(e.args).flatMap(([name, a], slot) =>
        a.from.map((l, alt) => ({ ...at, role: 'arg', slot, name, format: 'text', alt, ...sqlLocator(l) })),
      ),
    ];
  });
  const entries = registry.map((e) => ({ eventSource: e.eventSource, eventName: e.eventName, action: e.action, type: e.type, billable: e.billable }));
  return { entries: JSON.stringify(entries), locators: JSON.stringify(locators) };
}

const ENTRY_SHAPE = sql.raw(`'[{"eventSource":"VARCHAR","eventName":"VARCHAR","action":"VARCHAR","type":"VARCHAR","billable":"BOOLEAN"}]'`);
const LOCATOR_SHAPE = sql.raw(
  `'[{"eventSource":"VARCHAR","eventName":"VARCHAR","role":"VARCHAR","slot":"INTEGER","name":"VARCHAR","format":"VARCHAR","alt":"INTEGER","doc":"VARCHAR","each":"VARCHAR","path":"VARCHAR","rtype":"VARCHAR"}]'`,
);

/** The JSON columns under the short names the SQL below uses. */
const COLUMNS = sql.raw(`${DOCS.request} AS rq, ${DOCS.response} AS rs, ${DOCS.resources} AS rr, ${DOCS.additional} AS ad`);

/** The JSON values a locator points at in its event: each element of `each` when it names a list, each matching `resources` entry. */
const LOCATED = sql.raw(`CASE
  WHEN doc = 'resources' THEN list_transform(list_filter(json_extract(rr, '$[*]'), e -> json_extract_string(e, '$.type') = rtype), e -> json_extract(e, path))
  WHEN each IS NULL THEN [json_extract(CASE doc WHEN 'request' THEN rq WHEN 'response' THEN rs WHEN 'additional' THEN ad END, path)]
  ELSE list_transform(json_extract(json_extract(CASE doc WHEN 'request' THEN rq WHEN 'response' THEN rs WHEN 'additional' THEN ad END, each), '$[*]'), e -> json_extract(e, path)) END`);

/** A JSON scalar as text; objects, arrays and null are not values here. */
const SCALAR = `CASE WHEN json_type(e) NOT IN ('OBJECT', 'ARRAY', 'NULL') THEN json_extract_string(e, '$') END`;

/** One EC2 rule as `tcp/22 from 0.0.0.0/0`: an IpPermission (request), a security group rule (response) or the old flat request. */
const RULE = `CASE WHEN json_extract_string(e, '$.ipProtocol') IS NOT NULL THEN concat(
  CASE WHEN json_extract_string(e, '$.ipProtocol') IN ('-1', 'all') THEN 'all traffic'
       ELSE concat(json_extract_string(e, '$.ipProtocol'),
         CASE WHEN json_extract_string(e, '$.fromPort') IS NULL OR json_extract_string(e, '$.fromPort') = '-1' THEN ''
              WHEN json_extract_string(e, '$.fromPort') = coalesce(json_extract_string(e, '$.toPort'), json_extract_string(e, '$.fromPort')) THEN '/' || json_extract_string(e, '$.fromPort')
              ELSE '/' || json_extract_string(e, '$.fromPort') || '-' || json_extract_string(e, '$.toPort') END) END,
  CASE format WHEN 'egress' THEN ' to ' ELSE ' from ' END || nullif(array_to_string(list_filter(flatten([
    json_extract_string(e, '$.ipRanges.items[*].cidrIp'), json_extract_string(e, '$.ipv6Ranges.items[*].cidrIpv6'),
    json_extract_string(e, '$.groups.items[*].groupId'), json_extract_string(e, '$.prefixListIds.items[*].prefixListId'),
    [json_extract_string(e, '$.cidrIpv4'), json_extract_string(e, '$.cidrIpv6'), json_extract_string(e, '$.referencedGroupInfo.groupId'),
     json_extract_string(e, '$.prefixListId'), json_extract_string(e, '$.cidrIp'), json_extract_string(e, '$.sourceSecurityGroupName')]]), x -> x IS NOT NULL), ', '), '')) END`;

/** A policy document (an object, or the JSON text of one): its principals, `*` or each AWS/Service/Federated value. */
const PRINCIPALS = `CASE WHEN json_type(e) = 'VARCHAR' AND NOT json_valid(json_extract_string(e, '$')) THEN []
  ELSE flatten(list_transform(
    json_extract(CASE WHEN json_type(e) = 'VARCHAR' THEN json_extract_string(e, '$')::JSON ELSE e END, '$..Principal'),
    p -> CASE json_type(p) WHEN 'OBJECT' THEN flatten(list_transform(json_extract(p, '$.*'), v -> CASE json_type(v) WHEN 'ARRAY' THEN json_extract_string(v, '$[*]') ELSE [json_extract_string(v, '$')] END))
           ELSE [json_extract_string(p, '$')] END)) END`;

/** The text values of a located list in its format, empty ones left out. */
const VALUES = sql.raw(`list_filter(CASE
  WHEN format IN ('ingress', 'egress') THEN list_transform(js, e -> ${RULE})
  WHEN format = 'principals' THEN list_sort(list_distinct(flatten(list_transform(js, e -> ${PRINCIPALS}))))
  WHEN format = 'flag' THEN list_transform(js, e -> CASE WHEN json_type(e) <> 'NULL' THEN 'present' END)
  ELSE list_transform(js, e -> ${SCALAR}) END, v -> v IS NOT NULL AND v <> '')`);

/** A detail as text from its values: `label value, value`, `label n`, or the label alone. */
const DETAIL = sql.raw(`CASE format WHEN 'flag' THEN name WHEN 'count' THEN name || ' ' || len(v)
  WHEN 'ingress' THEN name || ' ' || array_to_string(v, '; ') WHEN 'egress' THEN name || ' ' || array_to_string(v, '; ')
  ELSE name || ' ' || array_to_string(v, ', ') END`);

/**
 * One row per (event, resource id) of the registered events in `events` (a relation of `events`
 * rows: `sql\`SELECT * FROM events WHERE ...\``), unordered. `eventTime` is ISO-8601 text.
 */
export function resourceRows(events: Sql, registry: readonly ResourceEntry[] = RESOURCE_REGISTRY): Sql {
  const rel = registryRelations(registry);
  return sql`WITH reg AS (SELECT unnest(from_json(CAST(${rel.entries} AS JSON), ${ENTRY_SHAPE}), recursive := true)),
  loc AS (SELECT unnest(from_json(CAST(${rel.locators} AS JSON), ${LOCATOR_SHAPE}), recursive := true)),
  hit AS (SELECT row_number() OVER () AS k, ev.eventID, ev.eventTime, ev.awsRegion, ev.eventSource, ev.eventName, ev.errorCode, ev.rq, ev.rs, ev.rr, ev.ad,
            reg.action, reg.type, reg.billable
          FROM (SELECT eventID, eventTime, awsRegion, eventSource, eventName, errorCode, ${COLUMNS} FROM (${events})) ev
          JOIN reg ON ev.eventSource = reg.eventSource AND ev.eventName = reg.eventName),
  located AS (SELECT k, role, slot, name, format, alt, ${LOCATED} AS js
          FROM hit JOIN loc ON hit.eventSource = loc.eventSource AND hit.eventName = loc.eventName),
  found AS (SELECT k, role, slot, name, format, arg_min(v, alt) AS v
          FROM (SELECT k, role, slot, name, format, alt, ${VALUES} AS v FROM located) WHERE len(v) > 0 GROUP BY ALL),
  per AS (SELECT k,
            list_sort(list_distinct(flatten(list(v) FILTER (WHERE role = 'id')))) AS ids,
            string_agg(${DETAIL}, ', ' ORDER BY slot) FILTER (WHERE role = 'detail') AS detail,
            map_from_entries(list({'k': name, 'v': v}) FILTER (WHERE role = 'arg')) AS args
          FROM found GROUP BY k)
  SELECT eventID, ${isoTime('eventTime')} AS eventTime, awsRegion, eventSource, eventName, action, type,
    unnest(CASE WHEN len(coalesce(ids, [])) = 0 THEN [NULL::VARCHAR] ELSE ids END) AS id,
    detail, billable, errorCode, coalesce(to_json(args), '{}'::JSON) AS args
  FROM hit LEFT JOIN per USING (k)`;
}

/** A row of resourceRows(). `args` holds, per name the undo template uses, the values the record gave. */
export const ResourceRowSchema = z.object({
  eventID: z.string(),
  eventTime: z.string(),
  awsRegion: z.string(),
  eventSource: z.string(),
  eventName: z.string(),
  action: z.enum(ACTIONS),
  type: z.string(),
  id: z.string().nullable(),
  detail: z.string().nullable(),
  billable: z.boolean(),
  errorCode: z.string().nullable(),
  args: z.record(z.string(), z.array(z.string())),
});
export type ResourceRow = z.infer<typeof ResourceRowSchema>;
