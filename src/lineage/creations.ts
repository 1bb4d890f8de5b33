/**
 * What each call lineage follows adds to the chain: one handler per creating call, in a table keyed
 * by the calls' names (vocabulary.ts LINEAGE_CALLS), so a call without its handler, or a handler for
 * a call lineage does not read, does not compile.
 */
import { z } from 'zod';
import { LINEAGE_CALLS, type LineageCall } from '../store/vocabulary.js';
import { type ActorRow, Graph } from './graph.js';
import type { EdgeKind } from './lineage.js';

const text = z.string().nullable();

/** A successful lineage call as lin_events holds it: who made it, and the request and response fields read. */
export const CallRow = z.object({
  eventID: z.string(),
  t: z.string(),
  eventName: z.enum(LINEAGE_CALLS),
  identityType: text,
  accessKeyId: text,
  userName: text,
  arn: text,
  accountId: text,
  invokedBy: text,
  principalId: text,
  rpUser: text,
  rpRole: text,
  rpGroup: text,
  rpRoleArn: text,
  reUser: text,
  reUserArn: text,
  reKey: text,
  reKeyUser: text,
  reRoleArn: text,
  reCredKey: text,
  reAssumedArn: text,
});
export type Call = z.infer<typeof CallRow> & ActorRow;

export const roleNameOf = (arn: string | null | undefined): string | null => (arn ? (arn.split('/').at(-1) ?? null) : null);

/** The chain as it grows: the graph, and what is tainted (and since when) that the next round's queries look for. */
export class Chain {
  readonly g = new Graph();
  readonly keys = new Set<string>();
  /** Identities tainted as a whole: created by the attacker, or seeds. */
  readonly wholeUsers = new Set<string>();
  readonly wholeRoles = new Set<string>();
  /** Pre-existing users whose console password the attacker set: their console sessions from then on. */
  readonly consoleUsers = new Map<string, string>();
  /** Roles whose trust policy the attacker created or changed, and since when. */
  readonly doors = new Map<string, string>();

  size(): number {
    return this.keys.size + this.wholeUsers.size + this.wholeRoles.size + this.consoleUsers.size + this.doors.size;
  }

  /** A role session's credentials, obtained by `actor`. */
  addSession(key: string, role: string, actor: string, c: Pick<Call, 'eventID' | 't' | 'reAssumedArn' | 'rpRoleArn'>): void {
    this.keys.add(key);
    this.g.key(key, { temporary: true, owner: `role/${role}`, arn: c.reAssumedArn });
    this.g.named('role', role, { arn: c.rpRoleArn });
    this.g.edge(actor, key, 'assumed_role', c.eventID, c.t);
    this.g.edge(`role/${role}`, key, 'session_of', c.eventID, c.t);
  }

  /** Apply one call: its actor's node first (an actor is drawn even when the call names nothing), then its handler. */
  apply(c: Call): void {
    const actor = this.g.actor(c);
    CREATIONS[c.eventName](c, this, actor);
  }
}

/** `map[k]` becomes `t` unless it already holds an earlier time. */
function earliest(map: Map<string, string>, k: string, t: string): void {
  const was = map.get(k);
  if (was === undefined || was > t) map.set(k, t);
}

/** The IAM user who made the call, when one did. */
const callerOf = (c: Call): string | null => (c.identityType === 'IAMUser' ? c.userName : null);

type Handler = (c: Call, chain: Chain, actor: string) => void;

const loginProfile =
  (kind: EdgeKind): Handler =>
  (c, ch, actor) => {
    const u = c.rpUser ?? callerOf(c);
    if (!u) return;
    earliest(ch.consoleUsers, u, c.t);
    ch.g.named('user', u);
    ch.g.edge(actor, `user/${u}`, kind, c.eventID, c.t);
  };

const policy =
  (kind: EdgeKind): Handler =>
  (c, ch, actor) => {
    const [nodeKind, name] = c.rpUser
      ? (['user', c.rpUser] as const)
      : c.rpRole
        ? (['role', c.rpRole] as const)
        : c.rpGroup
          ? (['group', c.rpGroup] as const)
          : [];
    if (!nodeKind) return;
    ch.g.named(nodeKind, name);
    ch.g.edge(actor, `${nodeKind}/${name}`, kind, c.eventID, c.t);
  };

const assumeRole: Handler = (c, ch, actor) => {
  const role = roleNameOf(c.rpRoleArn);
  if (role && c.reCredKey) ch.addSession(c.reCredKey, role, actor, c);
};

const token =
  (kind: EdgeKind): Handler =>
  (c, ch, actor) => {
    const k = c.reCredKey;
    if (!k) return;
    const caller = callerOf(c);
    ch.keys.add(k);
    ch.g.key(k, { temporary: true, owner: caller ? `user/${caller}` : null });
    ch.g.edge(actor, k, kind, c.eventID, c.t);
  };

export const CREATIONS: Record<LineageCall, Handler> = {
  CreateUser: (c, ch, actor) => {
    const u = c.reUser ?? c.rpUser;
    if (!u) return;
    ch.wholeUsers.add(u);
    ch.g.named('user', u, { createdByAttacker: true, arn: c.reUserArn });
    ch.g.edge(actor, `user/${u}`, 'created_user', c.eventID, c.t);
  },
  CreateAccessKey: (c, ch, actor) => {
    const k = c.reKey;
    if (!k) return;
    const u = c.reKeyUser ?? c.rpUser ?? callerOf(c);
    ch.keys.add(k);
    ch.g.node(k, 'access_key', k, { owner: u ? `user/${u}` : null, createdByAttacker: true });
    ch.g.edge(actor, k, 'created_access_key', c.eventID, c.t);
  },
  CreateLoginProfile: loginProfile('created_login_profile'),
  UpdateLoginProfile: loginProfile('updated_login_profile'),
  CreateRole: (c, ch, actor) => {
    const role = c.rpRole ?? roleNameOf(c.reRoleArn);
    if (!role) return;
    ch.wholeRoles.add(role);
    if (!ch.doors.has(role)) ch.doors.set(role, c.t);
    ch.g.named('role', role, { createdByAttacker: true, arn: c.reRoleArn });
    ch.g.edge(actor, `role/${role}`, 'created_role', c.eventID, c.t);
  },
  UpdateAssumeRolePolicy: (c, ch, actor) => {
    const role = c.rpRole;
    if (!role) return;
    earliest(ch.doors, role, c.t);
    ch.g.named('role', role);
    ch.g.edge(actor, `role/${role}`, 'updated_trust_policy', c.eventID, c.t);
  },
  AttachUserPolicy: policy('attached_policy'),
  AttachRolePolicy: policy('attached_policy'),
  AttachGroupPolicy: policy('attached_policy'),
  PutUserPolicy: policy('put_policy'),
  PutRolePolicy: policy('put_policy'),
  PutGroupPolicy: policy('put_policy'),
  AssumeRole: assumeRole,
  AssumeRoleWithSAML: assumeRole,
  AssumeRoleWithWebIdentity: assumeRole,
  GetSessionToken: token('session_token'),
  GetFederationToken: token('federation_token'),
};
