/**
 * The keytrail command line as a value: buildProgram() makes the commander program and runs
 * nothing, so a test can build it and look at its commands and options; run() parses arguments,
 * runs the command they name and returns its exit status (exit.ts), writing any error on stderr.
 * To add a command: a file under commands/ exporting register(), and one line in COMMANDS.
 */
import { provenanceLine } from '../provenance.js';
import { Command, CommanderError } from 'commander';
import { KeytrailError, formatError } from '../errors.js';
import { register as registerAthena } from './commands/athena.js';
import { register as registerDetect } from './commands/detect.js';
import { register as registerEvents } from './commands/events.js';
import { register as registerExport } from './commands/export.js';
import { register as registerFiles } from './commands/files.js';
import { register as registerIngest } from './commands/ingest.js';
import { register as registerLineage } from './commands/lineage.js';
import { register as registerQuery } from './commands/query.js';
import { register as registerReport } from './commands/report.js';
import { register as registerRules } from './commands/rules.js';
import { register as registerVerify } from './commands/verify.js';
import { EXIT, type ExitStatus, exitStatusOf, statusOf } from './exit.js';

const COMMANDS = [
  registerIngest,
  registerFiles,
  registerQuery,
  registerEvents,
  registerExport,
  registerDetect,
  registerRules,
  registerLineage,
  registerReport,
  registerVerify,
  registerAthena,
];

const START_HERE = `
Start here:
  keytrail investigate ./evidence/ --key AKIA... --out case/   # the whole job: a case folder with the report
Or step by step:
  keytrail ingest samples/leaked-key/evidence/   # load evidence into ./keytrail.duckdb
  keytrail files                               # what was read, skipped or rejected, and why
  keytrail events --key AKIA...                # what a key did, in time order
  keytrail detect                              # the built-in Sigma pack over the case
  keytrail lineage --key AKIA...               # the chain it led to (--suggest: which key to start from)
  keytrail report --key AKIA... -o report.html # the four steps of the notice, for the customer
  keytrail verify ./evidence/                  # the log files against CloudTrail's digests: changed, missing, gaps
Run 'keytrail <command> --help' for each command's options and examples.`;

export function buildProgram(): Command {
  const program = new Command('keytrail')
    .description(
      "Offline forensics for AWS CloudTrail after an access key leak: ingest exported evidence into a case database, detect, follow the leaked key's chain, report.",
    )
    // What a lab records about the tool: keytrail's version, DuckDB's, the built-in rule pack's digest.
    .version(provenanceLine(), '-V, --version', "keytrail's version, DuckDB's and the built-in rule pack's SHA-256")
    .option('--debug', 'show stack traces and SQL on errors')
    .addHelpText('after', START_HERE);
  for (const reg of COMMANDS) reg(program);
  // Errors come back to run() instead of ending the process, and a usage error points to --help.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program)) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

/** Parse `argv` (as process.argv), run the command it names, and return the exit status. */
export async function run(argv: string[]): Promise<ExitStatus> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return statusOf(program);
  } catch (err) {
    return failed(err, argv.includes('--debug'));
  }
}

/** Show an error (commander has shown its own already) and give the status it ends the run with. */
function failed(err: unknown, debug: boolean): ExitStatus {
  // `keytrail events | head`: a reader that stops early is not an error.
  if (err instanceof Error && 'code' in err && err.code === 'EPIPE') return EXIT.OK;
  if (err instanceof CommanderError) {
    const done = err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
    return done ? EXIT.OK : EXIT.USAGE;
  }
  process.stderr.write(`keytrail: ${formatError(err, debug)}\n`);
  if (!(err instanceof KeytrailError) && !debug) process.stderr.write('(this is a bug in keytrail; run again with --debug for details)\n');
  return exitStatusOf(err);
}
