/**
 * A clean S3 file's records as JSON Lines (record-lines.ts), which DuckDB reads in place of the
 * file: each line must hold its record's bytes exactly, with its file id, index and null_field_mask,
 * and no lines may be made where the file around the records is anything but plain
 * `{"Records":[...]}` (the scan counts brackets, it does not check them) or a record holds a break.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseDb, ingest } from '../../src/index.js';
import { MAX_NATIVE_DEPTH, probeFile } from '../../src/ingest/bytes.js';
import { LINE_EXTRA, LINES_ALLOWANCE, recordLines, withFileId } from '../../src/ingest/record-lines.js';
import { scanRecords } from '../../src/ingest/records-scan.js';
import { RECORD_FIELDS } from '../../src/store/schema.js';
import { gz, record, tmpDir, write } from '../helpers.js';
import { eventIdsByFile } from './case-events.js';

const scan = (text: string) => scanRecords(Buffer.from(text), MAX_NATIVE_DEPTH);
const linesOf = (text: string) => {
  const s = scan(text);
  expect(s.masks, text).toBeDefined();
  return recordLines(Buffer.from(text), s.masks!, s.ends!);
};

describe('a clean file’s records as lines', () => {
  it('each line: the file id, the record’s index and mask, and the record’s own bytes', () => {
    const recs = [record({ requestParameters: null, errorCode: null }), record({ userAgent: 'a"b\\c\u00e9\u{1F600} </script>' }), record()];
    const texts = recs.map((r) => JSON.stringify(r));
    // Whitespace where JSON allows it around the records is not theirs.
    const text = ` {\n "Records" : [${texts[0]} ,\n\t${texts[1]},${texts[2]}\r\n]\n}\n`;
    const made = linesOf(text)!;
    expect(made).toBeDefined();
    const out = withFileId(made, 4321).toString('utf8');
    const lines = out.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(3);
    // Bit i: the record's i-th field written as null.
    const mask = (r: Record<string, unknown>) => RECORD_FIELDS.reduce((m, f, i) => (r[f] === null ? m | (1 << i) : m), 0);
    expect(mask(recs[0]!)).not.toBe(mask(recs[1]!));
    for (const [k, line] of lines.entries()) {
      expect(line.endsWith(`"r":${texts[k]}}`)).toBe(true);
      const v = JSON.parse(line) as { f: number; i: number; m: number; r: unknown };
      expect(v).toEqual({ f: 4321, i: k + 1, m: mask(recs[k]!), r: recs[k] });
    }
    expect(made.longest).toBe(Math.max(...lines.map((l) => Buffer.byteLength(l) + 1)));
    // Another id written in over the first: the room is the same.
    expect(withFileId(made, 7).toString('utf8').split('\n')[0]).toMatch(/^\{"f": {9}7,"i":1,/);
    expect(() => withFileId(made, 12345678901)).toThrow(/does not fit/);
    expect(linesOf('{"Records":[]}')!.text.length).toBe(0);
  });

  it('no lines where the file around the records is not plain, or a record holds a line break', () => {
    const r = JSON.stringify(record());
    const notPlain = [
      `{"Records":[${r},]}`,
      `{"Records":[,${r}]}`,
      `{"Records":[${r},,${r}]}`,
      `{"Records":[${r}${r}]}`,
      `{"Records":[${r} ${r}]}`,
      `{"Records":[${r}]]`,
      `{"Records":[${r}],}`,
      `{"Records":[${r}}]`,
      `{"Records":[${r.slice(0, -1)}]]}`,
      `{"Records":[${r.replace('"eventName":', '"eventName":\n')}]}`,
      `{"Records":[${r.replace(',"eventSource"', ',\r"eventSource"')}]}`,
    ];
    for (const t of notPlain) expect({ t, lines: linesOf(t) }).toEqual({ t, lines: undefined });
  });

  it('records smaller on average than a line adds make no lines past a small text’s allowance', () => {
    const tiny = (n: number) => `{"Records":[${Array.from({ length: n }, () => '{}').join(',')}]}`;
    const few = Math.floor(LINES_ALLOWANCE / LINE_EXTRA);
    expect(linesOf(tiny(few))).toBeDefined();
    expect(linesOf(tiny(few + 1))).toBeUndefined();
  });
});

describe('files staged as lines load as they would from their own files', () => {
  it('a record DuckDB refuses in the lines sends the batch back to one file at a time; each file keeps its own records', { timeout: 60_000 }, async () => {
    const dir = tmpDir();
    const good = [0, 1, 2].map(() => Array.from({ length: 50 }, () => record()));
    for (const [i, g] of good.entries()) write(path.join(dir, `good-${i}.json.gz`), gz(JSON.stringify({ Records: g })));
    // Brackets balanced in number, wrong in kind, inside a value the scan does not look into: clean, plain, lines.
    const inner = JSON.stringify(record());
    const broken = `${inner.slice(0, -1)},"serviceEventDetails":{"a":[1}]}`;
    const before = record();
    const bad = `{"Records":[${JSON.stringify(before)},${broken},${JSON.stringify(record())}]}`;
    write(path.join(dir, 'bad.json.gz'), gz(bad));
    for (const f of ['good-0.json.gz', 'bad.json.gz']) expect((await probeFile(path.join(dir, f))).lines).toBeDefined();

    const db = path.join(tmpDir(), 'case.duckdb');
    const scratch = tmpDir();
    const summary = await ingest([dir], { db, tmpDir: scratch });
    const byFile = await eventIdsByFile(db);
    const c = await CaseDb.open(db, { readOnly: true });
    try {
      for (const [i, g] of good.entries()) expect(byFile.get(`good-${i}.json.gz`)).toEqual(g.map((r) => String(r.eventID)));
      const [file] = await c.all(`SELECT status, events, reason, path FROM files WHERE path LIKE '%bad.json.gz'`);
      // The record reader keeps the record whole before the bad one, and says why it stopped.
      expect(file).toMatchObject({ status: 'partial', path: path.join(dir, 'bad.json.gz') });
      expect(byFile.get('bad.json.gz')?.[0]).toBe(String(before.eventID));
      expect(String(file!.reason)).not.toMatch(/staged-|keytrail-run|\/tmp\//);
      expect(summary.problems.map((p) => p.path)).toEqual([path.join(dir, 'bad.json.gz')]);
    } finally {
      c.close();
    }
    // The lines were staged in the run's temporary folder, and nothing of them is left; the evidence is as it was.
    expect(fs.readdirSync(scratch)).toEqual([]);
    expect(fs.readdirSync(dir).sort()).toEqual(['bad.json.gz', 'good-0.json.gz', 'good-1.json.gz', 'good-2.json.gz']);
  });
});
