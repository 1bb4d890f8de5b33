/**
 * `--tz ZONE`: the reports show each time in a zone of the reader's choosing beside UTC, as
 * `2026-10-14T03:02:11Z (2026-10-14 12:02:11 Asia/Tokyo)`. UTC stays the reference (CloudTrail's,
 * and what every eventID's record says); the local time is only read. The zone is an IANA name, as
 * Intl knows them.
 */
import { printable } from '../escape.js';
import { usageError } from '../errors.js';

/** A CloudTrail time in text: `YYYY-MM-DDTHH:MM:SSZ`, nothing after it that continues a time. */
const ISO_UTC = /\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)(?![\w(])/g;

/** The zone checked (an error naming it when Intl does not know it), with the formatter that renders a time in it. */
export function timeZone(tz: string): (iso: string) => string {
  let f: Intl.DateTimeFormat;
  try {
    f = new Intl.DateTimeFormat('sv-SE', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    throw usageError(`--tz ${printable(tz)}: not a time zone (an IANA name such as Asia/Tokyo, Europe/Berlin or America/New_York)`);
  }
  const name = f.resolvedOptions().timeZone;
  return (iso) => `${iso} (${f.format(new Date(iso))} ${name})`;
}

/** Every CloudTrail time in `text` with its local time beside it. */
export const zoned = (text: string, local: (iso: string) => string): string => text.replace(ISO_UTC, (iso) => local(iso));

/** The same through a JSON-like value: every string, in place of itself; the keys in `skip` are left as they are (data the page computes with). */
export function zonedValue<T>(v: T, local: (iso: string) => string, skip: ReadonlySet<string> = new Set()): T {
  if (typeof v === 'string') return zoned(v, local) as T;
  if (Array.isArray(v)) return v.map((x) => zonedValue(x, local, skip)) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, skip.has(k) ? x : zonedValue(x, local, skip)])) as T;
  return v;
}
