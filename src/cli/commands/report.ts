import fs from 'node:fs';
import type { Command } from 'commander';
import { jsonText } from '../../escape.js';
import { usageError } from '../../errors.js';
import { renderReportHtml } from '../../report/html.js';
import { renderMarkdown } from '../../report/markdown.js';
import { buildReport, type Report } from '../../report/report.js';
import { CASE_FILES, investigate } from '../../report/investigate.js';
import { CaseDb } from '../../store/db.js';
import { DEFAULT_DB, collect, loadRulesForRun, oneOf, rulePaths, say } from '../common.js';
import { ingestProgress } from '../progress.js';

export const REPORT_FORMATS = ['html', 'md', 'json'] as const;

interface Common {
  key?: string[];
  user?: string[];
  since?: string;
  until?: string;
  rules?: string[];
  builtin: boolean;
}

const rulesFor = (o: Common) => loadRulesForRun(rulePaths(o));

function seeds(o: Common): void {
  if (!o.key?.length && !o.user?.length) throw usageError('name the leaked key: --key AKIA... (or --user NAME)');
}

async function report(db: CaseDb, o: Common): Promise<Report> {
  const { rules, correlations } = await rulesFor(o);
  return buildReport(db, { keys: o.key ?? [], users: o.user, since: o.since, until: o.until, rules, correlations });
}

const reportOptions = (c: Command) =>
  c
    .option('--key <id>', 'the leaked access key (AKIA...); repeatable or comma-separated', collect)
    .option('--user <name>', 'an IAM user to follow as a whole; repeatable', collect)
    .option('--since <time>', 'only events from this time on (ISO-8601)')
    .option('--until <time>', 'only events before this time')
    .option('--rules <path>', 'your Sigma rules besides the built-in pack; repeatable', (v: string, prev: string[] = []) => prev.concat(v))
    .option('--no-builtin', 'do not run the built-in pack');

export function register(program: Command): void {
  reportOptions(
    program
      .command('report')
      .description(
        "a report that walks the four steps of AWS's leaked-key notice (keys, IAM, resources in every region, billing adjustment), with coverage and findings",
      )
      .option('--db <file>', 'case database', DEFAULT_DB)
      .option('--format <format>', `output: ${REPORT_FORMATS.join(', ')} (html: one file that works offline, with charts and the lineage graph)`, 'html')
      .option('-o, --output <file>', 'write to a file instead of stdout'),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  keytrail report --key AKIAEXAMPLEKEY123456 -o report.html\n  keytrail report --key AKIAEXAMPLEKEY123456 --format md -o report.md\n  keytrail report --key AKIAEXAMPLEKEY123456 --format json | jq '.resources[] | select(.failed | not)'`,
    )
    .action(async (o: Common & { db: string; format: string; output?: string }) => {
      const format = oneOf(o.format, REPORT_FORMATS, '--format');
      seeds(o);
      const db = await CaseDb.open(o.db, { readOnly: true, fileAccess: false });
      let text: string;
      try {
        const r = await report(db, o);
        text = format === 'json' ? `${jsonText(r, 2)}\n` : format === 'html' ? renderReportHtml(r) : renderMarkdown(r);
        for (const w of r.coverage.warnings) say(`warning: ${w}`);
      } finally {
        db.close();
      }
      if (o.output) fs.writeFileSync(o.output, text);
      else process.stdout.write(text);
    });

  reportOptions(
    program
      .command('investigate')
      .description('one run from the evidence to a case folder: ingest, detect, lineage, report')
      .argument('<evidence...>', 'files, folders or archives the customer sent')
      .option('--out <dir>', 'the case folder (created; rerunning reuses its case database)', 'case')
      .option('--memory-limit <size>', "DuckDB's memory while loading the evidence, e.g. 1GB, 4GB (default 1GB)"),
  )
    .addHelpText(
      'after',
      `
The case folder holds keytrail.duckdb, report.html, report.md, report.json, findings.csv, lineage.html,
timeline.csv (Timesketch) and remediation.sh (every command commented out; keytrail never runs them;
a value from the logs that AWS would not allow in its place is withheld, not passed as an argument).

Example:
  keytrail investigate ./evidence/ customer-bundle.zip --key AKIAEXAMPLEKEY123456 --out case-4711/`,
    )
    .action(async (evidence: string[], o: Common & { out: string; memoryLimit?: string }) => {
      seeds(o);
      const { rules, correlations } = await rulesFor(o);
      const bar = ingestProgress(false);
      let r: Report;
      try {
        ({ report: r } = await investigate(evidence, {
          out: o.out,
          memoryLimit: o.memoryLimit,
          keys: o.key ?? [],
          users: o.user,
          since: o.since,
          until: o.until,
          rules,
          correlations,
          onProgress: bar.update,
          onStep: (what) => {
            bar.stop();
            say(what);
          },
        }));
      } finally {
        bar.stop();
      }
      for (const w of r.coverage.warnings) say(`warning: ${w}`);
      for (const s of r.summary) say(s);
      say(`case folder: ${o.out} (${CASE_FILES.join(', ')})`);
    });
}
