import { type Command, Option } from 'commander';
import { jsonText, printable } from '../../escape.js';
import { usageError } from '../../errors.js';
import { checkOutputFile } from '../../output-path.js';
import { buildLineage, type Lineage } from '../../lineage/lineage.js';
import { checkSeedKeys } from '../../lineage/seed-keys.js';
import { suggestKeys } from '../../lineage/suggest.js';
import { renderHtml } from '../../lineage/html.js';
import { renderDot, renderMermaid, renderTree } from '../../lineage/render.js';
import { READ, say, withCase } from '../common.js';
import { type DbOptions, OPTIONS, type OutputOptions, type SeedOptions, type WindowOptions, withOptions } from '../options.js';
import { writeText } from '../output.js';

export const LINEAGE_FORMATS = ['tree', 'json', 'dot', 'mermaid', 'html'] as const;
type LineageFormat = (typeof LINEAGE_FORMATS)[number];

interface Opts extends DbOptions, SeedOptions, WindowOptions, OutputOptions {
  format: LineageFormat;
  suggest?: boolean;
  allowMissing?: boolean;
}

const ABOUT = `
Taint rules: an identity the attacker created is followed as a whole; a pre-existing one only
through the credentials the attacker holds (its other keys and its owner's own sessions stay out).
A role whose trust policy the attacker created or changed taints later sessions assumed through
it by another account or an AWS service. Failed calls create nothing and are listed as attempts.

Examples:
  keytrail lineage --key AKIAEXAMPLEKEY123456
  keytrail lineage --key AKIAEXAMPLEKEY123456 --format json -o lineage.json
  keytrail lineage --key AKIAEXAMPLEKEY123456 --format dot | dot -Tsvg > lineage.svg
  keytrail lineage --key AKIAEXAMPLEKEY123456 --format html -o lineage.html   # one file, works offline
  keytrail lineage --suggest                                   # which key to start from
  keytrail lineage --key AKIAEXAMPLEKEY123456 --allow-missing  # go on even if the key made no event here
  keytrail events --lineage --key AKIAEXAMPLEKEY123456        # every event of the chain, in time order`;

const SIGNS = 'new IP after a quiet period, GetCallerIdentity then enumeration, tool user agents, access-denied bursts';

/** Each format's rendering of a lineage. To add a format: one entry here and in LINEAGE_FORMATS. */
const RENDER: Record<LineageFormat, (l: Lineage) => string> = {
  tree: renderTree,
  json: (l) => `${jsonText(l, 2)}\n`,
  dot: renderDot,
  mermaid: renderMermaid,
  html: (l) => renderHtml(l, `keytrail lineage of ${l.seeds.join(', ')}`),
};

export function register(program: Command): void {
  const cmd = program
    .command('lineage')
    .description(
      'follow the credential chain from a leaked key: what it created or obtained (users, keys, login profiles, roles, sessions), ' +
        'what those did and created in turn, until nothing new appears; every edge names the event that proves it',
    );
  withOptions(
    cmd,
    OPTIONS.db(),
    OPTIONS.key(),
    OPTIONS.user(),
    OPTIONS.arn(),
    OPTIONS.allowMissing(),
    OPTIONS.since(),
    OPTIONS.until(),
    new Option('--suggest', `no key to start from: rank the access keys that look leaked, with the reasons (${SIGNS})`),
    OPTIONS.format(LINEAGE_FORMATS, 'output (json is the contract of ARCHITECTURE.md section 5)', 'tree'),
    OPTIONS.output(),
  )
    .addHelpText('after', ABOUT)
    .action(async (opts: Opts) => {
      checkOutputFile(opts.output, '-o');
      return opts.suggest ? suggest(opts) : lineage(opts);
    });
}

async function lineage(opts: Opts): Promise<void> {
  if (!opts.key?.length && !opts.user?.length && !opts.arn?.length) throw usageError('lineage needs a seed: --key AKIA... (or --user NAME, --arn ARN)');
  const text = await withCase(opts.db, READ, async (db) => {
    if (!opts.allowMissing) await checkSeedKeys(db, opts.key ?? []);
    const l = await buildLineage(db, { keys: opts.key ?? [], users: opts.user, arns: opts.arn, since: opts.since, until: opts.until });
    for (const w of l.warnings) say(`warning: ${w}`);
    const out = RENDER[opts.format](l);
    say(`${l.nodes.filter((n) => n.tainted).length} tainted node(s), ${l.edges.length} edge(s)`);
    return out;
  });
  writeText(text, opts.output);
}

async function suggest(opts: Opts): Promise<void> {
  if (opts.format !== 'tree' && opts.format !== 'json') throw usageError('--suggest prints a ranked list: --format tree (the default) or json');
  const list = await withCase(opts.db, READ, (db) => suggestKeys(db));
  const lines = list.flatMap((s, i) => [
    `${i + 1}. ${s.accessKeyId}${s.owner ? ` (${s.owner})` : ''}  score ${s.score}`,
    ...s.reasons.map((r) => `   - ${r}`),
    `   then: keytrail lineage --key ${s.accessKeyId}`,
  ]);
  const text =
    opts.format === 'json'
      ? `${jsonText(list, 2)}\n`
      : list.length === 0
        ? `no access key shows the signs of a leak (${SIGNS})\n`
        : `${lines.map(printable).join('\n')}\n`;
  writeText(text, opts.output);
}
