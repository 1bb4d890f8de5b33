/**
 * Files waiting to be examined: the inputs, and the entries of archives already opened, which go in
 * at the front so that an archive's entries are read before the files after it.
 */
import fs from 'node:fs';
import { readPacked, type ExpansionBudget, type PackedBytes } from './archive.js';
import { expansionLimit, probeBytes, probeFile, type ExpansionLimits, type Probe } from './bytes.js';
import type { ProbePool } from './probe-pool.js';

export interface Pending {
  display: string;
  real: string;
  parentId: number | null;
  depth: number;
  /** The expansion budget of the input archive this came out of, shared by all archives inside it. */
  budget?: ExpansionBudget;
  /** The archive ends inside this entry: it holds only the bytes before the cut. */
  cut?: string;
  /** A small archive entry's bytes, in a pack (archive.ts EntryPack); `real` is where its own file goes if it needs one. */
  packed?: PackedBytes;
}

/**
 * The probe of a queued file: a file on disk in a worker thread of `pool` when there is one. A packed
 * entry is probed from its bytes, here; the rare one the in-memory probe cannot judge (a damaged
 * gzip...) gets its own file and the streaming probe.
 */
export async function probeItem(item: Pending, limits: ExpansionLimits, pool?: ProbePool): Promise<Probe> {
  const cap = (size: number) => expansionLimit(size, limits);
  const onDisk = (path: string) => (pool ? pool.probe(path, limits) : probeFile(path, cap));
  if (!item.packed) return onDisk(item.real);
  const bytes = readPacked(item.packed);
  const probe = probeBytes(bytes, cap(bytes.length));
  if (probe) return probe;
  unpack(item, bytes);
  return onDisk(item.real);
}

/** A packed entry is read from a file of its own from now on (an archive inside an archive, a file that is not staged). */
export function unpack(item: Pending, bytes = item.packed && readPacked(item.packed)): void {
  if (!item.packed || !bytes) return;
  fs.writeFileSync(item.real, bytes, { flag: 'wx' });
  item.packed.pack.release();
  delete item.packed;
}

/** First in, first out, and archive entries go in at the front; shift is O(1) (an array's is O(n): 0.5 s a 20,000-file batch). */
export class Queue<T> {
  private head = 0;
  /** Items before `head` are taken, their slots cleared so that they can be collected. */
  private items: (T | undefined)[];

  constructor(items: T[]) {
    this.items = items;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    return x;
  }

  unshift(xs: readonly T[]): void {
    this.items = [...xs, ...this.items.slice(this.head)];
    this.head = 0;
  }

  /** The first `n` items, not taken: an array, as cheap as a slice (a generator costs more, once a file). */
  first(n: number): T[] {
    const out: T[] = [];
    const end = Math.min(this.head + n, this.items.length);
    for (let i = this.head; i < end; i++) {
      const x = this.items[i];
      if (x !== undefined) out.push(x);
    }
    return out;
  }

  any(test: (x: T) => boolean): boolean {
    for (let i = this.head; i < this.items.length; i++) {
      const x = this.items[i];
      if (x !== undefined && test(x)) return true;
    }
    return false;
  }
}
