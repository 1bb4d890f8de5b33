import fs from 'node:fs';
import type { Command } from 'commander';
import { jsonText, printable } from '../../escape.js';
import { usageError } from '../../errors.js';
import { buildLineage } from '../../lineage/lineage.js';
import { suggestKeys } from '../../lineage/suggest.js';
import { renderHtml } from '../../lineage/html.js';
import { renderDot, renderMermaid, renderTree } from '../../lineage/render.js';
import { CaseDb } from '../../store/db.js';
import { DEFAULT_DB, collect, oneOf, say } from '../common.js';

export const LINEAGE_FORMATS = ['tree', 'json', 'dot', 'mermaid', 'html'] as const;

interface Opts {
  db: string;
  key?: string[];
  user?: string[];
  arn?: string[];
  since?: string;
  until?: string;
  format: string;
  output?: string;
  suggest?: boolean;
}

export function register(program: Command): void {
  program
    .command('lineage')
    .description(
      'follow the credential chain from a leaked key: what it created or obtained (users, keys, login profiles, roles, sessions), ' +
        'what those did and created in turn, until nothing new appears; every edge names the event that proves it',
    )
    .option('--db <file>', 'case database', DEFAULT_DB)
    .option('--key <id>', 'seed access key id (AKIA... or ASIA...); repeatable or comma-separated', collect)
    .option('--user <name>', 'seed IAM user, followed as a whole (all its keys and sessions); repeatable', collect)
    .option('--arn <arn>', 'seed user or role ARN, followed as a whole; repeatable', collect)
    .option('--since <time>', 'only events from this time on (ISO-8601, UTC unless an offset is given)')
    .option('--until <time>', 'only events before this time')
    .option(
      '--suggest',
      'no key to start from: rank the access keys that look leaked, with the reasons (new IP after a quiet period, GetCallerIdentity then enumeration, tool user agents, access-denied bursts)',
    )
    .option('--format <format>', `output: ${LINEAGE_FORMATS.join(', ')} (json is the contract of ARCHITECTURE.md section 5)`, 'tree')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addHelpText(
      'after',
      `
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
  keytrail events --lineage --key AKIAEXAMPLEKEY123456        # every event of the chain, in time order`,
    )
    .action(async (opts: Opts) => {
      const format = oneOf(opts.format, LINEAGE_FORMATS, '--format');
      if (opts.suggest) return suggest(opts, format);
      if (!opts.key?.length && !opts.user?.length && !opts.arn?.length) throw usageError('lineage needs a seed: --key AKIA... (or --user NAME, --arn ARN)');
      const db = await CaseDb.open(opts.db, { readOnly: true, fileAccess: false });
      let text: string;
      try {
        const l = await buildLineage(db, { keys: opts.key ?? [], users: opts.user, arns: opts.arn, since: opts.since, until: opts.until });
        for (const w of l.warnings) say(`warning: ${w}`);
        const title = `keytrail lineage of ${l.seeds.join(', ')}`;
        text =
          format === 'json'
            ? `${jsonText(l, 2)}\n`
            : format === 'dot'
              ? renderDot(l)
              : format === 'mermaid'
                ? renderMermaid(l)
                : format === 'html'
                  ? renderHtml(l, title)
                  : renderTree(l);
        say(`${l.nodes.filter((n) => n.tainted).length} tainted node(s), ${l.edges.length} edge(s)`);
      } finally {
        db.close();
      }
      if (opts.output) fs.writeFileSync(opts.output, text);
      else process.stdout.write(text);
    });
}

async function suggest(opts: Opts, format: (typeof LINEAGE_FORMATS)[number]): Promise<void> {
  if (format !== 'tree' && format !== 'json') throw usageError('--suggest prints a ranked list: --format tree (the default) or json');
  const db = await CaseDb.open(opts.db, { readOnly: true, fileAccess: false });
  let list: Awaited<ReturnType<typeof suggestKeys>>;
  try {
    list = await suggestKeys(db);
  } finally {
    db.close();
  }
  const text =
    format === 'json'
      ? `${jsonText(list, 2)}\n`
      : list.length === 0
        ? 'no access key shows the signs of a leak (new IP after a quiet period, GetCallerIdentity then enumeration, tool user agents, access-denied bursts)\n'
        : `${list.flatMap((s, i) => [`${i + 1}. ${s.accessKeyId}${s.owner ? ` (${s.owner})` : ''}  score ${s.score}`, ...s.reasons.map((r) => `   - ${r}`), `   then: keytrail lineage --key ${s.accessKeyId}`].map(printable)).join('\n')}\n`;
  if (opts.output) fs.writeFileSync(opts.output, text);
  else process.stdout.write(text);
}
