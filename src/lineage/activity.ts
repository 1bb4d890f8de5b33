/**
 * Each node's activity, in a few grouped queries: an access key's own events; a whole (created or
 * seeded) user's events under any of its credentials; a whole role's sessions; an account or
 * service, the role assumptions it made. Failed calls become the node's attempts.
 */
import { z } from 'zod';
import type { CaseDb } from '../store/db.js';
import { type Sql, sql } from '../store/sql.js';
import { type Actors, isoTime } from '../store/vocabulary.js';
import type { Graph } from './graph.js';

const time = (v: string | null): string | null => (v === null ? null : v.replace(/\.000Z$/, 'Z'));

const SummaryRow = z.object({
  node: z.string(),
  events: z.number(),
  errors: z.number(),
  holder: z.string().nullable(),
  first: z.string(),
  last: z.string(),
  ips: z.array(z.string()).nullable(),
  agents: z.array(z.string()).nullable(),
});
const CountRow = z.object({ node: z.string(), v: z.string(), n: z.number() });
const AttemptRow = z.object({ node: z.string(), eventID: z.string(), eventName: z.string(), errorCode: z.string(), t: z.string() });

export async function activity(db: CaseDb, g: Graph, whole: Actors, inWindow: Sql): Promise<void> {
  await collect(db, g, whole, inWindow);
  try {
    await summarize(db, g);
    await counts(db, g);
    await attempts(db, g);
  } finally {
    await db.exec(sql`DROP TABLE IF EXISTS lin_activity`);
  }
}

/** lin_activity: one row per (node, event), kept once: an event counts for its key and for its whole user or role. */
async function collect(db: CaseDb, g: Graph, whole: Actors, inWindow: Sql): Promise<void> {
  const named = (kind: string) => sql.list([...g.nodes.values()].filter((n) => n.kind === kind).map((n) => n.name));
  const assumedRole = sql`eventName LIKE 'AssumeRole%' AND ${inWindow}
           AND list_contains(${named('role')}, regexp_extract(json_extract_string(requestParameters, '$.roleArn'), '[^/]+$'))`;
  await db.exec(
    sql`CREATE OR REPLACE TEMP TABLE lin_activity AS
     SELECT node, eventID, eventTime, eventName, eventSource, awsRegion, sourceIPAddress, userAgent, errorCode,
            CASE identityType WHEN 'IAMUser' THEN 'user/' || userName WHEN 'AssumedRole' THEN 'role/' || issuer END AS holder
     FROM (
       SELECT userIdentity.accessKeyId AS node, userIdentity.type AS identityType, userIdentity.userName AS userName,
              userIdentity.sessionContext.sessionIssuer.userName AS issuer, * FROM events
       WHERE list_contains(${sql.list(whole.keys)}, userIdentity.accessKeyId) AND ${inWindow}
       UNION ALL SELECT 'user/' || userIdentity.userName, userIdentity.type, userIdentity.userName, NULL, * FROM events
         WHERE userIdentity.type = 'IAMUser' AND list_contains(${sql.list(whole.users)}, userIdentity.userName) AND ${inWindow}
       UNION ALL SELECT 'role/' || userIdentity.sessionContext.sessionIssuer.userName, userIdentity.type, NULL, userIdentity.sessionContext.sessionIssuer.userName, * FROM events
         WHERE userIdentity.type = 'AssumedRole' AND list_contains(${sql.list(whole.roles)}, userIdentity.sessionContext.sessionIssuer.userName) AND ${inWindow}
       UNION ALL SELECT 'account/' || userIdentity.accountId, userIdentity.type, NULL, NULL, * FROM events
         WHERE userIdentity.type = 'AWSAccount' AND list_contains(${named('account')}, userIdentity.accountId) AND ${assumedRole}
       UNION ALL SELECT 'service/' || userIdentity.invokedBy, userIdentity.type, NULL, NULL, * FROM events
         WHERE userIdentity.type = 'AWSService' AND list_contains(${named('service')}, userIdentity.invokedBy) AND ${assumedRole})`,
  );
}

async function summarize(db: CaseDb, g: Graph): Promise<void> {
  const rows = await db.rows(
    sql`SELECT node, count(*) AS events, count(errorCode) AS errors, any_value(holder) AS holder,
            ${isoTime('min(eventTime)')} AS first, ${isoTime('max(eventTime)')} AS last,
            list(DISTINCT sourceIPAddress ORDER BY sourceIPAddress) FILTER (WHERE sourceIPAddress IS NOT NULL) AS ips,
            list(DISTINCT userAgent ORDER BY userAgent) FILTER (WHERE userAgent IS NOT NULL) AS agents
     FROM lin_activity GROUP BY node`,
    SummaryRow,
  );
  for (const r of rows) {
    const n = g.nodes.get(r.node);
    if (!n) continue;
    Object.assign(n.activity, { events: r.events, errors: r.errors, sourceIPs: r.ips ?? [], userAgents: (r.agents ?? []).slice(0, 50) });
    n.firstSeen = time(r.first);
    n.lastSeen = time(r.last);
    if (n.kind === 'access_key' && !n.owner && r.holder) n.owner = r.holder;
  }
}

async function counts(db: CaseDb, g: Graph): Promise<void> {
  for (const [column, field] of [
    ['awsRegion', 'regions'],
    ['eventSource', 'services'],
  ] as const) {
    const c = sql.raw(column);
    const rows = await db.rows(
      sql`SELECT node, ${c} AS v, count(*) AS n FROM lin_activity WHERE ${c} IS NOT NULL GROUP BY ALL ORDER BY node, n DESC, v`,
      CountRow,
    );
    for (const r of rows) {
      const n = g.nodes.get(r.node);
      if (n) n.activity[field][r.v] = r.n;
    }
  }
}

async function attempts(db: CaseDb, g: Graph): Promise<void> {
  const rows = await db.rows(
    sql`SELECT node, eventID, eventName, errorCode, ${isoTime('eventTime')} AS t FROM lin_activity WHERE errorCode IS NOT NULL ORDER BY node, eventTime, eventID`,
    AttemptRow,
  );
  for (const r of rows) g.nodes.get(r.node)?.attempts.push({ eventID: r.eventID, eventName: r.eventName, errorCode: r.errorCode, eventTime: r.t });
}
