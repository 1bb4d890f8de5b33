/**
 * Access-key lineage (ARCHITECTURE.md §5): from the seed credentials, what a tainted actor created
 * or obtained, repeated until nothing new appears. Each round is a few set-based queries over the
 * whole `events` table (the tainted actors are bound lists); only the handful of creation events
 * they return are read in JavaScript to name the new nodes and edges.
 *
 * Whole identity vs credential: an identity the attacker created (CreateUser, CreateRole) is
 * tainted as a whole: every key, session and console login of it. A pre-existing identity is
 * tainted only through the credentials the attacker holds: the seed key, keys the attacker created
 * for it, sessions derived from those, and console sessions after the attacker set its password.
 */
import { z } from 'zod';
import type { CaseDb } from '../store/db.js';
import { type Sql, sql } from '../store/sql.js';
import { CREDENTIAL_ISSUANCE, LINEAGE_CALLS, actorIn, eventIn, isoTime, timeWindow } from '../store/vocabulary.js';
import { activity } from './activity.js';
import { CallRow, Chain, roleNameOf } from './creations.js';

export interface Seeds {
  keys: string[];
  users?: string[];
  arns?: string[];
  since?: string;
  until?: string;
}

export type NodeKind = 'access_key' | 'user' | 'role' | 'group' | 'account' | 'service' | 'principal';

export interface Activity {
  events: number;
  regions: Record<string, number>;
  services: Record<string, number>;
  sourceIPs: string[];
  userAgents: string[];
  errors: number;
}

export interface Attempt {
  eventID: string;
  eventName: string;
  errorCode: string;
  eventTime: string;
}

export interface LineageNode {
  id: string;
  kind: NodeKind;
  name: string;
  arn: string | null;
  temporary: boolean;
  createdByAttacker: boolean;
  /** Part of the attacker's reach (a seed, or derived from one); other nodes are context: an admin key that made a key for a tainted user, a pre-existing role the attacker changed, an account that assumed a backdoor role. */
  tainted: boolean;
  seed: boolean;
  /** For an access key: the user it belongs to, or the role whose session it is. */
  owner: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  activity: Activity;
  attempts: Attempt[];
}

/** Every kind of edge, each named for the event that proves it (ARCHITECTURE.md §5's contract, and key_in_use). */
export const EDGE_KINDS = [
  'created_user',
  'created_access_key',
  'created_login_profile',
  'updated_login_profile',
  'console_login',
  'created_role',
  'updated_trust_policy',
  'attached_policy',
  'put_policy',
  'assumed_role',
  'session_of',
  'session_token',
  'federation_token',
  /** A whole identity's key seen only in use (its creation is not in the evidence). */
  'key_in_use',
] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

export interface LineageEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  eventID: string;
  eventTime: string;
}

export interface Lineage {
  seeds: string[];
  nodes: LineageNode[];
  edges: LineageEdge[];
  warnings: string[];
}

/** The tainted credentials and identities: what `events --lineage` lists the events of. */
export interface Taint {
  keys: string[];
  users: string[];
  roles: string[];
  /** Console logins that opened a tainted session (a ConsoleLogin carries no key). */
  logins: string[];
}

export const taintOf = (l: Lineage): Taint => ({
  keys: l.nodes.filter((n) => n.tainted && n.kind === 'access_key').map((n) => n.id),
  users: l.nodes.filter((n) => n.tainted && n.kind === 'user').map((n) => n.name),
  roles: l.nodes.filter((n) => n.tainted && n.kind === 'role').map((n) => n.name),
  logins: l.edges.filter((e) => e.kind === 'console_login').map((e) => e.eventID),
});

/** SQL: the event was made by a tainted credential or identity (or is a console login that opened a tainted session). */
export function taintedEvents(t: Taint): Sql {
  return sql.or([actorIn(t), sql`list_contains(${sql.list(t.logins)}, eventID)`]);
}

/** Who made an event, flattened (the columns lin_events keeps). */
const IDENTITY_COLUMNS = sql.raw(`eventID, eventTime, eventName, errorCode,
  userIdentity.type AS identityType, userIdentity.accessKeyId AS accessKeyId, userIdentity.userName AS userName,
  userIdentity.arn AS arn, userIdentity.accountId AS accountId, userIdentity.invokedBy AS invokedBy, userIdentity.principalId AS principalId,
  userIdentity.sessionContext.sessionIssuer.userName AS issuer`);

/** lin_events' actor columns, for the tainted-actor test. */
const LIN_ACTOR = { key: sql.raw('accessKeyId'), type: sql.raw('identityType'), user: sql.raw('userName'), issuer: sql.raw('issuer') };

/** The request and response fields lineage reads, each document parsed once (one JSON path list per column). */
const RP_PATHS = ['$.userName', '$.roleName', '$.groupName', '$.roleArn'];
const RE_PATHS = [
  '$.user.userName',
  '$.user.arn',
  '$.accessKey.accessKeyId',
  '$.accessKey.userName',
  '$.role.arn',
  '$.credentials.accessKeyId',
  '$.assumedRoleUser.arn',
];

/** lin_events' row as a Call. */
const CALL_COLUMNS = sql`*, ${isoTime('eventTime')} AS t, rp[1] AS rpUser, rp[2] AS rpRole, rp[3] AS rpGroup, rp[4] AS rpRoleArn,
  re[1] AS reUser, re[2] AS reUserArn, re[3] AS reKey, re[4] AS reKeyUser, re[5] AS reRoleArn, re[6] AS reCredKey, re[7] AS reAssumedArn`;

export async function buildLineage(db: CaseDb, seeds: Seeds): Promise<Lineage> {
  const chain = new Chain();
  const warnings = plantSeeds(chain, seeds);
  const inWindow = timeWindow(seeds);
  await scanTables(db, inWindow);
  try {
    for (let round = 0; round < 100; round++) {
      const before = chain.size();
      await followRound(db, chain);
      if (chain.size() === before) break;
    }
  } finally {
    await db.exec(sql`DROP TABLE IF EXISTS lin_events`);
    await db.exec(sql`DROP TABLE IF EXISTS lin_consoles`);
  }
  await keysInUse(db, chain, inWindow);
  const { g } = chain;
  for (const k of chain.keys) g.key(k).tainted = true;
  for (const u of chain.wholeUsers) g.named('user', u).tainted = true;
  for (const r of chain.wholeRoles) g.named('role', r).tainted = true;
  await activity(db, g, { keys: chain.keys, users: chain.wholeUsers, roles: chain.wholeRoles }, inWindow);
  for (const k of seeds.keys) {
    if (g.nodes.get(k)!.activity.events === 0)
      warnings.push(`seed key ${k} makes no event in this case (was it used? is the evidence complete for its regions and days?)`);
  }
  const nodes = [...g.nodes.values()].sort((a, b) => (a.firstSeen ?? '~').localeCompare(b.firstSeen ?? '~') || a.id.localeCompare(b.id));
  const edges = [...g.edges].sort((a, b) => a.eventTime.localeCompare(b.eventTime) || a.eventID.localeCompare(b.eventID) || a.kind.localeCompare(b.kind));
  const seedIds = nodes.filter((n) => n.seed).map((n) => n.id);
  return { seeds: [...seeds.keys, ...seedIds.filter((id) => !seeds.keys.includes(id))], nodes, edges, warnings };
}

/** The seeds as the chain's first nodes; an --arn that names no user or role is a warning. */
function plantSeeds(chain: Chain, seeds: Seeds): string[] {
  const warnings: string[] = [];
  for (const k of seeds.keys) {
    chain.keys.add(k);
    chain.g.key(k, { seed: true });
  }
  for (const u of seeds.users ?? []) {
    chain.wholeUsers.add(u);
    chain.g.named('user', u, { seed: true });
  }
  for (const arn of seeds.arns ?? []) {
    const m = /^arn:aws[\w-]*:(iam|sts)::\d*:(user|role|assumed-role)\/(.+)$/.exec(arn);
    if (!m) {
      warnings.push(`--arn ${arn} is not an IAM user, role or assumed-role ARN; ignored`);
      continue;
    }
    const name = m[2] === 'assumed-role' ? m[3]!.split('/')[0]! : m[3]!.split('/').at(-1)!;
    if (m[2] === 'user') {
      chain.wholeUsers.add(name);
      chain.g.named('user', name, { seed: true, arn });
    } else {
      chain.wholeRoles.add(name);
      chain.g.named('role', name, { seed: true });
    }
  }
  return warnings;
}

/**
 * Two scans of the whole table up front; the rounds then read only these small tables.
 *  - lin_events: every successful creation or credential call in the window, its fields extracted;
 *  - lin_consoles: every console session of an IAM user (an ASIA key no STS call handed out),
 *    with its creation time and the ConsoleLogin that opened it.
 */
async function scanTables(db: CaseDb, inWindow: Sql): Promise<void> {
  await db.exec(
    sql`CREATE OR REPLACE TEMP TABLE lin_events AS
     SELECT *, regexp_extract(rp[4], '[^/]+$') AS rpRoleName, CASE WHEN eventName = 'CreateAccessKey' THEN coalesce(re[4], rp[1]) END AS keyFor,
            CASE WHEN ${eventIn(CREDENTIAL_ISSUANCE)} THEN re[6] END AS issuedKey
     FROM (SELECT ${IDENTITY_COLUMNS}, json_extract_string(requestParameters, ${sql.list(RP_PATHS)}) AS rp,
                  json_extract_string(responseElements, ${sql.list(RE_PATHS)}) AS re
           FROM events WHERE ${eventIn(LINEAGE_CALLS)} AND errorCode IS NULL AND ${inWindow})`,
  );
  const loginBefore = sql`l.u = s.u AND l.eventTime <= TRY_CAST(replace(s.created, 'Z', '') AS TIMESTAMP) + INTERVAL 5 SECOND`;
  await db.exec(
    sql`CREATE OR REPLACE TEMP TABLE lin_consoles AS
     WITH s AS (
       SELECT userIdentity.userName AS u, userIdentity.accessKeyId AS k, min(userIdentity.sessionContext.attributes.creationDate) AS created,
              arg_min(eventID, eventTime) AS firstEvent, ${isoTime('min(eventTime)')} AS firstTime
       FROM events
       WHERE userIdentity.type = 'IAMUser' AND userIdentity.accessKeyId LIKE 'ASIA%' AND userIdentity.sessionContext.attributes.creationDate IS NOT NULL
         AND ${inWindow}
       GROUP BY 1, 2),
     logins AS (
       SELECT userIdentity.userName AS u, eventID, eventTime FROM events
       WHERE eventName = 'ConsoleLogin' AND coalesce(json_extract_string(responseElements, '$.ConsoleLogin'), 'Success') = 'Success' AND errorCode IS NULL)
     SELECT s.*, (SELECT arg_max(l.eventID, l.eventTime) FROM logins l WHERE ${loginBefore}) AS login,
            (SELECT ${isoTime('max(l.eventTime)')} FROM logins l WHERE ${loginBefore}) AS loginTime
     FROM s
     -- credentials an STS call handed out are sessions of that call, not of a console login
     WHERE s.k NOT IN (SELECT issuedKey FROM lin_events WHERE issuedKey IS NOT NULL)`,
  );
}

const ConsoleRow = z.object({
  u: z.string(),
  k: z.string(),
  created: z.string().nullable(),
  firstEvent: z.string(),
  firstTime: z.string(),
  login: z.string().nullable(),
  loginTime: z.string().nullable(),
});

/** One round: what the chain's actors created or obtained, sessions of its roles, console sessions of its users. */
async function followRound(db: CaseDb, chain: Chain): Promise<void> {
  await creationsBy(db, chain);
  await roleSessions(db, chain);
  await consoleSessions(db, chain);
}

/** What tainted actors created or obtained; and every key of a user the attacker created, whoever made it. */
async function creationsBy(db: CaseDb, chain: Chain): Promise<void> {
  const { keys, wholeUsers, wholeRoles } = chain;
  const made = await db.rows(
    sql`SELECT ${CALL_COLUMNS} FROM lin_events
     WHERE ${actorIn({ keys, users: wholeUsers, roles: wholeRoles }, LIN_ACTOR)} OR list_contains(${sql.list(wholeUsers)}, keyFor)
     ORDER BY eventTime, eventID`,
    CallRow,
  );
  for (const c of made) chain.apply(c);
}

/**
 * Sessions of roles the attacker created (any caller), or whose trust policy it opened (another
 * account or an AWS service, after the change).
 */
async function roleSessions(db: CaseDb, chain: Chain): Promise<void> {
  const { g, wholeRoles, doors } = chain;
  const sessions = await db.rows(
    sql`SELECT ${CALL_COLUMNS} FROM lin_events
     WHERE rpRoleName IS NOT NULL
       AND (list_contains(${sql.list(wholeRoles)}, rpRoleName) OR (list_contains(${sql.list(doors.keys())}, rpRoleName) AND identityType IN ('AWSAccount', 'AWSService')))
     ORDER BY eventTime, eventID`,
    CallRow,
  );
  for (const c of sessions) {
    const role = roleNameOf(c.rpRoleArn);
    if (!role || !c.reCredKey) continue;
    const door = doors.get(role);
    if (!wholeRoles.has(role) && !(door && c.t >= door)) continue;
    chain.addSession(c.reCredKey, role, g.actor(c), c);
  }
}

/** Console sessions of tainted users: the ASIA keys their later events carry. */
async function consoleSessions(db: CaseDb, chain: Chain): Promise<void> {
  const { g, keys, wholeUsers, consoleUsers } = chain;
  const users = [...wholeUsers, ...consoleUsers.keys()];
  if (users.length === 0) return;
  const consoles = await db.rows(sql`SELECT * FROM lin_consoles WHERE list_contains(${sql.list(users)}, u) ORDER BY firstTime, k`, ConsoleRow);
  for (const s of consoles) {
    const from = consoleUsers.get(s.u);
    if (!wholeUsers.has(s.u) && !(from && (s.created ?? '') >= from)) continue;
    keys.add(s.k);
    g.node(s.k, 'access_key', s.k, { temporary: true, owner: `user/${s.u}` });
    g.named('user', s.u);
    g.edge(`user/${s.u}`, s.k, 'console_login', s.login ?? s.firstEvent, s.loginTime ?? s.firstTime);
  }
}

const InUseRow = z.object({ k: z.string(), owner: z.string(), first: z.string(), t: z.string() });

/**
 * A whole identity's credentials seen only in use (their creation is not in the evidence): tainted
 * too, linked to the identity by the first event that used them.
 */
async function keysInUse(db: CaseDb, chain: Chain, inWindow: Sql): Promise<void> {
  const rows = await db.rows(
    sql`SELECT userIdentity.accessKeyId AS k,
            any_value(CASE WHEN userIdentity.type = 'IAMUser' THEN 'user/' || userIdentity.userName
              ELSE 'role/' || userIdentity.sessionContext.sessionIssuer.userName END) AS owner,
            arg_min(eventID, eventTime) AS first, ${isoTime('min(eventTime)')} AS t
     FROM events
     WHERE userIdentity.accessKeyId IS NOT NULL AND ${inWindow}
       AND ${actorIn({ keys: [], users: chain.wholeUsers, roles: chain.wholeRoles })}
     GROUP BY 1 ORDER BY t, k`,
    InUseRow,
  );
  for (const r of rows) {
    if (chain.keys.has(r.k)) continue;
    chain.keys.add(r.k);
    const slash = r.owner.indexOf('/');
    const role = r.owner.startsWith('role/');
    chain.g.named(role ? 'role' : 'user', r.owner.slice(slash + 1));
    chain.g.key(r.k, { owner: r.owner });
    chain.g.edge(r.owner, r.k, role ? 'session_of' : 'key_in_use', r.first, r.t);
  }
}
