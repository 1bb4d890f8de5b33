/**
 * Issue 18, first part: Athena's CloudTrail table and its column catalog, on a real Trino. The
 * sample evidence is loaded into the Athena-shaped table (memory connector: the table as Athena's
 * SerDe presents it, without a Hive metastore), and every field path the built-in rules read gives,
 * event by event, what the DuckDB catalog gives on the case. Values written into SQL go through
 * trinoString: hostile strings come back from Trino byte for byte.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { athenaSelectList } from '../../src/athena/columns.js';
import { resolveAthenaField } from '../../src/athena/table.js';
// @ts-expect-error: a plain ES module script without types
import { cliCommand, status } from '../../scripts/trino.mjs';
import { trinoString } from '../../src/athena/trino-sql.js';
import { ingest } from '../../src/ingest/ingest.js';
import { fieldSql, resolveField } from '../../src/rules/catalog.js';
import { CaseDb } from '../../src/store/db.js';
import { sql } from '../../src/store/sql.js';
import { ROOT, tmpDir } from '../helpers.js';
import { query } from './client.js';
import { loadEvidence } from './load.js';

const url = inject('trinoUrl');
const TABLE = 'memory.default.cloudtrail_logs';

/** Scalar fields the built-in pack and the lineage read (struct paths, and paths into JSON text). */
const FIELDS = [
  'eventName',
  'eventSource',
  'eventID',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'readOnly',
  'recipientAccountId',
  'userIdentity.type',
  'userIdentity.arn',
  'userIdentity.accessKeyId',
  'userIdentity.userName',
  'userIdentity.sessionContext.sessionIssuer.arn',
  'userIdentity.sessionContext.attributes.mfaAuthenticated',
  'tlsDetails.tlsVersion',
  'requestParameters.userName',
  'requestParameters.roleName',
  'requestParameters.policyArn',
  'requestParameters.instanceType',
  'responseElements.accessKey.accessKeyId',
  'responseElements.credentials.accessKeyId',
  'additionalEventData.MFAUsed',
];

let db: CaseDb;
let events = 0;

beforeAll(async () => {
  const file = path.join(tmpDir(), 'case.duckdb');
  events = (await loadEvidence(url, TABLE, [path.join(ROOT, 'samples', 'leaked-key', 'evidence')], file)).length;
  db = await CaseDb.open(file);
}, 600_000);

describe('Athena CloudTrail table on Trino', () => {
  it('holds every event of the sample', async () => {
    expect(await query(url, `SELECT count(*), count(DISTINCT eventid) FROM ${TABLE}`)).toEqual([[events, events]]);
    expect(events).toBeGreaterThan(400);
  });

  it.each(FIELDS)('%s reads on Trino what it reads in the case', async (field) => {
    const athena = resolveAthenaField(field);
    expect(athena.kind, JSON.stringify(athena)).toBe('column');
    const onTrino = new Map((await query(url, `SELECT eventid, ${athena.kind === 'column' ? athena.sql : 'NULL'} FROM ${TABLE}`)) as [string, string | null][]);
    const inCase = await db.rows(
      sql`SELECT eventID AS id, ${fieldSql(resolveField(field))} AS v FROM events`,
      z.object({ id: z.string(), v: z.string().nullable() }),
    );
    expect(onTrino.size).toBe(inCase.length);
    const differs = inCase.filter((r) => onTrino.get(r.id) !== r.v).map((r) => `${r.id}: case ${r.v}, trino ${onTrino.get(r.id)}`);
    expect(differs).toEqual([]);
    // A field no event has is no test: each of these is set somewhere in the sample.
    expect(
      inCase.some((r) => r.v !== null),
      `${field} is set in the sample`,
    ).toBe(true);
  });

  it.each([
    ["a plain SELECT * (structs in Trino's {key=value} text)", '*'],
    ["keytrail's JSON form (structs as JSON text)", athenaSelectList()],
  ])('%s, as Trino writes it to CSV, ingests into the same events as the evidence', async (_what, columns) => {
    const dir = tmpDir();
    const [java, ...args] = cliCommand() as string[];
    const out = execFileSync(
      java!,
      [...args, '--server', url, '--user', 'keytrail', '--output-format', 'CSV_HEADER', '--execute', `SELECT ${columns} FROM ${TABLE}`],
      {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    // Trino's client quotes a NULL as ""; Athena leaves it unquoted. The cells are Trino's own.
    const csv = out.replace(/(^|,)""(?=,|\n|$)/gm, '$1');
    const file = path.join(dir, 'result.csv');
    fs.writeFileSync(file, csv);
    const caseFile = path.join(dir, 'result.duckdb');
    const summary = await ingest([file], { db: caseFile });
    expect(summary.events).toBe(events);
    const got = await CaseDb.open(caseFile);
    try {
      const read = (d: CaseDb) =>
        d.rows(
          sql`SELECT eventID AS id, ${sql.join(FIELDS.map((f, i) => sql`${fieldSql(resolveField(f))} AS ${sql.id(`f${i}`)}`))},
                requestParameters::VARCHAR AS rp, responseElements::VARCHAR AS re FROM events ORDER BY eventID`,
          z.record(z.string(), z.unknown()),
        );
      const norm = (rows: Record<string, unknown>[]) =>
        rows.map((r) => ({ ...r, rp: r.rp === null ? null : JSON.parse(r.rp as string), re: r.re === null ? null : JSON.parse(r.re as string) }));
      expect(norm(await read(got))).toEqual(norm(await read(db)));
    } finally {
      got.close();
    }
  });

  it('listens on 127.0.0.1 only', () => {
    // The server's listening sockets (Linux: its socket inodes against /proc/net/tcp and tcp6, state 0A).
    const { dataDir } = status() as { dataDir: string };
    const pid = fs.readFileSync(path.join(dataDir, 'var', 'run', 'launcher.pid'), 'utf8').trim();
    const inodes = new Set(
      fs
        .readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((x): x is string => x !== undefined),
    );
    const listening = ['tcp', 'tcp6'].flatMap((t) =>
      fs
        .readFileSync(`/proc/net/${t}`, 'utf8')
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/))
        .filter((c) => c[3] === '0A' && inodes.has(c[9]!))
        .map((c) => c[1]!.split(':')[0]!),
    );
    expect(listening.length).toBeGreaterThan(0);
    // 127.0.0.1 as /proc writes it, in tcp and (IPv4-mapped) in tcp6.
    for (const a of listening) expect(['0100007F', '0000000000000000FFFF00000100007F']).toContain(a);
  });

  it('a value written with trinoString comes back exactly, whatever it holds', async () => {
    const nasty = ["it's", "'; DROP TABLE x; --", 'back\\slash', 'line\nbreak\ttab\r', 'café', '😀 \u202e evil', "U&'\\0041'", '"quoted"', '\u0001\u007f'];
    const rows = await query(url, `SELECT ${nasty.map(trinoString).join(', ')}`);
    expect(rows).toEqual([nasty]);
  });
});
