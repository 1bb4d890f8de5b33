/**
 * The options more than one command takes, defined once: the same flag, parsing and words in every
 * command's help. A command adds the ones it needs (`withOptions(cmd, OPTIONS.db(), ...)`), and
 * words a description for itself only where its meaning differs (ingest creates its --db; events
 * filters by --key where lineage starts from it). Each entry makes a new Option, as commander keeps
 * an option per command. A --format lists its values with `choices`: commander refuses any other,
 * naming them, and help shows them. To share another option: one entry here.
 */
import { type Command, Option } from 'commander';
import { DEFAULT_DB, collect } from './common.js';

const append = (v: string, prev: string[] = []) => prev.concat(v);

/** Access key ids are upper case (AKIA..., ASIA...): a key pasted in lower case is the same key. */
const collectKeys = (v: string, prev?: string[]) => collect(v.toUpperCase(), prev);

export const OPTIONS = {
  db: (description = 'case database') => new Option('--db <file>', description).default(DEFAULT_DB),
  key: (description = 'the leaked access key to start from (AKIA... or ASIA..., any case); repeatable or comma-separated') =>
    new Option('--key <id>', description).argParser(collectKeys),
  allowMissing: () =>
    new Option(
      '--allow-missing',
      'go on when a --key makes no event in the case (a key that may never have been used); without it that stops the run (exit 2), naming the nearest key the case holds',
    ),
  user: (description = 'an IAM user to start from, followed as a whole (all its keys and sessions); repeatable') =>
    new Option('--user <name>', description).argParser(collect),
  arn: (description = 'a user or role ARN to start from, followed as a whole; repeatable') => new Option('--arn <arn>', description).argParser(collect),
  since: () => new Option('--since <time>', 'only events from this time on (ISO-8601, UTC unless an offset is given)'),
  until: () => new Option('--until <time>', 'only events before this time'),
  tz: () =>
    new Option(
      '--tz <zone>',
      'also show each time in this IANA time zone (Asia/Tokyo, Europe/Berlin, America/New_York), beside UTC, in report.md and report.html',
    ),
  prices: () =>
    new Option(
      '--prices <file>',
      "a CSV of region, instance type, USD per hour (e.g. us-east-1,g5.xlarge,1.006): Step 4 turns the chain's instance-hours into an estimate; without it, no prices are given",
    ),
  /** `fallback` is the default; without one the option is required. */
  format: (formats: readonly string[], description: string, fallback?: string) => {
    const o = new Option('--format <format>', description).choices(formats);
    return fallback === undefined ? o.makeOptionMandatory() : o.default(fallback);
  },
  output: (description = 'write to a file instead of stdout', value = 'file') => new Option(`-o, --output <${value}>`, description),
  rules: (description = 'your Sigma rule file or folder (besides the built-in pack unless --no-builtin); repeatable') =>
    new Option('--rules <path>', description).argParser(append),
  noBuiltin: () => new Option('--no-builtin', 'do not run the built-in pack'),
  strict: () =>
    new Option('--strict', 'stop (exit 2) when any rule has an error; by default a rule that cannot be evaluated is skipped, said, and the others run'),
  placeholders: () =>
    new Option(
      '--placeholders <file>',
      "values for the expand modifier's %name% placeholders: a YAML map of name to value(s), as in a pySigma pipeline's vars:",
    ),
  exclude: () => new Option('--exclude <file>', "rule ids to leave out, one a line ('#' starts a comment), as Hayabusa's exclude_rules.txt"),
  includeDeprecated: () => new Option('--include-deprecated', 'also run rules with status: deprecated (left out by default)'),
  includeUnsupported: () => new Option('--include-unsupported', 'also run rules with status: unsupported (left out by default)'),
  memoryLimit: (description: string) => new Option('--memory-limit <size>', description),
  append: () =>
    new Option(
      '--append',
      "add evidence of another AWS account to a case that holds some already (refused without it: one customer's case, one customer's evidence)",
    ),
};

/** The options as commander parses them (each command's options type is made of these). */
export interface DbOptions {
  db: string;
}
export interface SeedOptions {
  key?: string[];
  user?: string[];
  arn?: string[];
}
export interface WindowOptions {
  since?: string;
  until?: string;
}
export interface OutputOptions {
  output?: string;
}
export interface RuleOptions {
  rules?: string[];
  builtin: boolean;
  strict?: boolean;
  placeholders?: string;
  exclude?: string;
  includeDeprecated?: boolean;
  includeUnsupported?: boolean;
}

/** The options of every command that runs a pack (detect, report, investigate), after --rules and --no-builtin. */
export const runRuleOptions = () => [OPTIONS.strict(), OPTIONS.placeholders(), OPTIONS.exclude(), OPTIONS.includeDeprecated(), OPTIONS.includeUnsupported()];

/** A command of `program`: its name, what it does, and its arguments (name, description), in order. */
export function newCommand(program: Command, name: string, description: string, ...args: readonly [string, string][]): Command {
  const cmd = program.command(name).description(description);
  for (const [arg, about] of args) cmd.argument(arg, about);
  return cmd;
}

/** Add options to a command, in order. */
export function withOptions(cmd: Command, ...options: Option[]): Command {
  for (const o of options) cmd.addOption(o);
  return cmd;
}
