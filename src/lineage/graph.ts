/** The lineage graph as it is built: nodes by id, edges once each, and the node of an event's actor. */
import type { EdgeKind, LineageEdge, LineageNode, NodeKind } from './lineage.js';

/** Who made an event, as lineage's queries flatten it. */
export interface ActorRow {
  identityType: string | null;
  accessKeyId: string | null;
  userName: string | null;
  arn: string | null;
  accountId: string | null;
  invokedBy: string | null;
  principalId: string | null;
}

/** What a node may be given beyond its kind and name; a false or null value never overwrites one that is set. */
type NodeFacts = Partial<Pick<LineageNode, 'arn' | 'temporary' | 'createdByAttacker' | 'seed' | 'owner'>>;

export class Graph {
  readonly nodes = new Map<string, LineageNode>();
  private readonly edgeByKey = new Map<string, LineageEdge>();

  get edges(): IterableIterator<LineageEdge> {
    return this.edgeByKey.values();
  }

  node(id: string, kind: NodeKind, name: string, facts: NodeFacts = {}): LineageNode {
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
    if (facts.arn !== undefined && facts.arn !== null) n.arn = facts.arn;
    if (facts.temporary) n.temporary = true;
    if (facts.createdByAttacker) n.createdByAttacker = true;
    if (facts.seed) n.seed = true;
    if (facts.owner !== undefined && facts.owner !== null) n.owner = facts.owner;
    return n;
  }

  /** An access key's node; ASIA keys are temporary. */
  key(id: string, facts: NodeFacts = {}): LineageNode {
    return this.node(id, 'access_key', id, { temporary: id.startsWith('ASIA'), ...facts });
  }

  /** A `kind/name` node (user/, role/, group/, account/, service/, principal/). */
  named(kind: Exclude<NodeKind, 'access_key'>, name: string, facts: NodeFacts = {}): LineageNode {
    return this.node(`${kind}/${name}`, kind, name, facts);
  }

  edge(from: string, to: string, kind: EdgeKind, eventID: string, eventTime: string): void {
    const key = JSON.stringify([from, to, kind, eventID]);
    if (!this.edgeByKey.has(key)) this.edgeByKey.set(key, { from, to, kind, eventID, eventTime });
  }

  /** The node id of the credential or principal that made an event. */
  actor(r: ActorRow): string {
    if (r.accessKeyId) return this.key(r.accessKeyId).id;
    if (r.identityType === 'IAMUser' && r.userName) return this.named('user', r.userName, { arn: r.arn }).id;
    if (r.identityType === 'AWSAccount' && r.accountId) return this.named('account', r.accountId).id;
    if (r.identityType === 'AWSService' && r.invokedBy) return this.named('service', r.invokedBy).id;
    const name = r.arn ?? r.principalId ?? r.identityType ?? 'unknown';
    return this.named('principal', name, { arn: r.arn }).id;
  }
}
