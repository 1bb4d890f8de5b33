/** Report tables written once, for the Markdown and for the HTML page (which draws them from its data block). */
import type { Report } from './report.js';

export type Cell = string | number | null;

/** A credential with no call in the evidence (Step 1 lists these in one line, not in the table). */
const unused = (k: Report['keys'][number]) => !k.seed && k.events === 0;

/** Step 1's line for the credentials of the chain never used in the evidence, or null. */
export function unusedKeysLine(r: Report): string | null {
  const keys = r.keys.filter(unused);
  if (keys.length === 0) return null;
  const shown = keys.slice(0, 20).map((k) => `${k.accessKeyId}${k.owner ? ` (${k.owner})` : ''}`);
  return `${keys.length} credential(s) of the chain never used in the evidence: ${shown.join(', ')}${keys.length > 20 ? `, and ${keys.length - 20} more (report.json)` : ''}.`;
}

/** Step 1: each key and temporary credential of the chain that was used, seeds first, and its status as the logs show it. */
export function keyTable(r: Report): { head: string[]; rows: Cell[][] } {
  return {
    head: ['access key', 'owner', 'kind', 'first use', 'last use', 'events', 'source IPs', 'status changes', 'last known status'],
    rows: r.keys
      .filter((k) => !unused(k))
      .map((k) => [
        k.accessKeyId,
        k.owner,
        `${k.temporary ? 'temporary' : 'long-term'}${k.seed ? ', seed' : ''}${k.createdByAttacker ? ', created by the attacker' : ''}`,
        k.firstUse,
        k.lastUse,
        k.events,
        k.sourceIPs.join(', '),
        k.statusChanges.map((c) => `${c.eventTime} ${c.status} (${c.eventID})`).join('; '),
        k.lastKnownStatus,
      ]),
  };
}

/** The mark on a row of the seed key's owner's own use, before the attack window. */
const OWNER_USE = "owner's use, before the attack";

/** Step 2: every IAM change of the chain, its result (failed, done, or the owner's use), what became of what it made, and its undo. */
export function iamTable(r: Report): { head: string[]; rows: Cell[][]; failed: boolean[] } {
  return {
    head: ['time', 'call', 'target', 'policy', 'by', 'key', 'result', 'now', 'to undo', 'eventID'],
    rows: r.iamChanges.map((c) => [
      c.eventTime,
      c.eventName,
      c.target,
      c.policy,
      c.by,
      c.accessKeyId,
      c.errorCode ? `failed: ${c.errorCode}` : c.ownerUse ? `done (${OWNER_USE})` : 'done',
      c.lifecycle?.text ?? null,
      c.undo,
      c.eventID,
    ]),
    failed: r.iamChanges.map((c) => c.errorCode !== null),
  };
}

/** Step 3: one table per region of what the chain made or changed there, then the failed attempts. */
export function resourceTables(r: Report): { title: string; head: string[]; rows: Cell[][] }[] {
  const done = r.resources.filter((x) => !x.failed);
  return [
    ...[...new Set(done.map((x) => x.region))].map((region) => ({
      title: region,
      head: ['time', 'service', 'call', 'resource', 'detail', 'now', 'by', 'eventID'],
      rows: done
        .filter((x) => x.region === region)
        .map((x) => [
          x.eventTime,
          x.service,
          x.eventName,
          x.resourceId,
          x.detail,
          x.lifecycle?.text ?? null,
          x.ownerUse ? `${x.by} (${OWNER_USE})` : x.by,
          x.eventID,
        ]),
    })),
    {
      title: 'Failed attempts',
      head: ['time', 'region', 'service', 'call', 'error', 'eventID'],
      rows: r.resources.filter((x) => x.failed).map((x) => [x.eventTime, x.region, x.service, x.eventName, x.errorCode, x.eventID]),
    },
  ];
}

/** A group's eventIDs cell: how many, the first few, and where the rest are. */
function eventsCell(g: Report['findingGroups'][number]): string {
  const more = g.events - g.eventIDs.length;
  const count = `${g.events} event${g.events === 1 ? '' : 's'}`;
  return `${more > 0 ? `${count}: ` : ''}${g.eventIDs.join(' ')}${more > 0 ? ` and ${more} more (findings.csv)` : ''}`;
}

/**
 * The findings section: one row per rule x principal x access key, highest level first
 * (Report.findingGroups); what happened, or with `attempts` the groups whose every call was refused.
 */
export function findingTable(r: Report, attempts = false): { head: string[]; rows: Cell[][] } {
  return {
    // First and last time in one column: the summary, the sentence read first, gets the room.
    head: ['level', 'rule', 'principal', 'access key', 'findings', 'when', 'regions', 'summary (first finding)', 'eventIDs'],
    rows: r.findingGroups
      .filter((g) => g.attempt === attempts)
      .map((g) => [
        g.rule.level,
        g.rule.title,
        g.principal,
        g.accessKeyId,
        g.findings,
        g.first === g.last ? g.first : `${g.first} to ${g.last}`,
        g.regions.join(', '),
        g.summary,
        eventsCell(g),
      ]),
  };
}

/** The findings section's first sentence, for the Markdown and the page. */
export const findingsIntro = (r: Report) => {
  const happened = r.findingGroups.filter((g) => !g.attempt).length;
  return (
    `${r.findings.length} finding(s) on the chain's events. On calls that succeeded: ${happened} group(s) of one rule, principal and access key, ` +
    `highest level first (report.json and findings.csv list every finding with all its eventIDs)`
  );
};

/** The sentence above the attempts' table. */
export const attemptsIntro = (r: Report) => {
  const groups = r.findingGroups.filter((g) => g.attempt);
  return groups.length === 0
    ? 'No finding is only on calls that were refused.'
    : `${groups.length} group(s) of findings on calls that were all refused (AccessDenied, a quota, a missing resource): nothing changed, but they show what the holder of the key tried.`;
};

/** The data section: per bucket, secret, parameter or KMS key, what the chain read, wrote and deleted. */
export function dataTable(r: Report): { head: string[]; rows: Cell[][] } {
  return {
    head: ['kind', 'resource', 'reads', 'writes', 'deletes', 'objects', 'bytes out', 'bytes in', 'first', 'last'],
    rows: r.data.map((d) => [d.kind, d.resource, d.reads, d.writes, d.deletes, d.objects, d.bytesOut, d.bytesIn, d.first, d.last]),
  };
}

/** The sentence above it. */
export const dataIntro = (r: Report) =>
  r.data.length
    ? 'What the chain read, wrote and deleted (its calls that succeeded), per S3 bucket, secret, parameter and KMS key, most used first. Every secret and parameter read should be rotated.'
    : r.coverage.s3DataEvents
      ? 'The chain read, wrote or deleted no S3 object, secret, parameter or KMS-protected data in this evidence.'
      : 'The chain read no secret or parameter in this evidence; S3 object activity cannot be known from it (no S3 data events: see Coverage).';

/** Step 4's tables: the billable resources, instance-hours by type, quota increases and support cases. */
export function billingTables(r: Report): { title: string; intro: string | null; head: string[]; rows: Cell[][] }[] {
  const b = r.billing;
  const priced = b.prices !== null;
  return [
    {
      title: 'Billable resources the chain made',
      intro: 'Each with its lifetime as the evidence shows it: from its creation to its removal, or to the end of the evidence.',
      head: ['region', 'type', 'resource', 'detail', 'created', 'until', 'hours', 'state', 'eventID'],
      rows: b.resources.map((x) => [x.region, x.type, x.id, x.detail, x.created, x.until, x.hours, x.state, x.createdEventID]),
    },
    {
      title: 'Instance-hours by instance type',
      intro: priced
        ? `Estimate from ${b.prices!.file}: ${b.prices!.usd} USD${b.prices!.unpriced ? ` (${b.prices!.unpriced} type(s) not in the file, not counted)` : ''}.`
        : 'No prices given (--prices FILE, a CSV of region, instance type, USD per hour): keytrail invents none.',
      head: ['region', 'instance type', 'GPU or accelerator', 'instances', 'hours', ...(priced ? ['USD per hour', 'USD'] : [])],
      rows: b.instanceHours.map((h) => [h.region, h.instanceType, h.gpu ? 'yes' : 'no', h.instances, h.hours, ...(priced ? [h.usdPerHour, h.usd] : [])]),
    },
    {
      title: 'Service Quotas increases and support cases',
      intro: 'Attackers raise Spot and GPU limits, or ask support to, before launching more.',
      head: ['time', 'what', 'by', 'eventID'],
      rows: [
        ...b.quotaRequests.map((q) => [q.eventTime, `${q.service ?? '?'} ${q.quota ?? '?'} to ${q.value ?? '?'} in ${q.region}`, q.by, q.eventID]),
        ...b.supportCases.map((c) => [c.eventTime, `support case${c.subject ? `: ${c.subject}` : ''}`, c.by, c.eventID]),
      ].sort((a, b2) => String(a[0]).localeCompare(String(b2[0]))),
    },
  ];
}
