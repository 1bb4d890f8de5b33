/**
 * A seed key that makes no event in the case is most often a typo or a truncated paste: a whole
 * report of "no activity" for it would look like an answer. Such a key is named with the nearest
 * key the case does hold (by edit distance, the busier one first on a tie) and its events, so the
 * user sees the slip at once; a caller that means it (a key that may never have been used) goes on
 * past this check.
 */
import { KeytrailError } from '../errors.js';
import type { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';

export interface KeyWithoutEvents {
  key: string;
  /** The case's access key nearest to it, and how many events it made; null when no event of the case was made with a key. */
  nearest: { key: string; events: number } | null;
}

/** The seed keys that make no event in the whole case (whatever the window), each with the nearest key that does. */
export async function seedKeysWithoutEvents(db: CaseDb, keys: readonly string[]): Promise<KeyWithoutEvents[]> {
  if (keys.length === 0) return [];
  const used = new Set(
    (await db.all(sql`SELECT DISTINCT userIdentity.accessKeyId AS k FROM events WHERE list_contains(${sql.list(keys)}, userIdentity.accessKeyId)`)).map((r) =>
      String(r.k),
    ),
  );
  const missing: KeyWithoutEvents[] = [];
  for (const key of new Set(keys)) {
    if (used.has(key)) continue;
    const [r] = await db.all(sql`
      SELECT k AS nearest, count(*) AS n FROM (SELECT userIdentity.accessKeyId AS k FROM events) WHERE k IS NOT NULL
      GROUP BY k ORDER BY levenshtein(upper(k), upper(${key})), n DESC, k LIMIT 1`);
    missing.push({ key, nearest: r ? { key: String(r.nearest), events: Number(r.n) } : null });
  }
  return missing;
}

const events = (n: number) => `${n.toLocaleString('en-US')} event${n === 1 ? '' : 's'}`;

/** One or more seed keys make no event in the case. */
export class SeedKeyWithoutEvents extends KeytrailError {
  constructor(
    readonly keys: KeyWithoutEvents[],
    /** What the caller adds: what was done already, how to go on. */
    after = '',
  ) {
    const each = keys.map(({ key, nearest }) =>
      nearest
        ? `--key ${key} makes no event in this case: did you mean ${nearest.key} (${events(nearest.events)})?`
        : `--key ${key} makes no event in this case, and no event of it was made with an access key`,
    );
    super('INPUT', `${each.join('; ')} (--allow-missing goes on with it all the same)${after}`);
  }
}

/** Throws SeedKeyWithoutEvents when a seed key makes no event in the case. */
export async function checkSeedKeys(db: CaseDb, keys: readonly string[], after?: string): Promise<void> {
  const missing = await seedKeysWithoutEvents(db, keys);
  if (missing.length > 0) throw new SeedKeyWithoutEvents(missing, after);
}
