/**
 * Examining one file: its probe (size, hash, head) against what the case holds, then sniffed, and
 * how it will be read decided: staged (a small S3 file), DuckDB's reader (a larger one), the record
 * reader (any other JSON, CSV), opened (an archive), or not read, with why.
 */
import fs from 'node:fs';
import { messageOf } from '../errors.js';
import type { FileStatus } from '../store/schema.js';
import type { FileRow } from './batch-loader.js';
import { ExpansionError, type Probe } from './bytes.js';
import { errnoCode } from './errno.js';
import type { CaseIndex } from './case-index.js';
import { unpack, type Pending } from './pending.js';
import type { ReadSpec } from './reader.js';
import { sniff, type Sniffed } from './sniff.js';
import type { Stager } from './staging.js';

export interface Batch {
  rows: ExaminedRow[];
  bytes: number;
  /** The batch's small S3 files, their texts already written to staging files. */
  stager: Stager;
}

export interface ExaminedRow extends FileRow {
  real?: string;
  native?: { gzip: boolean; isize?: number; masks?: number[] };
  read?: ReadSpec;
  /** Its text is in the batch's staging files (staging.ts). */
  staged?: boolean;
  archive?: { kind: 'zip' | 'tar'; gzip: boolean };
}

/** Hash and sniff one file, to be row `id`; decide how it will be read. 'already' when the case holds it. */
export async function examine(item: Pending, probed: Promise<Probe>, id: number, known: CaseIndex, batch: Batch): Promise<ExaminedRow | 'already'> {
  const row: ExaminedRow = { id, parentId: item.parentId, path: item.display, sha256: null, bytes: null, format: 'unknown', status: 'rejected', reason: null };
  let probe: Probe;
  try {
    probe = await probed;
  } catch (err) {
    row.reason = `cannot read: ${cannotRead(err)}`;
    return row;
  }
  row.bytes = probe.size;
  row.sha256 = probe.sha256;
  if (known.holds(row.path, probe.sha256)) return 'already';
  const same = known.sameContent(probe.sha256);
  if (same) return Object.assign(row, { format: 'duplicate', status: 'duplicate-file', reason: `same content (sha256) as file #${same.id} ${same.path}` });
  return new Examination(item, row, probe, batch).decide(sniff(probe, item.display));
}

const cannotRead = (err: unknown) => (errnoCode(err) === 'EACCES' ? 'permission denied' : messageOf(err));

/**
 * An archive member cut short by the end of its archive: the record reader reads what it holds (so
 * records complete before the cut are kept) and its row says why the rest is missing.
 */
export function markCut(row: ExaminedRow, cut: string): void {
  if (row.counted) {
    delete row.native;
    row.readError = cut;
  } else row.reason = row.reason ? `${cut}; ${row.reason}` : cut;
}

type Of<K extends Sniffed['kind']> = Extract<Sniffed, { kind: K }>;

/** One file, probed and not yet in the case: how it will be read. */
class Examination {
  constructor(
    private readonly item: Pending,
    private readonly row: ExaminedRow,
    private readonly probe: Probe,
    private readonly batch: Batch,
  ) {}

  decide(s: Sniffed): ExaminedRow {
    // The probe already decompressed it past its limit: rejected without a second read.
    if (this.probe.bomb !== undefined && (s.kind === 'records' || s.kind === 'json' || s.kind === 'csv')) {
      return this.set({ format: 'gzip', status: 'rejected', reason: new ExpansionError(this.probe.bomb).message });
    }
    switch (s.kind) {
      case 'skip':
        return this.set({ format: s.format, status: 'skipped', reason: s.reason });
      case 'reject':
        return this.set({ format: s.format, status: 'rejected', reason: s.reason });
      case 'zip':
      case 'tar':
        return this.archive(s);
      case 'records':
        return this.records(s);
      case 'json':
      case 'csv':
        return this.text(s);
    }
  }

  private set(fields: { format: string; status: FileStatus } & Partial<ExaminedRow>): ExaminedRow {
    return Object.assign(this.row, fields);
  }

  private archive(s: Of<'zip'> | Of<'tar'>): ExaminedRow {
    unpack(this.item);
    const gzip = s.kind === 'tar' && s.gzip;
    return this.set({ format: s.kind === 'zip' ? 'zip' : gzip ? 'tar.gz' : 'tar', status: 'ingested', archive: { kind: s.kind, gzip } });
  }

  /** `{"Records":[...]}`: staged when small or clean, else DuckDB's reader reads it from its own file. */
  private records(s: Of<'records'>): ExaminedRow {
    const { item, probe } = this;
    this.batch.bytes += s.gzip ? Math.max(probe.expanded ?? s.isize ?? 0, probe.size * 10) : probe.size;
    // Not one cut short by the end of its archive: the record reader keeps what it can of that.
    if (!item.cut) {
      // Clean and plain around its records: staged as lines, a record a line (record-lines.ts).
      if (probe.lines) {
        this.batch.stager.addLines({ fileId: this.row.id, path: item.real, gzip: s.gzip, bytes: probe.expanded ?? probe.size }, probe.lines);
        return this.staged(s.gzip);
      }
      // A small file the probe holds whole is staged now, its text written once and dropped.
      if (probe.content) return this.stage(probe.content, s.gzip);
    }
    // The size it really decompresses to (the probe read it), not the trailer's word, decides the path.
    unpack(item);
    return this.set({
      real: item.real,
      format: 'cloudtrail-records',
      status: 'ingested',
      counted: true,
      // Clean (records-scan.ts), and not cut short by its archive: read straight into the typed columns.
      native: { gzip: s.gzip, isize: probe.expanded ?? s.isize, ...(probe.masks && !item.cut ? { masks: probe.masks } : {}) },
      read: { kind: 'records', gzip: s.gzip },
    });
  }

  private stage(content: Buffer, gzip: boolean): ExaminedRow {
    const { item, probe } = this;
    this.batch.stager.add({ fileId: this.row.id, path: item.real, gzip, bytes: content.length, ...(probe.masks ? { masks: probe.masks } : {}) }, content);
    // An archive entry's extracted copy is not needed while its text is staged: the temporary
    // folder holds each entry once, so the expansion budget bounds it.
    if (item.parentId !== null && !item.packed) fs.rmSync(item.real, { force: true });
    return this.staged(gzip);
  }

  /** The row of an S3 file staged (its text or its lines): loaded with its batch's staging files. */
  private staged(gzip: boolean): ExaminedRow {
    return this.set({ real: this.item.real, format: 'cloudtrail-records', status: 'ingested', counted: true, staged: true, read: { kind: 'records', gzip } });
  }

  /** Other JSON and CSV: the record reader reads it. */
  private text(s: Of<'json'> | Of<'csv'>): ExaminedRow {
    this.batch.bytes += s.gzip ? this.probe.size * 10 : this.probe.size;
    unpack(this.item);
    return this.set({
      real: this.item.real,
      format: s.kind,
      status: 'ingested',
      counted: true,
      read: { kind: s.kind, gzip: s.gzip, encoding: s.encoding },
    });
  }
}
