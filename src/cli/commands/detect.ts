import { type Command, Option } from 'commander';
import { KeytrailError } from '../../errors.js';
import { checkOutputFile } from '../../output-path.js';
import { detect, type Findings, formatFailure, RulesFailedError } from '../../rules/detect.js';
import { FINDING_GROUP_COLUMNS, FINDING_LINE_COLUMNS, findingGroupLines, findingLines, findingsAtOrAbove } from '../../rules/findings-listing.js';
import { LEVELS, type Level } from '../../rules/schema.js';
import type { CaseDb } from '../../store/db.js';
import { loadRulesForRun, rulePaths, say, withCase } from '../common.js';
import { EXIT, exits } from '../exit.js';
import { type DbOptions, OPTIONS, type OutputOptions, type RuleOptions, runRuleOptions, withOptions } from '../options.js';
import { ROW_FORMATS, type RowFormat, writeRows } from '../output.js';

interface Opts extends DbOptions, RuleOptions, OutputOptions {
  minLevel?: Level;
  failOn?: Level;
  format: RowFormat;
  ungrouped?: boolean;
}

const EXAMPLES =
  `\nExamples:\n  keytrail detect\n  keytrail detect --rules ./my-rules/ --no-builtin --format json\n  keytrail detect --min-level high --fail-on critical\n` +
  `  keytrail detect --rules ./suzaku-rules/ --exclude exclude_rules.txt --placeholders vars.yml\n` +
  `  keytrail detect --rules ./my-rules/ --strict      # stop if any rule cannot be evaluated\n` +
  `  keytrail detect --ungrouped                        # one line per finding instead of per rule x principal x key\n` +
  `  keytrail query "SELECT level, rule_title, count(*) AS n FROM findings GROUP BY ALL ORDER BY n DESC"`;

export function register(program: Command): void {
  const cmd = program
    .command('detect')
    .description(
      'run Sigma rules and correlation rules (the built-in pack and/or your own) over the case; findings are also kept in its findings table ' +
        '(a correlation finding lists every event that contributed)',
    );
  withOptions(
    cmd,
    OPTIONS.db(),
    OPTIONS.rules(),
    OPTIONS.noBuiltin(),
    ...runRuleOptions(),
    new Option('--min-level <level>', 'only rules at this level or above').choices(LEVELS),
    new Option('--fail-on <level>', 'exit with status 1 when a finding is at this level or above').choices(LEVELS),
    OPTIONS.format(
      ROW_FORMATS,
      'output format (table: grouped by rule x principal x access key; csv, json and jsonl: every finding with all its eventIDs)',
      'table',
    ),
    new Option('--ungrouped', 'table output: one line per finding'),
    OPTIONS.output(),
  )
    .addHelpText('after', EXAMPLES)
    .action(exits(runDetect));
}

async function runDetect(opts: Opts) {
  const paths = rulePaths(opts);
  if (paths.length === 0) throw new KeytrailError('USAGE', 'no rules to run: give --rules or drop --no-builtin');
  checkOutputFile(opts.output, '-o');
  const { rules, correlations } = await loadRulesForRun(paths, opts);
  // A bounded cache, as for ingest: a scan over millions of events needs no more.
  return withCase(opts.db, { memoryLimit: '2GB' }, async (db) => {
    // A rule DuckDB cannot run does not stop the others: their findings are shown and kept, then the run fails (exit 2).
    const { findings, failed } = await settled(() => detect(db, rules, { minLevel: opts.minLevel, correlations }));
    await findings.store();
    await writeFindings(db, findings, opts);
    say(`${findings.count} finding(s) from ${rules.length} rule(s) and ${correlations.length} correlation(s)`);
    if (failed) {
      for (const f of failed.failures) say(formatFailure(f));
      throw new KeytrailError('INPUT', `${failed.failures.length} rule(s) could not run; the findings above are from the others`);
    }
    return opts.failOn && (await findingsAtOrAbove(db, opts.failOn)) > 0 ? EXIT.FINDINGS : EXIT.OK;
  });
}

/**
 * The findings as --format asks: json and jsonl every finding whole, csv one line per finding (every
 * eventID), the table grouped by rule x principal x access key unless --ungrouped. Streamed: a run
 * that flags a million events prints them without holding them (the table, meant for a terminal, holds its lines).
 */
async function writeFindings(db: CaseDb, findings: Findings, opts: Opts): Promise<void> {
  const whole = opts.format === 'json' || opts.format === 'jsonl';
  const grouped = opts.format === 'table' && !opts.ungrouped;
  const [listing, columns] = whole ? [findings.query(), []] : grouped ? [findingGroupLines(), FINDING_GROUP_COLUMNS] : [findingLines(), FINDING_LINE_COLUMNS];
  const { rows } = await db.query(listing);
  await writeRows(rows, columns, opts.format, opts.output);
}

/** The run's findings, and the rules that could not run (their failure does not lose the others' findings). */
async function settled(run: () => Promise<Findings>): Promise<{ findings: Findings; failed?: RulesFailedError }> {
  try {
    return { findings: await run() };
  } catch (err) {
    if (!(err instanceof RulesFailedError)) throw err;
    return { findings: err.findings, failed: err };
  }
}
