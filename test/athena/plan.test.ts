/**
 * `keytrail athena plan` and `athena ddl` without Java (test/trino/lineage.test.ts runs the loop on a
 * real Trino): what phase 1 asks for, how crafted seeds reach the SQL, run-athena.sh, the next phase
 * from a case and the end of the loop, and the command's mistakes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { firstPhase, nextPhase, readPlan } from '../../src/athena/plan.js';
import { ingest } from '../../src/ingest/ingest.js';
import { CaseDb } from '../../src/store/db.js';
import { LINEAGE_CALLS } from '../../src/store/vocabulary.js';
import { ROOT, cli, tmpDir } from '../helpers.js';

const KEY = 'AKIABTX3GSDSS5LN7GPS';
let sampleCase: string;

beforeAll(async () => {
  sampleCase = path.join(tmpDir(), 'sample.duckdb');
  await ingest([path.join(ROOT, 'samples', 'leaked-key', 'evidence')], { db: sampleCase });
}, 120_000);

describe('athena plan, phase 1', () => {
  it('asks for every call lineage follows, every ConsoleLogin and the seeds, in the window, pruned by partition', () => {
    const dir = path.join(tmpDir(), 'plan');
    const r = firstPhase(dir, { table: 'ct.logs', layout: 'projection', since: '2026-10-01', until: '2026-10-15' }, { keys: [KEY], users: [] });
    expect(r).toMatchObject({ phase: 1, file: 'phase-1.sql', newIdentities: 1 });
    const text = fs.readFileSync(path.join(dir, 'phase-1.sql'), 'utf8');
    for (const call of LINEAGE_CALLS) expect(text).toContain(`'${call}'`);
    expect(text).toContain(`"eventname" = 'ConsoleLogin'`);
    expect(text).toContain(`"useridentity"."accesskeyid" IN ('${KEY}')`);
    expect(text).toContain(`"timestamp" >= '2026/10/01'`);
    expect(text).toContain(`FROM "ct"."logs"`);
    expect(text).toContain('json_format(CAST("useridentity" AS JSON)) AS "useridentity"');
    expect(fs.readdirSync(dir).sort()).toEqual(['README.txt', 'phase-1.sql', 'plan.json', 'run-athena.sh']);
    expect(readPlan(dir).phases).toHaveLength(1);
  });

  it('writes a crafted seed as one literal: quotes, line breaks and control characters never reach the SQL as they are', () => {
    const dir = path.join(tmpDir(), 'hostile');
    firstPhase(dir, { table: 'logs', layout: 'region-date' }, { keys: [], users: ["x'; DROP TABLE logs; --", 'a\nb\u001b[31m'] });
    const text = fs.readFileSync(path.join(dir, 'phase-1.sql'), 'utf8');
    expect(text).toContain(`'x''; DROP TABLE logs; --'`);
    expect(text).toContain(`U&'a\\000Ab\\001B[31m'`);
    expect(text).not.toMatch(/\u001b/);
    // The comment header names the seeds printable, on one line.
    expect(text.split('\n')[0]).toMatch(/^-- keytrail athena plan, phase 1 of the lineage of x'; DROP TABLE logs; --, a\\nb\\x1b\[31m$/);
    expect(fs.readFileSync(path.join(dir, 'README.txt'), 'utf8')).toContain(`--user 'x'\\''; DROP TABLE logs; --'`);
  });

  it('writes run-athena.sh as a valid bash script that runs a phase and copies its CSV down', () => {
    const dir = path.join(tmpDir(), 'script');
    firstPhase(dir, { table: 'logs', layout: 'projection' }, { keys: [KEY], users: [] });
    const script = path.join(dir, 'run-athena.sh');
    execFileSync('bash', ['-n', script]);
    expect(fs.statSync(script).mode & 0o111).not.toBe(0);
    const text = fs.readFileSync(script, 'utf8');
    expect(text).toContain('aws athena start-query-execution');
    expect(text).toContain('--query-string "file://$sql_file"');
    expect(text).toContain('aws s3 cp');
    // Without a phase file it says how to use it, and does nothing.
    expect(() => execFileSync('bash', [script], { stdio: 'pipe' })).toThrow(/usage: .*phase-N\.sql/);
  });
});

describe('athena plan, the next phases', () => {
  it('asks for the events of every identity the chain reached, then says the loop is complete', async () => {
    const dir = path.join(tmpDir(), 'next');
    firstPhase(dir, { table: 'logs', layout: 'projection' }, { keys: [KEY], users: [] });
    const db = await CaseDb.open(sampleCase, { readOnly: true });
    try {
      const two = await nextPhase(db, dir);
      expect(two.phase).toBe(2);
      expect(two.asked.keys.length).toBeGreaterThanOrEqual(3);
      expect(two.asked.keys).not.toContain(KEY);
      expect(two.asked.users).toEqual(['svc-backup']);
      expect(two.asked.roles).toEqual(['ops-maintenance']);
      expect(two.newIdentities).toBe(two.asked.keys.length + 2);
      const text = fs.readFileSync(path.join(dir, 'phase-2.sql'), 'utf8');
      for (const k of two.asked.keys) expect(text).toContain(`'${k}'`);
      expect(text).toContain(`("useridentity"."type" = 'AssumedRole' AND "useridentity"."sessioncontext"."sessionissuer"."username" IN ('ops-maintenance'))`);
      expect(text).toContain(`-- new identities: ${two.newIdentities}`);
      const three = await nextPhase(db, dir);
      expect(three).toMatchObject({ phase: 3, file: null, newIdentities: 0 });
      expect(fs.existsSync(path.join(dir, 'phase-3.sql'))).toBe(false);
    } finally {
      db.close();
    }
  });
});

describe('keytrail athena plan and ddl, as typed', () => {
  it('plans, continues and ends the loop, saying how many identities are new', () => {
    const dir = path.join(tmpDir(), 'cli');
    const one = cli(['athena', 'plan', '--key', KEY, '--out', dir]);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stderr).toMatch(/^phase 1: 1 new identity; wrote .*phase-1\.sql$/m);
    const two = cli(['athena', 'plan', '--db', sampleCase, '--out', dir]);
    expect(two.stderr).toMatch(/^phase 2: \d+ new identities; wrote .*phase-2\.sql$/m);
    expect(two.stderr).toContain('  role ops-maintenance (its sessions)');
    const three = cli(['athena', 'plan', '--db', sampleCase, '--out', dir]);
    expect(three.status).toBe(0);
    expect(three.stderr).toContain('the loop is complete: no identity is new since phase 2');
  });

  it('says each mistake in one line, exit 2', () => {
    const dir = path.join(tmpDir(), 'mistakes');
    const cases: [string[], RegExp][] = [
      [['athena', 'plan', '--db', sampleCase, '--out', dir], /holds no plan \(plan\.json\)/],
      [['athena', 'plan', '--db', sampleCase, '--out', dir, '--since', '2026-10-01'], /--since and --until belong to phase 1/],
      [['athena', 'plan', '--key', KEY, '--out', dir, '--since', 'last week'], /--since "last week" is not a time/],
      [['athena', 'plan', '--key', KEY, '--out', dir, '--layout', 'daily'], /daily/],
      [['athena', 'ddl', '--location', 'https://example.com/x'], /not an s3:\/\/ URL/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      // One line; commander's own refusals add the line that points to --help.
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('(run with --help')),
      ).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(cli(['athena', 'plan', '--key', KEY, '--out', dir]).status).toBe(0);
    const again = cli(['athena', 'plan', '--key', KEY, '--out', dir]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/holds a plan already/);
    const both = cli(['athena', 'plan', '--db', sampleCase, '--key', KEY, '--out', dir]);
    expect(both.stderr).toMatch(/leave out --key and --user/);
  });

  it('prints the table as AWS documents it', () => {
    const r = cli(['athena', 'ddl', '--location', 's3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/', '--table', 'ct']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^CREATE EXTERNAL TABLE `ct` \(/);
    expect(r.stdout).toContain("'projection.timestamp.format'='yyyy/MM/dd'");
  });
});

describe('athena plan --out that cannot be written', () => {
  it('says why in one line and writes nothing, for a file, and under /proc (where mkdir never ends in Node)', () => {
    const file = path.join(tmpDir(), 'a-file');
    fs.writeFileSync(file, 'x');
    for (const [out, why] of [
      [file, /cannot write --out .*a-file: it is a file, not a folder/],
      ['/proc/keytrail-plan', /cannot write --out \/proc\/keytrail-plan: \/proc takes no new entries/],
    ] as const) {
      const r = cli(['athena', 'plan', '--key', KEY, '--out', out]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toMatch(why);
    }
  });
});
