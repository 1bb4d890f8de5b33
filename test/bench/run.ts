/**
 * `npm run bench`: generate (or reuse) a synthetic S3 export, then load it twice, each in a fresh
 * child process and a fresh database: DuckDB's own read_json (baseline.ts) and keytrail's ingest
 * (ingest-child.ts). Prints rate and peak RSS side by side with PASS/FAIL against the targets and
 * writes the same to .bench/results.json. A FAIL is a result, not an error: exit code 0. Exit 1 only
 * when a measurement could not be made (bad arguments, a child crashed).
 *
 *   --events N                 events in the export (default 1,000,000)
 *   --flat                     also ingest a 5x export, to show memory does not grow with the corpus
 *   --only ingest|baseline     run one side only
 *   --seed S                   generator seed (default 1)
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateExport, type ExportStats } from './generate.js';
import { repoRoot, type ChildMessage, type ChildResult } from './measure.js';

const TARGET_RATIO = 0.8;
const TARGET_PEAK_MB = 2048;
const TARGET_FLAT = 1.25;
const FLAT_FACTOR = 5;

interface Args { events: number; flat: boolean; only: 'ingest' | 'baseline' | null; seed: number }

function parseArgs(argv: string[]): Args {
  const args: Args = { events: 1_000_000, flat: false, only: null, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const count = (v: string) => {
      const n = Number(v.replace(/[_,]/g, ''));
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a}: expected a positive integer, got ${v}`);
      return n;
    };
    if (a === '--events') args.events = count(value());
    else if (a === '--seed') args.seed = count(value());
    else if (a === '--flat') args.flat = true;
    else if (a === '--only') {
      const v = value();
      if (v !== 'ingest' && v !== 'baseline') throw new Error(`--only: expected ingest or baseline, got ${v}`);
      args.only = v;
    } else throw new Error(`unknown argument ${a} (expected --events N, --flat, --only ingest|baseline, --seed S)`);
  }
  return args;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Both sides get the export's AWSLogs folder, as a customer would hand it over (the cache marker stays outside). */
function runChild(script: string, exportDir: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(here, script), [path.join(exportDir, 'AWSLogs')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let msg: ChildMessage | undefined;
    child.on('message', (m) => (msg = m as ChildMessage));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (msg?.ok) resolve(msg.result);
      else if (msg) reject(new Error(`${script} failed:\n${msg.error}`));
      else reject(new Error(`${script} exited with ${signal ? `signal ${signal}` : `code ${code}`} before reporting (out of memory?)`));
    });
  });
}

async function prepare(root: string, events: number, seed: number): Promise<{ dir: string; stats: ExportStats }> {
  const dir = path.join(root, '.bench', `export-${events}-s${seed}`);
  process.stderr.write(`export of ${fmt(events)} events in ${path.relative(root, dir)}: `);
  const stats = await generateExport(dir, events, seed);
  const ratio = stats.uncompressedBytes ? ` (${(stats.uncompressedBytes / stats.bytes).toFixed(1)}x gzip)` : '';
  process.stderr.write(
    `${stats.cached ? 'cached' : `generated in ${stats.seconds?.toFixed(1)} s`}: ${fmt(stats.files)} event files, ${fmt(stats.digestFiles)} digests, ` +
      `${(stats.bytes / 1e6).toFixed(0)} MB on disk${ratio}\n`,
  );
  return { dir, stats };
}

async function measure(label: string, script: string, dir: string): Promise<ChildResult | { error: string }> {
  process.stderr.write(`${label}: running...\n`);
  try {
    const r = await runChild(script, dir);
    process.stderr.write(`${label}: ${fmt(r.events)} events in ${r.seconds.toFixed(1)} s, peak RSS ${fmt(r.peakRssMB)} MB\n`);
    return r;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${label}: ERROR ${error}\n`);
    return { error };
  }
}

interface Check { name: string; target: string; value: string; pass: boolean }
const ok = (r: ChildResult | { error: string } | undefined): r is ChildResult => r !== undefined && !('error' in r);

function table(rows: [string, ChildResult | { error: string }][]): string {
  const head = ['run', 'events', 'seconds', 'events/s', 'peak RSS MB', 'sampled max MB', 'db MB'];
  const body = rows.map(([name, r]) =>
    ok(r)
      ? [name, fmt(r.events), r.seconds.toFixed(1), fmt(r.eventsPerSecond), fmt(r.peakRssMB), fmt(r.sampledPeakRssMB), (r.dbBytes / 1e6).toFixed(0)]
      : [name, 'ERROR', '', '', '', '', ''],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const root = repoRoot();
  const big = args.events * FLAT_FACTOR;
  const base = await prepare(root, args.events, args.seed);
  const large = args.flat && args.only !== 'baseline' ? await prepare(root, big, args.seed) : undefined;

  const runs: [string, ChildResult | { error: string }][] = [];
  const baseline = args.only === 'ingest' ? undefined : await measure('baseline (DuckDB read_json)', 'baseline.js', base.dir);
  if (baseline) runs.push(['baseline (DuckDB read_json)', baseline]);
  const keytrail = args.only === 'baseline' ? undefined : await measure('keytrail ingest', 'ingest-child.js', base.dir);
  if (keytrail) runs.push(['keytrail ingest', keytrail]);
  const keytrailBig = large ? await measure(`keytrail ingest ${FLAT_FACTOR}x`, 'ingest-child.js', large.dir) : undefined;
  if (keytrailBig) runs.push([`keytrail ingest ${FLAT_FACTOR}x`, keytrailBig]);

  const checks: Check[] = [];
  const ratio = ok(keytrail) && ok(baseline) ? keytrail.eventsPerSecond / baseline.eventsPerSecond : undefined;
  if (ratio !== undefined) checks.push({ name: 'ingest rate / baseline rate', target: `>= ${TARGET_RATIO}`, value: ratio.toFixed(2), pass: ratio >= TARGET_RATIO });
  for (const [name, r, n] of [['keytrail', keytrail, args.events], [`keytrail ${FLAT_FACTOR}x`, keytrailBig, big]] as const) {
    if (r === undefined) continue;
    if (!ok(r)) {
      checks.push({ name: `${name} ran`, target: 'completes', value: 'ERROR', pass: false });
      continue;
    }
    checks.push({ name: `${name} events loaded`, target: `= ${fmt(n)}`, value: fmt(r.events), pass: r.events === n });
    checks.push({ name: `${name} peak RSS MB`, target: `<= ${TARGET_PEAK_MB}`, value: fmt(r.peakRssMB), pass: r.peakRssMB <= TARGET_PEAK_MB });
  }
  if (ok(keytrail) && ok(keytrailBig)) {
    const growth = keytrailBig.peakRssMB / keytrail.peakRssMB;
    checks.push({ name: `peak RSS ${FLAT_FACTOR}x / 1x`, target: `<= ${TARGET_FLAT}`, value: growth.toFixed(2), pass: growth <= TARGET_FLAT });
  }
  if (ok(baseline) && baseline.events !== args.events) checks.push({ name: 'baseline events loaded', target: `= ${fmt(args.events)}`, value: fmt(baseline.events), pass: false });

  console.log(`\nkeytrail ingest benchmark: ${fmt(args.events)} events, seed ${args.seed}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, node ${process.version}\n`);
  console.log(table(runs));
  if (ratio !== undefined) console.log(`\nkeytrail / baseline rate: ${ratio.toFixed(2)}`);
  console.log('');
  for (const c of checks) console.log(`${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.value} (target ${c.target})`);
  const failed = checks.filter((c) => !c.pass).length;
  console.log(checks.length === 0 ? 'no targets checked' : failed ? `\n${failed} of ${checks.length} targets FAILED` : `\nall ${checks.length} targets PASS`);

  const out = path.join(root, '.bench', 'results.json');
  const results = {
    date: new Date().toISOString(),
    machine: { cores: os.availableParallelism(), memoryBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}` },
    args,
    targets: { ratio: TARGET_RATIO, peakRssMB: TARGET_PEAK_MB, flatGrowth: TARGET_FLAT },
    exports: { [args.events]: base.stats, ...(large ? { [big]: large.stats } : {}) },
    baseline: baseline ?? null,
    keytrail: keytrail ?? null,
    keytrailLarge: keytrailBig ?? null,
    ratio: ratio ?? null,
    checks,
    pass: checks.length > 0 && failed === 0,
  };
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nresults: ${path.relative(root, out)}`);
  return runs.some(([, r]) => !ok(r)) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
