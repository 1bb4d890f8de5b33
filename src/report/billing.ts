/**
 * Step 4 as a billing-adjustment evidence pack (issue 15 point 4): every billable resource the chain
 * made, region by region, with its lifetime (created, and removed or still there at the end of the
 * evidence); instance-hours by instance type, GPU and accelerator types flagged; the Service Quotas
 * increases and support cases the chain opened. Prices only from a file the responder gives
 * (`--prices`: region, instance type, USD per hour); keytrail invents none.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { printable } from '../escape.js';
import { usageError } from '../errors.js';
import type { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';
import { isoTime, principal } from '../store/vocabulary.js';
import type { Resource } from './report.js';

export interface BillableResource {
  region: string;
  type: string;
  id: string;
  detail: string | null;
  created: string;
  createdEventID: string;
  /** When it was removed, and the event that removed it; null when it was still there at the end of the evidence (or unknown). */
  removed: string | null;
  removedEventID: string | null;
  /** Until removal, else the end of the evidence: the lifetime this evidence shows. */
  until: string;
  hours: number;
  state: string;
}

export interface InstanceHours {
  region: string;
  instanceType: string;
  /** A GPU, accelerator or machine-learning type (p, g, inf, trn, dl families). */
  gpu: boolean;
  instances: number;
  hours: number;
  /** From --prices, when it has this region and type. */
  usdPerHour: number | null;
  usd: number | null;
}

export interface QuotaRequest {
  eventTime: string;
  region: string;
  service: string | null;
  quota: string | null;
  value: string | null;
  by: string;
  eventID: string;
}

export interface SupportCase {
  eventTime: string;
  subject: string | null;
  by: string;
  eventID: string;
}

export interface Billing {
  resources: BillableResource[];
  instanceHours: InstanceHours[];
  quotaRequests: QuotaRequest[];
  supportCases: SupportCase[];
  /** The --prices file, when one was given, and the estimate over the instance-hours it prices. */
  prices: { file: string; usd: number; unpriced: number } | null;
}

/** GPU, accelerator and machine-learning instance families. */
const GPU_TYPE = /^(p\d|g\d|inf\d|trn\d|dl\d|vt\d|f\d)[a-z0-9-]*\./;

/** Region and instance type to USD per hour, from a CSV file of `region,instance type,usd per hour` (a header line is allowed). */
export type Prices = ReadonlyMap<string, number>;
const priceKey = (region: string, type: string) => `${region}\u0000${type}`;

/** Read a --prices file: each line `region,instanceType,usdPerHour`; a bad line is an error naming the file and the line. */
export function readPrices(file: string): Prices {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`--prices ${printable(file)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    throw usageError(`--prices ${printable(file)}: not CSV (${err instanceof Error ? printable(err.message) : String(err)})`);
  }
  const prices = new Map<string, number>();
  rows.forEach((row, i) => {
    if (i === 0 && row.length >= 3 && Number.isNaN(Number(row[2]))) return; // a header
    const [region, type, usd] = row;
    const n = Number(usd);
    if (row.length < 3 || !region || !type || !Number.isFinite(n) || n < 0)
      throw usageError(
        `--prices ${printable(file)}:${i + 1}: expected region,instance type,USD per hour (e.g. us-east-1,g5.xlarge,1.006), got ${printable(row.join(','))}`,
      );
    prices.set(priceKey(region, type), n);
  });
  return prices;
}

const hoursBetween = (a: string, b: string) => Math.max(0, (Date.parse(b) - Date.parse(a)) / 3_600_000);
const round2 = (n: number) => Math.round(n * 100) / 100;

/** The billable resources the chain created (Step 3's creations the registry marks billable) and the instance-hours they make. */
export function billableOf(
  resources: readonly Resource[],
  evidenceEnd: string | null,
  prices?: Prices,
  pricesFile?: string,
): Pick<Billing, 'resources' | 'instanceHours' | 'prices'> {
  const seen = new Set<string>();
  const out: BillableResource[] = [];
  for (const x of resources) {
    if (x.failed || x.ownerUse || x.action !== 'create' || !x.billable || x.resourceId === null || x.type === null) continue;
    const k = `${x.region}\u0000${x.type}\u0000${x.resourceId}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const removed = x.lifecycle?.state === 'removed' ? x.lifecycle.removedAt : null;
    const until = removed ?? evidenceEnd ?? x.eventTime;
    out.push({
      region: x.region,
      type: x.type,
      id: x.resourceId,
      detail: x.detail,
      created: x.eventTime,
      createdEventID: x.eventID,
      removed,
      removedEventID: removed ? (x.lifecycle?.removedEventID ?? null) : null,
      until,
      hours: round2(hoursBetween(x.eventTime, until)),
      state: x.lifecycle?.text ?? 'unknown',
    });
  }
  out.sort((a, b) => a.region.localeCompare(b.region) || a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
  const hours = new Map<string, InstanceHours>();
  for (const r of out.filter((x) => x.type === 'ec2:instance')) {
    const instanceType = /\btype ([a-z0-9.-]+)/.exec(r.detail ?? '')?.[1] ?? '(type not in the record)';
    const k = priceKey(r.region, instanceType);
    const h = hours.get(k) ?? {
      region: r.region,
      instanceType,
      gpu: GPU_TYPE.test(instanceType),
      instances: 0,
      hours: 0,
      usdPerHour: prices?.get(k) ?? null,
      usd: null,
    };
    h.instances++;
    h.hours = round2(h.hours + r.hours);
    hours.set(k, h);
  }
  const instanceHours = [...hours.values()]
    .map((h) => ({ ...h, usd: h.usdPerHour === null ? null : round2(h.usdPerHour * h.hours) }))
    .sort((a, b) => a.region.localeCompare(b.region) || a.instanceType.localeCompare(b.instanceType));
  return {
    resources: out,
    instanceHours,
    prices:
      prices && pricesFile
        ? {
            file: pricesFile,
            usd: round2(instanceHours.reduce((n, h) => n + (h.usd ?? 0), 0)),
            unpriced: instanceHours.filter((h) => h.usd === null).length,
          }
        : null,
  };
}

const QuotaRow = z.object({
  eventTime: z.string(),
  region: z.string(),
  service: z.string().nullable(),
  quota: z.string().nullable(),
  value: z.string().nullable(),
  by: z.string(),
  eventID: z.string(),
});
const CaseRow = z.object({ eventTime: z.string(), subject: z.string().nullable(), by: z.string(), eventID: z.string() });

/** The quota increases and support cases the chain asked for (its successful calls, the owner's use left out). */
export async function requestsOf(db: CaseDb): Promise<Pick<Billing, 'quotaRequests' | 'supportCases'>> {
  const quotaRequests = await db.rows(
    sql`SELECT ${isoTime('eventTime')} AS eventTime, awsRegion AS region, json_extract_string(requestParameters, '$.serviceCode') AS service,
            json_extract_string(requestParameters, '$.quotaCode') AS quota, json_extract_string(requestParameters, '$.desiredValue') AS value,
            ${principal()} AS by, eventID
     FROM rep_events WHERE eventSource = 'servicequotas.amazonaws.com' AND eventName = 'RequestServiceQuotaIncrease' AND errorCode IS NULL AND NOT owner_use
     ORDER BY eventTime, eventID`,
    QuotaRow,
  );
  const supportCases = await db.rows(
    sql`SELECT ${isoTime('eventTime')} AS eventTime, json_extract_string(requestParameters, '$.subject') AS subject, ${principal()} AS by, eventID
     FROM rep_events WHERE eventSource = 'support.amazonaws.com' AND eventName = 'CreateCase' AND errorCode IS NULL AND NOT owner_use
     ORDER BY eventTime, eventID`,
    CaseRow,
  );
  return { quotaRequests, supportCases };
}
