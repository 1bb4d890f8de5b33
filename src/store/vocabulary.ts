/**
 * CloudTrail facts every part of keytrail asks about, each written once: which calls change
 * something, who made a call, how a time is written, which events fall in a window, whether an
 * event's actor is one of a set of tainted credentials or identities, and the named sets of calls
 * (creations, credential issuance, key status changes, IAM changes, defences turned off, billed
 * launches). The event filter, lineage, suggest, detect, the report and the exports import them from
 * here, so that two views of the same evidence cannot disagree on what they mean (issue 12: `events
 * --write` and the report's Step 3 once did, each with its own list of read-only verbs).
 *
 * Each fact is a SQL fragment over `events` columns (optionally qualified by a table alias) and,
 * where keytrail also decides it in TypeScript, the same rule as a function.
 */
import { usageError } from '../errors.js';
import { type Sql, sql } from './sql.js';

/**
 * Verbs of calls that read and change nothing. Only for records without `readOnly` (console CSV
 * downloads without that column, hand-made lines): CloudTrail's own flag always wins.
 */
export const READ_ONLY_VERBS = [
  'Get',
  'List',
  'Describe',
  'Head',
  'Lookup',
  'Search',
  'Check',
  'Validate',
  'Test',
  'Preview',
  'Estimate',
  'Simulate',
  'Scan',
  'Query',
  'BatchGet',
  'Select',
] as const;

const READ_ONLY_PATTERN = `^(${READ_ONLY_VERBS.join('|')})`;

/** `alias.column`, or the bare column without an alias. */
const col = (alias: string | undefined, name: string): Sql => sql.raw(alias ? `${alias}.${name}` : name);

/** SQL: the call changes something. The record's readOnly when it has one, else the verb of its eventName. */
export function isWrite(alias?: string): Sql {
  return sql`NOT coalesce(${col(alias, 'readOnly')}, regexp_matches(${col(alias, 'eventName')}, ${sql.raw(`'${READ_ONLY_PATTERN}'`)}))`;
}

/** The same rule in TypeScript. */
export function isWriteCall(eventName: string, readOnly: boolean | null | undefined): boolean {
  if (readOnly !== null && readOnly !== undefined) return !readOnly;
  return !new RegExp(READ_ONLY_PATTERN).test(eventName);
}

/** SQL: who made the call, as a responder names it: the ARN, else the user name, else the identity type. */
export function principal(alias?: string): Sql {
  const u = alias ? `${alias}.userIdentity` : 'userIdentity';
  return sql.raw(`coalesce(${u}.arn, ${u}.userName, ${u}.type)`);
}

/** SQL: a TIMESTAMP as CloudTrail writes times, `YYYY-MM-DDTHH:MM:SSZ` (UTC). */
export function isoTime(expr: Sql | string): Sql {
  return sql`strftime(${typeof expr === 'string' ? sql.raw(expr) : expr}, '%Y-%m-%dT%H:%M:%SZ')`;
}

/** ISO-8601 (date or date-time, UTC unless an offset is given) → 'YYYY-MM-DD HH:MM:SS.sss' UTC. */
export function parseTime(s: string, option: string): string {
  const t = /^\d{4}-\d\d-\d\d$/.test(s) ? Date.parse(`${s}T00:00:00Z`) : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
  if (!/^\d{4}-\d\d-\d\d/.test(s) || Number.isNaN(t)) {
    throw usageError(`${option} ${JSON.stringify(s)} is not a time: use ISO-8601, e.g. 2026-10-14 or 2026-10-14T09:00:00Z`);
  }
  return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
}

export interface Window {
  since?: string;
  until?: string;
}

/** SQL: the `--since` / `--until` window, from `since` on, before `until` (TRUE when neither is given). */
export function timeWindow(w: Window, alias?: string): Sql {
  const t = col(alias, 'eventTime');
  const parts: Sql[] = [];
  if (w.since) parts.push(sql`${t} >= ${parseTime(w.since, '--since')}::TIMESTAMP`);
  if (w.until) parts.push(sql`${t} < ${parseTime(w.until, '--until')}::TIMESTAMP`);
  return sql.and(parts);
}

/** Tainted credentials and identities: access keys, and users and roles tainted as a whole. */
export interface Actors {
  keys: Iterable<string>;
  users: Iterable<string>;
  roles: Iterable<string>;
}

/** Where an event's actor is: the `events` columns, or the flattened ones of a table that copied them. */
export interface ActorColumns {
  key: Sql;
  type: Sql;
  user: Sql;
  /** The role an AssumedRole session is of. */
  issuer: Sql;
}

export const EVENT_ACTOR: ActorColumns = {
  key: sql.raw('userIdentity.accessKeyId'),
  type: sql.raw('userIdentity.type'),
  user: sql.raw('userIdentity.userName'),
  issuer: sql.raw('userIdentity.sessionContext.sessionIssuer.userName'),
};

/** SQL: the event was made with one of the keys, by one of the IAM users, or in a session of one of the roles. */
export function actorIn(a: Actors, c: ActorColumns = EVENT_ACTOR): Sql {
  return sql.or([
    sql`list_contains(${sql.list(a.keys)}, ${c.key})`,
    sql`${c.type} = 'IAMUser' AND list_contains(${sql.list(a.users)}, ${c.user})`,
    sql`${c.type} = 'AssumedRole' AND list_contains(${sql.list(a.roles)}, ${c.issuer})`,
  ]);
}

/** SQL: the event's name is one of these. */
export const eventIn = (names: readonly string[], alias?: string): Sql => sql`list_contains(${sql.list(names)}, ${col(alias, 'eventName')})`;

// ---- Named sets of calls

/** Calls that hand out temporary credentials (responseElements.credentials). */
export const CREDENTIAL_ISSUANCE = ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'GetSessionToken', 'GetFederationToken'] as const;

/** IAM calls that make a user, a key or a console password. */
const IDENTITY_CALLS = ['CreateUser', 'CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile'] as const;

/** The IAM and STS calls lineage follows: each creates an identity or a credential, or opens one to the caller. */
export const LINEAGE_CALLS = [
  ...IDENTITY_CALLS,
  'CreateRole',
  'UpdateAssumeRolePolicy',
  'AttachUserPolicy',
  'AttachRolePolicy',
  'AttachGroupPolicy',
  'PutUserPolicy',
  'PutRolePolicy',
  'PutGroupPolicy',
  ...CREDENTIAL_ISSUANCE,
] as const;
export type LineageCall = (typeof LINEAGE_CALLS)[number];

/** Calls that change an access key's status (its history in Step 1). */
export const KEY_STATUS_CHANGES = ['UpdateAccessKey', 'DeleteAccessKey'] as const;

/** IAM changes that give an attacker a foothold (users, keys, passwords, policies, roles, groups). */
export const IAM_FOOTHOLD_CALLS = [
  ...IDENTITY_CALLS,
  'AttachUserPolicy',
  'AttachRolePolicy',
  'PutUserPolicy',
  'PutRolePolicy',
  'CreateRole',
  'UpdateAssumeRolePolicy',
  'AddUserToGroup',
  'CreatePolicyVersion',
] as const;

/** Calls that turn a defence off (logging, threat detection, configuration recording). */
export const DEFENCE_OFF_CALLS = ['StopLogging', 'DeleteDetector', 'UpdateDetector', 'DeleteTrail', 'StopConfigurationRecorder'] as const;
