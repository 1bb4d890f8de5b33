/**
 * CSV evidence: the console's "Download events" CSV (with or without its "CloudTrail event" column)
 * and the field-limited CSVs that aws-cli + jq scripts write from lookup-events (8 columns:
 * EventId, EventName, ReadOnly, AccessKeyId, EventTime, EventSource, Username, Resources; with a
 * header, or without one, in which case columns are recognised by their values).
 * A row without the full event becomes a *partial* record; columns keytrail has no field for are
 * kept under their own header name, so nothing in the file is lost. An Athena query result over its
 * CloudTrail table is read by athena-result.ts.
 */
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { KeytrailError, messageOf } from '../errors.js';
import type { RecordSink } from './interpret.js';
import { readRecord } from './interpret.js';
import { CellError, athenaRecord, resultKind } from './athena-result.js';

type Target = string; // a record path such as 'eventName' or 'userIdentity.userName'

/** Header names (lower-cased, letters and digits only) → record field. */
const HEADER_MAP: Record<string, Target> = {
  eventid: 'eventID',
  eventname: 'eventName',
  eventtime: 'eventTime',
  eventsource: 'eventSource',
  username: 'userIdentity.userName',
  awsaccesskey: 'userIdentity.accessKeyId',
  accesskeyid: 'userIdentity.accessKeyId',
  awsaccesskeyid: 'userIdentity.accessKeyId',
  awsregion: 'awsRegion',
  region: 'awsRegion',
  sourceipaddress: 'sourceIPAddress',
  sourceip: 'sourceIPAddress',
  errorcode: 'errorCode',
  errormessage: 'errorMessage',
  readonly: 'readOnly',
  requestid: 'requestID',
  useragent: 'userAgent',
  eventtype: 'eventType',
  recipientaccountid: 'recipientAccountId',
  resources: 'resources',
  cloudtrailevent: '*record',
};

const norm = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');

export class NotCloudTrailCsv extends KeytrailError {
  constructor(message: string) {
    super('NOT_CLOUDTRAIL_CSV', message);
  }
}

/** Recognise columns of a header-less row by what their values look like. */
function mapByContent(row: string[]): (Target | undefined)[] | undefined {
  const tests: [Target, RegExp][] = [
    ['eventID', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i],
    ['eventTime', /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d/],
    ['eventSource', /^[a-z0-9-]+\.amazonaws\.com$/],
    ['userIdentity.accessKeyId', /^(AKIA|ASIA)[A-Z0-9]{12,}$/],
    ['readOnly', /^(true|false)$/i],
    ['resources', /^\[.*\]$/s],
    ['eventName', /^[A-Z][A-Za-z0-9]+$/],
  ];
  const used = new Set<Target>();
  const out = row.map((cell) => {
    const hit = tests.find(([t, re]) => !used.has(t) && re.test(cell.trim()));
    if (hit) used.add(hit[0]);
    return hit?.[0];
  });
  if (!used.has('eventTime') || !used.has('eventSource') || !used.has('eventName')) return undefined;
  const userCol = out.findIndex((t, i) => t === undefined && row[i]!.trim() !== '');
  if (userCol >= 0) out[userCol] = 'userIdentity.userName';
  return out;
}

function setPath(o: Record<string, unknown>, path: string, v: unknown): void {
  const parts = path.split('.');
  let cur = o;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
  cur[parts[parts.length - 1]!] = v;
}

/** How many rows a note names at most. */
const NAMED_ROWS = 3;

/**
 * Read CSV text from `input`, sending records to `sink`; `notes` receives what a person should know
 * about rows that were read (also when the file breaks later). Throws NotCloudTrailCsv for other CSVs.
 */
export async function readCsv(input: Readable, sink: RecordSink, notes: string[] = []): Promise<void> {
  // An empty cell without quotes is NULL in an Athena result (`""` is an empty string): kept apart here.
  const parser = parse({
    relax_column_count: true,
    bom: true,
    skip_empty_lines: true,
    relax_quotes: true,
    info: true,
    cast: (value, context) => (value === '' && !context.quoting ? null : value),
  });
  // .pipe() does not forward errors: a decoding error must end the read, not hang it.
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let header: string[] | undefined;
  let targets: (Target | undefined)[] | undefined;
  let line = 0;
  let rowNo = 0;
  let records = 0;
  let crlfInside = 0;
  let athena: string[] | undefined;
  const doubted: string[] = [];
  let doubtedRows = 0;
  try {
    for await (const { record: cells, info } of parser as AsyncIterable<{ record: (string | null)[]; info: { lines: number } }>) {
      records++;
      // The line the row starts on: csv-parse counts to its end, a quoted value may hold line breaks,
      // and csv-parse counts a CRLF inside quotes as two.
      const count = (re: RegExp) => cells.reduce((n, c) => n + (c?.match(re)?.length ?? 0), 0);
      crlfInside += count(/\r\n/g);
      line = info.lines - crlfInside - count(/\r\n|\r|\n/g);
      if (athena) {
        rowNo++;
        const doubts = readAthenaRow(athena, cells, sink, `line ${line} (row ${rowNo})`);
        if (doubts.length > 0 && doubtedRows++ < NAMED_ROWS) doubted.push(`line ${line} (row ${rowNo}) ${doubts.join(', ')}`);
        continue;
      }
      const row = cells.map((c) => c ?? '');
      const result = !targets && !header && records === 1 ? resultKind(row) : null;
      if (result) {
        athena = row;
        sink.shape(result);
        continue;
      }
      if (!targets) {
        const mapped = row.map((h) => HEADER_MAP[norm(h)]);
        const has = (t: Target) => mapped.includes(t);
        if (has('*record') || (has('eventName') && has('eventTime') && has('eventSource'))) {
          header = row;
          targets = mapped;
          sink.shape(has('*record') ? 'console-csv' : 'csv-limited');
          continue;
        }
        const byContent = mapByContent(row);
        if (!byContent) {
          const needed = ['Event time', 'Event name', 'Event source'].filter((_, i) => !has(['eventTime', 'eventName', 'eventSource'][i]!));
          throw new NotCloudTrailCsv(
            `CSV, but not a CloudTrail export: no ${needed.join(', ')} column (columns: ${row.slice(0, 12).join(', ')}${row.length > 12 ? ', ...' : ''}). ` +
              `keytrail reads the console's "Download events" CSV and lookup-events CSVs`,
          );
        }
        targets = byContent;
        header = row.map((_, i) => `column${i + 1}`);
        sink.shape('csv-limited');
      }
      readRow(row, header!, targets, sink, `line ${line}`);
    }
  } finally {
    if (doubtedRows > 0)
      notes.push(
        `${doubtedRows} row(s) hold struct text (Trino's {key=value} form) that could be read more than one way: a value holds ", key=" for a key ` +
          `of its column, or a list element's boundary; each was read with the first reading and may be split wrongly ` +
          `(${doubted.join('; ')}${doubtedRows > NAMED_ROWS ? '; ...' : ''}). The JSON form (keytrail athena plan's queries) has no such doubt`,
      );
  }
}

/**
 * A row of an Athena result: the record its table row came from (field-limited: the table keeps only
 * its columns). Returns where its struct text could have been read another way.
 */
function readAthenaRow(header: string[], cells: (string | null)[], sink: RecordSink, where: string): string[] {
  let rec: Record<string, unknown>;
  const doubts: string[] = [];
  try {
    rec = athenaRecord(header, cells, doubts);
  } catch (err) {
    if (err instanceof CellError) {
      sink.bad(`${where}: ${err.message}`, cells.map((c) => c ?? '').join(','));
      return [];
    }
    throw err;
  }
  if (rec.eventID === undefined) rec.eventID = `keytrail-row-${crypto.createHash('sha256').update(JSON.stringify(cells)).digest('hex').slice(0, 32)}`;
  sink.record(rec, true, where);
  return doubts;
}

function readRow(row: string[], header: string[], targets: (Target | undefined)[], sink: RecordSink, where: string): void {
  const fullCol = targets.indexOf('*record');
  const full = fullCol >= 0 ? row[fullCol]?.trim() : undefined;
  if (full) {
    let rec: unknown;
    try {
      rec = JSON.parse(full);
    } catch (err) {
      return sink.bad(`${where}: the CloudTrail event column is not valid JSON (${messageOf(err)})`, row.join(','));
    }
    return readRecord(rec, sink, where);
  }
  const rec: Record<string, unknown> = {};
  for (const [i, cell] of row.entries()) {
    const t = targets[i];
    if (t === '*record' || cell === '') continue;
    if (!t) setPath(rec, header[i] ?? `column${i + 1}`, cell);
    else setPath(rec, t, cellValue(t, cell));
  }
  // A row with no id still dedupes against itself across files: the id is derived from its content.
  if (rec.eventID === undefined) rec.eventID = `keytrail-row-${crypto.createHash('sha256').update(JSON.stringify(row)).digest('hex').slice(0, 32)}`;
  sink.record(rec, true, where);
}

/** A cell's value for its record field: readOnly a boolean, resources JSON when it parses. */
function cellValue(field: string, cell: string): unknown {
  if (field === 'readOnly') return /^true$/i.test(cell);
  if (field === 'resources') {
    try {
      return JSON.parse(cell);
    } catch {
      return cell;
    }
  }
  return cell;
}
