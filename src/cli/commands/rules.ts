import type { Command } from 'commander';
import { KeytrailError } from '../../errors.js';
import { correlationSqlText, ruleSqlText } from '../../rules/compiled-sql.js';
import { BUILTIN_RULES, ruleId, silentRules } from '../../rules/detect.js';
import { formatProblem, loadRules, type LoadResult } from '../../rules/load-rules.js';
import { BUILTIN_SAMPLES, scenarioFiles, testScenario } from '../../harness/scenarios.js';
import { testRules } from '../../harness/rule-tests.js';
import { say } from '../common.js';
import { EXIT, exits } from '../exit.js';
import { chunks, writeRows } from '../output.js';

/** Load rules (the built-in pack when no path is given) and print every problem on stderr. */
async function load(paths: string[]) {
  const loaded = await loadRules(paths.length ? paths : [BUILTIN_RULES]);
  for (const p of loaded.problems) say(formatProblem(p));
  return loaded;
}

const problemsError = (problems: LoadResult['problems']) => new KeytrailError('INPUT', `${problems.length} problem(s) in the rules`);

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
    .description('report every problem of every rule at once, as file:line: [rule id] problem; exit 2 if any')
    .action(validate);
  rules.command('list').argument('[paths...]', 'rule files or folders', []).description('one line per rule: id, kind, level, title, file').action(list);
  rules
    .command('test')
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
    .action(compile);
}

async function validate(paths: string[]): Promise<void> {
  const { rules, correlations, problems } = await load(paths);
  for (const r of [...rules, ...correlations]) {
    for (const f of r.compiled.unknownFields)
      say(`${r.file}:${r.line}: [${ruleId(r)}] warning: field ${f} is not in a CloudTrail record; it matches as absent`);
  }
  say(`${rules.length} rule(s) and ${correlations.length} correlation(s) valid, ${problems.length} problem(s)`);
  if (problems.length > 0) throw problemsError(problems);
}

async function list(paths: string[]): Promise<void> {
  const { rules, correlations } = await load(paths);
  const parts = silentRules(correlations);
  const row = (r: (typeof rules)[number] | (typeof correlations)[number], kind: string) => ({
    id: ruleId(r),
    kind,
    level: r.rule.level ?? 'medium',
    title: r.rule.title,
    file: `${r.file}:${r.line}`,
  });
  const rows = [
    ...rules.map((r) => row(r, parts.has(r) ? 'base (no findings of its own)' : 'event')),
    ...correlations.map((c) => row(c, c.rule.correlation.type)),
  ];
  await writeRows(chunks(rows), ['id', 'kind', 'level', 'title', 'file'], 'table');
}

async function test(paths: string[], opts: { samples?: string[] | boolean }) {
  const { rules, correlations, problems } = await load(paths);
  if (problems.length > 0) throw problemsError(problems);
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

async function compile(paths: string[]): Promise<void> {
  const { rules, correlations, problems } = await load(paths);
  for (const r of rules) process.stdout.write(ruleSqlText(r));
  for (const c of correlations) process.stdout.write(correlationSqlText(c));
  if (problems.length > 0) throw problemsError(problems);
}
