/**
 * What is usual for a principal, learnt from the case itself: the field `keytrail.baseline` that
 * rules use to fire only on what is new for the identity making the call (issue 14: routine work
 * must not bury the attacker). It is not in the CloudTrail record; the scan computes it for the
 * events of the case before the rules run, into the temporary table kt_baseline, and a rule reads
 * it as any other field (`keytrail.baseline: usual`, `not usual`).
 *
 * Each event has a principal (the role for an assumed-role session, so hourly session keys share
 * their role's history; the user; the root; a caller from another account by that account; an AWS
 * service by its name), a source network (an IPv4 /24, an IPv6 /64, otherwise the value itself, as
 * `lambda.amazonaws.com` or `AWS Internal`) and, for an IAM user or root, its long-term key (AKIA).
 * Each of the three (the principal, the principal with that network, the key) is *established* at
 * an event when it was there from the first day of the evidence and is still there a day later
 * (routine that persists), or when it was first seen a week or more before the event. The value:
 * - `no-baseline`: the evidence spans less than two days: nothing can be told apart from routine,
 *   every event counts as new.
 * - `new-principal`: the principal is not established: it first appears a day or more into the
 *   evidence (created during the case, or never active before), or it appears on the first day
 *   only and is gone a day later.
 * - `new-key`: an established user calls with a long-term key that is not (a key created during the
 *   case, or used only in one short burst, as a leaked or freshly minted key often is).
 * - `new-network`: an established principal calls from a network it has no established use of.
 * - `usual`: everything else.
 *
 * A leaked key used by an attacker shows as `new-network` (its owner's history is on other
 * networks) or `new-key`; users, keys and roles the attacker created show as `new-principal` or
 * `new-key`. An attacker working with the owner's key from the owner's network is not told apart.
 */
import type { CaseDb } from '../store/db.js';
import { sql, type Sql } from '../store/sql.js';

export const BASELINE_FIELD = 'keytrail.baseline';
export const BASELINE_VALUES = ['usual', 'new-principal', 'new-key', 'new-network', 'no-baseline'] as const;
export type Baseline = (typeof BASELINE_VALUES)[number];

/** The first day of the evidence: what is there and still there a day later is routine. */
export const BASELINE_HOURS = 24;
/** How long a new principal, key or network stays new. */
export const NEW_FOR_DAYS = 7;

const TABLE = 'kt_baseline';

/** The field's SQL inside a rule's expression over `events` joined with BASELINE_JOIN: `usual` unless the table says otherwise. */
export const BASELINE_SQL = `coalesce(${TABLE}.baseline, 'usual')`;

/** What follows `FROM events` for a rule that reads the field (a join, not a subquery per event: 5 s against 0.3 s over 1M events). */
export const BASELINE_JOIN = sql.raw(`LEFT JOIN ${TABLE} ON ${TABLE}.rid = events.rowid`);

/** `events`, joined with the field's table when a rule reads it. */
export const eventsFor = (reads: boolean): Sql => (reads ? sql`events ${BASELINE_JOIN}` : sql`events`);

/** True when a rule expression reads the field (the scan then computes it first). */
export const readsBaseline = (where: Sql): boolean => where.build().text.includes(TABLE);

/** The principal an event's history is kept under (SQL over `events`). */
const PRINCIPAL = sql.raw(`coalesce(
  nullif(userIdentity.sessionContext.sessionIssuer.arn, ''),
  nullif(userIdentity.arn, ''),
  CASE userIdentity.type WHEN 'AWSAccount' THEN 'account:' || userIdentity.accountId WHEN 'WebIdentityUser' THEN 'web:' || userIdentity.userName END,
  nullif(userIdentity.principalId, ''),
  userIdentity.invokedBy,
  '')`);

/** The source network of an event (SQL over `events`). */
const NETWORK = sql.raw(`CASE
  WHEN regexp_matches(sourceIPAddress, '^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$') THEN regexp_extract(sourceIPAddress, '^([0-9]+[.][0-9]+[.][0-9]+)[.]', 1) || '.0/24'
  WHEN contains(sourceIPAddress, ':') THEN array_to_string(string_split(sourceIPAddress, ':')[1:4], ':') || '::/64'
  ELSE coalesce(sourceIPAddress, '') END`);

/**
 * Compute kt_baseline(rid, baseline) for the case: one row for each event that is not `usual`.
 * `partition` (SQL over `events`) splits the case into worlds of their own, each with its own
 * history: `rules test` keeps every inline test apart this way. A temporary table of the run's
 * connection, replaced on each call.
 */
export async function prepareBaseline(db: CaseDb, partition: Sql = sql`''`): Promise<void> {
  const day = sql.raw(`INTERVAL ${BASELINE_HOURS} HOUR`);
  // Established at the event: there from the first day and still there a day later, or first seen a week before.
  const established = (x: string) =>
    sql.raw(
      `((${x}.f < span.first + INTERVAL ${BASELINE_HOURS} HOUR AND ${x}.l >= ${x}.f + INTERVAL ${BASELINE_HOURS} HOUR) OR e.t >= ${x}.f + INTERVAL ${NEW_FOR_DAYS} DAY)`,
    );
  await db.exec(sql`CREATE OR REPLACE TEMP TABLE ${sql.id(TABLE)} AS
    WITH e AS MATERIALIZED (
      SELECT rowid AS rid, ${partition} AS g, eventTime AS t, ${PRINCIPAL} AS p, ${NETWORK} AS net,
        CASE WHEN starts_with(userIdentity.accessKeyId, 'AKIA') THEN userIdentity.accessKeyId ELSE '' END AS k
      FROM events WHERE eventTime IS NOT NULL),
    span AS (SELECT g, min(t) AS first, max(t) AS last FROM e GROUP BY g),
    ps AS (SELECT g, p, min(t) AS f, max(t) AS l FROM e GROUP BY g, p),
    ns AS (SELECT g, p, net, min(t) AS f, max(t) AS l FROM e GROUP BY g, p, net),
    ks AS (SELECT g, k, min(t) AS f, max(t) AS l FROM e GROUP BY g, k),
    b AS (
      SELECT e.rid, CASE
        WHEN span.last - span.first < 2 * ${day} THEN 'no-baseline'
        WHEN NOT ${established('ps')} THEN 'new-principal'
        WHEN e.k <> '' AND NOT ${established('ks')} THEN 'new-key'
        WHEN NOT ${established('ns')} THEN 'new-network'
        ELSE 'usual' END AS baseline
      FROM e JOIN span USING (g) JOIN ps USING (g, p) JOIN ns USING (g, p, net) JOIN ks USING (g, k))
    SELECT rid, baseline FROM b WHERE baseline <> 'usual'`);
}
