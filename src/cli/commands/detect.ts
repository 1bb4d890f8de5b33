import { sql } from '../../store/sql.js';
import type { Command } from 'commander';
import { KeytrailError } from '../../errors.js';
import { detect, findingsSql, formatFailure, RulesFailedError, storeFindings } from '../../rules/detect.js';
import { LEVELS, type Level } from '../../rules/schema.js';
import { CaseDb } from '../../store/db.js';
import { DEFAULT_DB, loadRulesForRun, oneOf, rulePaths, say } from '../common.js';
import { EXIT, exits } from '../exit.js';
import { ROW_FORMATS, writeRows } from '../output.js';
import { isoTime } from '../../store/vocabulary.js';

interface Opts {
  db: string;
  rules?: string[];
  builtin: boolean;
  minLevel?: string;
  failOn?: string;
  format: string;
  output?: string;
}

export function register(program: Command): void {
  program
    .command('detect')
    .description(
      'run Sigma rules and correlation rules (the built-in pack and/or your own) over the case; findings are also kept in its findings table ' +
        '(a correlation finding lists every event that contributed)',
    )
    .option('--db <file>', 'case database', DEFAULT_DB)
    .option('--rules <path>', 'rule file or folder; repeatable', (v: string, prev: string[] = []) => prev.concat(v))
    .option('--no-builtin', 'do not run the built-in pack')
    .option('--min-level <level>', `only rules at this level or above (${LEVELS.join(', ')})`)
    .option('--fail-on <level>', 'exit with status 1 when a finding is at this level or above')
    .option('--format <format>', `output format: ${ROW_FORMATS.join(', ')}`, 'table')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addHelpText(
      'after',
      `\nExamples:\n  keytrail detect\n  keytrail detect --rules ./my-rules/ --no-builtin --format json\n  keytrail detect --min-level high --fail-on critical\n` +
        `  keytrail query "SELECT level, rule_title, count(*) AS n FROM findings GROUP BY ALL ORDER BY n DESC"`,
    )
    .action(
      exits(async (opts: Opts) => {
        const format = oneOf(opts.format, ROW_FORMATS, '--format');
        const minLevel = opts.minLevel ? oneOf(opts.minLevel, LEVELS, '--min-level') : undefined;
        const failOn: Level | undefined = opts.failOn ? oneOf(opts.failOn, LEVELS, '--fail-on') : undefined;
        const paths = rulePaths(opts);
        if (paths.length === 0) throw new KeytrailError('USAGE', 'no rules to run: give --rules or drop --no-builtin');
        const { rules, correlations } = await loadRulesForRun(paths);
        // A bounded cache, as for ingest: a scan over millions of events needs no more.
        const db = await CaseDb.open(opts.db, { memoryLimit: '2GB' });
        try {
          // A rule DuckDB cannot run does not stop the others: their findings are shown and kept, then the run fails (exit 2).
          let count: number;
          let failed: RulesFailedError | undefined;
          try {
            count = await detect(db, rules, { minLevel, correlations });
          } catch (err) {
            if (!(err instanceof RulesFailedError)) throw err;
            failed = err;
            count = err.findings;
          }
          await storeFindings(db);
          // Streamed from the case's findings table: a run that flags a million events prints them without holding them.
          const structured = format === 'json' || format === 'jsonl';
          const query = structured
            ? findingsSql('findings')
            : sql`SELECT ${isoTime('eventTime')} AS time, level, rule_id AS rule, rule_title AS title, summary, array_to_string(event_ids, ' ') AS eventID
             FROM findings ORDER BY findings.eventTime, rule_id, event_ids[1]`;
          const { rows } = await db.query(query);
          await writeRows(rows, structured ? [] : ['time', 'level', 'rule', 'title', 'summary', 'eventID'], format, opts.output);
          say(`${count} finding(s) from ${rules.length} rule(s) and ${correlations.length} correlation(s)`);
          if (failed) {
            for (const f of failed.failures) say(formatFailure(f));
            throw new KeytrailError('INPUT', `${failed.failures.length} rule(s) could not run; the findings above are from the others`);
          }
          if (failOn) {
            const hit = await db.all('SELECT count(*) AS n FROM findings WHERE level IN (SELECT unnest($1::VARCHAR[]))', [
              LEVELS.slice(LEVELS.indexOf(failOn)),
            ]);
            if (Number(hit[0]!.n) > 0) return EXIT.FINDINGS;
          }
          return EXIT.OK;
        } finally {
          db.close();
        }
      }),
    );
}
