/**
 * CloudTrail records as Athena's result CSV would hold them (tests of issue 18): each record as its
 * row of Athena's CloudTrail table (every leaf text, lower-case names, JSON columns as JSON text),
 * then the row's cells in the JSON form keytrail's queries write (json_format(CAST(x AS JSON))) or in
 * Trino's struct text (`{type=IAMUser, principalid=..., onbehalfof=null, ...}`), written as Athena
 * writes CSV: a header, every value in double quotes, NULL as an empty unquoted field.
 */
import { z } from 'zod';
import { ATHENA_CLOUDTRAIL, type Column } from '../src/athena/table.js';
import { fieldSql, resolveField } from '../src/rules/catalog.js';
import { CaseDb } from '../src/store/db.js';
import { sql } from '../src/store/sql.js';

type Cell = string | null;
type Form = 'json' | 'struct';

const lower = (o: Record<string, unknown>) => new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
const text = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));

/** A value of column type `c` as the table holds it: text leaves, structs as maps of every field (null when absent). */
function tableValue(c: Column, v: unknown): unknown {
  if (c === 'STRING') return text(v);
  if (c === 'JSON') return v === null || v === undefined ? null : JSON.stringify(v);
  if (v === null || v === undefined || typeof v !== 'object') return null;
  if (c === 'MAP') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, text(x)]));
  if (Array.isArray(c)) return Array.isArray(v) ? v.map((x) => tableValue(c[0], x)) : null;
  const m = lower(v as Record<string, unknown>);
  return Object.fromEntries(Object.entries(c).map(([k, t]) => [k, tableValue(t, m.get(k))]));
}

/** Trino's text of a struct, list or map value. */
function structText(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(structText).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v as object)
      .map(([k, x]) => `${k}=${structText(x)}`)
      .join(', ')}}`;
  return String(v);
}

/** A record's cells, column by column, in the given form. */
export function athenaCells(record: Record<string, unknown>, form: Form): Cell[] {
  const m = lower(record);
  return Object.entries(ATHENA_CLOUDTRAIL).map(([k, c]) => {
    const v = tableValue(c, m.get(k));
    if (v === null || typeof v === 'string') return v as Cell;
    return form === 'json' ? JSON.stringify(v) : structText(v);
  });
}

const quote = (c: Cell) => (c === null ? '' : `"${c.replaceAll('"', '""')}"`);

/** The CSV Athena writes for `header` and `rows`. */
export function athenaCsv(header: readonly string[], rows: readonly Cell[][]): string {
  return `${[header, ...rows].map((r) => r.map(quote).join(',')).join('\n')}\n`;
}

/** Records as an Athena result CSV over every column of the table. */
export function recordsAsAthenaCsv(records: readonly Record<string, unknown>[], form: Form): string {
  return athenaCsv(
    Object.keys(ATHENA_CLOUDTRAIL),
    records.map((r) => athenaCells(r, form)),
  );
}

/** Every field Athena's table keeps, as CloudTrail names it. */
export const FIELDS = [
  'eventVersion',
  'userIdentity.type',
  'userIdentity.principalId',
  'userIdentity.arn',
  'userIdentity.accountId',
  'userIdentity.invokedBy',
  'userIdentity.accessKeyId',
  'userIdentity.userName',
  'userIdentity.sessionContext.attributes.mfaAuthenticated',
  'userIdentity.sessionContext.attributes.creationDate',
  'userIdentity.sessionContext.sessionIssuer.type',
  'userIdentity.sessionContext.sessionIssuer.principalId',
  'userIdentity.sessionContext.sessionIssuer.arn',
  'userIdentity.sessionContext.sessionIssuer.accountId',
  'userIdentity.sessionContext.sessionIssuer.userName',
  'userIdentity.sessionContext.ec2RoleDelivery',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'requestID',
  'eventID',
  'readOnly',
  'eventType',
  'apiVersion',
  'recipientAccountId',
  'sharedEventID',
  'vpcEndpointId',
  'eventCategory',
  'tlsDetails.tlsVersion',
  'tlsDetails.cipherSuite',
  'tlsDetails.clientProvidedHostHeader',
  'sessionCredentialFromConsole',
];
/** Fields kept as JSON: compared as the JSON they hold. */
export const JSON_FIELDS = ['requestParameters', 'responseElements', 'additionalEventData', 'serviceEventDetails', 'resources'];

const Row = z.record(z.string(), z.unknown());

/** JSON with its object keys sorted: CloudTrail's key order is not Athena's (resources: ARN first there). */
const sorted = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sorted)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, x]) => [k, sorted(x)]),
        )
      : v;

export async function fields(file: string): Promise<Map<string, Record<string, unknown>>> {
  const db = await CaseDb.open(file);
  try {
    const cols = [...FIELDS, ...JSON_FIELDS].map((f) => sql`${fieldSql(resolveField(f))} AS ${sql.id(f)}`);
    const rows = await db.rows(sql`SELECT ${sql.join(cols)} FROM events`, Row);
    return new Map(
      rows.map((r) => {
        for (const f of JSON_FIELDS) r[f] = r[f] === null ? null : sorted(JSON.parse(r[f] as string));
        return [r.eventID as string, r];
      }),
    );
  } finally {
    db.close();
  }
}

/**
 * CloudTrail Lake's saved result CSV as keytrail reads it (src/ingest/athena-result.ts): CloudTrail's
 * camelCase column names, eventTime as Lake's timestamp text, struct and list cells in Trino's text
 * with CloudTrail's own keys, request and response maps as `{key=value}` whose nested values are JSON.
 * AWS does not document the cell rendering: this is keytrail's reading of it, not a capture.
 */
export const LAKE_HEADER = [
  'eventVersion',
  'userIdentity',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'requestParameters',
  'responseElements',
  'requestID',
  'eventID',
  'readOnly',
  'resources',
  'eventType',
  'recipientAccountId',
  'managementEvent',
] as const;

function lakeText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(lakeText).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v as object)
      .map(([k, x]) => `${k}=${lakeText(x)}`)
      .join(', ')}}`;
  return String(v);
}

const lakeMap = (v: object) =>
  `{${Object.entries(v)
    .map(([k, x]) => `${k}=${x !== null && typeof x === 'object' ? JSON.stringify(x) : String(x)}`)
    .join(', ')}}`;

/** A record's cells in CloudTrail Lake's result, column by column of LAKE_HEADER. */
export function lakeCells(record: Record<string, unknown>): Cell[] {
  return LAKE_HEADER.map((h) => {
    const v = h === 'managementEvent' ? true : record[h];
    if (v === null || v === undefined) return null;
    if (h === 'eventTime') return String(v).replace('T', ' ').replace(/Z$/, '.000');
    if (h === 'requestParameters' || h === 'responseElements') return typeof v === 'object' ? lakeMap(v) : String(v);
    return typeof v === 'object' ? lakeText(v) : String(v);
  });
}
