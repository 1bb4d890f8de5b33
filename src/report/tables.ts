/** Report tables written once, for the Markdown and for the HTML page (which draws them from its data block). */
import type { Report } from './report.js';

export type Cell = string | number | null;

/** Step 1: each key and temporary credential of the chain, and its status as the logs show it. */
export function keyTable(r: Report): { head: string[]; rows: Cell[][] } {
  return {
    head: ['access key', 'owner', 'kind', 'first use', 'last use', 'events', 'source IPs', 'status changes', 'last known status'],
    rows: r.keys.map((k) => [
      k.accessKeyId,
      k.owner,
      `${k.temporary ? 'temporary' : 'long-term'}${k.seed ? ', seed' : ''}${k.createdByAttacker ? ', created by the attacker' : ''}`,
      k.firstUse,
      k.lastUse,
      k.events,
      k.sourceIPs.join(', '),
      k.statusChanges.map((c) => `${c.eventTime} ${c.status} (${c.eventID})`).join('; '),
      k.lastKnownStatus,
    ]),
  };
}
