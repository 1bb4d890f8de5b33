import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { KeytrailError, usageError } from '../../errors.js';
import { printable } from '../../escape.js';
import { storeIntegrity } from '../../integrity/store.js';
import { STATUS, verifyEvidence } from '../../integrity/verify.js';
import { checkOutputFile } from '../../output-path.js';
import { checkManifest } from '../../report/manifest.js';
import { InputsNameNothing } from '../../ingest/plan.js';
import { say, withCase } from '../common.js';
import { EXIT, exits } from '../exit.js';
import { OPTIONS, withOptions } from '../options.js';
import { writeText } from '../output.js';

interface Opts {
  publicKeys?: string;
  format: 'table' | 'json';
  into?: string;
  all?: boolean;
  output?: string;
}

/** Words wrapped to lines of at most `width`, each indented. */
const wrap = (text: string, indent: string, width = 100) =>
  text
    .split(' ')
    .reduce<string[]>((lines, w) => {
      const last = lines[lines.length - 1];
      if (last !== undefined && `${last} ${w}`.length <= width - indent.length) lines[lines.length - 1] = `${last} ${w}`;
      else lines.push(w);
      return lines;
    }, [])
    .map((l) => `${indent}${l}`)
    .join('\n');

const LEGEND = Object.entries(STATUS)
  .map(([s, x]) => `  ${s} (${x.check}${x.problem ? ', a problem' : ''})\n${wrap(x.means, '      ')}`)
  .join('\n');

const HELP = `
Each file gets a status per check. What each proves, and what it does not:
${LEGEND}

A digest vouches for the log files it lists; its signature, checked with AWS's public key, vouches
for the digest; the chain (each digest names the SHA-256 and signature of the one before) vouches
that no digest between two present ones was changed or removed. Without --public-keys and the
signatures, whoever could rewrite the logs and the digests could rewrite both consistently: the
hashes then prove only that the copy is whole and unchanged since the digests were written.

Signatures: CloudTrail keeps a digest's signature in its S3 object's metadata, not in the file. Put
each beside its digest as <digest file>.sig (the hex value) or <digest file>.head.json (what
'aws s3api head-object' prints), e.g.:
  aws s3api head-object --bucket B --key K --query Metadata.signature --output text > K.sig
Public keys: aws cloudtrail list-public-keys --start-time T1 --end-time T2 > public-keys.json

Exit status: 0 when no check found a problem, 1 when one did, 2 when the inputs cannot be used.

Examples:
  keytrail verify ./evidence/
  keytrail verify ./evidence/ customer-bundle.zip --public-keys public-keys.json
  keytrail verify ./evidence/ --format json -o integrity.json
  keytrail verify ./evidence/ --into case/keytrail.duckdb      # also keep the results in the case (table integrity)
  keytrail verify --manifest case/manifest.json                # has anything in the case folder or the evidence changed?`;

export function register(program: Command): void {
  const cmd = program
    .command('verify')
    .argument('[evidence...]', 'files, folders, globs or archives, as for ingest')
    .description("check the evidence against CloudTrail's digest files (hashes, chain, gaps, signatures), or a case folder against its manifest.json");
  withOptions(
    cmd,
    new Option('--public-keys <file>', "the JSON of 'aws cloudtrail list-public-keys': also check each digest's RSA signature"),
    OPTIONS.format(['table', 'json'], 'output format (table: the summary and every problem; json: every row and the summary)', 'table'),
    new Option('--all', 'table: every row, not only the problems'),
    new Option('--into <case-db>', 'also keep the results in this case database (table integrity, joined to files; its report states them)'),
    new Option('--manifest <file>', "check a case folder's manifest.json: its outputs and the evidence it lists, byte for byte"),
    OPTIONS.output(),
  )
    .addHelpText('after', HELP)
    .action(exits(verify));
}

async function verify(evidence: string[], opts: Opts & { manifest?: string }) {
  checkOutputFile(opts.output, '-o');
  if (opts.manifest) {
    if (evidence.length) throw usageError('give either --manifest or evidence, not both');
    return verifyManifest(opts.manifest, opts);
  }
  if (evidence.length === 0) throw usageError('name the evidence to verify (files, folders or archives), or --manifest case/manifest.json');
  if (opts.into && !fs.existsSync(opts.into))
    throw new KeytrailError('INPUT', `${opts.into}: no such case database (run keytrail ingest first, or leave out --into)`);
  const r = await verifyEvidence(evidence, { publicKeys: opts.publicKeys });
  if (r.errors.length) throw new InputsNameNothing(r.errors);
  if (opts.into) await withCase(opts.into, {}, (db) => storeIntegrity(db, r));
  const problems = r.rows.filter((x) => STATUS[x.status].problem);
  if (opts.format === 'json') writeText(`${JSON.stringify({ summary: r.summary, rows: r.rows }, null, 2)}\n`, opts.output);
  else {
    const shown = opts.all ? r.rows : problems;
    const width = Math.max(6, ...shown.map((x) => x.status.length));
    const lines = [
      `${r.files} file(s) read. ${r.summary.statement[0]!.toUpperCase()}${r.summary.statement.slice(1)}.`,
      ...(shown.length ? ['', `${'status'.padEnd(width)}  ${'check'.padEnd(10)}  file — detail`] : []),
      ...shown.map((x) => printable(`${x.status.padEnd(width)}  ${x.check.padEnd(10)}  ${x.file} — ${x.detail}`)),
    ];
    writeText(`${lines.join('\n')}\n`, opts.output);
  }
  say(
    problems.length
      ? `${problems.length} problem(s): see the rows above (keytrail verify --help says what each status means)`
      : r.summary.digests === 0
        ? 'no digest files: nothing could be verified (exit 0: no problem found either)'
        : 'no problem found',
  );
  return problems.length ? EXIT.FINDINGS : EXIT.OK;
}

/** A case folder against its manifest.json: every output, every input file on disk, byte for byte. */
async function verifyManifest(file: string, opts: Opts) {
  const { manifest, rows, ok, members } = await checkManifest(file);
  const changed = rows.filter((r) => r.status !== 'unchanged' && r.status !== 'not-checked');
  const count = (role: string) => rows.filter((r) => r.role === role && r.status !== 'added').length;
  const statement = `${file}: made ${manifest.started} by keytrail ${manifest.keytrail}${manifest.command ? ` (${manifest.command.join(' ')})` : ''}; ${count('output')} output(s) and ${count('input')} input file(s) checked${members ? ` (${members} archive member(s) through their archive)` : ''}: ${ok ? 'nothing changed' : `${changed.length} changed, missing or added`}`;
  if (opts.format === 'json') writeText(`${JSON.stringify({ ok, statement, rows }, null, 2)}\n`, opts.output);
  else {
    const shown = opts.all ? rows : rows.filter((r) => r.status !== 'unchanged');
    writeText(
      `${[printable(statement), ...(shown.length ? [''] : []), ...shown.map((r) => printable(`${r.status.padEnd(11)}  ${r.role.padEnd(6)}  ${r.file} — ${r.detail}`))].join('\n')}\n`,
      opts.output,
    );
  }
  return ok ? EXIT.OK : EXIT.FINDINGS;
}
