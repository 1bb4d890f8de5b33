/**
 * The record reader under hostile or broken JSON: whatever one record does (nested 10,000 deep,
 * 70 MB long, a lone surrogate escape, a byte that is not UTF-8, an empty eventID, numbers past
 * double precision), it costs that record, never the file and never the run; a document of any
 * size streams record by record; the evidence is never modified and no temporary file is ever
 * named as the culprit.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/ingest.js';
import { CaseDb, type Row } from '../../src/store/db.js';
import { cli, lookupPage, record, records, s3File, sha256, tmpDir, write } from '../helpers.js';

/** Ingest a folder through the CLI; its files rows by name, the summary's stderr, and a query helper. */
async function load(dir: string, extra: string[] = []) {
  const db = path.join(tmpDir(), 'case.duckdb');
  const r = cli(['ingest', dir, '--db', db, ...extra]);
  const c = await CaseDb.open(db, { readOnly: true });
  try {
    const files = new Map((await c.all(`SELECT * FROM files`)).map((f) => [path.basename(String(f.path)), f]));
    const rejects = await c.all(`SELECT r.record_index, r.reason, f.path FROM rejects r JOIN files f ON f.id = r.file_id ORDER BY f.path, record_index`);
    const ids = (await c.all(`SELECT eventID FROM events ORDER BY eventID`)).map((x) => String(x.eventID));
    return { r, db, files, rejects, ids };
  } finally {
    c.close();
  }
}

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const noTempNames = (text: string) => expect(text).not.toMatch(/normalized-\d|keytrail-[A-Za-z0-9]{6}/);

describe('one record, not the file', () => {
  it('a {"Records":[...]} file nested 100,000 deep (plain and gzip) crashes nothing: its deep record is rejected, the rest and the files beside it load', async () => {
    const d = tmpDir();
    const [a, b, c] = records(3);
    const text = `{"Records":[${JSON.stringify(a)},${JSON.stringify({ ...b, requestParameters: 'D' }).replace('"D"', deep(100_000))},${JSON.stringify(c)}]}`;
    write(path.join(d, 'ev/deep.json'), text);
    write(path.join(d, 'ev/deep.json.gz'), zlib.gzipSync(text.replace(/"eventID":"/g, '"eventID":"gz-')));
    write(path.join(d, 'ev/good.json.gz'), s3File(records(2)));
    const { r, files, rejects } = await load(path.join(d, 'ev'));
    expect(r.status, r.stderr).toBe(0);
    expect(files.get('good.json.gz')).toMatchObject({ status: 'ingested', events: 2 });
    for (const f of ['deep.json', 'deep.json.gz']) expect(files.get(f), f).toMatchObject({ status: 'partial', events: 2, rejected_records: 1 });
    expect(rejects.map((x) => x.reason)).toEqual([1, 2].map(() => 'line 1, record 2: nested more than 512 levels deep (100001 at least): not loaded'));
  });

  it('a record nested 10,000 deep in JSON Lines and in a lookup-events page is rejected with its depth; the others load', async () => {
    const d = tmpDir();
    const good = records(6);
    // (built as text: JSON.parse itself overflows V8's stack at this depth)
    const deepRecord = JSON.stringify({ ...record(), requestParameters: 'D' }).replace('"D"', deep(10_000));
    const lines = [JSON.stringify(good[0]), JSON.stringify(good[1]), deepRecord, JSON.stringify(good[2])];
    write(path.join(d, 'ev/a.ndjson'), `${lines.join('\n')}\n`);
    const page = JSON.parse(lookupPage([good[3]!, good[4]!, good[5]!]));
    page.Events[1].CloudTrailEvent = JSON.stringify({ ...good[4], requestParameters: 'D' }).replace('"D"', deep(10_000));
    write(path.join(d, 'ev/lookup.json'), JSON.stringify(page, null, 2));
    const { r, files, rejects, ids } = await load(path.join(d, 'ev'));
    expect(r.status, r.stderr).toBe(0);
    expect(files.get('a.ndjson')).toMatchObject({ status: 'partial', events: 3, rejected_records: 1 });
    expect(rejects.find((x) => String(x.path).endsWith('a.ndjson'))!.reason).toMatch(
      /^line 3: nested more than 512 levels deep \(10\d{3} at least\): not loaded$/,
    );
    expect(files.get('lookup.json')).toMatchObject({ events: 2, rejected_records: 1 });
    expect(ids).toEqual([good[0], good[1], good[2], good[3], good[5]].map((x) => String(x!.eventID)).sort());
  });

  it('a record over the size limit (70 MB of JSON, the default limit is 64 MiB) is rejected alone, with its size; its neighbours load', async () => {
    const d = tmpDir();
    const good = records(3);
    const big = JSON.stringify({ ...record(), requestParameters: { blob: 'x'.repeat(70 * 10 ** 6) } });
    write(path.join(d, 'ev/big.ndjson'), [JSON.stringify(good[0]), big, JSON.stringify(good[1]), JSON.stringify(good[2])].join('\n'));
    const { r, files, rejects, ids } = await load(path.join(d, 'ev'));
    expect(r.status, r.stderr).toBe(0);
    noTempNames(r.stderr);
    expect(files.get('big.ndjson')).toMatchObject({ status: 'partial', events: 3, rejected_records: 1 });
    expect(rejects[0]!.reason).toMatch(/^line 2: 66\.\d MiB, over the 64\.0 MiB limit for one record: not loaded$/);
    expect(ids).toEqual(good.map((x) => String(x.eventID)).sort());
  }, 120_000);

  it('a lone surrogate escape (\\ud800): the record loads with U+FFFD in its place and the file says so; no temporary file is named', async () => {
    const d = tmpDir();
    const [a, b, c, e] = records(4);
    const text = JSON.stringify({ Records: [a, { ...b, userAgent: 'PLACEHOLDER' }, c] }).replace('PLACEHOLDER', 'x\\ud800y\\udc00z\\\\ud800');
    write(path.join(d, 'ev/s3.json'), text);
    write(
      path.join(d, 'ev/lines.ndjson'),
      [JSON.stringify(e), JSON.stringify({ ...c, eventID: 'other', userAgent: 'P' }).replace('"P"', '"\\udbff"')].join('\n'),
    );
    const { r, db, files } = await load(path.join(d, 'ev'));
    expect(r.status, r.stderr).toBe(0);
    noTempNames(r.stderr);
    expect(files.get('s3.json')).toMatchObject({ status: 'partial', events: 3 });
    expect(files.get('s3.json')!.reason).toMatch(
      /1 record\(s\) held \\u escapes that are no character \(lone surrogates\), each written as U\+FFFD \(first: record 2\)/,
    );
    expect(files.get('lines.ndjson')).toMatchObject({ status: 'partial', events: 2 });
    const q = cli([
      'query',
      `SELECT userAgent FROM events WHERE eventID = '${String(b!.eventID)}' OR eventID = 'other' ORDER BY 1`,
      '--db',
      db,
      '--format',
      'json',
    ]);
    expect(JSON.parse(q.stdout)).toEqual([{ userAgent: 'x\ufffdy\ufffdz\\ud800' }, { userAgent: '\ufffd' }]);
  });

  it('a byte that is not UTF-8 costs the record it is in: the records before and after it load', async () => {
    const d = tmpDir();
    const good = records(5);
    const lines = good.map((x) => Buffer.from(`${JSON.stringify(x)}\n`));
    lines[2] = Buffer.from(`${JSON.stringify({ ...good[2], userAgent: 'BAD-BYTE' })}\n`);
    lines[2]![lines[2]!.indexOf('BAD-BYTE')] = 0xff;
    write(path.join(d, 'ev/bytes.ndjson'), Buffer.concat(lines));
    const s3 = Buffer.from(JSON.stringify({ Records: records(3).map((x, i) => (i === 1 ? { ...x, userAgent: 'BAD-BYTE' } : x)) }));
    s3[s3.indexOf('BAD-BYTE')] = 0xc3; // a lead byte with no continuation
    write(path.join(d, 'ev/s3.json'), s3);
    const { r, files, rejects } = await load(path.join(d, 'ev'));
    expect(r.status, r.stderr).toBe(0);
    expect(files.get('bytes.ndjson')).toMatchObject({ status: 'partial', events: 4, rejected_records: 1 });
    expect(files.get('s3.json')).toMatchObject({ status: 'partial', events: 2, rejected_records: 1 });
    for (const x of rejects) expect(x.reason).toMatch(/: it holds bytes that are not UTF-8 text \(or a NUL byte\): not loaded$/);
  });

  it('an empty or blank eventID is no eventID: rejected, and two such records are not one "duplicate"', async () => {
    const d = tmpDir();
    // Blank is what DuckDB's trim removes (Unicode space separators, U+3000 and U+00A0 among them);
    // an id with anything else in it (a tab, a letter after a space) is an id.
    const ids = ['', '', '   ', '\u3000\u00a0', ' x', '\tx'];
    write(path.join(d, 'ev/a.json'), JSON.stringify({ Records: [...ids.map((eventID) => record({ eventID })), record()] }));
    const { files, rejects } = await load(path.join(d, 'ev'));
    expect(files.get('a.json')).toMatchObject({ status: 'partial', events: 3, duplicates: 0, rejected_records: 4 });
    expect(rejects.map((x) => x.reason)).toEqual([
      'record 1: eventID "" is empty (every CloudTrail record has one)',
      'record 2: eventID "" is empty (every CloudTrail record has one)',
      'record 3: eventID "   " is empty (every CloudTrail record has one)',
      'record 4: eventID "\u3000\u00a0" is empty (every CloudTrail record has one)',
    ]);
  });
});

describe('gzip as gzip -d reads it', () => {
  it('bytes after a complete gzip member are a note, not a rejection; a second member is read too', async () => {
    const d = tmpDir();
    const [a, b, c, e] = records(4);
    write(path.join(d, 'ev/s3.json.gz'), Buffer.concat([s3File([a, b]), Buffer.from('trailing text\n')]));
    write(
      path.join(d, 'ev/lines.ndjson.gz'),
      Buffer.concat([zlib.gzipSync(`${JSON.stringify(c)}\n`), zlib.gzipSync(`${JSON.stringify(e)}\n`), Buffer.from([0, 0, 0, 0, 0, 0])]),
    );
    const { r, files, ids } = await load(path.join(d, 'ev'), ['--strict']);
    expect(r.status, r.stderr).toBe(0);
    expect(files.get('s3.json.gz')).toMatchObject({
      status: 'ingested',
      events: 2,
      reason: '14 B after the end of the gzip data ignored (trailing garbage, as gzip -d ignores it)',
    });
    expect(files.get('lines.ndjson.gz')).toMatchObject({
      status: 'ingested',
      events: 2,
      reason: '6 B after the end of the gzip data ignored (trailing garbage, as gzip -d ignores it)',
    });
    expect(ids).toEqual([a, b, c, e].map((x) => String(x!.eventID)).sort());
  });

  it('a member whose data is corrupt is still an error (the records before it kept)', async () => {
    const d = tmpDir();
    const first = zlib.gzipSync(
      `${records(3)
        .map((x) => JSON.stringify(x))
        .join('\n')}\n`,
    );
    const second = Buffer.from(
      zlib.gzipSync(
        `${records(3)
          .map((x) => JSON.stringify(x))
          .join('\n')}\n`,
      ),
    );
    second.fill(0x55, 20, 60);
    write(path.join(d, 'ev/two.ndjson.gz'), Buffer.concat([first, second]));
    const { files } = await load(path.join(d, 'ev'));
    expect(files.get('two.ndjson.gz')).toMatchObject({ status: 'partial', events: 3 });
    expect(files.get('two.ndjson.gz')!.reason).toMatch(/gzip data is corrupt/);
  });
});

describe('numbers and keys as written', () => {
  it('numbers past double precision or range are stored exactly as written, on the S3 path and the JSON Lines path alike', async () => {
    const d = tmpDir();
    // (A decimal with more digits than a double holds, 0.1000000000000000055511151231257827, DuckDB's
    // JSON reader stores as 0.1 on every path: a limit of the engine, the same for every input shape.)
    const numbers = '{"big":9007199254740993,"huge":1e999,"neg":-123456789012345678901234567890,"fine":0.25}';
    const [a, b] = [record(), record()];
    write(path.join(d, 'ev/s3.json'), JSON.stringify({ Records: [{ ...a, requestParameters: 'N' }] }).replace('"N"', numbers));
    write(path.join(d, 'ev/lines.ndjson'), `${JSON.stringify({ ...b, requestParameters: 'N' }).replace('"N"', numbers)}\n`);
    const { db, ids } = await load(path.join(d, 'ev'));
    expect(ids.length).toBe(2);
    const q = cli(['query', 'SELECT requestParameters::VARCHAR AS p FROM events', '--db', db, '--format', 'jsonl']);
    expect(
      q.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).p),
    ).toEqual([numbers, numbers]);
    // ...and every output writes them back as written: JSON, JSON Lines, records, tables.
    for (const format of ['json', 'jsonl', 'table', 'csv']) {
      const out = cli(['query', 'SELECT requestParameters FROM events', '--db', db, '--format', format]).stdout;
      // (a table cuts cells at 60 characters: the first two numbers are within them)
      for (const n of ['9007199254740993', '1e999', ...(format === 'table' ? [] : ['-123456789012345678901234567890'])])
        expect(out, `${format} ${n}`).toContain(n);
    }
    const rec = cli(['events', '--db', db, '--format', 'jsonl']).stdout;
    expect(rec.match(/"requestParameters":\{"big":9007199254740993,"huge":1e999,/g)?.length).toBe(2);
  });

  it('a duplicate key reads the same on every path: the first value, and the record is flagged', async () => {
    const d = tmpDir();
    const [a, b] = [record(), record()];
    const dup = (r: Record<string, unknown>) => JSON.stringify(r).replace('"awsRegion":"us-east-1"', '"awsRegion":"us-east-1","awsRegion":"eu-west-1"');
    write(path.join(d, 'ev/s3.json'), `{"Records":[${dup(a)}]}`);
    write(path.join(d, 'ev/lines.ndjson'), `${dup(b)}\n`);
    const { db, files } = await load(path.join(d, 'ev'));
    const q = cli(['query', 'SELECT awsRegion, duplicate_keys FROM events ORDER BY eventID', '--db', db, '--format', 'jsonl']);
    expect(
      q.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([1, 2].map(() => ({ awsRegion: 'us-east-1', duplicate_keys: ['awsRegion'] })));
    // The rebuilt record writes the field once, with the value read; the second is in no column and no extra field.
    const rebuilt = cli(['events', '--db', db, '--format', 'jsonl']).stdout;
    expect(rebuilt.match(/"awsRegion":"us-east-1"/g)?.length).toBe(2);
    expect(rebuilt).not.toContain('eu-west-1');
    for (const f of ['s3.json', 'lines.ndjson']) {
      expect(files.get(f)).toMatchObject({ status: 'partial', events: 1 });
      expect(files.get(f)!.reason).toBe(
        '1 record(s) write a field twice (duplicate JSON keys: awsRegion): the first value is the one read, the other is not kept; they are flagged in events.duplicate_keys',
      );
    }
  });
});

describe('a document of any size streams', () => {
  it('a {"Records":[...]} document read by the record reader is read record by record (a cut one keeps every whole record before the cut)', async () => {
    const d = tmpDir();
    const recs = records(400);
    const text = JSON.stringify({ Records: recs }, null, 2);
    // Cut inside the 301st record: the 300 before it are whole.
    write(path.join(d, 'ev/cut.json'), text.slice(0, text.indexOf(String(recs[300]!.eventID)) + 10));
    const db = path.join(tmpDir(), 'case.duckdb');
    await ingest([path.join(d, 'ev')], { db });
    const c = await CaseDb.open(db, { readOnly: true });
    const [f] = (await c.all(`SELECT status, events, rejected_records, reason FROM files`)) as Row[];
    const n = Number((await c.all(`SELECT count(*) AS n FROM events`))[0]!.n);
    c.close();
    expect(f).toMatchObject({ status: 'partial', rejected_records: 1 });
    expect(n).toBe(300);
    expect(f!.reason).toMatch(/the file ends inside its list of records: it is truncated/);
  });

  it('300 MiB of spaces inside {"Records":[ ]} (a 300 KB gzip), four times: each rejected as a bomb in bounded time, the good file loads', async () => {
    const d = tmpDir();
    const bomb = zlib.gzipSync(Buffer.concat([Buffer.from('{"Records":['), Buffer.alloc(300 << 20, 0x20), Buffer.from(']}')]), { level: 9 });
    expect(bomb.length).toBeLessThan(400_000);
    // Four different files (a second gzip member each, so no two share a sha256).
    for (let i = 0; i < 4; i++) write(path.join(d, `ev/bomb-${i}.json.gz`), Buffer.concat([bomb, zlib.gzipSync(String(i))]));
    write(path.join(d, 'ev/good.json.gz'), s3File(records(3)));
    const before = sha256(path.join(d, 'ev/bomb-0.json.gz'));
    const t = performance.now();
    const { r, files } = await load(path.join(d, 'ev'));
    expect((performance.now() - t) / 1000).toBeLessThan(60);
    expect(r.status, r.stderr).toBe(0);
    expect(files.get('good.json.gz')).toMatchObject({ status: 'ingested', events: 3 });
    for (let i = 0; i < 4; i++) {
      expect(files.get(`bomb-${i}.json.gz`)!.status).toBe('rejected');
      expect(files.get(`bomb-${i}.json.gz`)!.reason).toMatch(/expands beyond 256\.0 MiB when decompressed/);
    }
    expect(sha256(path.join(d, 'ev/bomb-0.json.gz'))).toBe(before);
    fs.rmSync(path.join(d, 'ev'), { recursive: true });
  }, 120_000);
});
