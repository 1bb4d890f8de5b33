/**
 * What `keytrail rules compile` prints of a compiled rule: its statement text and the values it
 * binds. Derived from the rule's fragment when asked (never a second copy to keep in step);
 * deprecated: src/cli/commands/rules.ts reads these until it prints `fragment.build()` itself.
 */
import type { Bound, Sql } from '../store/sql.js';

export interface Listing {
  /** @deprecated The fragment's text, numbered from $1: `build().text` of the fragment. */
  readonly sql: string;
  /** @deprecated The values of `sql`'s placeholders, a list as an array. */
  readonly params: unknown[];
}

const plain = (b: Bound): unknown => (b.kind === 'list' ? [...b.values] : b.value);

/** `compiled` with the Listing of `fragment` as getters (not enumerable: not part of its value). */
export function withListing<T extends object>(compiled: T, fragment: Sql): T & Listing {
  return Object.defineProperties(compiled, {
    sql: { get: () => fragment.build().text },
    params: { get: () => fragment.build().params.map(plain) },
  }) as T & Listing;
}
