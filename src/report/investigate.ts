/**
 * `keytrail investigate` as a library function: ingest the evidence into <out>/keytrail.duckdb
 * (idempotent), run the rules, follow the lineage, and write the case folder. The CLI adds
 * progress and messages; the benchmark times it as is.
 */
import path from 'node:path';
import { jsonText } from '../escape.js';
import { makeOutputFolder, writeOutputFile } from '../output-path.js';
import { exportTimeline } from '../export/timeline.js';
import { writeRowsToFile } from '../export/rows.js';
import { ingest, type IngestProgress, type IngestSummary } from '../ingest/ingest.js';
import { renderHtml } from '../lineage/html.js';
import { detect } from '../rules/detect.js';
import { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';
import { renderReportHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { renderRemediation } from './remediation.js';
import { buildReport, type Report, type ReportOptions } from './report.js';

export const CASE_FILES = ['report.html', 'report.md', 'report.json', 'findings.csv', 'lineage.html', 'timeline.csv', 'remediation.sh'] as const;

export interface InvestigateOptions extends Omit<ReportOptions, 'now'> {
  out: string;
  /** DuckDB's memory limit while loading the evidence (ingest's default when absent). */
  memoryLimit?: string;
  onProgress?: (p: IngestProgress) => void;
  /** Called between the steps, for the CLI's messages. */
  onStep?: (what: string) => void;
}

export async function investigate(evidence: readonly string[], o: InvestigateOptions): Promise<{ ingest: IngestSummary; report: Report }> {
  makeOutputFolder(o.out, '--out');
  const dbPath = path.join(o.out, 'keytrail.duckdb');
  o.onStep?.(`ingesting into ${dbPath}...`);
  const summary = await ingest(evidence, { db: dbPath, memoryLimit: o.memoryLimit, onProgress: o.onProgress });
  o.onStep?.(`ingest: ${summary.events} new event(s) from ${summary.files.ingested} file(s), ${summary.files.rejected} rejected`);
  const db = await CaseDb.open(dbPath, { memoryLimit: '2GB' });
  try {
    o.onStep?.('detect, lineage, report...');
    const findings = await detect(db, o.rules, { correlations: o.correlations });
    const r = await buildReport(db, { ...o, findings });
    await findings.store();
    const write = (name: (typeof CASE_FILES)[number], text: string) => writeOutputFile(path.join(o.out, name), text);
    write('report.html', renderReportHtml(r));
    write('report.md', renderMarkdown(r));
    write('report.json', `${jsonText(r, 2)}\n`);
    write('lineage.html', renderHtml(r.lineage, `keytrail lineage of ${r.seeds.join(', ')}`));
    write('remediation.sh', renderRemediation(r));
    const { rows } = await db.query(
      sql`SELECT eventTime, rule.level AS level, rule.id AS rule, rule.title AS title, summary, array_to_string(eventIDs, ' ') AS eventIDs, rule.author AS author FROM (${findings.query()})`,
    );
    await writeRowsToFile(rows, ['eventTime', 'level', 'rule', 'title', 'summary', 'eventIDs', 'author'], path.join(o.out, 'findings.csv'));
    await exportTimeline(db, path.join(o.out, 'timeline.csv'));
    return { ingest: summary, report: r };
  } finally {
    db.close();
  }
}
