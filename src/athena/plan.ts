/**
 * The lineage loop on Athena (issue 18): keytrail writes the queries, the responder runs them where
 * the trail is, brings the results home and ingests them; keytrail never calls AWS.
 *
 * Phase 1 asks for what lineage can need from anyone, small even in a huge trail: every call lineage
 * follows (vocabulary.ts LINEAGE_CALLS: creations, policies, trust policies, credential issuance,
 * whatever their outcome), every ConsoleLogin, and every event of the seeds. Each later phase is
 * computed from the case those results made: the lineage's tainted keys, whole users and whole roles
 * not asked for yet, every event of each (their activity, their other sessions, keys seen only in
 * use), and the console sessions of every user the chain names. When a phase would ask for no new
 * identity, the loop is complete: the case then holds, for this chain, every event lineage reads,
 * and `keytrail lineage` on it gives what it gives on the whole trail.
 *
 * plan.json in the folder keeps what each phase asked for, so the next one asks only for what is new.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { KeytrailError } from '../errors.js';
import { buildLineage, type Seeds } from '../lineage/lineage.js';
import type { CaseDb } from '../store/db.js';
import { LINEAGE_CALLS } from '../store/vocabulary.js';
import { athenaSelectList } from './columns.js';
import { tableSql } from './compile-rules.js';
import type { Layout } from './table.js';
import { trinoString } from './trino-sql.js';
import { windowPredicates } from './window.js';
import { printable } from '../escape.js';
import { sh } from '../report/shell.js';
import { makeOutputFolder, writeOutputFile } from '../output-path.js';

export interface PlanTarget {
  table: string;
  layout: Layout;
  since?: string;
  until?: string;
}

/** What a phase asked for: the identities whose events it fetched. */
const Asked = z.object({
  keys: z.array(z.string()),
  users: z.array(z.string()),
  roles: z.array(z.string()),
  /** Users whose console sessions (ASIA keys with a session creation date) it fetched. */
  consoleUsers: z.array(z.string()),
});
type Asked = z.infer<typeof Asked>;

const PlanState = z.object({
  keytrailAthenaPlan: z.literal(1),
  table: z.string(),
  layout: z.enum(['projection', 'region-date']),
  since: z.string().optional(),
  until: z.string().optional(),
  seeds: z.object({ keys: z.array(z.string()), users: z.array(z.string()) }),
  phases: z.array(z.object({ phase: z.number().int(), file: z.string(), asked: Asked, newIdentities: z.number().int() })),
});
export type PlanState = z.infer<typeof PlanState>;

export const STATE_FILE = 'plan.json';

const list = (values: readonly string[]) => values.map(trinoString).join(', ');
const inList = (expr: string, values: readonly string[]) => (values.length ? `${expr} IN (${list(values)})` : null);

/** A phase's statement: the JSON form of every event in the window that matches one of `tests`. */
function phaseSql(t: PlanTarget, header: string[], tests: string[]): string {
  const window = windowPredicates({ since: t.since, until: t.until }, t.layout);
  const where = [...window, `(\n       ${tests.join('\n    OR ')}\n    )`];
  return `${header.map((h) => `-- ${printable(h)}`).join('\n')}
SELECT ${athenaSelectList()}
FROM ${tableSql(t.table)}
WHERE ${where.join('\n  AND ')};
`;
}

/** The events of what `a` names: each key's, each whole user's and role's, the console sessions of each user named. */
function askedTests(a: Asked): string[] {
  return [
    inList('"useridentity"."accesskeyid"', a.keys),
    a.users.length ? `("useridentity"."type" = 'IAMUser' AND ${inList('"useridentity"."username"', a.users)})` : null,
    a.roles.length ? `("useridentity"."type" = 'AssumedRole' AND ${inList('"useridentity"."sessioncontext"."sessionissuer"."username"', a.roles)})` : null,
    a.consoleUsers.length
      ? `("useridentity"."type" = 'IAMUser' AND ${inList('"useridentity"."username"', a.consoleUsers)} AND "useridentity"."accesskeyid" LIKE 'ASIA%' AND "useridentity"."sessioncontext"."attributes"."creationdate" IS NOT NULL)`
      : null,
  ].filter((x): x is string => x !== null);
}

const count = (a: Asked) => a.keys.length + a.users.length + a.roles.length + a.consoleUsers.length;

export interface PhaseResult {
  phase: number;
  /** The file written, or null when the loop is complete. */
  file: string | null;
  newIdentities: number;
  asked: Asked;
}

function writePhase(dir: string, state: PlanState, asked: Asked, sqlText: string): PhaseResult {
  const phase = state.phases.length + 1;
  const file = `phase-${phase}.sql`;
  writeOutputFile(path.join(dir, file), sqlText, '--out');
  state.phases.push({ phase, file, asked, newIdentities: count(asked) });
  writeOutputFile(path.join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, '--out');
  return { phase, file, newIdentities: count(asked), asked };
}

/** Phase 1 into `dir` (a new plan: the folder must not hold one), with run-athena.sh and README.txt. */
export function firstPhase(dir: string, t: PlanTarget, seeds: { keys: string[]; users: string[] }): PhaseResult {
  if (seeds.keys.length + seeds.users.length === 0) throw new KeytrailError('USAGE', 'athena plan needs a seed: --key AKIA... (or --user NAME)');
  if (fs.existsSync(path.join(dir, STATE_FILE)))
    throw new KeytrailError('USAGE', `${dir} holds a plan already (${STATE_FILE}): continue it with --db case.duckdb, or give another --out`);
  makeOutputFolder(dir, '--out');
  const state: PlanState = { keytrailAthenaPlan: 1, table: t.table, layout: t.layout, since: t.since, until: t.until, seeds, phases: [] };
  const asked: Asked = { keys: [...seeds.keys], users: [...seeds.users], roles: [], consoleUsers: [] };
  const header = [
    `keytrail athena plan, phase 1 of the lineage of ${[...seeds.keys, ...seeds.users].join(', ')}`,
    `over ${t.table} (${t.layout} layout)${t.since || t.until ? `, from ${t.since ?? 'the start'} until ${t.until ?? 'the end'}` : ''}:`,
    'every call lineage follows (creations, policies, trust policies, credentials handed out) and every',
    'ConsoleLogin, by anyone; and every event of the seeds.',
    `new identities: ${count(asked)}`,
  ];
  const tests = [`"eventname" IN (${list(LINEAGE_CALLS)})`, `"eventname" = 'ConsoleLogin'`, ...askedTests(asked)];
  const result = writePhase(dir, state, asked, phaseSql(t, header, tests));
  writeOutputFile(path.join(dir, 'run-athena.sh'), runScript(), '--out');
  fs.chmodSync(path.join(dir, 'run-athena.sh'), 0o755);
  writeOutputFile(path.join(dir, 'README.txt'), readme(dir, seeds), '--out');
  return result;
}

/** The plan in `dir`, as plan.json says. */
export function readPlan(dir: string): PlanState {
  const file = path.join(dir, STATE_FILE);
  if (!fs.existsSync(file))
    throw new KeytrailError('USAGE', `${dir} holds no plan (${STATE_FILE}): start one with keytrail athena plan --key AKIA... --out ${dir}`);
  const parsed = PlanState.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new KeytrailError('INPUT', `${file} is not a keytrail athena plan: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The next phase from the case the results so far made, or none when no identity is new. */
export async function nextPhase(db: CaseDb, dir: string): Promise<PhaseResult> {
  const state = readPlan(dir);
  const seeds: Seeds = { keys: state.seeds.keys, users: state.seeds.users, since: state.since, until: state.until };
  const l = await buildLineage(db, seeds);
  const tainted = (kind: string) => l.nodes.filter((n) => n.tainted && n.kind === kind);
  const want: Asked = {
    keys: tainted('access_key').map((n) => n.id),
    users: tainted('user').map((n) => n.name),
    roles: tainted('role').map((n) => n.name),
    consoleUsers: l.nodes.filter((n) => n.kind === 'user').map((n) => n.name),
  };
  const asked = state.phases.map((p) => p.asked);
  const had = (k: keyof Asked) => new Set(asked.flatMap((a) => a[k]));
  const fresh: Asked = {
    keys: want.keys.filter((x) => !had('keys').has(x)).sort(),
    users: want.users.filter((x) => !had('users').has(x)).sort(),
    roles: want.roles.filter((x) => !had('roles').has(x)).sort(),
    // A whole user's events hold its console sessions already.
    consoleUsers: want.consoleUsers.filter((x) => !had('consoleUsers').has(x) && !had('users').has(x) && !want.users.includes(x)).sort(),
  };
  const phase = state.phases.length + 1;
  if (count(fresh) === 0) return { phase, file: null, newIdentities: 0, asked: fresh };
  const names = [
    ...fresh.keys,
    ...fresh.users.map((u) => `user/${u}`),
    ...fresh.roles.map((r) => `role/${r}`),
    ...fresh.consoleUsers.map((u) => `console sessions of user/${u}`),
  ];
  const header = [
    `keytrail athena plan, phase ${phase} of the lineage of ${[...state.seeds.keys, ...state.seeds.users].join(', ')}`,
    `over ${state.table} (${state.layout} layout): every event of the identities the chain reached that no phase asked for yet.`,
    `new identities: ${count(fresh)}`,
    ...names.map((n) => `  ${n}`),
  ];
  return writePhase(dir, state, fresh, phaseSql(state, header, askedTests(fresh)));
}

/** run-athena.sh: each phase file through aws-cli, its result CSV copied down beside it. */
function runScript(): string {
  return `#!/usr/bin/env bash
# Written by keytrail athena plan. Runs one phase of the plan in Athena and copies its result down:
#   ./run-athena.sh phase-1.sql      (writes phase-1.csv beside it)
# It needs aws-cli v2 and credentials allowed to run Athena queries and read the results bucket.
# keytrail itself never calls AWS: run this where you have access, then bring the CSV back and
#   keytrail ingest phase-1.csv --db case.duckdb
#   keytrail athena plan --db case.duckdb --out <this folder>     (writes the next phase, if any)
set -euo pipefail

# Edit these, or set them in the environment.
DATABASE="\${KEYTRAIL_ATHENA_DATABASE:-default}"         # the Glue database holding the CloudTrail table
WORKGROUP="\${KEYTRAIL_ATHENA_WORKGROUP:-primary}"
OUTPUT="\${KEYTRAIL_ATHENA_OUTPUT:-}"                     # s3://bucket/prefix/ for query results (or the workgroup's)
REGION="\${AWS_REGION:-\${AWS_DEFAULT_REGION:-us-east-1}}"

if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: $0 phase-N.sql" >&2
  exit 2
fi
sql_file="$1"
csv_file="\${sql_file%.sql}.csv"

args=(--region "$REGION" --work-group "$WORKGROUP" --query-execution-context "Database=$DATABASE")
if [ -n "$OUTPUT" ]; then args+=(--result-configuration "OutputLocation=$OUTPUT"); fi

id="$(aws athena start-query-execution "\${args[@]}" --query-string "file://$sql_file" --query QueryExecutionId --output text)"
echo "$sql_file: query $id started" >&2

while :; do
  state="$(aws athena get-query-execution --region "$REGION" --query-execution-id "$id" --query QueryExecution.Status.State --output text)"
  case "$state" in
    SUCCEEDED) break ;;
    FAILED | CANCELLED)
      reason="$(aws athena get-query-execution --region "$REGION" --query-execution-id "$id" --query QueryExecution.Status.StateChangeReason --output text)"
      echo "$sql_file: query $id $state: $reason" >&2
      exit 1 ;;
    *) sleep 5 ;;
  esac
done

location="$(aws athena get-query-execution --region "$REGION" --query-execution-id "$id" --query QueryExecution.ResultConfiguration.OutputLocation --output text)"
aws s3 cp --region "$REGION" "$location" "$csv_file"
scanned="$(aws athena get-query-execution --region "$REGION" --query-execution-id "$id" --query QueryExecution.Statistics.DataScannedInBytes --output text)"
echo "$sql_file: $csv_file written ($scanned bytes scanned)" >&2
`;
}

function readme(dir: string, seeds: { keys: string[]; users: string[] }): string {
  const seedArgs = [...seeds.keys.map((k) => `--key ${sh(k)}`), ...seeds.users.map((u) => `--user ${sh(u)}`)].join(' ');
  return `The lineage of ${printable([...seeds.keys, ...seeds.users].join(', '))} on Athena, phase by phase (keytrail athena plan).

1. Where you have AWS access (the table: keytrail athena ddl), run the newest phase:
     ./run-athena.sh phase-1.sql          -> phase-1.csv
2. Bring the CSV back and load it into the case:
     keytrail ingest phase-1.csv --db case.duckdb
3. Ask for the next phase:
     keytrail athena plan --db case.duckdb --out ${sh(dir)}
   It writes phase-2.sql with every event of the identities that are new, and says how many; run it
   as in step 1, and repeat until it says the loop is complete.
4. Then, on the case:
     keytrail lineage --db case.duckdb ${seedArgs}
     keytrail investigate <evidence> ...   (or keytrail report --db case.duckdb ...)

plan.json keeps what each phase asked for. The phase files are plain SQL: read them before you run them.
`;
}
