/**
 * The case database over several ingests: duplicates collapse by event, a file already in the case
 * is left alone, the same content under another path is a duplicate file, and a crash mid-ingest
 * followed by a rerun gives every event exactly once.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseDb, ingest } from '../../src/index.js';
import { ROOT, lookupPage, record, records, s3File, tmpDir, write } from '../helpers.js';

async function q(db: string, sql: string) {
  const c = await CaseDb.open(db, { readOnly: true });
  try {
    return await c.all(sql);
  } finally {
    c.close();
  }
}

describe('duplicates', () => {
  it('collapse by eventID across an S3 export and a lookup-events file, and are counted per file', async () => {
    const recs = records(10);
    const d = tmpDir();
    write(`${d}/s3/a.json.gz`, s3File(recs.slice(0, 7)));
    write(`${d}/console/lookup.json`, lookupPage(recs.slice(4)));
    const db = path.join(d, 'case.duckdb');
    const s = await ingest([d], { db });
    expect(s).toMatchObject({ events: 10, duplicates: 3 });
    const rows = await q(db, `SELECT path, events, duplicates, records FROM files ORDER BY path`);
    // Files load in path order: console/lookup.json first, so the S3 file brings 3 duplicates.
    expect(rows.map((r) => [path.basename(String(r.path)), r.events, r.duplicates, r.records])).toEqual([
      ['lookup.json', 6, 0, 6],
      ['a.json.gz', 4, 3, 7],
    ]);
    expect(await q(db, `SELECT count(*) AS n, count(DISTINCT eventID) AS d FROM events`)).toEqual([{ n: 10, d: 10 }]);
  });

  it('records that share an eventID but differ in time or name are different events, both kept', async () => {
    const a = record();
    const b = record({ eventID: a.eventID, eventName: 'CreateUser' });
    const d = tmpDir();
    write(`${d}/x.json`, JSON.stringify({ Records: [a, b, a] }));
    const db = path.join(d, 'case.duckdb');
    expect(await ingest([d], { db })).toMatchObject({ events: 2, duplicates: 1 });
  });

  it('a full record replaces a partial one ingested earlier, and the earlier file is recounted', async () => {
    const r = record({ eventName: 'CreateUser' });
    const d = tmpDir();
    write(`${d}/limited.csv`, `Event ID,Event time,Event name,Event source,User name\n${r.eventID},${r.eventTime},CreateUser,iam.amazonaws.com,ci-deploy\n`);
    const db = path.join(d, 'case.duckdb');
    await ingest([`${d}/limited.csv`], { db });
    expect(await q(db, `SELECT is_partial, userAgent FROM events`)).toEqual([{ is_partial: true, userAgent: null }]);
    write(`${d}/full.json.gz`, s3File([r]));
    const s = await ingest([`${d}/full.json.gz`], { db });
    expect(s.events).toBe(1);
    expect(await q(db, `SELECT is_partial, userAgent FROM events`)).toEqual([{ is_partial: false, userAgent: r.userAgent }]);
    const files = await q(db, `SELECT path, events, duplicates FROM files ORDER BY id`);
    expect(files.map((f) => [path.basename(String(f.path)), f.events, f.duplicates])).toEqual([
      ['limited.csv', 0, 1],
      ['full.json.gz', 1, 0],
    ]);
  });
});

describe('re-ingest', () => {
  it('of files already in the case changes nothing', async () => {
    const d = tmpDir();
    write(`${d}/a.json.gz`, s3File(records(5)));
    write(`${d}/b.json`, JSON.stringify({ Records: records(3) }));
    const db = path.join(d, 'case.duckdb');
    await ingest([d], { db });
    const before = await q(db, `SELECT * FROM files ORDER BY id`);
    const again = await ingest([d], { db });
    expect(again).toMatchObject({ events: 0, alreadyInCase: 2, files: { ingested: 0, partial: 0, skipped: 0, 'duplicate-file': 0, rejected: 0 } });
    expect(await q(db, `SELECT * FROM files ORDER BY id`)).toEqual(before);
    expect(await q(db, `SELECT count(*) AS n FROM events`)).toEqual([{ n: 8 }]);
  });

  it('of the same content under another path records a duplicate file and loads nothing twice', async () => {
    const d = tmpDir();
    const bytes = s3File(records(4));
    write(`${d}/one/a.json.gz`, bytes);
    write(`${d}/two/copy-of-a.json.gz`, bytes);
    const db = path.join(d, 'case.duckdb');
    const s = await ingest([d], { db });
    expect(s).toMatchObject({ events: 4, files: { ingested: 1, 'duplicate-file': 1 } });
    const dup = (await q(db, `SELECT status, reason FROM files WHERE path LIKE '%copy-of-a%'`))[0]!;
    expect(dup.status).toBe('duplicate-file');
    expect(dup.reason).toMatch(/same content \(sha256\) as file #1 .*one\/a\.json\.gz/);
  });
});

describe('crash safety', () => {
  it('kill -9 mid-ingest, then a rerun: every event exactly once, every file once', async () => {
    const d = tmpDir();
    const all: string[] = [];
    for (let i = 0; i < 40; i++) {
      const recs = records(60, { awsRegion: ['us-east-1', 'eu-west-1', 'ap-south-1'][i % 3] });
      all.push(...recs.map((r) => String(r.eventID)));
      write(`${d}/AWSLogs/111122223333/CloudTrail/r/2026/10/14/f${String(i).padStart(3, '0')}.json.gz`, s3File(recs));
    }
    const db = path.join(d, 'case.duckdb');
    const child = spawn(process.execPath, [path.join(ROOT, 'test/fixtures/ingest-child.mjs'), db, d], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        // Kill once a few batches are in: the next one is being staged or committed.
        if ((out.match(/committed/g) ?? []).length >= 3) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((r) => child.once('exit', r).once('close', r));
    expect(out).not.toContain('done');
    const partial = await q(db, `SELECT count(*) AS n FROM events`);
    expect(Number(partial[0]!.n)).toBeGreaterThan(0);
    expect(Number(partial[0]!.n)).toBeLessThan(all.length);
    // No file may be marked as loaded without its events, nor events without their file.
    const orphans = await q(db, `SELECT count(*) AS n FROM events WHERE file_id NOT IN (SELECT id FROM files)`);
    expect(orphans).toEqual([{ n: 0 }]);
    const loadedFiles = await q(db, `SELECT sum(events) AS n FROM files`);
    expect(Number(loadedFiles[0]!.n)).toBe(Number(partial[0]!.n));

    await ingest([d], { db });
    const rows = await q(db, `SELECT count(*) AS n, count(DISTINCT eventID) AS d FROM events`);
    expect(rows).toEqual([{ n: all.length, d: all.length }]);
    expect(await q(db, `SELECT count(*) AS n, count(DISTINCT path) AS p FROM files`)).toEqual([{ n: 40, p: 40 }]);
    expect(fs.existsSync(db)).toBe(true);
  });
});
