/**
 * One synthetic CloudTrail record: who (userIdentity of several types), what (an event from the
 * catalog with its own request and response shapes), where and when, in CloudTrail's field order.
 */
import { CATALOG, type Ctx, type EventDef, type ActorKind } from './catalog.js';
import { Rng, uniqueUuid } from './rng.js';
import { REGIONS, type World } from './world.js';

export const MIN_RECORD_BYTES = 1024;
export const MAX_RECORD_BYTES = 3072;

const DEFAULT_ACTORS: Partial<Record<ActorKind, number>> = { AssumedRole: 62, IAMUser: 33, Root: 1 };
const ACTOR_KINDS: ActorKind[] = ['AssumedRole', 'IAMUser', 'AWSService', 'Root', 'WebIdentityUser', 'AWSAccount'];

export function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

interface Weighted<T> {
  items: T[];
  cum: number[];
  total: number;
}
function weighted<T>(items: T[], weight: (t: T) => number): Weighted<T> {
  const cum: number[] = [];
  let total = 0;
  for (const it of items) cum.push((total += weight(it)));
  return { items, cum, total };
}
function draw<T>(rng: Rng, w: Weighted<T>): T {
  const x = rng.float() * w.total;
  let lo = 0;
  let hi = w.cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (w.cum[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return w.items[lo]!;
}

/** Per region, which events can happen there (global services only in us-east-1). */
const EVENTS_BY_REGION = new Map<string, Weighted<EventDef>>(
  REGIONS.map((r) => [
    r,
    weighted(
      CATALOG.filter((d) => r === 'us-east-1' || !d.global),
      (d) => d.weight,
    ),
  ]),
);
const ACTORS_BY_EVENT = new Map<EventDef, Weighted<ActorKind>>(
  CATALOG.map((d) => {
    const a = d.actors ?? DEFAULT_ACTORS;
    return [
      d,
      weighted(
        ACTOR_KINDS.filter((k) => (a[k] ?? 0) > 0),
        (k) => a[k] ?? 0,
      ),
    ];
  }),
);

function sessionName(_rng: Rng, w: World, kind: string, i: number): string {
  switch (kind) {
    case 'sso':
    case 'cross':
      return `${w.people[i % w.people.length]}@example.com`;
    case 'ec2':
      return `i-0${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}${(i * 40503).toString(16).padStart(8, '0')}`;
    case 'lambda':
      return w.functions[i % w.functions.length]!;
    case 'ci':
      return i % 2 ? 'GitHubActions' : `gitlab-${1000000 + i * 7919}`;
    default:
      return `botocore-session-${1717000000 + i * 3607}`;
  }
}

/** The identity of the caller plus where it calls from. Sessions are stable within an hour. */
function actor(c: Ctx, kind: ActorKind, worldSeed: number): void {
  const { rng, w } = c;
  const hour = Math.floor(c.time / 3_600_000);
  const acct = w.account;
  if (kind === 'IAMUser') {
    const ui = rng.int(w.users.length);
    const u = w.users[ui]!;
    const consoleSession = u.console && rng.chance(0.25);
    c.ip = w.ips[(ui * 7 + rng.int(3)) % w.ips.length]!;
    c.agent = consoleSession ? w.agents[w.agents.length - 4 - (ui % 2)]! : w.agents[(ui * 3 + rng.int(3)) % (w.agents.length - 5)]!;
    c.console = consoleSession;
    c.identity = {
      type: 'IAMUser',
      principalId: u.id,
      arn: `arn:aws:iam::${acct}:user/${u.name}`,
      accountId: acct,
      accessKeyId: consoleSession ? `ASIA${new Rng(worldSeed, ui * 100003 + hour).b32(16)}` : u.keys[hour % u.keys.length]!,
      userName: u.name,
      ...(consoleSession
        ? {
            sessionContext: {
              sessionIssuer: {},
              webIdFederationData: {},
              attributes: { creationDate: iso(hour * 3_600_000 + (ui % 60) * 60_000), mfaAuthenticated: 'true' },
            },
          }
        : {}),
    };
    c.actorArn = `arn:aws:iam::${acct}:user/${u.name}`;
  } else if (kind === 'AssumedRole') {
    const ri = rng.int(w.roles.length);
    const role = w.roles[ri]!;
    const si = rng.int(role.kind === 'sso' ? 12 : 6);
    const session = sessionName(rng, w, role.kind, si + ri);
    const key = `ASIA${new Rng(worldSeed, ri * 7919 + si * 104729 + hour).b32(16)}`;
    const roleArn = `arn:aws:iam::${acct}:role/${role.kind === 'sso' ? `aws-reserved/sso.amazonaws.com/${role.name}` : role.name}`;
    c.actorArn = `arn:aws:sts::${acct}:assumed-role/${role.name}/${session}`;
    c.identity = {
      type: 'AssumedRole',
      principalId: `${role.id}:${session}`,
      arn: c.actorArn,
      accountId: acct,
      accessKeyId: key,
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: role.id, arn: roleArn, accountId: acct, userName: role.name },
        webIdFederationData: {},
        attributes: { creationDate: iso(hour * 3_600_000 + ((ri * 13 + si) % 55) * 60_000), mfaAuthenticated: role.kind === 'sso' ? 'true' : 'false' },
        ...(role.kind === 'ec2' ? { ec2RoleDelivery: '2.0' } : {}),
        ...(role.kind === 'ci' && rng.chance(0.5) ? { sourceIdentity: `deploy-${w.people[si % w.people.length]}` } : {}),
      },
      ...(role.kind === 'app' && rng.chance(0.5) ? { invokedBy: rng.pick(w.services) } : {}),
    };
    c.console = role.kind === 'sso' && rng.chance(0.4);
    if (role.kind === 'lambda' || role.kind === 'ec2' || role.kind === 'eks')
      c.ip = `${rng.pick([3, 18, 34, 52, 54])}.${(ri * 17) % 256}.${(si * 31) % 256}.${rng.range(1, 254)}`;
    else c.ip = w.ips[(ri * 11 + si) % w.ips.length]!;
    c.agent = c.console ? w.agents[w.agents.length - 5]! : w.agents[(ri * 5 + si) % (w.agents.length - 5)]!;
    if (role.kind === 'ec2' && rng.chance(0.5)) c.agent = w.agents[w.agents.length - 1]!;
  } else if (kind === 'AWSService') {
    const svc = c.def.service ?? rng.pick(w.services);
    c.identity = { type: 'AWSService', invokedBy: svc };
    c.ip = svc;
    c.agent = svc;
    c.internal = true;
  } else if (kind === 'Root') {
    c.identity = {
      type: 'Root',
      principalId: acct,
      arn: `arn:aws:iam::${acct}:root`,
      accountId: acct,
      accessKeyId: `ASIA${new Rng(worldSeed, 0xf00d + hour).b32(16)}`,
      sessionContext: { sessionIssuer: {}, webIdFederationData: {}, attributes: { creationDate: iso(hour * 3_600_000), mfaAuthenticated: 'true' } },
    };
    c.actorArn = `arn:aws:iam::${acct}:root`;
    c.ip = w.ips[rng.int(4)]!;
    c.agent = w.agents[w.agents.length - 5]!;
    c.console = true;
  } else if (kind === 'WebIdentityUser') {
    const cluster = rng.hex(32).toUpperCase();
    const sa = `system:serviceaccount:${rng.pick(['default', 'kube-system', 'payments', 'monitoring'])}:${rng.pick(['aws-load-balancer-controller', 'external-dns', 'app', 'ebs-csi-controller-sa'])}`;
    const provider = `arn:aws:iam::${acct}:oidc-provider/oidc.eks.${c.region}.amazonaws.com/id/${cluster}`;
    c.identity = { type: 'WebIdentityUser', principalId: `${provider}:sts.amazonaws.com:${sa}`, userName: sa, identityProvider: provider };
    c.ip = `${rng.pick([3, 18, 34, 52, 54])}.${rng.int(256)}.${rng.int(256)}.${rng.range(1, 254)}`;
    c.agent = w.agents[2]!;
  } else {
    const partner = rng.pick(w.partners);
    c.identity = { type: 'AWSAccount', principalId: `AROA${rng.b32(17)}:${rng.pick(w.people)}`, accountId: partner };
    c.ip = rng.pick(w.ips);
    c.agent = rng.pick(w.agents);
    c.crossAccount = true;
  }
}

/** eventVersion is a property of the API's logging, so one per event name. */
const VERSIONS = ['1.08', '1.08', '1.09', '1.09', '1.10', '1.11'];
const VERSION_OF = new Map(CATALOG.map((d, i) => [d, VERSIONS[(i * 7) % VERSIONS.length]!]));

/** Who is calling during a burst: callers make several calls in a row, as SDK clients and consoles do. */
type Caller = Pick<Ctx, 'identity' | 'actorArn' | 'ip' | 'agent' | 'console' | 'internal' | 'crossAccount'> & {
  kind: ActorKind;
  tls13: boolean;
  vpce: string | null;
};
/** The caller is chosen with the burst's first record (it must be able to make that call). */
interface Burst {
  left: number;
  def: EventDef;
  caller?: Caller;
}

export interface RecordSource {
  rng: Rng;
  world: World;
  worldSeed: number;
  /** Keys the eventID so ids differ between seeds yet never repeat inside one export. */
  idKey: number;
  /** The current burst of calls (per file: start each file with a fresh source). */
  burst?: Burst;
}

/** One record as JSON text, between MIN_RECORD_BYTES and MAX_RECORD_BYTES long. */
export function makeRecord(src: RecordSource, region: string, time: number, eventIndex: number): string {
  const { rng } = src;
  const events = EVENTS_BY_REGION.get(region)!;
  let b = src.burst;
  if (b && b.left > 0) {
    b.left--;
    const kind = b.caller?.kind;
    if (kind && rng.chance(0.3)) {
      // Same caller, another call it can make (a few tries; otherwise it repeats the call).
      for (let i = 0; i < 3; i++) {
        const d = draw(rng, events);
        if ((d.actors ?? DEFAULT_ACTORS)[kind]) {
          b.def = d;
          break;
        }
      }
    }
  } else {
    b = src.burst = { left: Math.floor(-Math.log(1 - rng.float()) * 8), def: draw(rng, events) };
  }
  for (let attempt = 0; ; attempt++) {
    const text = build(src, b, region, time, eventIndex);
    if (text.length <= MAX_RECORD_BYTES || attempt >= 8) return text;
    b.def = draw(rng, events);
    b.caller = undefined;
  }
}

function build(src: RecordSource, b: Burst, region: string, time: number, eventIndex: number): string {
  const { rng, world: w } = src;
  const def = b.def;
  let c: Ctx;
  let caller = b.caller;
  if (caller) {
    c = { rng, w, region, time, def, ...caller };
  } else {
    c = { rng, w, region, time, def, identity: {}, actorArn: '', ip: '', agent: '', console: false, internal: false, crossAccount: false };
    const kind = draw(rng, ACTORS_BY_EVENT.get(def)!);
    actor(c, kind, src.worldSeed);
    caller = b.caller = {
      kind,
      identity: c.identity,
      actorArn: c.actorArn,
      ip: c.ip,
      agent: c.agent,
      console: c.console,
      internal: c.internal,
      crossAccount: c.crossAccount,
      tls13: rng.chance(0.8),
      vpce: !c.internal && rng.chance(0.06) ? `vpce-0${rng.hex(16)}` : null,
    };
  }
  const host = def.host ? def.host(c) : `${def.source}.${region}.amazonaws.com`;
  const failed = def.errors && rng.chance(def.errorRate ?? 0.03) ? rng.pick(def.errors) : undefined;
  const rec: Record<string, unknown> = {
    eventVersion: VERSION_OF.get(def)!,
    userIdentity: c.identity,
    eventTime: iso(time),
    eventSource: `${def.source}.amazonaws.com`,
    eventName: def.name,
    awsRegion: region,
    sourceIPAddress: c.ip,
    userAgent: c.agent,
  };
  if (failed) {
    rec.errorCode = failed[0];
    rec.errorMessage = failed[1](c);
  }
  rec.requestParameters = def.request ? def.request(c) : null;
  rec.responseElements = failed || !def.response ? null : def.response(c);
  const extra = def.extra?.(c);
  if (extra) rec.additionalEventData = extra;
  rec.requestID = def.source === 's3' ? rng.b32(16) : rng.uuid();
  rec.eventID = uniqueUuid(rng, eventIndex, src.idKey);
  rec.readOnly = def.readOnly;
  const resources = def.resources?.(c);
  if (resources) rec.resources = resources;
  rec.eventType = def.eventType ?? 'AwsApiCall';
  if (def.apiVersion) rec.apiVersion = def.apiVersion;
  rec.managementEvent = true;
  rec.recipientAccountId = w.account;
  if (c.crossAccount) rec.sharedEventID = rng.uuid();
  if (caller.vpce) {
    rec.vpcEndpointId = caller.vpce;
    rec.vpcEndpointAccountId = w.account;
  }
  rec.eventCategory = 'Management';
  if (!c.internal) {
    const v13 = caller.tls13;
    rec.tlsDetails = {
      tlsVersion: v13 ? 'TLSv1.3' : 'TLSv1.2',
      cipherSuite: v13 ? 'TLS_AES_128_GCM_SHA256' : 'ECDHE-RSA-AES128-GCM-SHA256',
      clientProvidedHostHeader: host,
    };
  }
  if (c.console) rec.sessionCredentialFromConsole = 'true';
  let text = JSON.stringify(rec);
  if (text.length < MIN_RECORD_BYTES) {
    // Short calls (Get*, List*) get what such calls often carry in real trails: the resources they touched.
    const resources = (rec.resources ??= []) as unknown[];
    while (text.length < MIN_RECORD_BYTES) {
      resources.push({ accountId: w.account, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${w.account}:role/${rng.pick(w.roles).name}` });
      text = JSON.stringify(rec);
    }
  }
  return text;
}
