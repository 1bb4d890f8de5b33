import path from 'node:path';
import { type Command, Option } from 'commander';
import { KeytrailError, usageError } from '../../errors.js';
import { type AthenaTarget, compileForAthena, statementText, tableSql } from '../../athena/compile-rules.js';
import { LAYOUTS, type Layout } from '../../athena/table.js';
import { printable } from '../../escape.js';
import { makeOutputFolder, writeOutputFile } from '../../output-path.js';
import { correlationSqlText, ruleSqlText } from '../../rules/compiled-sql.js';
import { silentCorrelations } from '../../rules/correlation-inputs.js';
import { BUILTIN_RULES, ruleId, silentRules } from '../../rules/detect.js';
import { formatProblem, isError, loadRules, skippedRules, type LoadResult } from '../../rules/load-rules.js';
import { loadPlaceholders } from '../../rules/placeholders.js';
import { OPTIONS } from '../options.js';
import { BUILTIN_SAMPLES, scenarioFiles, testScenario } from '../../harness/scenarios.js';
import { testRules } from '../../harness/rule-tests.js';
import { loadRulesForRun, say } from '../common.js';
import { EXIT, exits } from '../exit.js';
import { chunks, writeRows } from '../output.js';

interface LoadOpts {
  placeholders?: string;
}

/** Load rules (the built-in pack when no path is given) and print every problem on stderr (warnings too when `all`). */
async function load(paths: string[], opts: LoadOpts, all = true) {
  const placeholders = opts.placeholders ? loadPlaceholders(opts.placeholders) : undefined;
  const loaded = await loadRules(paths.length ? paths : [BUILTIN_RULES], { placeholders });
  for (const p of loaded.problems) if (all || isError(p)) say(formatProblem(p));
  return loaded;
}

/** The rules' errors, if any, as the error that ends the command (exit 2). */
function errorsOf(problems: LoadResult['problems']): KeytrailError | null {
  const errors = problems.filter(isError);
  if (errors.length === 0) return null;
  return new KeytrailError('INPUT', `${errors.length} error(s) in ${skippedRules(problems).length} rule(s): those rules cannot be evaluated as written`);
}

const VALIDATE_EXAMPLES = `
Examples:
  keytrail rules validate ./suzaku-rules/
  keytrail rules validate ./sigma/rules-placeholder/ --placeholders vars.yml
  keytrail rules validate ./my-rules/ 2>&1 | grep -v warning:     # errors only`;

const TEST_EXAMPLES = `
Examples:
  keytrail rules test                          # the built-in pack and keytrail's samples
  keytrail rules test ./my-rules/              # your rules' inline tests
  keytrail rules test ./my-rules/ --samples ./my-scenarios/`;

export function register(program: Command): void {
  const rules = program.command('rules').description('list, validate, test and compile Sigma rules (the built-in pack when no path is given)');
  rules
    .command('validate')
    .argument('[paths...]', 'rule files or folders', [])
    .description(
      'report every problem of every rule at once, as file:line: [rule id] problem. Errors (the rule cannot be evaluated as written: YAML, ' +
        'detection, condition, modifier, regex, correlation, a placeholder without a value, one id for different rules) make detect skip that rule, ' +
        'and exit 2 here; warnings (metadata, id form, unknown keys, logsource, fields CloudTrail has not) leave the rule running',
    )
    .addOption(OPTIONS.placeholders())
    .addHelpText('after', VALIDATE_EXAMPLES)
    .action(validate);
  rules
    .command('list')
    .argument('[paths...]', 'rule files or folders', [])
    .description('one line per rule: id, kind, level, status, title, file')
    .addOption(OPTIONS.placeholders())
    .action(list);
  rules
    .command('test')
    .addOption(OPTIONS.placeholders())
    .argument('[paths...]', 'rule files or folders', [])
    .option('--samples <dir>', 'also check the scenarios under this folder (each <scenario>/expected.yaml); repeatable', (v: string, prev: string[] = []) =>
      prev.concat(v),
    )
    .option('--no-samples', "skip the scenarios (by default the built-in pack is checked against keytrail's own samples/)")
    .description(
      "run every rule's inline tests (tests: match true/false events; a correlation's tests give a list of events), then every scenario's expected.yaml " +
        '(closed world: the exact findings each rule must produce on that evidence, nothing more); exit 1 on any failure',
    )
    .addHelpText('after', TEST_EXAMPLES)
    .action(exits(test));
  rules
    .command('compile')
    .argument('[paths...]', 'rule files or folders (the built-in pack when none is given)', [])
    .description(
      'print each rule as the SQL keytrail runs on a case and its bound parameters; with --target athena, as Athena (Trino) SQL over ' +
        "Athena's CloudTrail table, for a trail too big to download: each statement returns (rule_id, eventid, eventtime), and a rule " +
        'Athena cannot run as keytrail means it is refused with the reason',
    )
    .addOption(new Option('--target <engine>', 'duckdb: the SQL keytrail runs; athena: Athena (Trino) SQL').choices(TARGETS).default('duckdb'))
    .addOption(new Option('--table <name>', "athena: the CloudTrail table (as created by 'keytrail athena ddl')").default('cloudtrail_logs'))
    .addOption(
      new Option('--layout <layout>', "athena: the table's partitions (projection: `timestamp` yyyy/MM/dd; region-date: region/year/month/day)")
        .choices(LAYOUTS)
        .default('projection'),
    )
    .addOption(OPTIONS.since())
    .addOption(OPTIONS.until())
    .addOption(
      new Option(
        '--out <dir>',
        'athena: write each statement to its own file in this folder (detections.sql, correlation-NN.sql, refused.txt) instead of stdout',
      ),
    )
    .addOption(OPTIONS.placeholders())
    .addOption(OPTIONS.exclude())
    .addOption(OPTIONS.includeDeprecated())
    .addOption(OPTIONS.includeUnsupported())
    .addHelpText('after', COMPILE_EXAMPLES)
    .action(compile);
}

async function validate(paths: string[], opts: LoadOpts): Promise<void> {
  const { rules, correlations, problems } = await load(paths, opts);
  const errors = problems.filter(isError).length;
  say(
    `${rules.length} rule(s) and ${correlations.length} correlation(s) load; ${errors} error(s) in ${skippedRules(problems).length} rule(s) (detect skips them), ${problems.length - errors} warning(s) (those rules run)`,
  );
  const err = errorsOf(problems);
  if (err) throw err;
}

async function list(paths: string[], opts: LoadOpts): Promise<void> {
  const { rules, correlations } = await load(paths, opts, false);
  const parts = silentRules(correlations);
  const inner = silentCorrelations(correlations);
  const row = (r: (typeof rules)[number] | (typeof correlations)[number], kind: string) => ({
    id: ruleId(r),
    kind,
    level: r.rule.level ?? 'medium',
    status: r.rule.status ?? '',
    title: r.rule.title,
    file: `${r.file}:${r.line}`,
  });
  const rows = [
    ...rules.map((r) => row(r, parts.has(r) ? 'base (no findings of its own)' : 'event')),
    ...correlations.map((c) => row(c, `${c.rule.correlation.type}${inner.has(c) ? ' (inner: no findings of its own)' : ''}`)),
  ];
  await writeRows(chunks(rows), ['id', 'kind', 'level', 'status', 'title', 'file'], 'table');
}

async function test(paths: string[], opts: LoadOpts & { samples?: string[] | boolean }) {
  const { rules, correlations, problems } = await load(paths, opts, false);
  const err = errorsOf(problems);
  if (err) throw err;
  const report = await testRules(rules, correlations);
  const failures = [...report.failures];
  const samples = Array.isArray(opts.samples) ? opts.samples : opts.samples === false || paths.length > 0 ? [] : [BUILTIN_SAMPLES];
  let scenarios: string[];
  try {
    scenarios = await scenarioFiles(samples);
  } catch (err) {
    throw new KeytrailError('USAGE', `--samples ${(err as Error).message}`);
  }
  if (samples.length > 0 && scenarios.length === 0) throw new KeytrailError('INPUT', `no expected.yaml under ${samples.join(', ')}`);
  for (const file of scenarios) {
    const r = await testScenario(file, rules, correlations);
    say(`scenario ${file}: ${r.findings} finding(s), ${r.failures.length} failure(s)`);
    failures.push(...r.failures);
  }
  for (const f of failures) say(`${f.file}:${f.line}: [${f.ruleId}] ${f.test}: ${f.message}`);
  const failedCases = report.failures.filter((f) => f.test !== '(tests)').length;
  say(`${report.rules} rule(s), ${report.cases} case(s): ${report.cases - failedCases} passed; ${scenarios.length} scenario(s); ${failures.length} failed`);
  return failures.length > 0 ? EXIT.TESTS_FAILED : EXIT.OK;
}

const TARGETS = ['duckdb', 'athena'] as const;

const COMPILE_EXAMPLES = `
The athena target selects rules as detect does (deprecated and unsupported left out, --exclude) and
writes one statement for all single-event rules (the table read once per part of about ten
rules: Trino compiles no larger expression) and one per correlation.
Run them in Athena (console, or aws athena start-query-execution); each returns the rule id and the
eventID and eventTime of every event it matches, the same pairs keytrail detect gives on a case.

Examples:
  keytrail rules compile ./my-rules/                      # the SQL keytrail runs on a case
  keytrail rules compile --target athena --table cloudtrail_logs --since 2026-10-01 --out athena-rules/
  keytrail rules compile ./my-rules/ --target athena --layout region-date > my-rules.sql`;

interface CompileOpts extends LoadOpts {
  target: (typeof TARGETS)[number];
  table: string;
  layout: Layout;
  since?: string;
  until?: string;
  out?: string;
  exclude?: string;
  includeDeprecated?: boolean;
  includeUnsupported?: boolean;
}

async function compile(paths: string[], opts: CompileOpts): Promise<void> {
  if (opts.target === 'athena') return compileAthena(paths, opts);
  if (opts.out || opts.since || opts.until) throw usageError('--out, --since and --until apply to --target athena only');
  const { rules, correlations, problems } = await load(paths, opts, false);
  for (const r of rules) process.stdout.write(ruleSqlText(r));
  for (const c of correlations) process.stdout.write(correlationSqlText(c));
  const err = errorsOf(problems);
  if (err) throw err;
}

/** `rules compile --target athena`: the statements on stdout or in --out, every refusal said on stderr (and in refused.txt). */
async function compileAthena(paths: string[], opts: CompileOpts): Promise<void> {
  const { rules, correlations } = await loadRulesForRun(paths.length ? paths : [BUILTIN_RULES], opts);
  const target: AthenaTarget = {
    table: opts.table,
    layout: opts.layout,
    window: { since: opts.since, until: opts.until },
    placeholders: opts.placeholders ? loadPlaceholders(opts.placeholders) : undefined,
  };
  tableSql(target.table);
  const { statements, refused } = compileForAthena(rules, correlations, target);
  const refusedText = refused.map((r) => `${printable(`${r.file}:${r.line}: [${r.id}] not for Athena: ${r.reason}`)}\n`).join('');
  for (const r of refused) say(printable(`${r.file}:${r.line}: [${r.id}] not for Athena: ${r.reason}`));
  if (opts.out) {
    makeOutputFolder(opts.out, '--out');
    for (const [i, s] of statements.entries()) {
      const name = s.name === 'detections' ? 'detections.sql' : `correlation-${String(i).padStart(2, '0')}.sql`;
      writeOutputFile(path.join(opts.out, name), statementText(s, target), '--out');
    }
    writeOutputFile(path.join(opts.out, 'refused.txt'), refusedText || 'every rule compiled\n', '--out');
  } else process.stdout.write(statements.map((s) => statementText(s, target)).join('\n'));
  const count = statements.reduce((n, s) => n + s.rules.length, 0);
  say(
    `${count} rule(s) in ${statements.length} Athena statement(s)${opts.out ? ` in ${opts.out}` : ''}; ${refused.length} refused${refused.length ? ' (above: each with its reason)' : ''}`,
  );
}
