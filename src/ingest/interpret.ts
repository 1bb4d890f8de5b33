/**
 * What a parsed JSON value holds: CloudTrail records, in any of the wrappers customers send.
 * Registry: add a wrapper as one entry in WRAPPERS (first match wins).
 */
import { messageOf } from '../errors.js';
import { DEFAULT_SPLIT_LIMITS, JsonSplitter, type SplitLimits } from './json-values.js';

export interface RecordSink {
  /**
   * A record to load; `partial` when the source carried only some of its fields. `raw` is the
   * record's JSON text as written, when the reader has it: that is what is loaded, so numbers and
   * keys stay exactly as written (DuckDB then reads it as it reads an S3 file).
   */
  record(rec: Record<string, unknown>, partial: boolean, where?: string, raw?: string): void;
  /** Something that should have been a record and is not; kept with its text in `rejects`. */
  bad(reason: string, raw: string): void;
  /** The shape seen, for the `files.format` column. */
  shape(format: string): void;
  /** A value that is not evidence (a digest), skipped on purpose. */
  skipped(reason: string): void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Wrapper {
  format: string;
  matches(o: Obj): boolean;
  read(o: Obj, sink: RecordSink, where: string): void;
}

const WRAPPERS: Wrapper[] = [
  {
    format: 'cloudtrail-records',
    matches: (o) => 'Records' in o,
    read(o, sink, where) {
      if (!Array.isArray(o.Records)) return sink.bad(`${where}: "Records" is not a list`, JSON.stringify(o).slice(0, 4096));
      for (const [k, r] of o.Records.entries()) readRecord(r, sink, `${where}, record ${k + 1}`);
    },
  },
  {
    format: 'lookup-events',
    matches: (o) => 'Events' in o && (Array.isArray(o.Events) || 'NextToken' in o),
    read(o, sink, where) {
      if (!Array.isArray(o.Events)) return sink.bad(`${where}: "Events" is not a list`, JSON.stringify(o).slice(0, 4096));
      for (const [k, e] of o.Events.entries()) readLookupEvent(e, sink, `${where}, event ${k + 1}`);
    },
  },
  {
    format: 'cloudtrail-digest',
    matches: (o) => 'digestStartTime' in o && 'logFiles' in o,
    read(_o, sink) {
      sink.skipped('CloudTrail-Digest file: integrity hashes of log files, no events');
    },
  },
];

/** Interpret one top-level JSON value (its text is `raw`). `where` locates it for messages ("line 12"). */
export function interpretValue(v: unknown, sink: RecordSink, where: string, topLevelCount: number, raw?: string): void {
  if (Array.isArray(v)) {
    sink.shape('json-array');
    v.forEach((x, k) => {
      if (isObj(x) && WRAPPERS.some((w) => w.matches(x))) interpretValue(x, sink, where, topLevelCount);
      else readRecord(x, sink, `${where}, item ${k + 1}`);
    });
    return;
  }
  if (isObj(v)) {
    const w = WRAPPERS.find((w) => w.matches(v));
    if (w) {
      sink.shape(w.format);
      return w.read(v, sink, where);
    }
    sink.shape(topLevelCount > 1 ? 'jsonl' : 'json');
    return readRecord(v, sink, where, raw);
  }
  sink.bad(`${where}: a bare ${typeof v} where a CloudTrail record was expected`, JSON.stringify(v));
}

const RECORD_KEYS = ['eventName', 'eventSource', 'eventID', 'eventTime'];

/** Whether a parsed value is one of the wrappers (read by interpretValue, not as a record). */
export const isWrapper = (v: unknown): boolean => isObj(v) && WRAPPERS.some((w) => w.matches(v));

export function readRecord(v: unknown, sink: RecordSink, where: string, raw?: string): void {
  if (!isObj(v)) return sink.bad(`${where}: a record must be a JSON object, got ${Array.isArray(v) ? 'a list' : typeof v}`, JSON.stringify(v));
  if (!RECORD_KEYS.some((k) => k in v)) {
    const keys = Object.keys(v).slice(0, 8).join(', ');
    return sink.bad(`${where}: not a CloudTrail record (it has none of ${RECORD_KEYS.join(', ')}; keys: ${keys || 'none'})`, JSON.stringify(v));
  }
  // Logstash and some SIEM exports carry the time as @timestamp only; @timestamp itself is kept.
  if (v.eventTime === undefined && typeof v['@timestamp'] === 'string') {
    const text = raw?.trimStart();
    const withTime = text?.startsWith('{') ? `{"eventTime":${JSON.stringify(v['@timestamp'])},${text.slice(1)}` : undefined;
    return sink.record({ ...v, eventTime: v['@timestamp'] }, false, where, withTime);
  }
  sink.record(v, false, where, raw);
}

/** One entry of `aws cloudtrail lookup-events` output: the record is the CloudTrailEvent string (its text is the record's). */
export function readLookupEvent(e: unknown, sink: RecordSink, where: string, limits: SplitLimits = DEFAULT_SPLIT_LIMITS): void {
  if (!isObj(e)) return sink.bad(`${where}: a lookup-events entry must be an object`, JSON.stringify(e));
  if (typeof e.CloudTrailEvent === 'string') {
    // The record inside the string is held to the same bounds as any other.
    const split = new JsonSplitter(limits);
    const [inner] = [...split.push(e.CloudTrailEvent), ...split.end()];
    if (inner?.kind === 'oversize') {
      return sink.bad(
        `${where}: CloudTrailEvent of ${String(e.EventId)} ${inner.why === 'depth' ? `is nested more than ${limits.maxDepth} levels deep (${inner.depth} at least)` : `is over the ${limits.maxBytes}-byte limit for one record`}: not loaded`,
        inner.head,
      );
    }
    let rec: unknown;
    try {
      rec = JSON.parse(e.CloudTrailEvent);
    } catch (err) {
      return sink.bad(`${where}: CloudTrailEvent of ${String(e.EventId)} is not valid JSON (${messageOf(err)})`, JSON.stringify(e));
    }
    if (isObj(rec) && e.EventId !== undefined && rec.eventID !== undefined && rec.eventID !== e.EventId) {
      return sink.bad(`${where}: EventId ${String(e.EventId)} does not match its CloudTrailEvent's eventID ${String(rec.eventID)}`, JSON.stringify(e));
    }
    return readRecord(rec, sink, where, e.CloudTrailEvent);
  }
  // Output filtered with --query loses CloudTrailEvent: keep what the summary fields say, as partial.
  const rec: Obj = {
    eventID: e.EventId,
    eventName: e.EventName,
    eventTime: e.EventTime,
    eventSource: e.EventSource,
    readOnly: e.ReadOnly,
    userIdentity: { userName: e.Username, accessKeyId: e.AccessKeyId },
  };
  if (e.Resources !== undefined) rec.lookupResources = e.Resources;
  sink.record(rec, true, where);
}
