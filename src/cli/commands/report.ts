import path from 'node:path';
import { type Command, Option } from 'commander';
import { CASE_FOLDER } from '../../ingest/discover.js';
import { jsonText } from '../../escape.js';
import { usageError } from '../../errors.js';
import { checkOutputFile } from '../../output-path.js';
import { checkSeedKeys } from '../../lineage/seed-keys.js';
import { renderReportHtml } from '../../report/html.js';
import { renderMarkdown } from '../../report/markdown.js';
import { readPrices } from '../../report/billing.js';
import { timeZone } from '../../report/zone.js';
import { buildReport, type Report } from '../../report/report.js';
import { readPublicKeys } from '../../integrity/digest.js';
import { CASE_FILES, investigate } from '../../report/investigate.js';
import { MANIFEST_FILE } from '../../report/manifest.js';
import { READ, batchBytesFromEnv, loadRulesForRun, rulePaths, say, withCase } from '../common.js';
import { interruptible } from '../interrupt.js';
import { type DbOptions, OPTIONS, type OutputOptions, type RuleOptions, runRuleOptions, type WindowOptions, withOptions } from '../options.js';
import { writeText } from '../output.js';
import { ingestProgress } from '../progress.js';

export const REPORT_FORMATS = ['html', 'md', 'json'] as const;
type ReportFormat = (typeof REPORT_FORMATS)[number];

/** What report and investigate share: the leaked key or user, the window, the rules. */
interface Common extends WindowOptions, RuleOptions {
  key?: string[];
  user?: string[];
  prices?: string;
  tz?: string;
  allowMissing?: boolean;
}
interface ReportOpts extends Common, DbOptions, OutputOptions {
  format: ReportFormat;
}
interface InvestigateOpts extends Common {
  out: string;
  memoryLimit?: string;
  append?: boolean;
  publicKeys?: string;
}

const RENDER: Record<ReportFormat, (r: Report) => string> = {
  html: renderReportHtml,
  md: renderMarkdown,
  json: (r) => `${jsonText(r, 2)}\n`,
};

const REPORT_EXAMPLES = `
Examples:
  keytrail report --key AKIAEXAMPLEKEY123456 -o report.html
  keytrail report --key AKIAEXAMPLEKEY123456 --format md -o report.md
  keytrail report --key AKIAEXAMPLEKEY123456 --prices on-demand-prices.csv -o report.html
  keytrail report --key AKIAEXAMPLEKEY123456 --tz Asia/Tokyo -o report.html      # local times beside UTC
  keytrail report --key AKIAEXAMPLEKEY123456 --format json | jq '.resources[] | select(.failed | not)'
  keytrail report --key AKIAEXAMPLEKEY123456 --allow-missing -o report.html   # a key that may never have been used`;

const INVESTIGATE_ABOUT = `
The case folder holds keytrail.duckdb, report.html, report.md, report.json, findings.csv, lineage.html,
timeline.csv (Timesketch) and remediation.sh (every command commented out; keytrail never runs them;
a value from the logs that AWS would not allow in its place is withheld, not passed as an argument).
Rerunning into the same folder reads only new files; Ctrl-C keeps what was loaded (exit 130).
When the case has CloudTrail digest files, the integrity of all its evidence is checked: this run's
and the earlier runs', where it still lies (the report counts files no longer there).
One case folder per customer: evidence of an AWS account the case does not hold is refused (exit 2)
unless --append; the case folder itself, if it lies inside the evidence, is not read.

Examples:
  keytrail investigate ./evidence/ customer-bundle.zip --key AKIAEXAMPLEKEY123456 --out case-4711/
  keytrail investigate ./more-evidence/ --key AKIAEXAMPLEKEY123456 --out case-4711/   # adds to the case`;

const rulesFor = async (o: Common) => ({ ...(await loadRulesForRun(rulePaths(o), o)), rulePaths: rulePaths(o) });

function seeds(o: Common): void {
  if (!o.key?.length && !o.user?.length) throw usageError('name the leaked key: --key AKIA... (or --user NAME)');
}

/** The options report and investigate share, after each one's own. */
const common = (c: Command) =>
  withOptions(
    c,
    OPTIONS.key(),
    OPTIONS.user(),
    OPTIONS.allowMissing(),
    OPTIONS.since(),
    OPTIONS.until(),
    OPTIONS.prices(),
    OPTIONS.tz(),
    OPTIONS.rules(),
    OPTIONS.noBuiltin(),
    ...runRuleOptions(),
  );

/** The --prices file, read before anything runs (a bad line is one clear error). */
const pricesOf = (o: Common) => (o.prices ? { file: o.prices, prices: readPrices(o.prices) } : undefined);

/** The --tz zone, checked before anything runs. */
const zoneOf = (o: Common) => {
  if (o.tz) timeZone(o.tz);
  return o.tz;
};

export function register(program: Command): void {
  const report = program
    .command('report')
    .description(
      "a report that walks the four steps of AWS's leaked-key notice (keys, IAM, resources in every region, billing adjustment), with coverage and findings",
    );
  withOptions(
    report,
    OPTIONS.db(),
    OPTIONS.format(REPORT_FORMATS, 'output (html: one file that works offline, with charts and the lineage graph)', 'html'),
    OPTIONS.output(),
  );
  common(report).addHelpText('after', REPORT_EXAMPLES).action(reportCommand);

  const inv = program
    .command('investigate')
    .description('one run from the evidence to a case folder: ingest, detect, lineage, report')
    .argument('<evidence...>', 'files, folders or archives the customer sent')
    .option('--out <dir>', 'the case folder (created; rerunning reuses its case database)', 'case');
  withOptions(
    inv,
    OPTIONS.memoryLimit("DuckDB's memory while loading the evidence, e.g. 1GB, 4GB (default 1GB)"),
    OPTIONS.append(),
    new Option(
      '--public-keys <file>',
      "the JSON of 'aws cloudtrail list-public-keys': when the evidence has digest files, their signatures are checked too (see keytrail verify --help)",
    ),
  );
  common(inv).addHelpText('after', INVESTIGATE_ABOUT).action(investigateCommand);
}

async function reportCommand(o: ReportOpts): Promise<void> {
  seeds(o);
  const prices = pricesOf(o);
  const tz = zoneOf(o);
  checkOutputFile(o.output, '-o');
  const text = await withCase(o.db, READ, async (db) => {
    if (!o.allowMissing) await checkSeedKeys(db, o.key ?? []);
    const { rules, correlations, rulePaths } = await rulesFor(o);
    const r = await buildReport(db, { keys: o.key ?? [], users: o.user, since: o.since, until: o.until, rules, correlations, rulePaths, prices, timeZone: tz });
    const out = RENDER[o.format](r);
    for (const w of r.coverage.warnings) say(`warning: ${w}`);
    return out;
  });
  writeText(text, o.output);
}

async function investigateCommand(evidence: string[], o: InvestigateOpts): Promise<void> {
  seeds(o);
  const prices = pricesOf(o);
  const tz = zoneOf(o);
  // A key file that cannot be used is said before any evidence is read.
  if (o.publicKeys) readPublicKeys(o.publicKeys);
  const { rules, correlations, rulePaths } = await rulesFor(o);
  const bar = ingestProgress(false);
  const stop = interruptible(path.join(o.out, CASE_FOLDER.db), () => bar.stop());
  let r: Report;
  try {
    ({ report: r } = await investigate(evidence, {
      out: o.out,
      memoryLimit: o.memoryLimit,
      batchBytes: batchBytesFromEnv(),
      signal: stop.signal,
      append: o.append,
      allowMissing: o.allowMissing,
      keys: o.key ?? [],
      users: o.user,
      since: o.since,
      until: o.until,
      rules,
      correlations,
      rulePaths,
      publicKeys: o.publicKeys,
      command: ['keytrail', ...process.argv.slice(2)],
      prices,
      timeZone: tz,
      onProgress: (p) => {
        stop.progress(p);
        // Once stopping, the bar stays gone: the messages say the rest.
        if (!stop.signal.aborted) bar.update(p);
      },
      onStep: (what) => {
        bar.stop();
        say(what);
      },
    }));
  } finally {
    stop.dispose();
    bar.stop();
  }
  for (const w of r.coverage.warnings) say(`warning: ${w}`);
  for (const s of r.summary) say(s);
  say(`case folder: ${o.out} (${[...CASE_FILES, MANIFEST_FILE].join(', ')})`);
}
