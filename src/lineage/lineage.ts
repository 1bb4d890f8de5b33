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
import { bindList as list, numberPlaceholders, type CaseDb, type Row } from '../store/db.js';
import { isoTime, timeWindow } from '../store/vocabulary.js';

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

export interface LineageEdge {
  from: string;
  to: string;
  kind: string;
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

/** SQL (with `?` placeholders) and its parameters for the events made by a tainted credential or identity. */
export function taintedWhere(t: Taint): { sql: string; params: unknown[] } {
  return {
    sql: `(list_contains(?::VARCHAR[], userIdentity.accessKeyId)
      OR (userIdentity.type = 'IAMUser' AND list_contains(?::VARCHAR[], userIdentity.userName))
      OR (userIdentity.type = 'AssumedRole' AND list_contains(?::VARCHAR[], userIdentity.sessionContext.sessionIssuer.userName))
      OR list_contains(?::VARCHAR[], eventID))`,
    params: [list(t.keys), list(t.users), list(t.roles), list(t.logins)],
  };
}

const time = (v: unknown) => (v === null || v === undefined ? null : String(v).replace(/\.000Z$/, 'Z'));
const ISO = isoTime('eventTime');

const CREATION_EVENTS = [
  'CreateUser',
  'CreateAccessKey',
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'CreateRole',
  'UpdateAssumeRolePolicy',
  'AttachUserPolicy',
  'AttachRolePolicy',
  'AttachGroupPolicy',
  'PutUserPolicy',
  'PutRolePolicy',
  'PutGroupPolicy',
  'AssumeRole',
  'AssumeRoleWithSAML',
  'AssumeRoleWithWebIdentity',
  'GetSessionToken',
  'GetFederationToken',
];

const ROLE_NAME = (arn: string | null | undefined) => (arn ? (arn.split('/').at(-1) ?? null) : null);

class Graph {
  nodes = new Map<string, LineageNode>();
  edges = new Map<string, LineageEdge>();

  node(id: string, kind: NodeKind, name: string, extra: Partial<LineageNode> = {}): LineageNode {
    let n = this.nodes.get(id);
    if (!n) {
      n = {
        id,
        kind,
        name,
        arn: null,
        temporary: false,
        createdByAttacker: false,
        tainted: false,
        seed: false,
        owner: null,
        firstSeen: null,
        lastSeen: null,
        activity: { events: 0, regions: {}, services: {}, sourceIPs: [], userAgents: [], errors: 0 },
        attempts: [],
      };
      this.nodes.set(id, n);
    }
    for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null && v !== false) (n as unknown as Record<string, unknown>)[k] = v;
    return n;
  }

  edge(from: string, to: string, kind: string, eventID: string, eventTime: string): void {
    const key = `${from}\u0000${to}\u0000${kind}\u0000${eventID}`;
    if (!this.edges.has(key)) this.edges.set(key, { from, to, kind, eventID, eventTime });
  }
}

/** The node id of the credential or principal that made an event. */
function actorOf(r: Row, g: Graph): string {
  const key = r.accessKeyId as string | null;
  const type = r.identityType as string | null;
  if (key) {
    g.node(key, 'access_key', key, { temporary: key.startsWith('ASIA') });
    return key;
  }
  if (type === 'IAMUser' && r.userName) return g.node(`user/${r.userName}`, 'user', String(r.userName), { arn: r.arn as string }).id;
  if (type === 'AWSAccount' && r.accountId) return g.node(`account/${r.accountId}`, 'account', String(r.accountId)).id;
  if (type === 'AWSService' && r.invokedBy) return g.node(`service/${r.invokedBy}`, 'service', String(r.invokedBy)).id;
  const name = String(r.arn ?? r.principalId ?? type ?? 'unknown');
  return g.node(`principal/${name}`, 'principal', name, { arn: (r.arn as string) ?? null }).id;
}

/** Who made an event, flattened (the columns lin_events keeps). */
const IDENTITY_COLUMNS = `eventID, eventTime, eventName, errorCode,
  userIdentity.type AS identityType, userIdentity.accessKeyId AS accessKeyId, userIdentity.userName AS userName,
  userIdentity.arn AS arn, userIdentity.accountId AS accountId, userIdentity.invokedBy AS invokedBy, userIdentity.principalId AS principalId,
  userIdentity.sessionContext.sessionIssuer.userName AS issuer`;

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
const pathList = (paths: string[]) => `[${paths.map((x) => `'${x}'`).join(', ')}]`;

/** lin_events' row as creation() reads it. */
const CALL_COLUMNS = `*, ${ISO} AS t, rp[1] AS rpUser, rp[2] AS rpRole, rp[3] AS rpGroup, rp[4] AS rpRoleArn,
  re[1] AS reUser, re[2] AS reUserArn, re[3] AS reKey, re[4] AS reKeyUser, re[5] AS reRoleArn, re[6] AS reCredKey, re[7] AS reAssumedArn`;

export async function buildLineage(db: CaseDb, seeds: Seeds): Promise<Lineage> {
  const { parts: window, params: windowParams } = timeWindow(seeds);
  const inWindow = window.length ? window.join(' AND ') : 'true';

  const g = new Graph();
  const warnings: string[] = [];
  const keys = new Set<string>();
  const wholeUsers = new Set<string>();
  const wholeRoles = new Set<string>();
  /** Pre-existing users whose console password the attacker set: their console sessions from then on. */
  const consoleUsers = new Map<string, string>();
  /** Roles whose trust policy the attacker created or changed, and since when. */
  const doors = new Map<string, string>();

  for (const k of seeds.keys) {
    keys.add(k);
    g.node(k, 'access_key', k, { temporary: k.startsWith('ASIA'), seed: true });
  }
  for (const u of seeds.users ?? []) {
    wholeUsers.add(u);
    g.node(`user/${u}`, 'user', u, { seed: true });
  }
  for (const arn of seeds.arns ?? []) {
    const m = /^arn:aws[\w-]*:(iam|sts)::\d*:(user|role|assumed-role)\/(.+)$/.exec(arn);
    if (!m) {
      warnings.push(`--arn ${arn} is not an IAM user, role or assumed-role ARN; ignored`);
      continue;
    }
    const name = m[2] === 'assumed-role' ? m[3]!.split('/')[0]! : m[3]!.split('/').at(-1)!;
    if (m[2] === 'user') {
      wholeUsers.add(name);
      g.node(`user/${name}`, 'user', name, { seed: true, arn });
    } else {
      wholeRoles.add(name);
      g.node(`role/${name}`, 'role', name, { seed: true });
    }
  }

  /** The window's condition, its `?` numbered after the parameters bound so far (whose list it joins). */
  const numbered = (sql: string, params: unknown[]) => {
    const numberedSql = numberPlaceholders(sql, params.length);
    params.push(...windowParams);
    return numberedSql;
  };
  const size = () => keys.size + wholeUsers.size + wholeRoles.size + consoleUsers.size + doors.size;

  // Two scans of the whole table up front; the rounds then read only these small tables.
  //  - lin_events: every successful creation or credential call in the window, its fields extracted;
  //  - lin_consoles: every console session of an IAM user (an ASIA key no STS call handed out),
  //    with its creation time and the ConsoleLogin that opened it.
  const w: unknown[] = [CREATION_EVENTS];
  await db.exec(
    `CREATE OR REPLACE TEMP TABLE lin_events AS
     SELECT *, regexp_extract(rp[4], '[^/]+$') AS rpRoleName, CASE WHEN eventName = 'CreateAccessKey' THEN coalesce(re[4], rp[1]) END AS keyFor,
            CASE WHEN eventName IN ('GetSessionToken', 'GetFederationToken') OR eventName LIKE 'AssumeRole%' THEN re[6] END AS issuedKey
     FROM (SELECT ${IDENTITY_COLUMNS}, json_extract_string(requestParameters, ${pathList(RP_PATHS)}) AS rp, json_extract_string(responseElements, ${pathList(RE_PATHS)}) AS re
           FROM events WHERE list_contains($1::VARCHAR[], eventName) AND errorCode IS NULL AND ${numbered(inWindow, w)})`,
    w,
  );
  const cw: unknown[] = [];
  await db.exec(
    `CREATE OR REPLACE TEMP TABLE lin_consoles AS
     WITH s AS (
       SELECT userIdentity.userName AS u, userIdentity.accessKeyId AS k, min(userIdentity.sessionContext.attributes.creationDate) AS created,
              arg_min(eventID, eventTime) AS firstEvent, ${isoTime('min(eventTime)')} AS firstTime
       FROM events
       WHERE userIdentity.type = 'IAMUser' AND userIdentity.accessKeyId LIKE 'ASIA%' AND userIdentity.sessionContext.attributes.creationDate IS NOT NULL
         AND ${numbered(inWindow, cw)}
       GROUP BY 1, 2),
     logins AS (
       SELECT userIdentity.userName AS u, eventID, eventTime FROM events
       WHERE eventName = 'ConsoleLogin' AND coalesce(json_extract_string(responseElements, '$.ConsoleLogin'), 'Success') = 'Success' AND errorCode IS NULL)
     SELECT s.*, (SELECT arg_max(l.eventID, l.eventTime) FROM logins l WHERE l.u = s.u AND l.eventTime <= TRY_CAST(replace(s.created, 'Z', '') AS TIMESTAMP) + INTERVAL 5 SECOND) AS login,
            (SELECT ${isoTime('max(l.eventTime)')} FROM logins l WHERE l.u = s.u AND l.eventTime <= TRY_CAST(replace(s.created, 'Z', '') AS TIMESTAMP) + INTERVAL 5 SECOND) AS loginTime
     FROM s
     -- credentials an STS call handed out are sessions of that call, not of a console login
     WHERE s.k NOT IN (SELECT issuedKey FROM lin_events WHERE issuedKey IS NOT NULL)`,
    cw,
  );
  /** The tainted-actor test over lin_events' extracted columns. */
  const taintedRow = (p: unknown[]) => {
    const n = p.push(list(keys), list(wholeUsers), list(wholeRoles));
    return `(list_contains($${n - 2}::VARCHAR[], accessKeyId)
      OR (identityType = 'IAMUser' AND list_contains($${n - 1}::VARCHAR[], userName))
      OR (identityType = 'AssumedRole' AND list_contains($${n}::VARCHAR[], issuer)))`;
  };

  for (let round = 0; round < 100; round++) {
    const before = size();
    // 1. What tainted actors created or obtained; and every key of a user the attacker created,
    //    whoever made it.
    const p: unknown[] = [];
    const rows = await db.all(
      `SELECT ${CALL_COLUMNS} FROM lin_events
       WHERE ${taintedRow(p)} OR list_contains($${p.push(list(wholeUsers))}::VARCHAR[], keyFor)
       ORDER BY eventTime, eventID`,
      p,
    );
    for (const r of rows) creation(r);
    // 2. Sessions of roles the attacker created (any caller), or whose trust policy it opened
    //    (another account or an AWS service, after the change).
    const sessions = await db.all(
      `SELECT ${CALL_COLUMNS} FROM lin_events
       WHERE rpRoleName IS NOT NULL
         AND (list_contains($1::VARCHAR[], rpRoleName) OR (list_contains($2::VARCHAR[], rpRoleName) AND identityType IN ('AWSAccount', 'AWSService')))
       ORDER BY eventTime, eventID`,
      [list(wholeRoles), list(doors.keys())],
    );
    for (const r of sessions) {
      const role = ROLE_NAME(r.rpRoleArn as string);
      if (!role || !r.reCredKey) continue;
      const door = doors.get(role);
      if (!wholeRoles.has(role) && !(door && String(r.t) >= door)) continue;
      const actor = actorOf(r, g);
      addSession(String(r.reCredKey), role, actor, r);
    }
    // 3. Console sessions of tainted users: the ASIA keys their later events carry.
    const users = [...wholeUsers, ...consoleUsers.keys()];
    if (users.length > 0) {
      const consoles = await db.all(`SELECT * FROM lin_consoles WHERE list_contains($1::VARCHAR[], u) ORDER BY firstTime, k`, [users]);
      for (const s of consoles) {
        const u = String(s.u);
        const from = consoleUsers.get(u);
        const created = String(s.created ?? '');
        if (!wholeUsers.has(u) && !(from && created >= from)) continue;
        const k = String(s.k);
        if (!keys.has(k)) keys.add(k);
        g.node(k, 'access_key', k, { temporary: true, owner: `user/${u}` });
        g.node(`user/${u}`, 'user', u);
        g.edge(`user/${u}`, k, 'console_login', String(s.login ?? s.firstEvent), String(s.loginTime ?? s.firstTime));
      }
    }
    if (size() === before) break;
  }
  await db.exec('DROP TABLE IF EXISTS lin_events');
  await db.exec('DROP TABLE IF EXISTS lin_consoles');

  // A whole identity's credentials seen only in use (their creation is not in the evidence):
  // tainted too, linked to the identity by the first event that used them.
  const wp: unknown[] = [list(wholeUsers), list(wholeRoles)];
  const inUse = await db.all(
    `SELECT userIdentity.accessKeyId AS k, any_value(CASE WHEN userIdentity.type = 'IAMUser' THEN 'user/' || userIdentity.userName
              ELSE 'role/' || userIdentity.sessionContext.sessionIssuer.userName END) AS owner,
            arg_min(eventID, eventTime) AS first, ${isoTime('min(eventTime)')} AS t
     FROM events
     WHERE userIdentity.accessKeyId IS NOT NULL AND ${numbered(inWindow, wp)}
       AND ((userIdentity.type = 'IAMUser' AND list_contains($1::VARCHAR[], userIdentity.userName))
         OR (userIdentity.type = 'AssumedRole' AND list_contains($2::VARCHAR[], userIdentity.sessionContext.sessionIssuer.userName)))
     GROUP BY 1 ORDER BY t, k`,
    wp,
  );
  for (const r of inUse) {
    const k = String(r.k);
    if (keys.has(k)) continue;
    keys.add(k);
    const owner = String(r.owner);
    const [kind, name] = [owner.slice(0, owner.indexOf('/')) as NodeKind, owner.slice(owner.indexOf('/') + 1)];
    g.node(owner, kind, name);
    g.node(k, 'access_key', k, { temporary: k.startsWith('ASIA'), owner });
    g.edge(owner, k, owner.startsWith('role/') ? 'session_of' : 'key_in_use', String(r.first), String(r.t));
  }

  function addSession(key: string, role: string, actor: string, r: Row): void {
    keys.add(key);
    g.node(key, 'access_key', key, { temporary: true, owner: `role/${role}`, arn: (r.reAssumedArn as string) ?? null });
    g.node(`role/${role}`, 'role', role, { arn: (r.rpRoleArn as string) ?? null });
    g.edge(actor, key, 'assumed_role', String(r.eventID), String(r.t));
    g.edge(`role/${role}`, key, 'session_of', String(r.eventID), String(r.t));
  }

  function creation(r: Row): void {
    const actor = actorOf(r, g);
    const id = String(r.eventID);
    const t = String(r.t);
    const caller = r.identityType === 'IAMUser' ? (r.userName as string | null) : null;
    switch (r.eventName) {
      case 'CreateUser': {
        const u = (r.reUser ?? r.rpUser) as string | null;
        if (!u) return;
        wholeUsers.add(u);
        g.node(`user/${u}`, 'user', u, { createdByAttacker: true, arn: (r.reUserArn as string) ?? null });
        g.edge(actor, `user/${u}`, 'created_user', id, t);
        return;
      }
      case 'CreateAccessKey': {
        const k = r.reKey as string | null;
        const u = (r.reKeyUser ?? r.rpUser ?? caller) as string | null;
        if (!k) return;
        keys.add(k);
        g.node(k, 'access_key', k, { owner: u ? `user/${u}` : null, createdByAttacker: true });
        g.edge(actor, k, 'created_access_key', id, t);
        return;
      }
      case 'CreateLoginProfile':
      case 'UpdateLoginProfile': {
        const u = (r.rpUser ?? caller) as string | null;
        if (!u) return;
        if (!consoleUsers.has(u) || consoleUsers.get(u)! > t) consoleUsers.set(u, t);
        g.node(`user/${u}`, 'user', u);
        g.edge(actor, `user/${u}`, r.eventName === 'CreateLoginProfile' ? 'created_login_profile' : 'updated_login_profile', id, t);
        return;
      }
      case 'CreateRole': {
        const role = (r.rpRole ?? ROLE_NAME(r.reRoleArn as string)) as string | null;
        if (!role) return;
        wholeRoles.add(role);
        if (!doors.has(role)) doors.set(role, t);
        g.node(`role/${role}`, 'role', role, { createdByAttacker: true, arn: (r.reRoleArn as string) ?? null });
        g.edge(actor, `role/${role}`, 'created_role', id, t);
        return;
      }
      case 'UpdateAssumeRolePolicy': {
        const role = r.rpRole as string | null;
        if (!role) return;
        if (!doors.has(role) || doors.get(role)! > t) doors.set(role, t);
        g.node(`role/${role}`, 'role', role);
        g.edge(actor, `role/${role}`, 'updated_trust_policy', id, t);
        return;
      }
      case 'AttachUserPolicy':
      case 'AttachRolePolicy':
      case 'AttachGroupPolicy':
      case 'PutUserPolicy':
      case 'PutRolePolicy':
      case 'PutGroupPolicy': {
        const target = r.rpUser ? `user/${r.rpUser}` : r.rpRole ? `role/${r.rpRole}` : r.rpGroup ? `group/${r.rpGroup}` : null;
        if (!target) return;
        const [kind, name] = target.split('/') as [NodeKind, string];
        g.node(target, kind, name);
        g.edge(actor, target, String(r.eventName).startsWith('Attach') ? 'attached_policy' : 'put_policy', id, t);
        return;
      }
      case 'AssumeRole':
      case 'AssumeRoleWithSAML':
      case 'AssumeRoleWithWebIdentity': {
        const role = ROLE_NAME(r.rpRoleArn as string);
        if (!role || !r.reCredKey) return;
        addSession(String(r.reCredKey), role, actor, r);
        return;
      }
      case 'GetSessionToken':
      case 'GetFederationToken': {
        const k = r.reCredKey as string | null;
        if (!k) return;
        keys.add(k);
        g.node(k, 'access_key', k, { temporary: true, owner: caller ? `user/${caller}` : null });
        g.edge(actor, k, r.eventName === 'GetSessionToken' ? 'session_token' : 'federation_token', id, t);
        return;
      }
    }
  }

  for (const k of keys) g.node(k, 'access_key', k, { temporary: k.startsWith('ASIA') }).tainted = true;
  for (const u of wholeUsers) g.node(`user/${u}`, 'user', u).tainted = true;
  for (const r of wholeRoles) g.node(`role/${r}`, 'role', r).tainted = true;
  await activity(db, g, { keys, wholeUsers, wholeRoles, inWindow, windowParams });
  for (const k of seeds.keys) {
    if (g.nodes.get(k)!.activity.events === 0)
      warnings.push(`seed key ${k} makes no event in this case (was it used? is the evidence complete for its regions and days?)`);
  }
  const nodes = [...g.nodes.values()].sort((a, b) => (a.firstSeen ?? '~').localeCompare(b.firstSeen ?? '~') || a.id.localeCompare(b.id));
  const edges = [...g.edges.values()].sort(
    (a, b) => a.eventTime.localeCompare(b.eventTime) || a.eventID.localeCompare(b.eventID) || a.kind.localeCompare(b.kind),
  );
  const seedIds = [...g.nodes.values()].filter((n) => n.seed).map((n) => n.id);
  return { seeds: [...seeds.keys, ...seedIds.filter((id) => !seeds.keys.includes(id))], nodes, edges, warnings };
}

/**
 * Each node's activity, in a few grouped queries: an access key's own events; a whole (created or
 * seeded) user's events under any of its credentials; a whole role's sessions; an account or
 * service, the role assumptions it made. Failed calls become the node's attempts.
 */
async function activity(
  db: CaseDb,
  g: Graph,
  s: { keys: Set<string>; wholeUsers: Set<string>; wholeRoles: Set<string>; inWindow: string; windowParams: unknown[] },
): Promise<void> {
  const accounts = [...g.nodes.values()].filter((n) => n.kind === 'account').map((n) => n.name);
  const services = [...g.nodes.values()].filter((n) => n.kind === 'service').map((n) => n.name);
  const roles = [...g.nodes.values()].filter((n) => n.kind === 'role').map((n) => n.name);
  const params: unknown[] = [list(s.keys), list(s.wholeUsers), list(s.wholeRoles), list(accounts), list(services), list(roles)];
  const inWindow = numberPlaceholders(s.inWindow, params.length);
  params.push(...s.windowParams);
  // One row per (node, event): an event counts for its key and for its whole user or role.
  // One row per (node, event), kept once: an event counts for its key and for its whole user or role.
  await db.exec(
    `CREATE OR REPLACE TEMP TABLE lin_activity AS
     SELECT node, eventID, eventTime, eventName, eventSource, awsRegion, sourceIPAddress, userAgent, errorCode,
            CASE identityType WHEN 'IAMUser' THEN 'user/' || userName WHEN 'AssumedRole' THEN 'role/' || issuer END AS holder
     FROM (
       SELECT userIdentity.accessKeyId AS node, userIdentity.type AS identityType, userIdentity.userName AS userName,
              userIdentity.sessionContext.sessionIssuer.userName AS issuer, * FROM events
       WHERE list_contains($1::VARCHAR[], userIdentity.accessKeyId) AND ${inWindow}
       UNION ALL SELECT 'user/' || userIdentity.userName, userIdentity.type, userIdentity.userName, NULL, * FROM events
         WHERE userIdentity.type = 'IAMUser' AND list_contains($2::VARCHAR[], userIdentity.userName) AND ${inWindow}
       UNION ALL SELECT 'role/' || userIdentity.sessionContext.sessionIssuer.userName, userIdentity.type, NULL, userIdentity.sessionContext.sessionIssuer.userName, * FROM events
         WHERE userIdentity.type = 'AssumedRole' AND list_contains($3::VARCHAR[], userIdentity.sessionContext.sessionIssuer.userName) AND ${inWindow}
       UNION ALL SELECT 'account/' || userIdentity.accountId, userIdentity.type, NULL, NULL, * FROM events
         WHERE userIdentity.type = 'AWSAccount' AND list_contains($4::VARCHAR[], userIdentity.accountId) AND eventName LIKE 'AssumeRole%' AND ${inWindow}
           AND list_contains($6::VARCHAR[], regexp_extract(json_extract_string(requestParameters, '$.roleArn'), '[^/]+$'))
       UNION ALL SELECT 'service/' || userIdentity.invokedBy, userIdentity.type, NULL, NULL, * FROM events
         WHERE userIdentity.type = 'AWSService' AND list_contains($5::VARCHAR[], userIdentity.invokedBy) AND eventName LIKE 'AssumeRole%' AND ${inWindow}
           AND list_contains($6::VARCHAR[], regexp_extract(json_extract_string(requestParameters, '$.roleArn'), '[^/]+$')))`,
    params,
  );
  const summary = await db.all(
    `SELECT node, count(*) AS events, count(errorCode) AS errors, any_value(holder) AS holder,
            ${ISO.replace('eventTime', 'min(eventTime)')} AS first, ${ISO.replace('eventTime', 'max(eventTime)')} AS last,
            list(DISTINCT sourceIPAddress ORDER BY sourceIPAddress) FILTER (WHERE sourceIPAddress IS NOT NULL) AS ips,
            list(DISTINCT userAgent ORDER BY userAgent) FILTER (WHERE userAgent IS NOT NULL) AS agents
     FROM lin_activity GROUP BY node`,
  );
  for (const r of summary) {
    const n = g.nodes.get(String(r.node));
    if (!n) continue;
    Object.assign(n.activity, {
      events: Number(r.events),
      errors: Number(r.errors),
      sourceIPs: (r.ips as string[]) ?? [],
      userAgents: ((r.agents as string[]) ?? []).slice(0, 50),
    });
    n.firstSeen = time(r.first);
    n.lastSeen = time(r.last);
    if (n.kind === 'access_key' && !n.owner && r.holder) n.owner = String(r.holder);
  }
  for (const [column, field] of [
    ['awsRegion', 'regions'],
    ['eventSource', 'services'],
  ] as const) {
    const rows = await db.all(`SELECT node, ${column} AS v, count(*) AS n FROM lin_activity WHERE ${column} IS NOT NULL GROUP BY ALL ORDER BY node, n DESC, v`);
    for (const r of rows) {
      const n = g.nodes.get(String(r.node));
      if (n) n.activity[field][String(r.v)] = Number(r.n);
    }
  }
  const failed = await db.all(
    `SELECT node, eventID, eventName, errorCode, ${ISO} AS t FROM lin_activity WHERE errorCode IS NOT NULL ORDER BY node, eventTime, eventID`,
  );
  await db.exec('DROP TABLE IF EXISTS lin_activity');
  for (const r of failed) {
    const n = g.nodes.get(String(r.node));
    if (n) n.attempts.push({ eventID: String(r.eventID), eventName: String(r.eventName), errorCode: String(r.errorCode), eventTime: String(r.t) });
  }
}
