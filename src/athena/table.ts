/**
 * Athena's CloudTrail table (issue 18), as AWS documents it ("Create the table for CloudTrail logs in
 * Athena using partition projection"): lower-case names, every leaf a STRING, requestparameters,
 * responseelements, additionaleventdata, serviceeventdetails and edgedevicedetails as JSON text,
 * resources an array of structs. From this one description come the DDL a customer runs in Athena
 * (partition projection on `timestamp`, or the older region/year/month/day partitions), the same
 * table for a Trino server's memory connector (the tests), and the column catalog that turns a Sigma
 * field path into the Trino expression that reads it.
 */
import { KeytrailError } from '../errors.js';
import { jsonPath, trinoIdent, trinoString } from './trino-sql.js';

/** STRING; JSON: a STRING holding JSON text; MAP: map<string,string>; an object: a struct; [struct]: an array of them. */
export type Column = 'STRING' | 'JSON' | 'MAP' | Struct | [Struct];
interface Struct {
  [name: string]: Column;
}

export const ATHENA_CLOUDTRAIL: Struct = {
  eventversion: 'STRING',
  useridentity: {
    type: 'STRING',
    principalid: 'STRING',
    arn: 'STRING',
    accountid: 'STRING',
    invokedby: 'STRING',
    accesskeyid: 'STRING',
    username: 'STRING',
    onbehalfof: { userid: 'STRING', identitystorearn: 'STRING' },
    sessioncontext: {
      attributes: { mfaauthenticated: 'STRING', creationdate: 'STRING' },
      sessionissuer: { type: 'STRING', principalid: 'STRING', arn: 'STRING', accountid: 'STRING', username: 'STRING' },
      ec2roledelivery: 'STRING',
      webidfederationdata: { federatedprovider: 'STRING', attributes: 'MAP' },
    },
  },
  eventtime: 'STRING',
  eventsource: 'STRING',
  eventname: 'STRING',
  awsregion: 'STRING',
  sourceipaddress: 'STRING',
  useragent: 'STRING',
  errorcode: 'STRING',
  errormessage: 'STRING',
  requestparameters: 'JSON',
  responseelements: 'JSON',
  additionaleventdata: 'JSON',
  requestid: 'STRING',
  eventid: 'STRING',
  readonly: 'STRING',
  resources: [{ arn: 'STRING', accountid: 'STRING', type: 'STRING' }],
  eventtype: 'STRING',
  apiversion: 'STRING',
  recipientaccountid: 'STRING',
  serviceeventdetails: 'JSON',
  sharedeventid: 'STRING',
  vpcendpointid: 'STRING',
  vpcendpointaccountid: 'STRING',
  eventcategory: 'STRING',
  addendum: { reason: 'STRING', updatedfields: 'STRING', originalrequestid: 'STRING', originaleventid: 'STRING' },
  sessioncredentialfromconsole: 'STRING',
  edgedevicedetails: 'JSON',
  tlsdetails: { tlsversion: 'STRING', ciphersuite: 'STRING', clientprovidedhostheader: 'STRING' },
};

/** How the trail's S3 prefix is partitioned: Athena's partition projection on `timestamp` (yyyy/MM/dd), or region/year/month/day. */
export type Layout = 'projection' | 'region-date';
export const LAYOUTS: readonly Layout[] = ['projection', 'region-date'];

const hive = (c: Column, indent: string): string => {
  if (c === 'STRING' || c === 'JSON') return 'STRING';
  if (c === 'MAP') return 'MAP<STRING,STRING>';
  if (Array.isArray(c)) return `ARRAY<${hive(c[0], indent)}>`;
  const inner = `${indent}    `;
  return `STRUCT<\n${Object.entries(c)
    .map(([k, v]) => `${inner}${k}: ${hive(v, inner)}`)
    .join(',\n')}>`;
};

/** A column's type in Trino: ROW for a struct, ARRAY, MAP, VARCHAR. */
export const trinoType = (c: Column): string => {
  if (c === 'STRING' || c === 'JSON') return 'VARCHAR';
  if (c === 'MAP') return 'MAP(VARCHAR, VARCHAR)';
  if (Array.isArray(c)) return `ARRAY(${trinoType(c[0])})`;
  return `ROW(${Object.entries(c)
    .map(([k, v]) => `${trinoIdent(k)} ${trinoType(v)}`)
    .join(', ')})`;
};

export interface AthenaTableOptions {
  table: string;
  layout: Layout;
  /** s3://bucket/[prefix/]AWSLogs/<account>/CloudTrail/ (with the region for the projection layout's template). */
  location: string;
  /** The first day partition projection reads (yyyy/MM/dd). */
  since?: string;
}

/** The CREATE EXTERNAL TABLE a customer runs in Athena, AWS's documented one, with the table name and layout asked for. */
export function athenaDdl(o: AthenaTableOptions): string {
  const cols = Object.entries(ATHENA_CLOUDTRAIL)
    .map(([k, v]) => `    ${k} ${hive(v, '    ')}`)
    .join(',\n');
  const loc = o.location.endsWith('/') ? o.location : `${o.location}/`;
  const head = `CREATE EXTERNAL TABLE ${trinoIdent(o.table).replaceAll('"', '`')} (\n${cols}\n)`;
  const serde = `ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'`;
  if (o.layout === 'region-date')
    return `${head}
PARTITIONED BY (region STRING, year STRING, month STRING, day STRING)
${serde}
LOCATION ${trinoString(loc)};`;
  const since = o.since ?? '2020/01/01';
  if (!/^\d{4}\/\d{2}\/\d{2}$/.test(since)) throw new KeytrailError('USAGE', `--since for partition projection: a day as yyyy/MM/dd, not ${since}`);
  return `${head}
PARTITIONED BY (\`timestamp\` STRING)
${serde}
LOCATION ${trinoString(loc)}
TBLPROPERTIES (
    'projection.enabled'='true',
    'projection.timestamp.format'='yyyy/MM/dd',
    'projection.timestamp.interval'='1',
    'projection.timestamp.interval.unit'='DAYS',
    'projection.timestamp.range'=${trinoString(`${since},NOW`)},
    'projection.timestamp.type'='date',
    'storage.location.template'=${trinoString(`${loc}\${timestamp}`)}
);`;
}

/** The same table for a Trino server's memory connector (the tests): ROW for STRUCT, the partition column a VARCHAR. */
export function trinoMemoryDdl(table: string, layout: Layout): string {
  const cols = Object.entries(ATHENA_CLOUDTRAIL).map(([k, v]) => `${trinoIdent(k)} ${trinoType(v)}`);
  const parts = layout === 'projection' ? ['"timestamp" VARCHAR'] : ['"region" VARCHAR', '"year" VARCHAR', '"month" VARCHAR', '"day" VARCHAR'];
  return `CREATE TABLE ${table} (${[...cols, ...parts].join(', ')})`;
}

export type AthenaField = { kind: 'column'; sql: string; name: string } | { kind: 'unknown'; name: string; why: string };

/**
 * A Sigma field path (CloudTrail's names, any case) as the Trino expression that reads it from the
 * Athena table: a struct path (`"useridentity"."sessioncontext"."sessionissuer"."arn"`), a path into
 * a JSON text column (`json_extract_scalar("requestparameters", '$["userName"]')`: JSON keys keep
 * their case), or unknown (compiled as absent, as the DuckDB catalog does). A struct or an array as
 * a whole is its JSON text.
 */
export function resolveAthenaField(name: string): AthenaField {
  const segs = name.split('.');
  if (segs.some((s) => s === '')) return { kind: 'unknown', name, why: `field ${JSON.stringify(name)} has an empty path segment` };
  let node: Column = ATHENA_CLOUDTRAIL;
  const path: string[] = [];
  for (const [i, seg] of segs.entries()) {
    if (node === 'JSON') {
      const rest = segs.slice(i);
      return { kind: 'column', sql: `json_extract_scalar(${path.map(trinoIdent).join('.')}, ${trinoString(jsonPath(rest))})`, name };
    }
    if (typeof node === 'string' || Array.isArray(node))
      return { kind: 'unknown', name, why: `${path.join('.')} has no field ${seg} that Athena's table can reach` };
    const key = seg.toLowerCase();
    const next: Column | undefined = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === undefined) return { kind: 'unknown', name, why: `no column ${JSON.stringify(name)} in Athena's CloudTrail table` };
    path.push(key);
    node = next;
  }
  const col = path.map(trinoIdent).join('.');
  if (node === 'STRING' || node === 'JSON') return { kind: 'column', sql: col, name };
  return { kind: 'column', sql: `json_format(CAST(${col} AS JSON))`, name };
}
