import type { Command } from 'commander';
import { jsonText, printable } from '../../escape.js';
import { KeytrailError } from '../../errors.js';
import { BUILTIN_RULES, ruleId, silentRules } from '../../rules/detect.js';
import { formatProblem, loadRules } from '../../rules/load-rules.js';
import { BUILTIN_SAMPLES, scenarioFiles, testScenario } from '../../rules/scenarios.js';
import { testRules } from '../../rules/tester.js';
import { say } from '../common.js';
import { EXIT, exits } from '../exit.js';
import { chunks, writeRows } from '../output.js';

/** Load rules (the built-in pack when no path is given) and print every problem on stderr. */
async function load(paths: string[]) {
  const loaded = await loadRules(paths.length ? paths : [BUILTIN_RULES]);
  for (const p of loaded.problems) say(formatProblem(p));
  return loaded;
}

export function register(program: Command): void {
  const rules = program.command('rules').description('list, validate, test and compile Sigma rules (the built-in pack when no path is given)');
  rules
    .command('validate')
    .argument('[paths...]', 'rule files or folders', [])
    .description('report every problem of every rule at once, as file:line: [rule id] problem; exit 2 if any')
    .action(async (paths: string[]) => {
      const { rules: loaded, correlations, problems } = await load(paths);
      for (const r of [...loaded, ...correlations]) {
        for (const f of r.compiled.unknownFields)
          say(`${r.file}:${r.line}: [${ruleId(r)}] warning: field ${f} is not in a CloudTrail record; it matches as absent`);
      }
      say(`${loaded.length} rule(s) and ${correlations.length} correlation(s) valid, ${problems.length} problem(s)`);
      if (problems.length > 0) throw new KeytrailError('INPUT', `${problems.length} problem(s) in the rules`);
    });
  rules
    .command('list')
    .argument('[paths...]', 'rule files or folders', [])
    .description('one line per rule: id, kind, level, title, file')
    .action(async (paths: string[]) => {
      const { rules: loaded, correlations } = await load(paths);
      const parts = silentRules(correlations);
      const rows = [
        ...loaded.map((r) => ({
          id: ruleId(r),
          kind: parts.has(r) ? 'base (no findings of its own)' : 'event',
          level: r.rule.level ?? 'medium',
          title: r.rule.title,
          file: `${r.file}:${r.line}`,
        })),
        ...correlations.map((c) => ({
          id: ruleId(c),
          kind: c.rule.correlation.type,
          level: c.rule.level ?? 'medium',
          title: c.rule.title,
          file: `${c.file}:${c.line}`,
        })),
      ];
      await writeRows(chunks(rows), ['id', 'kind', 'level', 'title', 'file'], 'table');
    });
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
    .addHelpText(
      'after',
      `\nExamples:\n  keytrail rules test                          # the built-in pack and keytrail's samples\n  keytrail rules test ./my-rules/              # your rules' inline tests\n  keytrail rules test ./my-rules/ --samples ./my-scenarios/`,
    )
    .action(
      exits(async (paths: string[], opts: { samples?: string[] | boolean }) => {
        const { rules: loaded, correlations, problems } = await load(paths);
        if (problems.length > 0) throw new KeytrailError('INPUT', `${problems.length} problem(s) in the rules`);
        const report = await testRules(loaded, correlations);
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
          const r = await testScenario(file, loaded, correlations);
          say(`scenario ${file}: ${r.findings} finding(s), ${r.failures.length} failure(s)`);
          failures.push(...r.failures);
        }
        for (const f of failures) say(`${f.file}:${f.line}: [${f.ruleId}] ${f.test}: ${f.message}`);
        const failedCases = report.failures.filter((f) => f.test !== '(tests)').length;
        say(
          `${report.rules} rule(s), ${report.cases} case(s): ${report.cases - failedCases} passed; ${scenarios.length} scenario(s); ${failures.length} failed`,
        );
        return failures.length > 0 ? EXIT.TESTS_FAILED : EXIT.OK;
      }),
    );
  rules
    .command('compile')
    .argument('<paths...>', 'rule files or folders')
    .description('print each rule as the SQL keytrail runs and its bound parameters')
    .action(async (paths: string[]) => {
      const { rules: loaded, correlations, problems } = await load(paths);
      for (const r of loaded) {
        process.stdout.write(
          `-- ${printable(`${ruleId(r)}: ${r.rule.title} (${r.file}:${r.line})`)}\nSELECT eventID FROM events WHERE ${r.compiled.sql};\n-- parameters: ${jsonText(r.compiled.params)}\n\n`,
        );
      }
      for (const c of correlations) {
        const bases = c.bases.map((b, i) => `--   r = ${i}: ${printable(`${ruleId(b)} (${b.file}:${b.line})`)}`).join('\n');
        process.stdout.write(
          `-- ${printable(`${ruleId(c)}: ${c.rule.title} (${c.file}:${c.line}), ${c.rule.correlation.type}`)}\n` +
            `-- reads corr_input(rid, r): the rowid of each event a base rule matched, and which rule:\n${bases}\n` +
            `${c.compiled.sql.replace(/\n\s*\n/g, '\n')};\n-- parameters: ${jsonText(c.compiled.params)}\n\n`,
        );
      }
      if (problems.length > 0) throw new KeytrailError('INPUT', `${problems.length} problem(s) in the rules`);
    });
}
