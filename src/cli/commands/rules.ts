import type { Command } from 'commander';
import { KeytrailError } from '../../errors.js';
import { correlationSqlText, ruleSqlText } from '../../rules/compiled-sql.js';
import { silentCorrelations } from '../../rules/correlation-inputs.js';
import { BUILTIN_RULES, ruleId, silentRules } from '../../rules/detect.js';
import { formatProblem, isError, loadRules, skippedRules, type LoadResult } from '../../rules/load-rules.js';
import { loadPlaceholders } from '../../rules/placeholders.js';
import { OPTIONS } from '../options.js';
import { BUILTIN_SAMPLES, scenarioFiles, testScenario } from '../../harness/scenarios.js';
import { testRules } from '../../harness/rule-tests.js';
import { say } from '../common.js';
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
    .argument('<paths...>', 'rule files or folders')
    .description('print each rule as the SQL keytrail runs and its bound parameters')
    .addOption(OPTIONS.placeholders())
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

async function compile(paths: string[], opts: LoadOpts): Promise<void> {
  const { rules, correlations, problems } = await load(paths, opts, false);
  for (const r of rules) process.stdout.write(ruleSqlText(r));
  for (const c of correlations) process.stdout.write(correlationSqlText(c));
  const err = errorsOf(problems);
  if (err) throw err;
}
