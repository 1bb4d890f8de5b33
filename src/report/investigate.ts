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
import { CASE_FOLDER, CASE_FOLDER_REASON } from '../ingest/discover.js';
import { type IngestOptions, type IngestProgress, type IngestSummary, ingestPlanned } from '../ingest/ingest.js';
import { InputsNameNothing, planIngest } from '../ingest/plan.js';
import { renderHtml } from '../lineage/html.js';
import { checkSeedKeys } from '../lineage/seed-keys.js';
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
  /** Add evidence of an AWS account the case folder does not hold yet (IngestOptions.append). */
  append?: boolean;
  /** Go on when a seed key makes no event in the case; by default that stops the run (lineage/seed-keys.ts). */
  allowMissing?: boolean;
  onProgress?: (p: IngestProgress) => void;
  /** Called between the steps, for the CLI's messages. */
  onStep?: (what: string) => void;
}

export async function investigate(evidence: readonly string[], o: InvestigateOptions): Promise<{ ingest: IngestSummary; report: Report }> {
  const dbPath = path.join(o.out, CASE_FOLDER.db);
  const options: IngestOptions = { db: dbPath, memoryLimit: o.memoryLimit, onProgress: o.onProgress, caseFolders: [o.out], append: o.append };
  // Evidence that is not there stops the run before anything is written: a typo in a path would
  // otherwise give a whole report of no activity.
  const plan = await planIngest(evidence, options);
  if (plan.inputErrors.length > 0) throw new InputsNameNothing(plan.inputErrors);
  makeOutputFolder(o.out, '--out');
  for (const dir of plan.caseFolders) o.onStep?.(`${dir}: ${CASE_FOLDER_REASON}`);
  o.onStep?.(`ingesting into ${dbPath}...`);
  const summary = await ingestPlanned(plan, options);
  o.onStep?.(`ingest: ${summary.events} new event(s) from ${summary.files.ingested} file(s), ${summary.files.rejected} rejected`);
  const db = await CaseDb.open(dbPath, { memoryLimit: '2GB' });
  try {
    if (!o.allowMissing)
      await checkSeedKeys(db, o.keys, `. The evidence is in ${dbPath}; no report was written: run again with the right --key (the evidence is not read again)`);
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
