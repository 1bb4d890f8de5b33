/**
 * Archive expansion: an examined zip or tar becomes its entries, queued to be examined like any
 * file (under the archive's path, `bundle.zip!/logs/a.json`), and rows for the entries that were not
 * extracted (links, unsafe paths, bombs...), with why. Archives inside archives are opened too, down
 * to MAX_ARCHIVE_DEPTH, all under the expansion budget of the input archive they came out of.
 */
import path from 'node:path';
import { ExpansionBudget, extractArchive, type ArchiveEntry } from './archive.js';
import { expansionLimit, type ExpansionLimits } from './bytes.js';
import type { ExaminedRow } from './examine.js';
import type { Pending } from './pending.js';

export const MAX_ARCHIVE_DEPTH = 4;

export interface ExpandOptions {
  limits: ExpansionLimits;
  minFreeBytes: number;
  /** The run's temporary folder: each archive is extracted into a folder of its own in it. */
  tmp: string;
  /** The id of the next files row. */
  nextId: () => number;
}

export interface Expansion {
  /** The entries extracted, to be examined. */
  children: Pending[];
  /** Rows of the entries that were not extracted. */
  rows: ExaminedRow[];
}

/** Open the archive `item` (examined as `row`); its row's reason says how many entries it had, and what went wrong. */
export async function expandArchive(item: Pending, row: ExaminedRow, archive: { kind: 'zip' | 'tar'; gzip: boolean }, opts: ExpandOptions): Promise<Expansion> {
  const { limits } = opts;
  const budget = item.budget ?? new ExpansionBudget(expansionLimit(row.bytes ?? 0, limits));
  const res = await extractArchive(item.real, archive.kind, archive.gzip, path.join(opts.tmp, `archive-${row.id}`), {
    limits,
    budget,
    minFreeBytes: opts.minFreeBytes,
  });
  const out: Expansion = { children: [], rows: [] };
  for (const e of res.entries) {
    const display = `${row.path}!/${e.name}`;
    if (e.extracted) out.children.push({ display, real: e.extracted, parentId: row.id, depth: item.depth + 1, budget, cut: e.cut, packed: e.packed });
    else out.rows.push(notExtracted(e, display, row.id, opts.nextId()));
  }
  row.reason = `${archive.kind} archive: ${res.entries.length} entries${res.error ? `; ${res.error}` : ''}`;
  // Rejected when nothing could be read from it; partial when some entries are missing or were refused.
  if (res.error) row.status = res.entries.length === 0 ? 'rejected' : 'partial';
  return out;
}

function notExtracted(e: ArchiveEntry, display: string, parentId: number, id: number): ExaminedRow {
  return {
    id,
    parentId,
    path: display,
    sha256: null,
    bytes: e.bytes,
    format: 'archive-entry',
    status: e.rejected ? 'rejected' : 'skipped',
    reason: e.rejected ?? e.skipped ?? null,
  };
}

/** An archive deeper than MAX_ARCHIVE_DEPTH is not opened. */
export function notOpened(row: ExaminedRow): void {
  row.status = 'skipped';
  row.reason = `archive nested more than ${MAX_ARCHIVE_DEPTH} deep: not opened`;
}
