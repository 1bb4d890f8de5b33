/**
 * `keytrail lineage --suggest`: long-term access keys ranked by how much they look leaked, with the
 * reasons, for a responder who was not told which key to start from. One query per signal, over
 * the whole table:
 *  - a new source IP: first seen more than a day after the key's own first event (so the key had a
 *    history elsewhere), and after a quiet period when there was one;
 *  - GetCallerIdentity followed by enumeration (10 or more List/Describe/Get calls within 15 minutes);
 *  - a scripting or offensive tool's user agent;
 *  - a burst of access-denied errors (5 or more within 10 minutes);
 *  - IAM changes (users, keys, login profiles, policies, roles) from an IP new to the key.
 */
import { z } from 'zod';
import type { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';
import { IAM_FOOTHOLD_CALLS, eventIn, isoTime } from '../store/vocabulary.js';

export interface Suggestion {
  accessKeyId: string;
  owner: string | null;
  score: number;
  reasons: string[];
  firstSuspicious: string | null;
  sourceIPs: string[];
}

/** A scripting or offensive tool in a user agent (the report's attack window reads the same). */
export const TOOL_AGENTS =
  '(?i)(python-requests|curl|go-http-client|trufflehog|pacu|kali|parrot|pentoo|okhttp|aiohttp|wget|nmap|masscan|scoutsuite|prowler|cloudfox|weirdaal|stratus)';
const Reasons = z.object({
  key: z.string(),
  owner: z.string().nullable(),
  ips: z.array(z.string().nullable()).nullable(),
  newips: z.array(z.object({ ip: z.string(), t: z.string(), quiet_h: z.number().nullable(), iam: z.number() })).nullable(),
  probes: z.array(z.object({ t: z.string(), reads: z.number() })).nullable(),
  tools: z.array(z.object({ tool: z.string(), t: z.string() })).nullable(),
  denied: z.object({ n: z.number().nullable(), t: z.string().nullable() }).nullable(),
});
type Signals = z.infer<typeof Reasons>;

export async function suggestKeys(db: CaseDb, limit = 20): Promise<Suggestion[]> {
  const rows = await db.rows(
    sql`WITH k AS (
       SELECT userIdentity.accessKeyId AS key, eventTime AS t, sourceIPAddress AS ip, userAgent AS ua, eventName, errorCode,
              CASE userIdentity.type WHEN 'IAMUser' THEN 'user/' || userIdentity.userName END AS owner
       FROM events WHERE userIdentity.accessKeyId LIKE 'AKIA%'),
     firsts AS (SELECT key, min(t) AS first, any_value(owner) AS owner, list(DISTINCT ip ORDER BY ip) AS ips FROM k GROUP BY key),
     ipfirst AS (SELECT key, ip, min(t) AS t FROM k WHERE ip IS NOT NULL GROUP BY key, ip),
     newip AS (
       SELECT i.key, i.ip, i.t,
              (SELECT max(k2.t) FROM k k2 WHERE k2.key = i.key AND k2.t < i.t) AS before,
              (SELECT count(*) FROM k k3 WHERE k3.key = i.key AND k3.ip = i.ip AND ${eventIn(IAM_FOOTHOLD_CALLS, 'k3')} AND k3.errorCode IS NULL) AS iam
       FROM ipfirst i JOIN firsts f USING (key) WHERE i.t > f.first + INTERVAL 1 DAY),
     probes AS (
       SELECT g.key, g.t, g.ip, (SELECT count(*) FROM k e WHERE e.key = g.key AND e.t > g.t AND e.t <= g.t + INTERVAL 15 MINUTE
                             AND regexp_matches(e.eventName, '^(List|Describe|Get)') AND e.eventName <> 'GetCallerIdentity') AS reads
       -- a pipeline checks its identity and reads too: only probes from an address new to the key count
       FROM k g JOIN newip n ON n.key = g.key AND n.ip = g.ip WHERE g.eventName = 'GetCallerIdentity'),
     tools AS (SELECT key, lower(regexp_extract(ua, ${sql.raw(`'${TOOL_AGENTS}'`)}, 1)) AS tool, min(t) AS t FROM k WHERE regexp_matches(ua, ${sql.raw(`'${TOOL_AGENTS}'`)}) GROUP BY ALL),
     denied AS (
       SELECT key, t, count(*) OVER (PARTITION BY key ORDER BY t RANGE BETWEEN CURRENT ROW AND INTERVAL 10 MINUTE FOLLOWING) AS n
       FROM k WHERE regexp_matches(coalesce(errorCode, ''), '(AccessDenied|UnauthorizedOperation|UnauthorizedAccess)'))
     SELECT f.key, f.owner, f.ips,
       (SELECT list({'ip': ip, 't': ${isoTime('t')}, 'quiet_h': date_diff('hour', before, t), 'iam': iam} ORDER BY t) FROM newip n WHERE n.key = f.key) AS newips,
       (SELECT list({'t': ${isoTime('t')}, 'reads': reads} ORDER BY t) FROM probes p WHERE p.key = f.key AND p.reads >= 10) AS probes,
       (SELECT list({'tool': tool, 't': ${isoTime('t')}} ORDER BY t) FROM tools x WHERE x.key = f.key) AS tools,
       (SELECT {'n': max(n), 't': ${isoTime('arg_max(t, n)')}} FROM denied d WHERE d.key = f.key) AS denied
     FROM firsts f`,
    Reasons,
  );
  return rows
    .flatMap((r) => score(r) ?? [])
    .sort((a, b) => b.score - a.score || a.accessKeyId.localeCompare(b.accessKeyId))
    .slice(0, limit);
}

/** What one signal adds: points, a reason each, and the times it points at. */
interface Evidence {
  score: number;
  reasons: string[];
  times: string[];
}

function newAddresses(r: Signals, e: Evidence): void {
  for (const n of r.newips ?? []) {
    e.score += 2;
    e.times.push(n.t);
    const quiet = n.quiet_h !== null && n.quiet_h >= 6 ? `, after ${n.quiet_h} h without any call` : '';
    e.reasons.push(`first use from ${n.ip} at ${n.t}, more than a day after the key's first event${quiet}`);
    if (n.iam > 0) {
      e.score += 3;
      e.reasons.push(`${n.iam} IAM change(s) (users, keys, passwords, policies, roles) from that new address ${n.ip}`);
    }
  }
}

function probes(r: Signals, e: Evidence): void {
  for (const p of r.probes ?? []) {
    e.score += 3;
    e.times.push(p.t);
    e.reasons.push(`GetCallerIdentity at ${p.t} from that new address, then ${p.reads} List/Describe/Get calls within 15 minutes`);
  }
}

function tools(r: Signals, e: Evidence): void {
  const tools = r.tools ?? [];
  if (tools.length === 0) return;
  e.score += Math.min(tools.length, 2);
  e.times.push(tools[0]!.t);
  e.reasons.push(`user agents of scripting or offensive tools: ${tools.map((x) => `${x.tool} (from ${x.t})`).join(', ')}`);
}

function denials(r: Signals, e: Evidence): void {
  const d = r.denied;
  if (!d || d.n === null || d.n < 5) return;
  e.score += 2;
  if (d.t) e.times.push(d.t);
  e.reasons.push(`${d.n} access-denied errors within 10 minutes from ${d.t}`);
}

/** A key's score and reasons from its signals, in this order; nothing when no signal is there. */
function score(r: Signals): Suggestion | null {
  const e: Evidence = { score: 0, reasons: [], times: [] };
  for (const signal of [newAddresses, probes, tools, denials]) signal(r, e);
  if (e.score === 0) return null;
  const sourceIPs = (r.ips ?? []).filter((ip): ip is string => ip !== null);
  return { accessKeyId: r.key, owner: r.owner, score: e.score, reasons: e.reasons, firstSuspicious: e.times.sort()[0] ?? null, sourceIPs };
}
