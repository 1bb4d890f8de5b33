/**
 * `keytrail export`: the case in formats other tools read. One file per format; register it here.
 */
import type { CaseDb } from '../store/db.js';
import { exportCsv } from './csv.js';
import { exportJsonl } from './jsonl.js';
import { exportParquet } from './parquet.js';
import { exportTimeline } from './timeline.js';

export type Exporter = (db: CaseDb, out: string) => Promise<ExportResult>;
export interface ExportResult {
  events: number;
  /** What was written: a file, or a folder of partitions. */
  path: string;
}

export const EXPORTERS = {
  parquet: exportParquet,
  csv: exportCsv,
  jsonl: exportJsonl,
  timeline: exportTimeline,
} satisfies Record<string, Exporter>;

export type ExportFormat = keyof typeof EXPORTERS;
export const EXPORT_FORMATS = Object.keys(EXPORTERS) as ExportFormat[];
