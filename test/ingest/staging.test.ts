/**
 * Small S3 files are staged (src/ingest/staging.ts): their texts, wrapped with their file's id, go
 * to a few large files DuckDB reads at once. Staging may change how fast a batch loads, never what
 * it holds: these tests load files through it and check each record lands in its own file, that no
 * text can speak for another file, and that whatever DuckDB refuses in a staging file goes back to
 * being read alone, named by its evidence path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CaseDb, ingest } from '../../src/index.js';
import { DepthScanner } from '../../src/ingest/bytes.js';
import { EntryPack } from '../../src/ingest/archive.js';
import { Stager } from '../../src/ingest/staging.js';
import { gz, records, s3File, tmpDir, write } from '../helpers.js';
import { eventIdsByFile } from './case-events.js';
import writeZip from './zip-writer.js';

afterEach(() => vi.restoreAllMocks());

const single = (...pieces: string[]) => {
  const s = new DepthScanner(1000);
  for (const p of pieces) s.push(Buffer.from(p));
  return s.single;
};

describe('the probe sees whether a text is one JSON value and nothing after it', () => {
  it('one value, with whitespace around it, in one piece or split anywhere', () => {
    expect(single('{"Records":[{"a":1}]}')).toBe(true);
    expect(single('  {"Records":[]}\n\r\n\t ')).toBe(true);
    expect(single('{"a":"}]}"}')).toBe(true);
    expect(single('{"a":"\\"}"}')).toBe(true);
    expect(single('{"a":"x\\\\', '"}')).toBe(true);
    expect(single('{"Rec', 'ords":[{"a":"b\\', '"c"}', ']}')).toBe(true);
  });
  it('anything that could close a wrapper around it, or leaves it open, is not one value', () => {
    expect(single('{"a":1}}')).toBe(false);
    expect(single('{"a":1}\n{"f":1,"d":{"Records":[]}}')).toBe(false);
    expect(single('{"a":1},"f":2')).toBe(false);
    expect(single('{"a":1} x')).toBe(false);
    expect(single('{"a":1')).toBe(false);
    expect(single('{"a":"1}')).toBe(false);
    expect(single('{"a":"\\"}')).toBe(false);
    expect(single(']{"a":1}')).toBe(false);
    expect(single('x{"a":1}')).toBe(false);
    expect(single('')).toBe(false);
  });
});

/** Each file's eventIDs as the case holds them, and its files rows, by the file's name. */
async function eventsByFile(db: string): Promise<{ byFile: Map<string, string[]>; files: Map<string, Record<string, unknown>> }> {
  const byFile = await eventIdsByFile(db);
  const c = await CaseDb.open(db, { readOnly: true });
  try {
    const files = await c.all(`SELECT * FROM files`);
    return { byFile, files: new Map(files.map((f) => [path.basename(String(f.path).split('!/').pop()!), f])) };
  } finally {
    c.close();
  }
}

const ids = (recs: Record<string, unknown>[]) => recs.map((r) => String(r.eventID));

describe('staged files load exactly as they would alone', () => {
  it('pretty-printed, plain and gzip files: every record in its own file, in order', async () => {
    const dir = tmpDir();
    const a = records(3);
    const b = records(2);
    const c = records(4);
    write(`${dir}/a.json.gz`, gz(JSON.stringify({ Records: a }, null, 2)));
    write(`${dir}/b.json`, `${JSON.stringify({ Records: b }, null, '\t')}\n`);
    write(`${dir}/c.json.gz`, s3File(c));
    const add = vi.spyOn(Stager.prototype, 'add');
    const addLines = vi.spyOn(Stager.prototype, 'addLines');
    const db = path.join(tmpDir(), 'case.duckdb');
    const summary = await ingest([dir], { db });
    // The pretty-printed texts whole (their records hold line breaks), the compact one as lines (record-lines.ts).
    expect(add.mock.calls.map(([u]) => path.basename(u.path)).sort()).toEqual(['a.json.gz', 'b.json']);
    expect(addLines.mock.calls.map(([u]) => path.basename(u.path))).toEqual(['c.json.gz']);
    expect(summary.events).toBe(9);
    const { byFile } = await eventsByFile(db);
    expect(byFile.get('a.json.gz')).toEqual(ids(a));
    expect(byFile.get('b.json')).toEqual(ids(b));
    expect(byFile.get('c.json.gz')).toEqual(ids(c));
  });

  it('a text that tries to close its wrapper and speak for another file is not staged, and its records stay its own', async () => {
    const dir = tmpDir();
    const good = records(2);
    const [mine, evil] = records(2);
    write(`${dir}/a-good.json.gz`, s3File(good));
    // Staged as it stands this would end its own value early and add a value "from file 1".
    const payload = `{"Records":[${JSON.stringify(mine)}]}}\n{"f":1,"d":{"Records":[${JSON.stringify(evil)}]}`;
    write(`${dir}/b-hostile.json.gz`, gz(payload));
    const add = vi.spyOn(Stager.prototype, 'add');
    const addLines = vi.spyOn(Stager.prototype, 'addLines');
    const db = path.join(tmpDir(), 'case.duckdb');
    await ingest([dir], { db });
    expect(add).not.toHaveBeenCalled();
    expect(addLines.mock.calls.map(([u]) => path.basename(u.path))).toEqual(['a-good.json.gz']);
    const { byFile, files } = await eventsByFile(db);
    expect(byFile.get('a-good.json.gz')).toEqual(ids(good));
    for (const [name, list] of byFile) if (name !== 'b-hostile.json.gz') expect(list).not.toContain(String(evil!.eventID));
    expect(files.get('b-hostile.json.gz')!.status).toMatch(/rejected|partial/);
  });

  it('a staged text DuckDB refuses sends the batch back to one file at a time; the culprit is named by its evidence path', async () => {
    const dir = tmpDir();
    const good = [records(3), records(1), records(5)];
    for (const [i, g] of good.entries()) write(`${dir}/good-${i}.json.gz`, s3File(g));
    // Brackets balanced in number, wrong in kind: staged, then refused by DuckDB's parser.
    write(`${dir}/bad.json.gz`, gz(`{"Records":[${JSON.stringify(records(1)[0])}}]`));
    const add = vi.spyOn(Stager.prototype, 'add');
    const addLines = vi.spyOn(Stager.prototype, 'addLines');
    const db = path.join(tmpDir(), 'case.duckdb');
    const summary = await ingest([dir], { db });
    // The bad text whole (a stray brace where Records should close: no lines), the good ones as lines.
    expect(add.mock.calls.map(([u]) => path.basename(u.path))).toEqual(['bad.json.gz']);
    expect(addLines).toHaveBeenCalledTimes(3);
    const { byFile, files } = await eventsByFile(db);
    for (const [i, g] of good.entries()) expect(byFile.get(`good-${i}.json.gz`)).toEqual(ids(g));
    const bad = files.get('bad.json.gz')!;
    // The record reader keeps the record that was whole before the stray bracket.
    expect(bad).toMatchObject({ status: 'partial', events: 1 });
    expect(String(bad.reason)).toMatch(/1 of 2 records rejected .*not valid JSON/);
    expect(String(bad.path)).toBe(path.join(dir, 'bad.json.gz'));
    expect(String(bad.reason)).not.toMatch(/staged-|unstaged-|keytrail-run|\/tmp\//);
    expect(summary.problems.map((p) => p.path)).toEqual([path.join(dir, 'bad.json.gz')]);
  });

  it('small archive entries are packed, never a file each, the pack removed once read; a refusal still finds the entry at fault', async () => {
    const dir = tmpDir();
    const good = [records(2), records(3)];
    await writeZip(`${dir}/bundle.zip`, [
      { name: 'AWSLogs/1/CloudTrail/us-east-1/g0.json.gz', data: s3File(good[0]!) },
      { name: 'AWSLogs/1/CloudTrail/us-east-1/bad.json', data: `{"Records":[${JSON.stringify(records(1)[0])}}]` },
      { name: 'AWSLogs/1/CloudTrail/us-east-1/g1.json', data: JSON.stringify({ Records: good[1] }, null, 1) },
    ]);
    const scratch = tmpDir();
    const add = vi.spyOn(Stager.prototype, 'add');
    const rm = vi.spyOn(fs, 'rmSync');
    const release = vi.spyOn(EntryPack.prototype, 'release');
    const db = path.join(tmpDir(), 'case.duckdb');
    await ingest([dir], { db, tmpDir: scratch });
    const { byFile, files } = await eventsByFile(db);
    expect(byFile.get('g0.json.gz')).toEqual(ids(good[0]!));
    expect(byFile.get('g1.json')).toEqual(ids(good[1]!));
    const bad = files.get('bad.json')!;
    expect(bad).toMatchObject({ status: 'partial', events: 1 });
    expect(String(bad.reason)).toMatch(/1 of 2 records rejected .*not valid JSON/);
    expect(String(bad.path)).toBe(`${path.join(dir, 'bundle.zip')}!/AWSLogs/1/CloudTrail/us-east-1/bad.json`);
    expect(String(bad.reason)).not.toMatch(/staged-|unstaged-|keytrail-run|\/tmp\//);
    expect(files.get('bundle.zip')!.status).toBe('ingested');
    // The three entries went into one pack, not a file each, and were staged from it; the one
    // DuckDB refused was written out from the staging file to be read alone.
    expect(add).toHaveBeenCalledTimes(3);
    expect(release).toHaveBeenCalledTimes(3);
    const staged = add.mock.calls.map(([unit]) => path.basename(unit.path));
    const removed = rm.mock.calls.map(([f]) => path.basename(String(f)));
    expect(removed.filter((f) => /^pack-\d+\.bin$/.test(f))).toHaveLength(1);
    for (const p of staged) expect(removed).not.toContain(p);
    // Nothing is left in the temporary folder.
    expect(fs.readdirSync(scratch)).toEqual([]);
  });
});
