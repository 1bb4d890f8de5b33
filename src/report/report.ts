/**
 * The report's facts, walking the four steps of AWS's leaked-key notice (ARCHITECTURE.md §6): the
 * tainted keys and their status history (Step 1), IAM changes by tainted actors (Step 2), what they
 * created or changed in every region (Step 3), what the evidence covers (its gaps included), and the
 * findings. Everything comes from the case database through set-based queries; the renderers
 * (markdown.ts, remediation.ts) only format it.
 */
import { z } from 'zod';
import type { CaseDb } from '../store/db.js';
import { type Sql, sql } from '../store/sql.js';
import { KEY_STATUS_CHANGES, eventIn, isoTime, isWrite, principal } from '../store/vocabulary.js';
import { buildLineage, taintedEvents, taintOf, type Lineage, type LineageNode } from '../lineage/lineage.js';
import { TOOL_AGENTS } from '../lineage/suggest.js';
import { detect, type Finding, type Findings } from '../rules/detect.js';
import { readIntegrity } from '../integrity/store.js';
import { type Provenance, provenance, type RulePack, rulePacks } from '../provenance.js';
import { findingGroups } from '../rules/findings-listing.js';
import { type Billing, billableOf, type Prices, requestsOf } from './billing.js';
import { type Created, type Lifecycle, lifecycleKey, lifecycles } from './lifecycle.js';
import { type ResourceRow, ResourceRowSchema, resourceRows } from './resource-sql.js';
import { undoCommand } from './resource-undo.js';
import { LEVELS } from '../rules/schema.js';
import { undoIam } from './remediation.js';
import type { LoadedCorrelation, LoadedRule } from '../rules/load-rules.js';

export interface KeyStatusChange {
  eventName: string;
  status: string;
  eventTime: string;
  eventID: string;
  by: string | null;
}

export interface ReportKey {
  accessKeyId: string;
  temporary: boolean;
  owner: string | null;
  seed: boolean;
  createdByAttacker: boolean;
  firstUse: string | null;
  lastUse: string | null;
  events: number;
  sourceIPs: string[];
  statusChanges: KeyStatusChange[];
  /** As far as the logs show: Active, Inactive, Deleted, Expires (temporary), or Unknown. */
  lastKnownStatus: string;
}

export interface Change {
  eventTime: string;
  eventName: string;
  eventSource: string;
  region: string;
  target: string | null;
  /** The policy a policy call names (its ARN, or an inline policy's name). */
  policy: string | null;
  /** The aws-cli command that would undo it (remediation.sh has it too, commented out). */
  undo: string | null;
  by: string;
  accessKeyId: string | null;
  eventID: string;
  errorCode: string | null;
  /** The seed key's owner's own use, before the attack window (Report.window.ownerUntil): listed, not to be undone. */
  ownerUse: boolean;
  /** For a creation (a user, key, login profile, role, policy...): what became of it. */
  lifecycle: Lifecycle | null;
}

export interface Resource {
  region: string;
  service: string;
  eventName: string;
  resourceId: string | null;
  /** The resource registry's type (`ec2:instance`) and what the call did; null for a call it does not know. */
  type: string | null;
  action: 'create' | 'change' | 'share' | 'delete' | null;
  /** What the registry reads beside the id: `type g5.xlarge, count 2`, `public IP ...`, `shared with ...`. */
  detail: string | null;
  /** The registry says its type costs money while it exists (Step 4 lists it). */
  billable: boolean;
  /** For a creation: what became of it (removed, still exists, unknown), from the whole evidence. */
  lifecycle: Lifecycle | null;
  /** The aws-cli command that undoes it (commented out in remediation.sh); null when nothing is to be undone. */
  undo: string | null;
  eventID: string;
  eventTime: string;
  by: string;
  failed: boolean;
  errorCode: string | null;
  /** The seed key's owner's own use, before the attack window (Report.window.ownerUntil). */
  ownerUse: boolean;
}

/** Data the chain read, wrote or deleted, per bucket, secret, parameter or KMS key (issue 15 point 5). */
export interface DataTouched {
  kind: 's3' | 'secret' | 'parameter' | 'kms';
  /** The bucket, secret id, parameter name or path, or KMS key. */
  resource: string;
  /** Calls that read (GetObject, GetSecretValue, GetParameter(s), Decrypt ...), wrote and deleted. */
  reads: number;
  writes: number;
  deletes: number;
  /** Distinct object keys (S3 only). */
  objects: number | null;
  /** Bytes as CloudTrail logs them for S3 data events (additionalEventData.bytesTransferredOut / In), when it does. */
  bytesOut: number | null;
  bytesIn: number | null;
  first: string;
  last: string;
}

export interface Coverage {
  regions: { region: string; days: number; events: number; first: string; last: string }[];
  days: string[];
  gaps: string[];
  usEast1: boolean;
  lookupOnly: boolean;
  partialFiles: string[];
  /** Athena or CloudTrail Lake query results among the inputs: they hold what their queries selected, in the table's columns. */
  queryResults: string[];
  /** Inputs refused whole (not CloudTrail, unreadable, ...), with the records counted in them when any. */
  rejectedFiles: { path: string; reason: string | null; records: number }[];
  /** Records refused inside files that loaded (kept in the case's rejects table). */
  rejectedRecords: number;
  /** The evidence's first event, and the seed keys' first use in it. */
  evidenceStart: string | null;
  seedFirstUse: string | null;
  /** Whether the evidence holds S3 data events (object-level calls) at all. */
  s3DataEvents: boolean;
  warnings: string[];
}

/** Findings of one rule by one principal and access key (findingGroups): how many, when, where, and the first few eventIDs. */
export interface FindingGroup {
  rule: Finding['rule'];
  principal: string | null;
  accessKeyId: string | null;
  /** None of the group's events succeeded: attempts that were refused (AccessDenied, a quota), kept apart from what happened. */
  attempt: boolean;
  findings: number;
  /** Distinct events over the group's findings. */
  events: number;
  first: string;
  last: string;
  regions: string[];
  /** The first finding's summary. */
  summary: string;
  /** The first few of the group's eventIDs, in time order (every one is in `findings` and findings.csv). */
  eventIDs: string[];
}

export interface Report {
  generatedAt: string;
  /** keytrail's version, DuckDB's and the built-in rule pack's digest, as `keytrail --version` prints them. */
  provenance: Provenance;
  /** The rule files and folders the findings come from, with their digests (the built-in pack as `built-in`); null when the caller did not name them. */
  rulesRun: RulePack[] | null;
  /** How the evidence stands against CloudTrail's digest files (keytrail verify), when it had any: the statement and every problem. */
  integrity: { statement: string; problems: number; rows: { file: string; check: string; status: string; detail: string }[] } | null;
  /** --tz: the IANA zone report.md and report.html show each time in, beside UTC; null for UTC only. */
  timeZone: string | null;
  seeds: string[];
  /**
   * The attack window. It explains, it never filters: every change of the chain is listed. `ownerUntil`:
   * where the evidence tells the seed key's owner apart from the attacker (the key's first use from an
   * address new to it, or from a scripting or offensive tool), the seed key's events before it are
   * marked as the owner's use; `how` says how the window was decided.
   */
  window: { first: string | null; last: string | null; ownerUntil: string | null; how: string };
  summary: string[];
  keys: ReportKey[];
  iamChanges: Change[];
  resources: Resource[];
  heatmap: { region: string; day: string; events: number }[];
  /** Step 4: the billable resources with their lifetimes, instance-hours, quota increases and support cases. */
  billing: Billing;
  /** Step 4: the incident and its remediation as the logs show them, in time order. */
  timeline: { eventTime: string; what: string; eventID: string }[];
  /** Attacker events per hour (UTC), for the activity chart. */
  activity: { hour: string; events: number; failed: number }[];
  coverage: Coverage;
  /** What the chain read, wrote and deleted (its calls that succeeded, the owner's use left out). */
  data: DataTouched[];
  /** Findings on the chain's events, every one with all its eventIDs. */
  findings: Finding[];
  /** The same findings grouped by rule x principal x access key, highest level first: as report.md and report.html show them. */
  findingGroups: FindingGroup[];
  /** Findings elsewhere in the case (in findings.csv and the case's findings table). */
  otherFindings: number;
  lineage: Lineage;
}

/** A resource's id in the request or response of the calls that create or change one. */
const RESOURCE_ID = sql.raw(`coalesce(
  json_extract_string(responseElements, '$.instancesSet.items[0].instanceId'),
  json_extract_string(responseElements, '$.spotInstanceRequestSet.items[0].spotInstanceRequestId'),
  json_extract_string(responseElements, '$.fleetId'), json_extract_string(responseElements, '$.spotFleetRequestId'),
  json_extract_string(requestParameters, '$.functionName'), json_extract_string(responseElements, '$.functionName'),
  json_extract_string(requestParameters, '$.keyName'), json_extract_string(responseElements, '$.groupId'),
  json_extract_string(requestParameters, '$.groupId'), json_extract_string(requestParameters, '$.groupName'),
  json_extract_string(requestParameters, '$.emailAddress'), json_extract_string(requestParameters, '$.emailIdentity'),
  json_extract_string(requestParameters, '$.domain'), json_extract_string(requestParameters, '$.identity'),
  json_extract_string(requestParameters, '$.snapshotId'), json_extract_string(requestParameters, '$.imageId'),
  json_extract_string(requestParameters, '$.bucketName'), json_extract_string(requestParameters, '$.name'),
  json_extract_string(requestParameters, '$.trailName'), json_extract_string(requestParameters, '$.detectorId'),
  json_extract_string(requestParameters, '$.secretId'), json_extract_string(requestParameters, '$.instanceId'),
  json_extract_string(requestParameters, '$.instancesSet.items[0].instanceId'))`);

const IAM_TARGET = sql.raw(`coalesce(json_extract_string(requestParameters, '$.userName'), json_extract_string(requestParameters, '$.roleName'),
  json_extract_string(requestParameters, '$.groupName'), json_extract_string(requestParameters, '$.policyArn'),
  json_extract_string(requestParameters, '$.accessKeyId'), json_extract_string(requestParameters, '$.serialNumber'),
  json_extract_string(requestParameters, '$.roleArn'), json_extract_string(requestParameters, '$.name'))`);

export interface ReportOptions {
  keys: string[];
  users?: string[];
  since?: string;
  until?: string;
  rules: LoadedRule[];
  correlations: LoadedCorrelation[];
  /** The rule files and folders `rules` were loaded from (BUILTIN_RULES for the built-in pack): the report states them and their digests. */
  rulePaths?: readonly string[];
  /** The rules' findings when the caller has run them (to keep them, as investigate does); else the report runs them. */
  findings?: Findings;
  /** --tz: an IANA zone to show each time in beside UTC (report.md and report.html). */
  timeZone?: string;
  /** USD per hour by region and instance type (--prices): Step 4 turns instance-hours into an estimate. */
  prices?: { file: string; prices: Prices };
  now?: Date;
}

const text = z.string().nullable();

export async function buildReport(db: CaseDb, o: ReportOptions): Promise<Report> {
  const lineage = await buildLineage(db, { keys: o.keys, users: o.users, since: o.since, until: o.until });
  const win = await attackWindow(db, lineage, o.keys);
  // The window explains, it never filters: every event of the chain is read, and the seed key's own
  // use before the attack (where the evidence tells it apart) is marked, not dropped.
  const ownerUse = win.ownerUntil
    ? sql`list_contains(${sql.list(o.keys)}, userIdentity.accessKeyId) AND eventTime < ${win.ownerUntil}::TIMESTAMPTZ`
    : sql`false`;
  // The chain's events, read once: every section below reads this table, not the whole case.
  await db.exec(
    sql`CREATE OR REPLACE TEMP TABLE rep_events AS SELECT *, coalesce(${ownerUse}, false) AS owner_use FROM events WHERE ${taintedEvents(taintOf(lineage))}`,
  );
  try {
    const heatmap = await db.rows(
      sql`SELECT awsRegion AS region, strftime(eventTime, '%Y-%m-%d') AS day, count(*) AS events FROM rep_events WHERE NOT owner_use GROUP BY ALL ORDER BY region, day`,
      z.object({ region: z.string(), day: z.string(), events: z.number() }),
    );
    const coverage = await buildCoverage(
      db,
      heatmap.map((h) => h.region),
      o.now ?? new Date(),
      lineage.nodes
        .filter((n) => n.seed && n.firstSeen)
        .map((n) => n.firstSeen!)
        .sort()[0] ?? null,
    );
    // What the lineage could not find (a seed that never appears) is the first limit a reader must see.
    coverage.warnings.unshift(...lineage.warnings);
    const { findings, groups, total } = await chainFindings(db, o);
    const made = await chainResources(db, new Map(coverage.regions.map((x) => [x.region, x.last])));
    const report: Report = {
      generatedAt: (o.now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z'),
      timeZone: o.timeZone ?? null,
      provenance: provenance(),
      rulesRun: o.rulePaths ? rulePacks(o.rulePaths) : null,
      integrity: await integrityOf(db),
      seeds: lineage.seeds,
      window: win,
      summary: [],
      keys: await keyStatus(db, lineage),
      iamChanges: await iamChangesOf(db, made),
      resources: await resourcesOf(db, made),
      data: await dataTouched(db),
      billing: { resources: [], instanceHours: [], quotaRequests: [], supportCases: [], prices: null },
      heatmap,
      activity: await db.rows(
        sql`SELECT strftime(date_trunc('hour', eventTime), '%Y-%m-%dT%H:00Z') AS hour, count(*) AS events, count(errorCode) AS failed FROM rep_events WHERE NOT owner_use GROUP BY 1 ORDER BY 1`,
        z.object({ hour: z.string(), events: z.number(), failed: z.number() }),
      ),
      coverage,
      findings,
      findingGroups: groups,
      otherFindings: total - findings.length,
      lineage,
      timeline: [],
    };
    const evidenceEnd =
      coverage.regions
        .map((x) => x.last)
        .sort()
        .at(-1) ?? null;
    report.billing = { ...billableOf(report.resources, evidenceEnd, o.prices?.prices, o.prices?.file), ...(await requestsOf(db)) };
    report.summary = summarize(report);
    report.timeline = billingTimeline(report);
    return report;
  } finally {
    await db.exec(sql`DROP TABLE IF EXISTS rep_events`);
  }
}

const SeedStart = z.object({
  key: z.string(),
  first: z.string(),
  ips: z.array(z.string()).nullable(),
  newip: text,
  newipT: text,
  tool: text,
  toolT: text,
});

/**
 * The attack window: from the first thing the chain did that was not the seed key's owner's use, to
 * the last call of any tainted credential. The owner is told apart only where the evidence allows:
 * the seed key used for a day or more, then from an address new to it, or from a scripting or
 * offensive tool it had not shown; its events before that are the owner's (ownerUntil). Without such a
 * sign, every event of the seed key counts as the attacker's.
 */
async function attackWindow(db: CaseDb, lineage: Lineage, seedKeys: string[]): Promise<Report['window']> {
  const seeds = await db.rows(
    sql`WITH k AS (SELECT userIdentity.accessKeyId AS key, eventTime AS t, sourceIPAddress AS ip, userAgent AS ua FROM events WHERE list_contains(${sql.list(seedKeys)}, userIdentity.accessKeyId)),
          f AS (SELECT key, min(t) AS first FROM k GROUP BY key),
          ips AS (SELECT key, ip, min(t) AS t FROM k GROUP BY key, ip),
          newip AS (SELECT ips.key, arg_min(ips.ip, ips.t) AS ip, min(ips.t) AS t FROM ips JOIN f USING (key) WHERE ips.t > f.first + INTERVAL 1 DAY GROUP BY ips.key),
          tool AS (SELECT k.key, arg_min(lower(regexp_extract(k.ua, ${sql.raw(`'${TOOL_AGENTS}'`)}, 1)), k.t) AS tool, min(k.t) AS t
                   FROM k JOIN f USING (key) WHERE regexp_matches(k.ua, ${sql.raw(`'${TOOL_AGENTS}'`)}) AND k.t > f.first GROUP BY k.key),
          sign AS (SELECT f.key, least(n.t, tl.t) AS t FROM f LEFT JOIN newip n USING (key) LEFT JOIN tool tl USING (key))
     SELECT f.key, ${isoTime('f.first')} AS first,
            (SELECT list(DISTINCT k.ip ORDER BY k.ip) FROM k WHERE k.key = f.key AND k.t < coalesce(sign.t, f.first + INTERVAL 1 SECOND) AND k.ip IS NOT NULL) AS ips,
            n.ip AS newip, ${isoTime('n.t')} AS newipT, tl.tool, ${isoTime('tl.t')} AS toolT
     FROM f JOIN sign USING (key) LEFT JOIN newip n USING (key) LEFT JOIN tool tl USING (key) ORDER BY f.key`,
    SeedStart,
  );
  const signOf = (x: z.infer<typeof SeedStart>) => [x.newipT, x.toolT].filter((t): t is string => t !== null).sort()[0] ?? null;
  const signs = seeds.filter((x) => signOf(x) !== null);
  const ownerUntil = signs.map((x) => signOf(x)!).sort()[0] ?? null;
  const how =
    signs.length > 0
      ? signs
          .map((x) => {
            const t = signOf(x)!;
            const why = [
              x.newipT === t ? `from ${x.newip}, an address new to it` : null,
              x.toolT === t ? `with a scripting or offensive tool (${x.tool})` : null,
            ].filter(Boolean);
            return `${x.key} was used ${x.ips?.length ? `from ${x.ips.join(', ')} ` : ''}since ${x.first}, then at ${t} ${why.join(' and ')}: its events before ${t} are marked as its owner's use, and listed.`;
          })
          .join(' ')
      : seeds.length > 0
        ? `Nothing in the evidence tells ${seeds.map((x) => x.key).join(', ')} apart from the attacker (no earlier use from other addresses, no change of tool): every event of the chain is listed as the attacker's.`
        : seedKeys.length === 0
          ? `${lineage.seeds.join(', ')} followed as a whole (every key and session): every event of the chain is listed as the attacker's.`
          : 'The seed does not appear in the evidence.';
  // With the owner told apart, the attack starts at the first sign (what the chain made before it came
  // from the owner's use); without, at the first thing the chain did.
  const chainStarts = [...lineage.edges.map((e) => e.eventTime), ...lineage.nodes.filter((x) => x.tainted && !x.seed && x.firstSeen).map((x) => x.firstSeen!)];
  const starts = (ownerUntil ? [ownerUntil] : [...chainStarts, ...seeds.map((x) => x.first)]).sort();
  const lasts = lineage.nodes
    .filter((x) => x.tainted && x.lastSeen)
    .map((x) => x.lastSeen!)
    .sort();
  return { first: starts[0] ?? null, last: lasts.at(-1) ?? null, ownerUntil, how };
}

/**
 * Step 1's order (issue 15 point 9): the seeds first, then each owner's credentials together (owners
 * in the order of their first use; long-term keys before the temporary credentials they minted),
 * each by first use; credentials never used in the evidence last.
 */
function orderForReading(keys: LineageNode[]): LineageNode[] {
  const used = (k: LineageNode) => k.firstSeen !== null && k.activity.events > 0;
  const ownerFirst = new Map<string, string>();
  for (const k of keys.filter(used)) {
    const o = k.owner ?? k.id;
    const t = ownerFirst.get(o);
    if (t === undefined || k.firstSeen! < t) ownerFirst.set(o, k.firstSeen!);
  }
  const rank = (k: LineageNode): [number, string, string, number, string, string] => [
    k.seed ? 0 : used(k) ? 1 : 2,
    k.seed ? (k.firstSeen ?? '') : (ownerFirst.get(k.owner ?? k.id) ?? '~'),
    k.owner ?? k.id,
    k.temporary ? 1 : 0,
    k.firstSeen ?? '~',
    k.id,
  ];
  const cmp = (a: LineageNode, b: LineageNode) => {
    const [x, y] = [rank(a), rank(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  };
  return [...keys].sort(cmp);
}

const StatusRow = z.object({ k: z.string(), eventName: z.string(), status: z.string(), t: z.string(), eventID: z.string(), by: text });

/** Step 1: each tainted key, its use, and its status changes as the logs show them. */
async function keyStatus(db: CaseDb, lineage: Lineage): Promise<ReportKey[]> {
  const keyNodes = lineage.nodes.filter((x) => x.kind === 'access_key' && x.tainted);
  const changes = await db.rows(
    sql`SELECT json_extract_string(requestParameters, '$.accessKeyId') AS k, eventName, coalesce(json_extract_string(requestParameters, '$.status'), 'Deleted') AS status,
            ${isoTime('eventTime')} AS t, eventID, ${principal()} AS by
     FROM events WHERE ${eventIn(KEY_STATUS_CHANGES)} AND errorCode IS NULL
       AND list_contains(${sql.list(keyNodes.map((x) => x.id))}, json_extract_string(requestParameters, '$.accessKeyId'))
     ORDER BY eventTime, eventID`,
    StatusRow,
  );
  return orderForReading(keyNodes).map((k) => {
    const statusChanges = changes
      .filter((c) => c.k === k.id)
      .map((c) => ({ eventName: c.eventName, status: c.status, eventTime: c.t, eventID: c.eventID, by: c.by }));
    const last = statusChanges.at(-1);
    return {
      accessKeyId: k.id,
      temporary: k.temporary,
      owner: k.owner,
      seed: k.seed,
      createdByAttacker: k.createdByAttacker,
      firstUse: k.firstSeen,
      lastUse: k.lastSeen,
      events: k.activity.events,
      sourceIPs: k.activity.sourceIPs,
      statusChanges,
      lastKnownStatus: last
        ? last.status
        : k.temporary
          ? 'Expires (temporary credentials cannot be deactivated; revoke the role sessions or delete the user)'
          : 'Unknown: no status change in the logs (treat as Active)',
    };
  });
}

const IamRow = z.object({
  t: z.string(),
  eventName: z.string(),
  eventSource: z.string(),
  region: z.string(),
  target: text,
  policy: text,
  userName: text,
  roleName: text,
  groupName: text,
  policyArn: text,
  policyName: text,
  createdKey: text,
  by: z.string(),
  k: text,
  eventID: z.string(),
  errorCode: text,
  ownerUse: z.boolean(),
});

/** What the chain's writes made, by the registry, and what became of each creation: read once for Step 2 and Step 3. */
interface ChainResources {
  byEvent: ReadonlyMap<string, ResourceRow[]>;
  /** The lifecycle of a registry row that is a successful creation; null for any other row. */
  lifecycleOf(r: ResourceRow | null): Lifecycle | null;
}

async function chainResources(db: CaseDb, regionEnd: ReadonlyMap<string, string>): Promise<ChainResources> {
  const registered = await db.rows(resourceRows(sql`SELECT * FROM rep_events WHERE ${isWrite()}`), ResourceRowSchema);
  const byEvent = new Map<string, ResourceRow[]>();
  for (const r of registered) byEvent.set(r.eventID, [...(byEvent.get(r.eventID) ?? []), r]);
  const isCreation = (r: ResourceRow) => r.action === 'create' && r.id !== null && r.errorCode === null;
  const created: Created[] = registered.filter(isCreation).map((r) => ({ type: r.type, id: r.id!, region: r.awsRegion, eventTime: r.eventTime }));
  const life = await lifecycles(db, created, regionEnd);
  return { byEvent, lifecycleOf: (r) => (r && isCreation(r) ? (life.get(lifecycleKey(r.type, r.id!, r.awsRegion)) ?? null) : null) };
}

/** Step 2: IAM changes by the chain, each with the command that would undo it, and what became of what it created. */
async function iamChangesOf(db: CaseDb, made: ChainResources): Promise<Change[]> {
  const lifeOf = (eventID: string) => made.lifecycleOf(made.byEvent.get(eventID)?.find((x) => x.action === 'create') ?? null);
  const rows = await db.rows(
    sql`SELECT ${isoTime('eventTime')} AS t, eventName, eventSource, awsRegion AS region, ${IAM_TARGET} AS target,
            coalesce(json_extract_string(requestParameters, '$.policyArn'), json_extract_string(requestParameters, '$.policyName')) AS policy,
            json_extract_string(requestParameters, '$.userName') AS userName, json_extract_string(requestParameters, '$.roleName') AS roleName,
            json_extract_string(requestParameters, '$.groupName') AS groupName, json_extract_string(requestParameters, '$.policyArn') AS policyArn,
            json_extract_string(requestParameters, '$.policyName') AS policyName, json_extract_string(responseElements, '$.accessKey.accessKeyId') AS createdKey,
            ${principal()} AS by, userIdentity.accessKeyId AS k, eventID, errorCode, owner_use AS ownerUse
     FROM rep_events WHERE eventSource = 'iam.amazonaws.com' AND ${isWrite()}
     ORDER BY eventTime, eventID`,
    IamRow,
  );
  return rows.map((r) => ({
    eventTime: r.t,
    eventName: r.eventName,
    eventSource: r.eventSource,
    region: r.region,
    target: r.target,
    policy: r.policy,
    // The owner's own changes are listed, never proposed for undoing; nor is what is gone already.
    undo: r.errorCode || r.ownerUse || lifeOf(r.eventID)?.state === 'removed' ? null : undoIam(r.eventName, { ...r, accessKeyId: r.createdKey }),
    lifecycle: r.errorCode ? null : lifeOf(r.eventID),
    by: r.by,
    accessKeyId: r.k,
    eventID: r.eventID,
    errorCode: r.errorCode,
    ownerUse: r.ownerUse,
  }));
}

const ChainWrite = z.object({
  region: z.string(),
  service: z.string(),
  eventSource: z.string(),
  eventName: z.string(),
  fallbackId: text,
  eventID: z.string(),
  t: z.string(),
  by: z.string(),
  errorCode: text,
  ownerUse: z.boolean(),
});

/**
 * Step 3: what the chain created, changed, shared or deleted outside IAM and STS, region by region.
 * Each call the resource registry knows gives one row per resource it names (with its type, detail,
 * undo and, for a creation, its lifecycle); a call it does not know keeps one row with the id a
 * generic look at the record finds, so that nothing the chain did drops out.
 */
async function resourcesOf(db: CaseDb, made: ChainResources): Promise<Resource[]> {
  const writes = sql`SELECT * FROM rep_events WHERE eventSource NOT IN ('iam.amazonaws.com', 'sts.amazonaws.com', 'signin.amazonaws.com') AND ${isWrite()}`;
  const calls = await db.rows(
    sql`SELECT awsRegion AS region, replace(eventSource, '.amazonaws.com', '') AS service, eventSource, eventName, ${RESOURCE_ID} AS fallbackId, eventID,
            ${isoTime('eventTime')} AS t, ${principal()} AS by, errorCode, owner_use AS ownerUse
     FROM (${writes}) ORDER BY awsRegion, eventSource, eventTime, eventID`,
    ChainWrite,
  );
  return calls.flatMap((c): Resource[] => {
    const base = {
      region: c.region,
      service: c.service,
      eventName: c.eventName,
      eventID: c.eventID,
      eventTime: c.t,
      by: c.by,
      failed: c.errorCode !== null,
      errorCode: c.errorCode,
      ownerUse: c.ownerUse,
    };
    const rows = made.byEvent.get(c.eventID);
    if (!rows) return [{ ...base, resourceId: c.fallbackId, type: null, action: null, detail: null, billable: false, lifecycle: null, undo: null }];
    return [...rows]
      .sort((a, b) => (a.id ?? '').localeCompare(b.id ?? ''))
      .map((r) => {
        const lifecycle = made.lifecycleOf(r);
        // Nothing to undo for what is gone already, for the owner's own use, or for a failed call.
        const undo = c.ownerUse || lifecycle?.state === 'removed' ? null : undoCommand(r);
        return { ...base, resourceId: r.id, type: r.type, action: r.action, detail: r.detail, billable: r.billable, lifecycle, undo };
      });
  });
}

/**
 * Findings on the chain's events (any of a correlation's), and how many the whole case has: from the
 * caller's run when it passed one (investigate keeps them for the case), else from a run of the
 * report's own, let go of afterwards.
 */
async function chainFindings(db: CaseDb, o: ReportOptions): Promise<{ findings: Finding[]; groups: FindingGroup[]; total: number }> {
  const run = o.findings ?? (await detect(db, o.rules, { correlations: o.correlations }));
  try {
    // A finding none of whose events succeeded is an attempt: what the holder of the key tried and was refused.
    const onChain = sql`WITH f AS (SELECT * FROM (${run.query()}) WHERE list_has_any(eventIDs, (SELECT list(eventID) FROM rep_events))),
      ok AS (SELECT coalesce(list(eventID), []) AS ids FROM events WHERE errorCode IS NULL AND eventID IN (SELECT unnest(eventIDs) FROM f))
      SELECT f.*, NOT list_has_any(f.eventIDs, ok.ids) AS attempt FROM f, ok`;
    const groups = await db.rows(findingGroups(onChain, { attempts: true }), GroupRow);
    return { findings: await run.touching(sql`SELECT eventID FROM rep_events`), groups, total: run.count };
  } finally {
    if (!o.findings) await run.drop();
  }
}

const GroupRow = z.object({
  rule: z.object({ id: z.string(), title: z.string(), level: z.enum(LEVELS), tags: z.array(z.string()), author: text }),
  principal: text,
  accessKeyId: text,
  attempt: z.boolean(),
  findings: z.number(),
  events: z.number(),
  first: z.string(),
  last: z.string(),
  regions: z.array(z.string()),
  summary: z.string(),
  eventIDs: z.array(z.string()),
});

const RegionRow = z.object({ region: z.string(), days: z.number(), events: z.number(), first: z.string(), last: z.string() });

/** Which calls read, write or delete data, and where the resource's name is. */
const DATA_CALLS = sql.raw(`CASE
    WHEN eventSource = 's3.amazonaws.com' AND eventName IN ('GetObject', 'SelectObjectContent', 'RestoreObject') THEN 'read'
    WHEN eventSource = 's3.amazonaws.com' AND eventName IN ('PutObject', 'CopyObject', 'CompleteMultipartUpload', 'UploadPart', 'UploadPartCopy', 'PutObjectAcl') THEN 'write'
    WHEN eventSource = 's3.amazonaws.com' AND eventName IN ('DeleteObject', 'DeleteObjects', 'DeleteObjectVersion') THEN 'delete'
    WHEN eventSource = 'secretsmanager.amazonaws.com' AND eventName IN ('GetSecretValue', 'BatchGetSecretValue') THEN 'read'
    WHEN eventSource = 'secretsmanager.amazonaws.com' AND eventName IN ('PutSecretValue', 'UpdateSecret') THEN 'write'
    WHEN eventSource = 'secretsmanager.amazonaws.com' AND eventName = 'DeleteSecret' THEN 'delete'
    WHEN eventSource = 'ssm.amazonaws.com' AND eventName IN ('GetParameter', 'GetParameters', 'GetParametersByPath', 'GetParameterHistory') THEN 'read'
    WHEN eventSource = 'ssm.amazonaws.com' AND eventName = 'PutParameter' THEN 'write'
    WHEN eventSource = 'ssm.amazonaws.com' AND eventName IN ('DeleteParameter', 'DeleteParameters') THEN 'delete'
    WHEN eventSource = 'kms.amazonaws.com' AND eventName IN ('Decrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncrypt') THEN 'read'
    WHEN eventSource = 'kms.amazonaws.com' AND eventName = 'Encrypt' THEN 'write'
  END`);

const DataRow = z.object({
  kind: z.enum(['s3', 'secret', 'parameter', 'kms']),
  resource: z.string(),
  reads: z.number(),
  writes: z.number(),
  deletes: z.number(),
  objects: z.number().nullable(),
  bytesOut: z.number().nullable(),
  bytesIn: z.number().nullable(),
  first: z.string(),
  last: z.string(),
});

/**
 * Data the chain touched: its successful data calls (not the owner's use), one row per bucket, secret,
 * parameter (or path) and KMS key, most read first. A call naming several secrets or parameters counts
 * for each.
 */
async function dataTouched(db: CaseDb): Promise<DataTouched[]> {
  return db.rows(
    sql`WITH c AS (
          SELECT *, ${DATA_CALLS} AS op FROM rep_events WHERE errorCode IS NULL AND NOT owner_use),
        named AS (
          SELECT 's3' AS kind, json_extract_string(requestParameters, '$.bucketName') AS resource, op, eventTime,
                 json_extract_string(requestParameters, '$.key') AS object,
                 TRY_CAST(json_extract_string(additionalEventData, '$.bytesTransferredOut') AS DOUBLE) AS bout,
                 TRY_CAST(json_extract_string(additionalEventData, '$.bytesTransferredIn') AS DOUBLE) AS bin
          FROM c WHERE op IS NOT NULL AND eventSource = 's3.amazonaws.com'
          UNION ALL
          SELECT 'secret', unnest(CASE
                   WHEN json_extract_string(requestParameters, '$.secretId') IS NOT NULL THEN [json_extract_string(requestParameters, '$.secretId')]
                   WHEN len(json_extract_string(requestParameters, '$.secretIdList[*]')) > 0 THEN json_extract_string(requestParameters, '$.secretIdList[*]')
                   ELSE ['(secrets selected by filters)'] END),
                 op, eventTime, NULL, NULL, NULL
          FROM c WHERE op IS NOT NULL AND eventSource = 'secretsmanager.amazonaws.com'
          UNION ALL
          SELECT 'parameter', unnest(CASE
                   WHEN json_extract_string(requestParameters, '$.name') IS NOT NULL THEN [json_extract_string(requestParameters, '$.name')]
                   WHEN len(json_extract_string(requestParameters, '$.names[*]')) > 0 THEN json_extract_string(requestParameters, '$.names[*]')
                   ELSE [coalesce(json_extract_string(requestParameters, '$.path') || ' (by path)', '(not named in the record)')] END),
                 op, eventTime, NULL, NULL, NULL
          FROM c WHERE op IS NOT NULL AND eventSource = 'ssm.amazonaws.com'
          UNION ALL
          SELECT 'kms', coalesce(json_extract_string(requestParameters, '$.keyId'), json_extract_string(resources, '$[0].ARN'), '(key not named)'),
                 op, eventTime, NULL, NULL, NULL
          FROM c WHERE op IS NOT NULL AND eventSource = 'kms.amazonaws.com')
     SELECT kind, coalesce(resource, '(not named in the record)') AS resource,
            count(*) FILTER (WHERE op = 'read')::INTEGER AS reads, count(*) FILTER (WHERE op = 'write')::INTEGER AS writes,
            count(*) FILTER (WHERE op = 'delete')::INTEGER AS deletes,
            CASE WHEN kind = 's3' THEN count(DISTINCT object)::INTEGER END AS objects,
            sum(bout) AS bytesOut, sum(bin) AS bytesIn, ${isoTime('min(eventTime)')} AS first, ${isoTime('max(eventTime)')} AS last
     FROM named GROUP BY kind, resource ORDER BY reads + writes + deletes DESC, kind, resource`,
    DataRow,
  );
}

const RejectedRow = z.object({ path: z.string(), reason: text, records: z.number() });

async function buildCoverage(db: CaseDb, attackerRegions: string[], now: Date, seedFirstUse: string | null): Promise<Coverage> {
  const regions = await db.rows(
    sql`SELECT awsRegion AS region, count(DISTINCT eventTime::DATE) AS days, count(*) AS events, ${isoTime('min(eventTime)')} AS first, ${isoTime('max(eventTime)')} AS last
     FROM events GROUP BY 1 ORDER BY 1`,
    RegionRow,
  );
  const column = async (q: Sql) => (await db.rows(q, z.object({ v: z.string() }))).map((r) => r.v);
  const days = await column(sql`SELECT DISTINCT strftime(eventTime, '%Y-%m-%d') AS v FROM events ORDER BY 1`);
  const formats = await column(sql`SELECT format AS v FROM files WHERE status IN ('ingested', 'partial') GROUP BY 1`);
  const partialFiles = await column(sql`SELECT path AS v FROM files WHERE status = 'partial' ORDER BY path`);
  const queryResults = await column(
    sql`SELECT path AS v FROM files WHERE status IN ('ingested', 'partial') AND format IN ('athena-result', 'cloudtrail-lake-result') ORDER BY path`,
  );
  const gaps = missingDays(days);
  const usEast1 = regions.some((r) => r.region === 'us-east-1');
  const lookupOnly = formats.length > 0 && formats.every((f) => f === 'lookup-events' || f.startsWith('console'));
  const rejectedFiles = await db.rows(
    sql`SELECT path, reason, greatest(records, rejected_records) AS records FROM files WHERE status = 'rejected' ORDER BY path`,
    RejectedRow,
  );
  const { n: rejectedRecords } = await db.one(
    sql`SELECT coalesce(sum(rejected_records), 0)::INTEGER AS n FROM files WHERE status <> 'rejected'`,
    z.object({ n: z.number() }),
  );
  const evidenceStart = regions.map((r) => r.first).sort()[0] ?? null;
  const { n: s3Data } = await db.one(
    sql`SELECT count(*)::INTEGER AS n FROM (SELECT 1 FROM events WHERE eventSource = 's3.amazonaws.com' AND (eventCategory = 'Data' OR eventName IN ('GetObject', 'PutObject', 'DeleteObject', 'DeleteObjects')) LIMIT 1)`,
    z.object({ n: z.number() }),
  );
  const c = {
    regions,
    days,
    gaps,
    usEast1,
    lookupOnly,
    partialFiles,
    queryResults,
    rejectedFiles,
    rejectedRecords,
    evidenceStart,
    seedFirstUse,
    s3DataEvents: s3Data > 0,
  };
  return { ...c, warnings: coverageWarnings({ ...c, attackerRegions, now }) };
}

/** Days without any event between the first and the last day with some. */
function missingDays(days: string[]): string[] {
  const gaps: string[] = [];
  if (days.length < 2) return gaps;
  const have = new Set(days);
  for (let d = new Date(`${days[0]}T00:00:00Z`); d <= new Date(`${days.at(-1)}T00:00:00Z`); d = new Date(d.getTime() + 86400000)) {
    const s = d.toISOString().slice(0, 10);
    if (!have.has(s)) gaps.push(s);
  }
  return gaps;
}

function coverageWarnings(c: Omit<Coverage, 'warnings'> & { attackerRegions: string[]; now: Date }): string[] {
  const warnings: string[] = [];
  if (!c.usEast1)
    warnings.push(
      'us-east-1 is missing: IAM and STS events (users, keys, roles, sessions) are logged there, so Step 1 and Step 2 cannot be answered from this evidence.',
    );
  for (const r of c.attackerRegions) if (!c.regions.some((x) => x.region === r)) warnings.push(`no evidence from ${r}`);
  if (c.regions.length === 1)
    warnings.push(
      `the evidence holds one region only (${c.regions[0]!.region}): "every region" in Step 3 means that one; ask for every enabled region's logs before concluding nothing was launched elsewhere.`,
    );
  if (c.rejectedFiles.length) {
    const records = c.rejectedFiles.reduce((n, f) => n + f.records, 0);
    warnings.push(
      `${c.rejectedFiles.length} input file(s) were rejected${records ? ` (${records} record(s) in them)` : ''}, so their events are not in this report: ${c.rejectedFiles
        .slice(0, 3)
        .map((f) => `${f.path}${f.reason ? ` (${f.reason})` : ''}`)
        .join('; ')}${c.rejectedFiles.length > 3 ? '; ...' : ''} (keytrail files --status rejected lists them).`,
    );
  }
  if (c.rejectedRecords)
    warnings.push(`${c.rejectedRecords} record(s) were rejected inside files that loaded (kept in the case's rejects table): they are not in this report.`);
  if (c.evidenceStart && c.seedFirstUse && Date.parse(c.seedFirstUse) - Date.parse(c.evidenceStart) < 86400000)
    warnings.push(
      `the evidence starts at ${c.evidenceStart}, less than a day before the seed's first use in it (${c.seedFirstUse}): when the key was first used, and by whom, may lie before the evidence; ask for older logs.`,
    );
  if (c.gaps.length)
    warnings.push(`no events at all on ${c.gaps.length} day(s) inside the covered span: ${c.gaps.slice(0, 10).join(', ')}${c.gaps.length > 10 ? ', ...' : ''}`);
  const oldest = c.days[0] ? new Date(`${c.days[0]}T00:00:00Z`) : null;
  if (c.lookupOnly)
    warnings.push(
      'the evidence is console event history / lookup-events only: it keeps 90 days of management events per region and no data events; anything older, and S3 object or Lambda invoke activity, is not here.',
    );
  if (c.lookupOnly && oldest && c.now.getTime() - oldest.getTime() > 85 * 86400000)
    warnings.push(`the oldest event is ${c.days[0]}, near the 90-day limit of event history: earlier activity may have aged out.`);
  if (c.partialFiles.length)
    warnings.push(
      `${c.partialFiles.length} input(s) were field-limited (CSV without the event JSON): request and response details, and so created resource ids, are missing for their events.`,
    );
  if (c.queryResults.length)
    warnings.push(
      `${c.queryResults.length} input(s) are Athena or CloudTrail Lake query results: they hold the events their queries selected (keytrail athena plan asks for every event of the chain), in the query table's columns only (fields CloudTrail added later, such as sessionContext.sourceIdentity, are absent).`,
    );
  // Last: it limits one question (what data was read) where the ones above limit them all.
  if (!c.s3DataEvents)
    warnings.push(
      'no S3 data events in the evidence (object reads, writes and deletes are logged only when the trail records data events): what the chain read from or wrote to S3 cannot be known from it.',
    );
  return warnings;
}

/** Problems the report lists under Coverage; the rest are in the case's integrity table (keytrail verify prints them all). */
const MAX_INTEGRITY_ROWS = 200;

async function integrityOf(db: CaseDb): Promise<Report['integrity']> {
  const i = await readIntegrity(db);
  if (!i) return null;
  return { statement: i.summary.statement, problems: i.problems.length, rows: i.problems.slice(0, MAX_INTEGRITY_ROWS) };
}

function summarize(r: Report): string[] {
  const longTerm = r.keys.filter((k) => !k.temporary);
  const temp = r.keys.filter((k) => k.temporary);
  // The attacker's changes: not the failed ones, not the owner's own use before the window.
  const changes = r.iamChanges.filter((c) => !c.errorCode && !c.ownerUse);
  const made = r.resources.filter((x) => !x.failed && !x.ownerUse);
  const owner = r.iamChanges.filter((c) => !c.errorCode && c.ownerUse).length + r.resources.filter((x) => !x.failed && x.ownerUse).length;
  const regions = [...new Set(made.map((x) => x.region))];
  const identities = r.lineage.nodes.filter((n) => n.tainted && n.createdByAttacker && n.kind !== 'access_key').map((n) => n.id);
  // What happened, not what was tried: attempt groups are counted apart.
  const severe = r.findingGroups.filter((g) => !g.attempt && (g.rule.level === 'critical' || g.rule.level === 'high'));
  const titles = [...new Set(severe.map((g) => g.rule.title))];
  const severeCount = severe.reduce((n, g) => n + g.findings, 0);
  const attempts = r.findingGroups.filter((g) => g.attempt).reduce((n, g) => n + g.findings, 0);
  return [
    // Evidence that is not what CloudTrail delivered comes before anything read from it.
    ...(r.integrity?.problems
      ? [`Evidence integrity: ${r.integrity.problems} problem(s) against CloudTrail's digest files (under Coverage): ${r.integrity.statement}.`]
      : []),
    r.window.first
      ? `Attacker activity from ${r.window.first} to ${r.window.last ?? '?'}, starting from ${r.seeds.join(', ')}. ${r.window.how}`
      : `No activity of ${r.seeds.join(', ')} in this evidence: nothing below is the attacker's.`,
    `${longTerm.length} long-term key(s) and ${temp.length} temporary credential(s) in the chain; identities the attacker created: ${identities.length ? identities.join(', ') : 'none'}.`,
    `${changes.length} IAM change(s) and ${made.length} resource change(s) in ${regions.length} region(s)${regions.length ? ` (${regions.join(', ')})` : ''}; ${r.resources.filter((x) => x.failed).length + r.iamChanges.filter((c) => c.errorCode).length} failed attempt(s)${owner ? `; ${owner} change(s) by the seed key's owner before the attack, listed and marked` : ''}.`,
    ...dataLine(r),
    `${r.findings.length} finding(s) on the chain's events, ${severeCount} high or critical on calls that succeeded${titles.length ? ` (${titles.slice(0, 5).join('; ')}${titles.length > 5 ? `; ${titles.length - 5} more rule(s)` : ''})` : ''}${attempts ? `; ${attempts} on attempts that were refused` : ''}${r.otherFindings ? `; ${r.otherFindings} more elsewhere in the case (findings.csv)` : ''}.`,
    r.coverage.warnings.length
      ? `Evidence limits (${r.coverage.warnings.length}): ${r.coverage.warnings.slice(0, 4).join(' ')}${r.coverage.warnings.length > 4 ? ` (${r.coverage.warnings.length - 4} more under Coverage)` : ''}`
      : `Evidence covers ${r.coverage.regions.length} region(s) over ${r.coverage.days.length} day(s), us-east-1 included.`,
  ];
}

/** The summary's line on data, when the chain touched any. */
function dataLine(r: Report): string[] {
  if (r.data.length === 0) return [];
  const sum = (kind: DataTouched['kind'], f: (d: DataTouched) => number) => r.data.filter((d) => d.kind === kind).reduce((n, d) => n + f(d), 0);
  const buckets = r.data.filter((d) => d.kind === 's3');
  const parts = [
    buckets.length
      ? `S3: ${sum('s3', (d) => d.reads)} object read(s), ${sum('s3', (d) => d.writes)} write(s), ${sum('s3', (d) => d.deletes)} delete(s) in ${buckets.length} bucket(s)`
      : null,
    sum('secret', (d) => d.reads) ? `${r.data.filter((d) => d.kind === 'secret' && d.reads).length} secret(s) read` : null,
    sum('parameter', (d) => d.reads) ? `${r.data.filter((d) => d.kind === 'parameter' && d.reads).length} parameter(s) read` : null,
    sum('kms', (d) => d.reads + d.writes) ? `${r.data.filter((d) => d.kind === 'kms').length} KMS key(s) used` : null,
  ].filter(Boolean);
  return [`Data touched by the chain: ${parts.join('; ')} (see "Data touched by the chain"; every secret read should be rotated).`];
}

/** What a support case needs: key status changes, IAM changes, the billable resources made and removed, quota and support requests, in time order, each event once. */
function billingTimeline(r: Report): Report['timeline'] {
  const rows: Report['timeline'] = [
    ...r.keys.flatMap((k) =>
      k.statusChanges.map((c) => ({ eventTime: c.eventTime, what: `${c.eventName} ${k.accessKeyId} -> ${c.status} by ${c.by ?? '?'}`, eventID: c.eventID })),
    ),
    // A key's status change is in Step 1's rows already: its IAM call is not listed a second time.
    ...r.iamChanges
      .filter((c) => !c.errorCode && !c.ownerUse && !r.keys.some((k) => k.statusChanges.some((x) => x.eventID === c.eventID)))
      .map((c) => ({ eventTime: c.eventTime, what: `${c.eventName}${c.target ? ` ${c.target}` : ''} by ${c.by}`, eventID: c.eventID })),
    ...r.billing.resources.flatMap((x) => [
      { eventTime: x.created, what: `created ${x.type} ${x.id} in ${x.region}${x.detail ? ` (${x.detail})` : ''}`, eventID: x.createdEventID },
      ...(x.removed ? [{ eventTime: x.removed, what: `removed ${x.type} ${x.id} in ${x.region}: ${x.state}`, eventID: x.removedEventID ?? '' }] : []),
    ]),
    ...r.billing.quotaRequests.map((q) => ({
      eventTime: q.eventTime,
      what: `Service Quotas increase requested: ${q.service ?? '?'} ${q.quota ?? '?'} to ${q.value ?? '?'} in ${q.region} by ${q.by}`,
      eventID: q.eventID,
    })),
    ...r.billing.supportCases.map((c) => ({
      eventTime: c.eventTime,
      what: `support case opened${c.subject ? `: ${c.subject}` : ''} by ${c.by}`,
      eventID: c.eventID,
    })),
  ];
  // One row per event and what: a call that made several resources keeps a row for each, a key change listed twice is once.
  const seen = new Set<string>();
  return rows
    .filter((x) => {
      const k = `${x.eventID}\u0000${x.what}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.eventTime.localeCompare(b.eventTime) || a.eventID.localeCompare(b.eventID));
}
