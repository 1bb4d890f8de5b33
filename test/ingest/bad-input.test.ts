/**
 * Bad input: each case gets a files row with a reason a person understands, the good files beside
 * it still land, and the evidence is never changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaseDb, ingest } from '../../src/index.js';
import type { IngestSummary, Row } from '../../src/index.js';
import { spawnSync } from 'node:child_process';
import { CLI, cli, gz, record, records, s3File, sha256, tmpDir, write } from '../helpers.js';
import writeZip from './zip-writer.js';

const good = records(4);
let evidence: string;
let summary: IngestSummary;
let files: Map<string, Row>;
let before: Map<string, { sha: string; mtime: number; mode: number }>;
let rejects: Row[];
let eventCount: number;

beforeAll(async () => {
  evidence = tmpDir('kt-bad-');
  const e = (name: string, content: string | Buffer) => write(path.join(evidence, name), content);
  e('good.json.gz', s3File(good));
  const full = s3File(records(50));
  e('truncated.json.gz', full.subarray(0, Math.floor(full.length / 2)));
  const corrupt = Buffer.from(s3File(records(20)));
  corrupt.fill(0x55, 40, 120);
  e('corrupt.json.gz', corrupt);
  e('truncated.json', JSON.stringify({ Records: records(3) }).slice(0, 700));
  e('empty.json', '');
  e('junk.bin', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]));
  e('not-cloudtrail.json', JSON.stringify({ kind: 'terraform-state', resources: [{ type: 'aws_iam_user' }] }));
  e('records-not-a-list.json', JSON.stringify({ Records: { eventName: 'CreateUser' } }));
  e(
    'bad-times.json',
    JSON.stringify({ Records: [record(), record({ eventTime: 'yesterday' }), record({ eventTime: undefined }), record({ eventID: undefined })] }),
  );
  e('latin1.csv', Buffer.from('Event time,Event name,Event source,User name\n2026-10-14T09:12:03Z,CreateUser,iam.amazonaws.com,jos\xe9\n', 'latin1'));
  e('lines.ndjson', [JSON.stringify(record()), '{"eventName": "Trunc', JSON.stringify(record())].join('\n'));
  // A zip with one good entry and one whose path climbs out of the archive.
  await writeZip(
    path.join(evidence, 'bundle.zip'),
    [
      { name: 'logs/ok.json.gz', data: s3File(records(2)) },
      { name: 'xx/xx/evil.json', data: JSON.stringify({ Records: records(1) }) },
    ],
    { 'xx/xx/evil.json': '../../evil.json' },
  );
  // A gzip that expands far past any real CloudTrail file: 64 MiB of spaces inside a Records file.
  e('bomb.json.gz', zlib.gzipSync(Buffer.concat([Buffer.from('{"Records":['), Buffer.alloc(64 << 20, 0x20), Buffer.from(']}')]), { level: 9 }));

  before = snapshot(evidence);
  const db = path.join(tmpDir(), 'case.duckdb');
  // The expansion floor is lowered so the bomb test needs 64 MiB, not gigabytes.
  summary = await ingest([evidence], { db, limits: { floorBytes: 8 << 20, maxRatio: 200 } });
  const c = await CaseDb.open(db, { readOnly: true });
  files = new Map((await c.all(`SELECT * FROM files`)).map((f) => [String(f.path).slice(evidence.length + 1), f]));
  rejects = await c.all(`SELECT r.*, f.path FROM rejects r JOIN files f ON f.id = r.file_id ORDER BY f.path, record_index`);
  eventCount = Number((await c.all(`SELECT count(*) AS n FROM events`))[0]!.n);
  c.close();
}, 120_000);

function snapshot(dir: string) {
  const m = new Map<string, { sha: string; mtime: number; mode: number }>();
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, f);
    const st = fs.statSync(p);
    if (st.isFile()) m.set(f, { sha: sha256(p), mtime: st.mtimeMs, mode: st.mode });
  }
  return m;
}

const row = (name: string) => {
  const r = files.get(name);
  if (!r) throw new Error(`no files row for ${name}; rows: ${[...files.keys()].join(', ')}`);
  return r;
};

describe('bad input', () => {
  it('loads the good files beside the bad ones', () => {
    expect(row('good.json.gz')).toMatchObject({ status: 'ingested', events: 4 });
    expect(row('bundle.zip!/logs/ok.json.gz')).toMatchObject({ status: 'ingested', events: 2 });
  });

  it('truncated gzip: the records that were whole before the cut are kept, the file is partial', () => {
    const t = row('truncated.json.gz');
    expect(t).toMatchObject({ status: 'partial' });
    expect(Number(t.events)).toBeGreaterThan(5);
    expect(Number(t.events)).toBeLessThan(50);
    expect(t.reason).toMatch(new RegExp(`truncated; the ${t.events} records before it were kept`));
  });

  it('corrupt gzip', () => {
    expect(row('corrupt.json.gz').status).toBe('rejected');
    expect(row('corrupt.json.gz').reason).toMatch(/gzip|corrupt|invalid/i);
  });

  it('truncated JSON', () => {
    expect(row('truncated.json')).toMatchObject({ status: 'rejected', events: 0 });
    expect(row('truncated.json').reason).toMatch(/truncated/);
  });

  it('empty file', () => {
    expect(row('empty.json')).toMatchObject({ status: 'rejected', format: 'empty' });
    expect(row('empty.json').reason).toMatch(/empty file \(0 bytes\)/);
  });

  it('binary junk', () => {
    expect(row('junk.bin')).toMatchObject({ status: 'rejected', format: 'binary' });
    expect(row('junk.bin').reason).toMatch(/binary data, not text \(first bytes: 89 50 4e 47/);
  });

  it('JSON that is not CloudTrail', () => {
    expect(row('not-cloudtrail.json')).toMatchObject({ status: 'rejected', rejected_records: 1 });
    expect(row('not-cloudtrail.json').reason).toMatch(/not a CloudTrail record .*keys: kind, resources/);
  });

  it('"Records" that is not a list', () => {
    expect(row('records-not-a-list.json')).toMatchObject({ status: 'rejected' });
    expect(row('records-not-a-list.json').reason).toMatch(/"Records" is not a list/);
  });

  it('records without a valid eventTime or eventID are rejected one by one and kept with their text', () => {
    expect(row('bad-times.json')).toMatchObject({ status: 'partial', events: 1, rejected_records: 3, records: 4 });
    const mine = rejects.filter((r) => String(r.path).endsWith('bad-times.json'));
    expect(mine.map((r) => r.reason)).toEqual([
      'record 2: eventTime "yesterday" is not a valid time',
      'record 3: no eventTime',
      'record 4: no eventID (every CloudTrail record has one)',
    ]);
    expect(JSON.parse(String(mine[0]!.raw)).eventTime).toBe('yesterday');
  });

  it('CSV in a wrong encoding', () => {
    expect(row('latin1.csv').status).toBe('rejected');
    expect(row('latin1.csv').reason).toMatch(/not UTF-8 text: invalid byte at offset \d+ .*Windows-1252.*save the file as UTF-8/);
  });

  it('a truncated line in JSON Lines loses only that line', () => {
    expect(row('lines.ndjson')).toMatchObject({ status: 'partial', events: 2, rejected_records: 1 });
    expect(row('lines.ndjson').reason).toMatch(/line 2/);
  });

  it('an archive entry with ../ in its path is not extracted', () => {
    const r = row('bundle.zip!/../../evil.json');
    expect(r.status).toBe('rejected');
    expect(r.reason).toMatch(/leaves the archive/);
    expect(fs.existsSync(path.resolve(evidence, '../evil.json'))).toBe(false);
    expect(fs.existsSync(path.resolve(evidence, '../../evil.json'))).toBe(false);
  });

  it('a gzip that expands without bound is stopped at the limit', () => {
    expect(row('bomb.json.gz').status).toBe('rejected');
    expect(row('bomb.json.gz').reason).toMatch(/expands beyond .* when decompressed/);
  });

  it('accounts for every file, counts what it loaded, and changes no evidence', () => {
    expect(files.size).toBe(before.size + 2); // + the zip's two entries
    expect(snapshot(evidence)).toEqual(before);
    expect(summary.events).toBe(eventCount);
    expect(eventCount).toBe(4 + 2 + 1 + 2 + Number(row('truncated.json.gz').events));
    expect(summary.files.rejected).toBe([...files.values()].filter((f) => f.status === 'rejected').length);
  });
});

describe('exit codes and messages', () => {
  it('reports rejected files but exits 0; --strict makes them an error (exit 2)', () => {
    const d = tmpDir();
    write(`${d}/ok.json.gz`, s3File(records(2)));
    write(`${d}/empty.json`, '');
    const db = path.join(d, 'case.duckdb');
    const plain = cli(['ingest', `${d}/ok.json.gz`, `${d}/empty.json`, '--db', db]);
    expect(plain.status).toBe(0);
    expect(plain.stderr).toMatch(/rejected: .*empty\.json: empty file/);
    const strictDb = path.join(d, 'strict.duckdb');
    const strict = cli(['ingest', `${d}/ok.json.gz`, `${d}/empty.json`, '--db', strictDb, '--strict']);
    expect(strict.status).toBe(2);
    expect(strict.stderr).toMatch(/--strict: 1 file\(s\) rejected/);
    expect(strict.stderr).not.toMatch(/\n\s+at /);
  });

  it('names an input that does not exist, loads the rest, exits 2, and never shows a stack trace', () => {
    const d = tmpDir();
    write(`${d}/ok.json.gz`, s3File(records(1)));
    const r = cli(['ingest', `${d}/ok.json.gz`, `${d}/missing.json`, '--db', path.join(d, 'c.duckdb'), '--json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${d}/missing.json: no such file or folder`);
    expect(JSON.parse(r.stdout)).toMatchObject({ events: 1, files: { ingested: 1 } });
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown option is a usage error (exit 2) with help', () => {
    const r = cli(['ingest', '--no-such-option', 'x']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-option'/);
  });

  it('a database that is not a keytrail case is refused with a message; --debug adds the stack', () => {
    const d = tmpDir();
    const notCase = write(`${d}/notes.duckdb`, 'this is not a database');
    const r = cli(['files', '--db', notCase]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^keytrail: .*notes\.duckdb: cannot open case database/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const dbg = cli(['files', '--db', notCase, '--debug']);
    expect(dbg.stderr).toMatch(/\n\s+at /);
  });

  it('the machine-readable summary carries files by status, events, duplicates, rejected records and seconds', () => {
    const d = tmpDir();
    write(`${d}/a.json.gz`, s3File(good));
    write(`${d}/b.json`, JSON.stringify({ Records: [...good.slice(0, 2), record({ eventTime: 'never' })] }));
    const r = cli(['ingest', d, '--db', path.join(d, 'c.duckdb'), '--json']);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ events: 4, duplicates: 2, rejectedRecords: 1, files: { ingested: 1, partial: 1, skipped: 0, 'duplicate-file': 0, rejected: 0 } });
    expect(typeof s.seconds).toBe('number');
  });
});

// gz is used by the helpers' callers; keep the import honest for the compiler.
void gz;

describe('output to a reader that stops early', () => {
  it('`keytrail events | head -1` ends quietly, without an error', () => {
    const d = tmpDir();
    // Far more than a pipe buffer (64 KiB), so the writer is still writing when head exits.
    write(`${d}/many.json.gz`, s3File(records(3000, { requestParameters: { filter: 'x'.repeat(500) } })));
    const db = path.join(d, 'case.duckdb');
    expect(cli(['ingest', d, '--db', db, '--quiet']).status).toBe(0);
    const r = spawnSync('sh', ['-c', `node ${JSON.stringify(CLI)} events --db ${JSON.stringify(db)} --format jsonl | head -1`], { encoding: 'utf8' });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe('');
  });
});

describe('a load that runs out of memory', () => {
  it('is retried with the whole limit, then stops with a message naming --memory-limit; a rerun with more loads what is missing', () => {
    const d = tmpDir('kt-oom-');
    const pad = 'x'.repeat(400);
    for (let f = 0; f < 200; f++) write(path.join(d, `ev/f${f}.json.gz`), s3File(records(10).map((r) => ({ ...r, requestParameters: { pad } }))));
    const db = path.join(tmpDir(), 'case.duckdb');
    const r = spawnSync(process.execPath, [CLI, 'ingest', path.join(d, 'ev'), '--db', db, '--memory-limit', '8MB'], {
      encoding: 'utf8',
      env: { ...process.env, KEYTRAIL_TRACE: '1' },
    });
    // The trace shows the retry; the user sees one line.
    expect(r.stderr).toMatch(/\[trace\] batch of 200 files: out of memory \(Out of Memory Error: .*\): loaded again with the whole memory limit/);
    const small = { status: r.status, stderr: r.stderr.replace(/^\[trace\].*\n/gm, '') };
    expect(small.stderr).toMatch(
      /^keytrail: DuckDB ran out of memory loading a batch of 200 files within its memory limit of 8MB: run again with a larger --memory-limit \(e\.g\. 4GB\)/,
    );
    expect(small.stderr).not.toMatch(/\n\s+at /);
    expect(small.status).not.toBe(0);
    const again = cli(['ingest', path.join(d, 'ev'), '--db', db, '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ events: 2000, files: { ingested: 200, rejected: 0 } });
  });
});
