/**
 * What became of what the chain made (issue 15 point 3): each resource the chain created, matched
 * with its later deletion by anyone (the attacker's own clean-up, the owner's, or an AWS service),
 * and its state at the end of the evidence. The registry (resource-registry.ts) says which calls
 * create and delete which type of resource and where the ids are; a deletion matches a creation of
 * the same type and id, in the same region (IAM is global), at or after it.
 */
import { z } from 'zod';
import type { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';
import { principal } from '../store/vocabulary.js';
import { RESOURCE_REGISTRY } from './resource-registry.js';
import { resourceRows } from './resource-sql.js';

export interface Lifecycle {
  /** `removed`, `still exists` (no deletion in evidence that covers its region after it), or `unknown`. */
  state: 'removed' | 'still exists' | 'unknown';
  /** The state as a sentence for the report: when, by whom, and how far the evidence goes. */
  text: string;
  removedAt: string | null;
  removedBy: string | null;
  removedEventID: string | null;
  /** The deletion was made by the chain (the attacker cleaning up), not by the owner or AWS. */
  removedByChain: boolean | null;
}

/** A resource the chain created: the creating row of resourceRows(). */
export interface Created {
  type: string;
  id: string;
  region: string;
  eventTime: string;
}

const DELETES = [...new Set(RESOURCE_REGISTRY.filter((e) => e.action === 'delete').map((e) => e.eventName))];

const DeletionRow = z.object({
  type: z.string(),
  id: z.string(),
  awsRegion: z.string(),
  eventTime: z.string(),
  eventID: z.string(),
  by: z.string().nullable(),
  chain: z.boolean(),
});

/** How long after a creation the evidence of its region must go on for "no deletion" to mean "still exists". */
const SEEN_AFTER_MS = 3_600_000;

/** IAM and other global types are deleted from any region (their events log to us-east-1). */
const isGlobal = (type: string) => type.startsWith('iam:') || type.startsWith('s3:') || type.startsWith('sso:');
/** A resource: its type and id, and its region unless the type is global (a key pair named `ops` in two regions is two). */
const key = (type: string, id: string, region: string) => `${type}\u0000${id}\u0000${isGlobal(type) ? '' : region}`;

/**
 * The lifecycle of each created resource, by lifecycleKey(type, id, region). Deletions are read from
 * the whole case (the owner's clean-up is not in the chain). `regionEnd` has the last event time of
 * each region with evidence: a region with none is `unknown`; otherwise the evidence is taken to run
 * to its last event in any region (a quiet region logs nothing, and CloudTrail delivers every region).
 */
export async function lifecycles(db: CaseDb, created: readonly Created[], regionEnd: ReadonlyMap<string, string>): Promise<Map<string, Lifecycle>> {
  const out = new Map<string, Lifecycle>();
  if (created.length === 0) return out;
  const deletions = await db.rows(
    sql`WITH d AS (${resourceRows(sql`SELECT * FROM events WHERE errorCode IS NULL AND list_contains(${sql.list(DELETES)}, eventName)`)})
     SELECT d.type, d.id, d.awsRegion, d.eventTime, d.eventID, ${principal('e')} AS by, e.eventID IN (SELECT eventID FROM rep_events WHERE NOT owner_use) AS chain
     FROM d JOIN events e USING (eventID) WHERE d.action = 'delete' AND d.id IS NOT NULL AND list_contains(${sql.list(created.map((c) => c.id))}, d.id)
     ORDER BY d.eventTime, d.eventID`,
    DeletionRow,
  );
  const evidenceEnd = [...regionEnd.values()].sort().at(-1) ?? null;
  for (const c of created) {
    const k = key(c.type, c.id, c.region);
    if (out.has(k)) continue;
    const del = deletions.find((d) => d.type === c.type && d.id === c.id && d.eventTime >= c.eventTime && (isGlobal(c.type) || d.awsRegion === c.region));
    if (del) {
      const who = del.chain ? "the attacker's own clean-up" : "outside the chain: the owner's clean-up, or AWS";
      out.set(k, {
        state: 'removed',
        text: `removed at ${del.eventTime} by ${del.by ?? '?'} (${who}; ${del.eventID})`,
        removedAt: del.eventTime,
        removedBy: del.by,
        removedEventID: del.eventID,
        removedByChain: del.chain,
      });
      continue;
    }
    const region = isGlobal(c.type) ? 'us-east-1' : c.region;
    const end = regionEnd.has(region) ? evidenceEnd : null;
    const seen = end !== null && Date.parse(end) - Date.parse(c.eventTime) >= SEEN_AFTER_MS;
    out.set(k, {
      state: seen ? 'still exists' : 'unknown',
      text: seen
        ? `still exists as far as the evidence shows (no deletion up to its end, ${end})`
        : end === null
          ? `unknown (no evidence from ${region})`
          : `unknown (the evidence ends at ${end}, too soon after it to tell)`,
      removedAt: null,
      removedBy: null,
      removedEventID: null,
      removedByChain: null,
    });
  }
  return out;
}

export const lifecycleKey = key;
