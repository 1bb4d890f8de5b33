#!/usr/bin/env node
/**
 * The keytrail command line: parses arguments, prints, sets exit codes. Everything else is the
 * library. To add a command: a file under commands/ exporting register(), and one line in COMMANDS.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { KeytrailError, formatError } from '../errors.js';
import { register as registerDetect } from './commands/detect.js';
import { register as registerEvents } from './commands/events.js';
import { register as registerExport } from './commands/export.js';
import { register as registerFiles } from './commands/files.js';
import { register as registerIngest } from './commands/ingest.js';
import { register as registerLineage } from './commands/lineage.js';
import { register as registerQuery } from './commands/query.js';
import { register as registerReport } from './commands/report.js';
import { register as registerRules } from './commands/rules.js';

const COMMANDS = [registerIngest, registerFiles, registerQuery, registerEvents, registerExport, registerDetect, registerRules, registerLineage, registerReport];

export const EXIT = { ok: 0, found: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  const program = new Command('keytrail')
    .description(
      "Offline forensics for AWS CloudTrail after an access key leak: ingest exported evidence into a case database, detect, follow the leaked key's chain, report.",
    )
    .version(version)
    .option('--debug', 'show stack traces and SQL on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const reg of COMMANDS) reg(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program).slice(1)) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  program.addHelpText(
    'after',
    `
Start here:
  keytrail investigate ./evidence/ --key AKIA... --out case/   # the whole job: a case folder with the report
Or step by step:
  keytrail ingest samples/leaked-key/evidence/   # load evidence into ./keytrail.duckdb
  keytrail files                               # what was read, skipped or rejected, and why
  keytrail events --key AKIA...                # what a key did, in time order
  keytrail detect                              # the built-in Sigma pack over the case
  keytrail lineage --key AKIA...               # the chain it led to (--suggest: which key to start from)
  keytrail report --key AKIA... -o report.html # the four steps of the notice, for the customer
Run 'keytrail <command> --help' for each command's options and examples.`,
  );
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  // `keytrail events | head`: a reader that stops early is not an error; stop writing quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return EXIT.ok;
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`keytrail: ${formatError(err, debug)}\n`);
    if (!(err instanceof KeytrailError) && !debug) process.stderr.write('(this is a bug in keytrail; run again with --debug for details)\n');
    return EXIT.usage;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
