/**
 * `keytrail investigate` as a library function: ingest the evidence into <out>/keytrail.duckdb
 * (idempotent), run the rules, follow the lineage, and write the case folder. The CLI adds
 * progress and messages; the benchmark times it as is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { jsonText } from '../escape.js';
import { KeytrailError } from '../errors.js';
import { makeOutputFolder, writeOutputFile } from '../output-path.js';
import { exportTimeline } from '../export/timeline.js';
import { writeRowsToFile } from '../export/rows.js';
import { CASE_FOLDER, CASE_FOLDER_REASON } from '../ingest/discover.js';
import { IngestInterrupted, type IngestOptions, type IngestProgress, type IngestSummary, ingestPlanned } from '../ingest/ingest.js';
import { InputsNameNothing, planIngest } from '../ingest/plan.js';
import { renderHtml } from '../lineage/html.js';
import { checkSeedKeys } from '../lineage/seed-keys.js';
import { detect, type Findings } from '../rules/detect.js';
import { storeIntegrity } from '../integrity/store.js';
import { verifyEvidence } from '../integrity/verify.js';
import { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';
import { renderReportHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { renderRemediation } from './remediation.js';
import { type ManifestRun, manifestInputs, writeManifest } from './manifest.js';
import { buildReport, type Report, type ReportOptions } from './report.js';

export const CASE_FILES = ['report.html', 'report.md', 'report.json', 'findings.csv', 'lineage.html', 'timeline.csv', 'remediation.sh'] as const;

export interface InvestigateOptions extends Omit<ReportOptions, 'now'> {
  out: string;
  /** DuckDB's memory limit while loading the evidence (ingest's default when absent). */
  memoryLimit?: string;
  /** Estimated bytes of a batch while loading the evidence (IngestOptions.batchBytes). */
  batchBytes?: number;
  /** Add evidence of an AWS account the case folder does not hold yet (IngestOptions.append). */
  append?: boolean;
  /** Go on when a seed key makes no event in the case; by default that stops the run (lineage/seed-keys.ts). */
  allowMissing?: boolean;
  onProgress?: (p: IngestProgress) => void;
  /** Called between the steps, for the CLI's messages. */
  onStep?: (what: string) => void;
  /**
   * Stops the run (Ctrl-C): during the ingest as IngestOptions.signal says; after it, the case keeps
   * all the evidence and no report is written (the error says so).
   */
  signal?: AbortSignal;
  /** The command line that started the run, for manifest.json (`keytrail investigate ...`). */
  command?: string[];
  /** The JSON of `aws cloudtrail list-public-keys`: digests' signatures are checked too (VerifyOptions.publicKeys). */
  publicKeys?: string;
}

export async function investigate(evidence: readonly string[], o: InvestigateOptions): Promise<{ ingest: IngestSummary; report: Report }> {
  const started = new Date();
  let custody: ManifestRun;
  let result: { ingest: IngestSummary; report: Report };
  const dbPath = path.join(o.out, CASE_FOLDER.db);
  const summary = await loadEvidence(evidence, dbPath, o);
  const stopped = () =>
    new KeytrailError(
      'INTERRUPTED',
      `interrupted: all the evidence is in the case ${dbPath}; no report was written. Run the same command again: the evidence is not read again`,
    );
  if (o.signal?.aborted) throw stopped();
  const db = await CaseDb.open(dbPath, { memoryLimit: '2GB' });
  const interrupt = () => db.interrupt();
  o.signal?.addEventListener('abort', interrupt);
  try {
    if (!o.allowMissing)
      await checkSeedKeys(db, o.keys, `. The evidence is in ${dbPath}; no report was written: run again with the right --key (the evidence is not read again)`);
    // Evidence with digests (or CloudTrail Lake sign files) is verified against them, and the report says how it stands (issue 17).
    const digests = await db.one(
      sql`SELECT count(*)::INTEGER AS n FROM files WHERE format IN ('cloudtrail-digest', 'cloudtrail-lake-sign')`,
      z.object({ n: z.number() }),
    );
    if (digests.n > 0) {
      o.onStep?.(`verifying the evidence against ${digests.n} digest or sign file(s)...`);
      const { inputs, gone } = await caseEvidence(db, evidence);
      if (gone > 0) o.onStep?.(`${gone} file(s) read into the case by an earlier run are no longer found at their paths: verified without them`);
      const verified = await verifyEvidence(inputs, { caseFolders: [o.out], publicKeys: o.publicKeys });
      if (gone > 0) verified.summary.statement += `; ${gone} file(s) read into the case by an earlier run no longer found at their paths, not verified`;
      await storeIntegrity(db, verified);
    }
    o.onStep?.('detect, lineage, report...');
    const findings = await detect(db, o.rules, { correlations: o.correlations });
    const r = await buildReport(db, { ...o, findings });
    // Past this point the case folder is written whole: a stop asked now waits for it.
    o.signal?.throwIfAborted();
    o.signal?.removeEventListener('abort', interrupt);
    await findings.store();
    await writeCaseFiles(db, o.out, r, findings);
    custody = { provenance: r.provenance, rulesRun: r.rulesRun, command: o.command ?? null, evidence, started, inputs: await manifestInputs(db) };
    result = { ingest: summary, report: r };
  } catch (err) {
    if (o.signal?.aborted) throw stopped();
    throw err;
  } finally {
    o.signal?.removeEventListener('abort', interrupt);
    db.close();
  }
  // Last, once the database is closed and will not change: what was read, run and written, hashed.
  await writeManifest(o.out, custody, [...CASE_FILES, CASE_FOLDER.db]);
  return result;
}

/**
 * The evidence into <out>/keytrail.duckdb. Evidence that is not there stops the run before anything
 * is written: a typo in a path would otherwise give a whole report of no activity.
 */
async function loadEvidence(evidence: readonly string[], dbPath: string, o: InvestigateOptions): Promise<IngestSummary> {
  const options: IngestOptions = {
    db: dbPath,
    memoryLimit: o.memoryLimit,
    batchBytes: o.batchBytes,
    onProgress: o.onProgress,
    caseFolders: [o.out],
    append: o.append,
    signal: o.signal,
  };
  const plan = await planIngest(evidence, options);
  if (plan.inputErrors.length > 0) throw new InputsNameNothing(plan.inputErrors);
  makeOutputFolder(o.out, '--out');
  for (const dir of plan.caseFolders) o.onStep?.(`${dir}: ${CASE_FOLDER_REASON}`);
  o.onStep?.(`ingesting into ${dbPath}...`);
  let summary: IngestSummary;
  try {
    summary = await ingestPlanned(plan, options);
  } catch (err) {
    if (err instanceof IngestInterrupted) throw new IngestInterrupted(err.summary, { cause: err, also: 'no report was written' });
    throw err;
  }
  o.onStep?.(`ingest: ${summary.events} new event(s) from ${summary.files.ingested} file(s), ${summary.files.rejected} rejected`);
  return summary;
}

/**
 * What the case's integrity is checked on: this run's evidence and every file an earlier run read
 * into the case (a second bundle, `--append`), where it still is. The case is verified whole, not
 * run by run: one bundle's digests list another's log files, a chain runs across both, and the
 * results of the earlier evidence would otherwise give way to this run's. `gone`: earlier files
 * no longer at their paths (moved, deleted), which the run says.
 */
async function caseEvidence(db: CaseDb, evidence: readonly string[]): Promise<{ inputs: string[]; gone: number }> {
  const earlier = await db.rows(
    sql`SELECT DISTINCT path FROM files WHERE parent_id IS NULL AND format <> 'folder' ORDER BY path`,
    z.object({ path: z.string() }),
  );
  const found = (p: string) => {
    try {
      return Boolean(fs.lstatSync(p));
    } catch {
      return false;
    }
  };
  const here = earlier.filter((f) => found(f.path)).map((f) => f.path);
  return { inputs: [...evidence, ...here], gone: earlier.length - here.length };
}

/** The case folder's files, from the report and the stored findings. */
async function writeCaseFiles(db: CaseDb, out: string, r: Report, findings: Findings): Promise<void> {
  const write = (name: (typeof CASE_FILES)[number], text: string) => writeOutputFile(path.join(out, name), text);
  write('report.html', renderReportHtml(r));
  write('report.md', renderMarkdown(r));
  write('report.json', `${jsonText(r, 2)}\n`);
  write('lineage.html', renderHtml(r.lineage, `keytrail lineage of ${r.seeds.join(', ')}`));
  write('remediation.sh', renderRemediation(r));
  const { rows } = await db.query(
    sql`SELECT eventTime, rule.level AS level, rule.id AS rule, rule.title AS title, summary, array_to_string(eventIDs, ' ') AS eventIDs, rule.author AS author FROM (${findings.query()})`,
  );
  await writeRowsToFile(rows, ['eventTime', 'level', 'rule', 'title', 'summary', 'eventIDs', 'author'], path.join(out, 'findings.csv'));
  await exportTimeline(db, path.join(out, 'timeline.csv'));
}
