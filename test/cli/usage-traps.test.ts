/**
 * The traps a responder falls into at the command line (issue 15 point 8), through the built binary:
 * an investigation of evidence that is not there, a second customer's evidence added to the first
 * customer's case, the case folder read back as evidence, a mistyped or lowercase --key, an -o or
 * --out that cannot be written, and Ctrl-C part-way through a long ingest.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cli, records, s3File, tmpDir, write } from '../helpers.js';
import { ACCOUNT, ALICE_KEY, LEAKED_KEY, type Case, ingestCase } from '../fixtures/use/case.js';
import { cliAsync, expectUserError } from '../fixtures/use/run.js';

type Json = Record<string, any>;

const OTHER_ACCOUNT = '444455556666';

/** Records of another AWS account: its trail, its user, its key. */
function otherAccountRecords(n: number) {
  return records(n, {
    recipientAccountId: OTHER_ACCOUNT,
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAOTHERPRINCIPAL01',
      arn: `arn:aws:iam::${OTHER_ACCOUNT}:user/deploy`,
      accountId: OTHER_ACCOUNT,
      accessKeyId: 'AKIAOTHERCUSTOMER001',
      userName: 'deploy',
    },
  });
}

/** Evidence of one account in an S3-shaped folder: one file of these records. */
function evidence(root: string, account: string, recs: Record<string, unknown>[]): string {
  write(path.join(root, 'AWSLogs', account, 'CloudTrail', 'us-east-1', `${account}_CloudTrail_us-east-1_0.json.gz`), s3File(recs));
  return root;
}

const eventCount = (db: string) => Number(JSON.parse(cli(['query', 'SELECT count(*) AS n FROM events', '--db', db, '--format', 'json']).stdout)[0].n);

describe('investigate on evidence that is not there', () => {
  it('a missing path: exit 2 with the message ingest gives, and no case folder', async () => {
    const d = tmpDir('kt-usage-');
    const missing = path.join(d, 'no-such-evidence');
    const ingest = await cliAsync(['ingest', missing, '--db', path.join(d, 'x.duckdb')]);
    expect(ingest.status).toBe(2);
    const said = ingest.stderr.split('\n').find((l) => l.includes(missing))!;
    expect(said).toBe(`${missing}: no such file or folder`);

    const out = path.join(d, 'case');
    const r = await cliAsync(['investigate', missing, '--key', LEAKED_KEY, '--out', out]);
    expectUserError(r);
    expect(r.stderr).toContain(said);
    expect(r.stderr).not.toMatch(/No activity|case folder:/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('an empty folder: exit 2 with the message ingest gives', async () => {
    const d = tmpDir('kt-usage-');
    const empty = path.join(d, 'evidence');
    fs.mkdirSync(empty);
    const ingest = await cliAsync(['ingest', empty, '--db', path.join(d, 'x.duckdb')]);
    expect(ingest.status).toBe(2);
    const said = ingest.stderr.split('\n').find((l) => l.includes(empty))!;
    expect(said).toBe(`${empty}: folder holds no files`);

    const r = await cliAsync(['investigate', empty, '--key', LEAKED_KEY, '--out', path.join(d, 'case')]);
    expectUserError(r);
    expect(r.stderr).toContain(said);
    expect(fs.existsSync(path.join(d, 'case', 'report.html'))).toBe(false);
  });
});

describe('a case holds the evidence of its own AWS account(s)', () => {
  it("investigate without --out, run for a second customer in the same folder, refuses that customer's evidence, naming both accounts", () => {
    const d = tmpDir('kt-usage-');
    const first = evidence(path.join(d, 'customer-a'), ACCOUNT, records(5));
    const second = evidence(path.join(d, 'customer-b'), OTHER_ACCOUNT, otherAccountRecords(4));
    expect(cli(['investigate', first, '--key', LEAKED_KEY], { cwd: d }).status).toBe(0);
    const r = cli(['investigate', second, '--key', 'AKIAOTHERCUSTOMER001'], { cwd: d });
    expectUserError(r);
    expect(r.stderr).toContain(OTHER_ACCOUNT);
    expect(r.stderr).toContain(ACCOUNT);
    expect(r.stderr).toContain('--append');
    expect(r.stderr).toContain('customer-b');
    // Nothing of the second customer is in the first customer's case, and its report is the first one's.
    expect(eventCount(path.join(d, 'case', 'keytrail.duckdb'))).toBe(5);
    expect(fs.readFileSync(path.join(d, 'case', 'report.json'), 'utf8')).not.toContain('AKIAOTHERCUSTOMER001');
  });

  it('ingest into an existing case refuses another account; the same account is welcome; --append adds the other', () => {
    const d = tmpDir('kt-usage-');
    const db = path.join(d, 'case.duckdb');
    expect(cli(['ingest', evidence(path.join(d, 'a1'), ACCOUNT, records(3)), '--db', db, '--quiet']).status).toBe(0);
    expect(cli(['ingest', evidence(path.join(d, 'a2'), ACCOUNT, records(2)), '--db', db, '--quiet']).status).toBe(0);
    const other = evidence(path.join(d, 'b'), OTHER_ACCOUNT, otherAccountRecords(4));
    const r = cli(['ingest', other, '--db', db]);
    expectUserError(r);
    expect(r.stderr).toMatch(new RegExp(`${OTHER_ACCOUNT}.*${ACCOUNT}|${ACCOUNT}.*${OTHER_ACCOUNT}`));
    expect(eventCount(db)).toBe(5);
    const appended = cli(['ingest', other, '--db', db, '--append', '--quiet']);
    expect(appended.stderr).toBe('');
    expect(appended.status).toBe(0);
    expect(eventCount(db)).toBe(9);
  });

  it('investigate --append adds another account to an existing case folder', () => {
    const d = tmpDir('kt-usage-');
    const out = path.join(d, 'case');
    expect(cli(['investigate', evidence(path.join(d, 'a'), ACCOUNT, records(2)), '--key', LEAKED_KEY, '--out', out]).status).toBe(0);
    const b = evidence(path.join(d, 'b'), OTHER_ACCOUNT, otherAccountRecords(3));
    expect(cli(['investigate', b, '--key', LEAKED_KEY, '--out', out]).status).toBe(2);
    const r = cli(['investigate', b, '--key', LEAKED_KEY, '--out', out, '--append']);
    expect(r.status).toBe(0);
    expect(eventCount(path.join(out, 'keytrail.duckdb'))).toBe(5);
  });

  it('a first ingest of several accounts (an organization trail) is one case, and later files of those accounts are welcome', () => {
    const d = tmpDir('kt-usage-');
    const db = path.join(d, 'case.duckdb');
    evidence(path.join(d, 'org'), ACCOUNT, records(2));
    evidence(path.join(d, 'org'), OTHER_ACCOUNT, otherAccountRecords(2));
    expect(cli(['ingest', path.join(d, 'org'), '--db', db, '--quiet']).status).toBe(0);
    const later = evidence(path.join(d, 'later'), OTHER_ACCOUNT, otherAccountRecords(1));
    expect(cli(['ingest', later, '--db', db, '--quiet']).status).toBe(0);
    expect(eventCount(db)).toBe(5);
  });
});

describe('the case folder inside the evidence folder', () => {
  it('is never read as evidence: the next run skips it and says so once', () => {
    const d = tmpDir('kt-usage-');
    const ev = evidence(path.join(d, 'evidence'), ACCOUNT, records(4));
    const out = path.join(ev, 'case');
    expect(cli(['investigate', ev, '--key', LEAKED_KEY, '--out', out]).status).toBe(0);
    write(path.join(ev, 'more.json.gz'), s3File(records(2)));
    const r = cli(['investigate', ev, '--key', LEAKED_KEY, '--out', out]);
    expect(r.status).toBe(0);
    const mentions = r.stderr.split('\n').filter((l) => l.includes(out));
    expect(mentions.filter((l) => /not evidence/.test(l))).toHaveLength(1);
    const db = path.join(out, 'keytrail.duckdb');
    const read = JSON.parse(cli(['query', `SELECT path FROM files WHERE starts_with(path, '${out}/')`, '--db', db, '--format', 'json']).stdout);
    expect(read).toEqual([]);
    expect(eventCount(db)).toBe(6);

    // A plain ingest of the same folder into another case knows the case folder too.
    const other = path.join(d, 'other.duckdb');
    const ingested = cli(['ingest', ev, '--db', other, '--json']);
    expect(ingested.status).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ events: 6, files: { ingested: 2, rejected: 0 } });
    expect(ingested.stderr.split('\n').filter((l) => l.includes(out) && /not evidence/.test(l))).toHaveLength(1);
  });
});

describe('--key', () => {
  let db: string;
  let dir: string;
  let c: Case;
  beforeAll(() => {
    ({ db, dir, c } = ingestCase('kt-usage-keys-'));
  });
  const leakedEvents = () => c.records.filter((r) => (r.userIdentity as Json | undefined)?.accessKeyId === LEAKED_KEY).length;
  const typo = `${LEAKED_KEY.slice(0, -1)}l`;

  it('is matched whatever its case: a lowercase paste finds the key', async () => {
    const report = await cliAsync(['report', '--key', LEAKED_KEY.toLowerCase(), '--db', db, '--format', 'json']);
    expect(report.status).toBe(0);
    expect(report.stderr).not.toMatch(/makes no event/);
    const r = JSON.parse(report.stdout);
    expect(r.seeds).toContain(LEAKED_KEY);
    const lineage = await cliAsync(['lineage', '--key', LEAKED_KEY.toLowerCase(), '--db', db, '--format', 'json']);
    expect(lineage.status).toBe(0);
    expect(JSON.parse(lineage.stdout).nodes.find((n: Json) => n.id === LEAKED_KEY).activity.events).toBe(leakedEvents());
  });

  it('a key with no events: report and lineage say which key of the case is nearest, with its events, and exit 2', async () => {
    for (const args of [['report'], ['lineage']]) {
      const r = await cliAsync([...args, '--key', typo, '--db', db]);
      expectUserError(r);
      expect(r.stderr).toContain(`--key ${typo.toUpperCase()} makes no event in this case`);
      expect(r.stderr).toContain(`did you mean ${LEAKED_KEY} (${leakedEvents()} events)?`);
      expect(r.stderr).toContain('--allow-missing');
    }
  });

  it('--allow-missing keeps the old way: a report of no activity, with the warning', async () => {
    const r = await cliAsync(['report', '--key', 'AKIANOTINTHISCASE001', '--db', db, '--format', 'json', '--allow-missing']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/makes no event/);
    const l = await cliAsync(['lineage', '--key', 'AKIANOTINTHISCASE001', '--db', db, '--allow-missing']);
    expect(l.status).toBe(0);
  });

  it('investigate with a mistyped key: the evidence is in the case, no report is written, exit 2 with the nearest key', () => {
    const out = path.join(dir, 'case-typo');
    const r = cli(['investigate', c.evidence, '--key', typo, '--out', out]);
    expectUserError(r);
    expect(r.stderr).toContain(`did you mean ${LEAKED_KEY} (${leakedEvents()} events)?`);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(false);
    expect(eventCount(path.join(out, 'keytrail.duckdb'))).toBe(c.records.length);
    // The nearest by edit distance, not the busiest: one character from alice's key.
    const near = cli(['investigate', c.evidence, '--key', `${ALICE_KEY.slice(0, -1)}9`, '--out', out]);
    expect(near.status).toBe(2);
    expect(near.stderr).toMatch(new RegExp(`did you mean ${ALICE_KEY} \\(\\d+ events?\\)\\?`));
    const ok = cli(['investigate', c.evidence, '--key', LEAKED_KEY.toLowerCase(), '--out', out]);
    expect(ok.status).toBe(0);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
  });
});

describe('-o and --out that cannot be written: one line naming the path, exit 2', () => {
  let db: string;
  let dir: string;
  let aFile: string;
  /** A place nobody may write, root included. */
  let forbidden: string;
  beforeAll(() => {
    ({ db, dir } = ingestCase('kt-usage-out-'));
    aFile = write(path.join(dir, 'a-file.txt'), 'not a folder\n');
    if (process.getuid?.() === 0) forbidden = '/sys';
    else {
      forbidden = path.join(dir, 'read-only');
      fs.mkdirSync(forbidden, { mode: 0o500 });
    }
  });

  // detect writes its findings into the case: it gets a copy of its own, so the readers never wait on its lock.
  const detectDb = () => {
    const copy = path.join(dir, 'detect.duckdb');
    if (!fs.existsSync(copy)) fs.copyFileSync(db, copy);
    return copy;
  };
  const FILE_COMMANDS: [string, () => string[]][] = [
    ['query', () => ['query', 'SELECT 1 AS one', '--db', db]],
    ['detect', () => ['detect', '--db', detectDb()]],
    ['events', () => ['events', '--db', db]],
    ['files', () => ['files', '--db', db]],
    ['lineage', () => ['lineage', '--key', LEAKED_KEY, '--db', db]],
    ['lineage --suggest', () => ['lineage', '--suggest', '--db', db]],
    ['report', () => ['report', '--key', LEAKED_KEY, '--db', db]],
    ['export csv', () => ['export', '--format', 'csv', '--db', db]],
    ['export jsonl', () => ['export', '--format', 'jsonl', '--db', db]],
    ['export timeline', () => ['export', '--format', 'timeline', '--db', db]],
  ];
  const PROBLEMS: [string, () => string, RegExp][] = [
    ['a folder that does not exist', () => path.join(dir, 'no-such-folder', 'out.txt'), /does not exist/],
    ['a file where a folder is needed', () => path.join(aFile, 'out.txt'), /is a file, not a folder/],
    ['a folder where a file is needed', () => dir, /is a folder/],
    ['no permission', () => path.join(forbidden, 'out.txt'), /permission denied/],
  ];

  for (const [command, args] of FILE_COMMANDS) {
    it(`${command} -o`, async () => {
      for (const [problem, target, says] of PROBLEMS) {
        const r = await cliAsync([...args(), '-o', target()]);
        expectUserError(r);
        const lines = r.stderr.trimEnd().split('\n');
        const line = lines.find((l) => l.startsWith('keytrail: '));
        expect(line, `${command}, ${problem}: ${r.stderr}`).toContain(target());
        expect(line, `${command}, ${problem}`).toMatch(says);
      }
    });
  }

  it('export parquet -o and investigate --out (folders, created when missing)', async () => {
    const folderProblems: [string, RegExp][] = [
      [aFile, /is a file, not a folder/],
      [path.join(aFile, 'sub'), /is a file, not a folder/],
      [path.join(forbidden, 'case'), /permission denied/],
    ];
    for (const [target, says] of folderProblems) {
      for (const args of [
        ['export', '--format', 'parquet', '--db', db, '-o', target],
        ['investigate', path.join(dir, 'evidence'), '--key', LEAKED_KEY, '--out', target],
      ]) {
        const r = await cliAsync(args);
        expectUserError(r);
        const line = r.stderr.split('\n').find((l) => l.startsWith('keytrail: '));
        expect(line, `${args[0]} ${target}: ${r.stderr}`).toContain(target);
        expect(line, `${args[0]} ${target}`).toMatch(says);
      }
    }
    expect(fs.readFileSync(aFile, 'utf8')).toBe('not a folder\n');
  });
});

/** Spawn the CLI; resolves when it ends. `onStderr` sees stderr as it comes. */
function spawnCli(args: string[], env: Record<string, string>, onStderr: (text: string, child: ReturnType<typeof spawn>) => void) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => {
    stderr += b;
    onStderr(stderr, child);
  });
  return new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stderr, stdout })),
  );
}

describe('Ctrl-C (SIGINT) part-way through', () => {
  const FILES = 60;
  const PER_FILE = 2000;
  let ev: string;
  beforeAll(() => {
    ev = tmpDir('kt-usage-sigint-');
    const pad = 'x'.repeat(200);
    for (let f = 0; f < FILES; f++)
      write(path.join(ev, 'AWSLogs', ACCOUNT, `f${String(f).padStart(3, '0')}.json.gz`), s3File(records(PER_FILE, { requestParameters: { pad } })));
  }, 120_000);

  /** Small batches, so that several commit in one run; the trace says when the first has. */
  const ENV = { KEYTRAIL_BATCH_BYTES: String(16 << 20), KEYTRAIL_TRACE: '1' };
  const interruptAfterFirstBatch = (text: string, child: ReturnType<typeof spawn>) => {
    if (/\[trace\] ingest: batch of \d+ files loaded/.test(text) && !child.killed) child.kill('SIGINT');
  };
  const userLines = (stderr: string) => stderr.replace(/^\[trace\].*\n/gm, '');

  it('ingest: says what was kept (the files fully loaded) and exits 130; a rerun loads the rest', async () => {
    const db = path.join(tmpDir('kt-usage-sigint-db-'), 'case.duckdb');
    const r = await spawnCli(['ingest', ev, '--db', db], ENV, interruptAfterFirstBatch);
    const said = userLines(r.stderr);
    expect(r.status, said).toBe(130);
    const m = /interrupted.*?(\d+) file\(s\) fully loaded.*?are in the case/s.exec(said);
    expect(m, said).not.toBeNull();
    const kept = Number(m![1]);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(FILES);
    expect(said).toMatch(/run the same command again/i);
    expect(said).not.toMatch(/\n\s+at |internal error|bug in keytrail/);
    const files = JSON.parse(cli(['files', '--db', db, '--format', 'json']).stdout) as Json[];
    expect(files).toHaveLength(kept);
    expect(eventCount(db)).toBe(kept * PER_FILE);

    const again = cli(['ingest', ev, '--db', db, '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ events: (FILES - kept) * PER_FILE, alreadyInCase: kept });
    expect(eventCount(db)).toBe(FILES * PER_FILE);
  });

  it('investigate: says what was kept, that no report was written, and exits 130', async () => {
    const out = path.join(tmpDir('kt-usage-sigint-case-'), 'case');
    const r = await spawnCli(['investigate', ev, '--key', LEAKED_KEY, '--out', out], ENV, interruptAfterFirstBatch);
    const said = userLines(r.stderr);
    expect(r.status, said).toBe(130);
    expect(said).toMatch(/interrupted.*?\d+ file\(s\) fully loaded/s);
    expect(said).toMatch(/no report/);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(false);
  });
});
