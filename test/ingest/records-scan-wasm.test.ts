/**
 * The scan every probe runs (records-scan.ts) is computed in WebAssembly (native/records-scan,
 * records-scan-wasm.ts): its verdicts decide what DuckDB reads straight into the typed record and
 * which files are too deep for it, so they must be the TypeScript scan's, byte for byte. Both run
 * here on the same texts: edge texts, random ones, real-shaped CloudTrail files (the committed
 * fixtures and the sample's S3 files) and those files damaged one byte at a time, under every
 * depth limit where the scan's bookkeeping changes. The lines of a clean file (record-lines.ts),
 * made in WebAssembly from the text the scan has just read, are compared the same way.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fg from 'fast-glob';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_NATIVE_DEPTH } from '../../src/ingest/bytes.js';
import { RECORDS_SCAN_WASM } from '../../src/ingest/records-scan-wasm-bytes.js';
import { WASM_MAX_TEXT, scanText, wasmModule } from '../../src/ingest/records-scan-wasm.js';
import { recordLines, type RecordLines } from '../../src/ingest/record-lines.js';
import { scanRecords, typedReads } from '../../src/ingest/records-scan.js';
import { FIXTURES, ROOT, SCAN_EDGE_TEXTS, record, seeded } from '../helpers.js';

afterEach(() => {
  typedReads.enabled = true;
});

const rand = seeded(11);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** Lines as compared: their bytes, where each file id goes, the longest. */
const linesView = (l?: RecordLines) => l && { text: l.text.toString('latin1'), idAt: Array.from(l.idAt), longest: l.longest };

/**
 * Both scans of each text under each depth limit, which must agree, and both makers of a clean
 * text's lines (record-lines.ts, lib.rs `lines`); how many texts there were, and how many scans
 * found clean, too deep, or plain enough for lines.
 */
function compare(texts: (string | Buffer)[], stopAts: number[] = [MAX_NATIVE_DEPTH]): { texts: number; clean: number; deep: number; lines: number } {
  let clean = 0;
  let deep = 0;
  let lines = 0;
  for (const t of texts) {
    const b = typeof t === 'string' ? Buffer.from(t) : t;
    for (const stopAt of stopAts) {
      const js = scanRecords(b, stopAt);
      const wasm = scanText(b, stopAt);
      if (JSON.stringify(wasm) !== JSON.stringify(js))
        expect({ text: b.toString('latin1').slice(0, 2000), stopAt, wasm }).toEqual({ text: b.toString('latin1').slice(0, 2000), stopAt, wasm: js });
      const { lines: made, ...scan } = scanText(b, stopAt, true);
      expect(JSON.stringify(scan)).toBe(JSON.stringify(js));
      const reference = js.masks && js.ends ? recordLines(b, js.masks, js.ends) : undefined;
      if (JSON.stringify(linesView(made)) !== JSON.stringify(linesView(reference)))
        expect({ text: b.toString('latin1').slice(0, 2000), stopAt, lines: linesView(made) }).toEqual({
          text: b.toString('latin1').slice(0, 2000),
          stopAt,
          lines: linesView(reference),
        });
      if (js.masks) clean++;
      if (js.stopped) deep++;
      if (reference) lines++;
    }
  }
  return { texts: texts.length, clean, deep, lines };
}

/**
 * lib.rs `scan` run straight on each text (as records-scan-wasm.ts does): it must not trap, which
 * scanText would hide by taking the TypeScript scan's verdict instead.
 */
function scansWithoutTrap(texts: (string | Buffer)[], stopAts: number[]): void {
  const m = wasmModule();
  expect(m).not.toBeNull();
  const { ex, base } = m!;
  for (const t of texts) {
    const b = typeof t === 'string' ? Buffer.from(t) : t;
    const cap = 2 * (Math.floor(b.length / 3) + 2);
    const masksAt = (base + b.length + 15) & ~15;
    const need = masksAt + cap * 4 - ex.memory.buffer.byteLength;
    if (need > 0) ex.memory.grow(Math.ceil(need / 65536));
    new Uint8Array(ex.memory.buffer, base, b.length).set(b);
    for (const stopAt of stopAts) expect(() => ex.scan(base, b.length, stopAt, masksAt, cap)).not.toThrow();
  }
}

/** Real-shaped S3 texts: the fixtures' records as S3 writes them (compact, and pretty-printed), and the sample's S3 files. */
function realTexts(): Buffer[] {
  const out: Buffer[] = [];
  for (const f of fg.sync(['traildiscover/*.json.cloudtrail', 'otrf/*.json'], { cwd: FIXTURES, absolute: true }).sort()) {
    const text = fs.readFileSync(f, 'utf8');
    let records: unknown[];
    try {
      const v: unknown = JSON.parse(text);
      records = Array.isArray(v) ? v : [v];
    } catch {
      records = text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as unknown);
    }
    out.push(Buffer.from(JSON.stringify({ Records: records })), Buffer.from(JSON.stringify({ Records: records.slice(0, 3) }, null, 2)));
  }
  for (const f of fg.sync('samples/leaked-key/evidence/s3/**/*_CloudTrail_*.json.gz', { cwd: ROOT, absolute: true }).sort())
    out.push(zlib.gunzipSync(fs.readFileSync(f)));
  return out;
}

describe('the scan in WebAssembly gives the TypeScript scan’s verdicts', () => {
  it('runs here: the module loads and takes the key table', () => {
    expect(wasmModule()).not.toBeNull();
    // The embedded module is the one the generator wrote from the crate's sources (scripts/records-scan-wasm.mjs).
    const bytes = Buffer.from(RECORDS_SCAN_WASM, 'base64');
    const header = fs.readFileSync(path.join(ROOT, 'src/ingest/records-scan-wasm-bytes.ts'), 'utf8');
    expect(header).toContain(`${bytes.length} bytes, SHA-256 ${crypto.createHash('sha256').update(bytes).digest('hex')}`);
    const source = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(ROOT, 'native/records-scan/src/lib.rs')))
      .digest('hex');
    expect(header, 'native/records-scan/src/lib.rs changed: run node scripts/records-scan-wasm.mjs').toContain(`lib.rs SHA-256 ${source}`);
  });

  it('on edge texts, under every depth limit where its bookkeeping changes', () => {
    const one = (rec: string) => `{"Records":[${rec}]}`;
    const texts = [
      ...SCAN_EDGE_TEXTS,
      '{"Records":[]}',
      '{"Records":[{"eventName":"X"}]}',
      ' {\n "Records" : [ {\n"eventName" : "X" , "userIdentity" : { "type" : "Root" } } ]\n}\n',
      one('{"eventName":"X","foo":1}'),
      one('{"eventName":"X","eventName":"Y"}'),
      one('{"event\\u004eame":"X"}'),
      one('{"EventName":"X"}'),
      one('{"eventVersion":1.08}'),
      one('{"readOnly":"true","managementEvent":false}'),
      one('{"readOnly":1}'),
      one('{"userIdentity":"root"}'),
      one('{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"false"}},"onBehalfOf":{"x":[1,{"y":2}]}}}'),
      one('{"userIdentity":{"sessionContext":{"x":1}}}'),
      one('{"requestParameters":{"foo":{"eventName":1,"eventName":2}},"resources":[{"ARN":"a"}]}'),
      one('{"errorCode":null,"requestParameters":null,"userIdentity":null,"readOnly":null}'),
      one('{"errorCode":nul}'),
      one('{"userAgent":"a\\\\"}'),
      one('{"userAgent":"a\\\\\\"b"}'),
      one(`{"userAgent":"${'\\\\'.repeat(17)}\\"${'x'.repeat(40)}"}`),
      one('{"sessionCredentialFromConsole":"true","recipientAccountId":"1","eventCategory":"Management"}'),
      // A key at the very end of the text: fewer than 32 bytes after its start.
      '{"Records":[{"eventName"',
      '{"Records":[{"eventName":',
      '{"Records":[{"eventName":"',
      '{"Records":[{"eventName":"X"}]',
      '{"Records":[null]}',
      '{"Records":["x"]}',
      '{"Records":[[]]}',
      '{"Records":[],"x":1}',
      '{"Records":{}}',
      '[{"Records":[]}]',
      '{}',
      '{"Records":[]} x',
      '',
      '   ',
      `{"Records":[{"requestParameters":${'['.repeat(70)}${']'.repeat(70)},"eventName":"X"}]}`,
      `{"Records":[{"userIdentity":{"sessionContext":{"sessionIssuer":{"userName":"x"}}},"eventName":"X"}]}`,
      // Clean to the scan, which counts brackets, but not plain around the records: no lines.
      '{"Records":[{"eventName":"X"},]}',
      '{"Records":[,{"eventName":"X"}]}',
      '{"Records":[{"eventName":"X"},,{"eventName":"Y"}]}',
      '{"Records":[{"eventName":"X"}{"eventName":"Y"}]}',
      '{"Records":[{"eventName":"X"}]]',
      '{"Records":[{"eventName":"X"}],}',
      '{"Records":[{"eventName":"X"}}]',
      '{"Records":[{"eventName":"X"]]}',
      '\ufeff{"Records":[{"eventName":"X"}]}',
      '{"Records":[{"eventName":\n"X"}]}',
      '{"Records":[{"eventName":"X",\r"eventSource":"s"}]}',
      // Plain, whitespace where JSON allows it, records on lines of their own: lines.
      ' \r\n{ "Records" :\t[\n{"eventName":"X"} ,\r\n{"eventName":"Y","requestParameters":{"a":[1,{"b":null}]}}\n]\n}\n\n',
      '{"Records":[{}]}',
    ];
    scansWithoutTrap(texts, [0, 1, 2, 3, 4, 5, 6, 63, 64, 65, 66, MAX_NATIVE_DEPTH]);
    const r = compare(texts, [0, 1, 2, 3, 4, 5, 6, 63, 64, 65, 66, MAX_NATIVE_DEPTH]);
    expect(r.clean).toBeGreaterThan(40);
    expect(r.lines).toBeGreaterThan(40);
    expect(r.clean - r.lines).toBeGreaterThan(40);
    expect(r.deep).toBeGreaterThan(100);
  });

  it('on random texts of JSON’s pieces and the record’s keys', () => {
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      '"',
      '\\',
      '\\\\',
      '\\"',
      ',',
      ':',
      ' ',
      '\n',
      'a',
      'null',
      'nul',
      'true',
      'false',
      '1',
      '"Records"',
      '"Records":[',
      '"eventName"',
      '"eventName":"x"',
      '"userIdentity"',
      '"userIdentity":{',
      '"sessionContext":{',
      '"attributes":{"mfaAuthenticated":',
      '"readOnly":',
      '"requestParameters":',
      '"errorCode":null',
      '"recipientAccountId"',
      `"${'y'.repeat(20)}"`,
      `"${'z'.repeat(37)}\\"q"`,
    ];
    const texts: string[] = [];
    for (let i = 0; i < 4000; i++) texts.push(Array.from({ length: 1 + Math.floor(rand() * 60) }, () => pick(pieces)).join(''));
    // Valid-looking files too, so that the clean path runs long: records of the record's fields with random values.
    const values = ['null', '"v"', '"t\\"x"', 'true', 'false', '1', '{}', '[]', '{"a":[1,{"b":null}]}', '"true"'];
    const fields = Object.keys(record());
    for (let i = 0; i < 1500; i++) {
      const recs = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => {
        const keys = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => (rand() < 0.05 ? 'unknownField' : pick(fields)));
        return `{${[...new Set(keys)].map((k) => `"${k}":${pick(values)}`).join(rand() < 0.1 ? ' , ' : ',')}}`;
      });
      texts.push(`{"Records":[${recs.join(',')}]}`);
    }
    scansWithoutTrap(texts, [3, 64, MAX_NATIVE_DEPTH]);
    const r = compare(texts, [3, 64, MAX_NATIVE_DEPTH]);
    expect(r.clean).toBeGreaterThan(100);
  });

  it('on real-shaped CloudTrail files, whole and damaged one byte at a time, with typed reads on and off', () => {
    const texts = realTexts();
    expect(texts.length).toBeGreaterThan(60);
    const whole = compare(texts);
    expect(whole.clean).toBeGreaterThan(30);
    // The compact ones make lines; a pretty-printed record holds line breaks, so those do not.
    expect(whole.lines).toBeGreaterThan(25);
    expect(whole.lines).toBeLessThan(whole.clean);
    const damage = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'n', 'X', '\u00e9'];
    const damaged: Buffer[] = [];
    for (const t of texts)
      for (let k = 0; k < 25; k++) {
        const at = Math.floor(rand() * t.length);
        const piece = Buffer.from(pick(damage));
        damaged.push(rand() < 0.5 ? Buffer.concat([t.subarray(0, at), piece, t.subarray(at)]) : Buffer.concat([t.subarray(0, at), piece, t.subarray(at + 1)]));
      }
    scansWithoutTrap(damaged, [MAX_NATIVE_DEPTH]);
    const r = compare(damaged);
    expect(r.clean).toBeGreaterThan(100);
    expect(r.lines).toBeGreaterThan(50);
    expect(r.clean - r.lines).toBeGreaterThan(50);
    expect(r.texts - r.clean).toBeGreaterThan(100);
    typedReads.enabled = false;
    expect(compare(texts.slice(0, 10)).clean).toBe(0);
  });

  // lib.rs reads the text 64 bytes at a time (quotes, backslashes and brackets as bitmasks, escapes
  // carried from block to block, what is inside a string by a prefix xor), lists the brackets and the
  // keys' opening quotes, and runs the state machine over that list a few thousand events at a time.
  // These texts put each construct at every place in a block, and the list's ends everywhere.

  it('on texts that put every construct at every place in a 64-byte block', () => {
    const texts: string[] = [];
    // Everything after a growing userAgent moves one byte at a time: each bracket, comma, quote and
    // key at every place in a block (positions 63 and 64 among them), with hostile bytes put there too.
    const hostile = ['\\', '\\\\', '\\\\\\', '\\"', '"', '""', '\\\\"', '{', '}', '[', ']', ',', ':', ' ', '\n', 'n', '\u00e9', '\ufeff'];
    for (let k = 0; k < 130; k++) {
      const text = JSON.stringify({
        Records: [
          record({ userAgent: 'u'.repeat(k) }),
          record({ errorCode: null, requestParameters: { a: [1, { b: null, c: 'x\\"y' }], d: '{"e":[]}' }, resources: [{ ARN: 'arn' }] }),
          record({ userIdentity: { type: 'Root', sessionContext: { attributes: { mfaAuthenticated: 'false' } } } }),
        ],
      });
      texts.push(text);
      for (const at of [64 + k, 190 + k, text.length - 70 + (k % 64)]) {
        const piece = hostile[k % hostile.length]!;
        texts.push(text.slice(0, at) + piece + text.slice(at), text.slice(0, at) + piece + text.slice(at + 1));
      }
    }
    // Runs of backslashes (odd and even) across a block's end, in strings and out of them, then a quote.
    for (let k = 52; k < 70; k++)
      for (let r = 1; r <= 6; r++) {
        const run = '\\'.repeat(r);
        const head = `{"Records":[{"eventName":"${'x'.repeat(k - 26)}`;
        texts.push(`${head}${run}"}]}`, `${head}${run}","userAgent":"a"}]}`, `${head}${run}"${run}"}]}`);
        texts.push(`{"Records":[{"eventName":"X"}${' '.repeat(k - 30)}${run},{"eventName":"Y"}]}`);
        texts.push(`{"Records":[{"eventName":"X",${' '.repeat(k - 30)}${run}"eventSource":"s"}]}`);
        texts.push(`${' '.repeat(k)}${run}{"Records":[]}`, `{"Records":[]}${' '.repeat(k - 14)}${run}`);
        texts.push(`{"Records":[{"requestParameters":{"a":${' '.repeat(k - 40)}${run}"b"}}]}`);
      }
    // Backslashes and quotes outside strings, wherever the state machine looks at them.
    texts.push(
      '\\{"Records":[]}',
      '{"Records":[]}\\',
      '{"Records":[]}"',
      '{"Records":[]}\\"',
      '{\\"Records":[]}',
      '{"Records"\\:[]}',
      '{"Records":\\[]}',
      '{"Records":[\\]}',
      '{"Records":[\\{"eventName":"X"}]}',
      '{"Records":[{"eventName":"X"}\\]}',
      '{"Records":[{\\"eventName":"X"}]}',
      '{"Records":[{"eventName"\\:"X"}]}',
      '{"Records":[{"eventName":\\"X"}]}',
      '{"Records":[{"eventName":"X"\\}]}',
      '{"Records":[{"eventName":"X"\\"}]}',
      '{"Records":[{"eventName":"X",\\\\"eventSource":"s"}]}',
      '{"Records":[{"eventName":"X"},\\{"eventName":"Y"}]}',
      '{"Records":[{"requestParameters":{"a":\\"b"}}]}',
      '"\\',
      '"\\"',
      '\\',
      '"',
    );
    // A key twice in an object, around a struct field's object or a JSON value that closes between them.
    const one = (rec: string) => `{"Records":[${rec}]}`;
    texts.push(
      one('{"eventName":"X","userIdentity":{"type":"T"},"eventName":"Y"}'),
      one('{"eventName":"X","requestParameters":{"a":{"b":[1]}},"eventName":"Y"}'),
      one('{"userIdentity":{"type":"T","sessionContext":{"attributes":{"mfaAuthenticated":"x"}},"type":"U"}}'),
      one('{"userIdentity":{"sessionContext":{"sessionIssuer":{"type":"R"},"attributes":{},"sessionIssuer":{}}}}'),
      one('{"userIdentity":{"type":"T"},"userIdentity":{"type":"T"}}'),
      `{"Records":[{"eventName":"X"},{"eventName":"X","userIdentity":{"type":"T"}},{"userIdentity":{"type":"T"},"eventName":"X"}]}`,
    );
    // Strings over many blocks, with escapes; keys too long for one block's compare, or for any.
    const long = (k: number) => `${'s'.repeat(k)}\\"${'t'.repeat(k)}\\\\${'v'.repeat(k)}`;
    for (const k of [16, 31, 32, 33, 63, 64, 65, 200, 1000])
      texts.push(
        `{"Records":[{"userAgent":"${long(k)}","eventName":"X"}]}`,
        `{"Records":[{"userAgent":"${long(k)}`,
        `{"Records":[{"${'k'.repeat(k)}":"x"}]}`,
        `{"Records":[{"requestParameters":{"${long(k)}":["${long(k)}"]},"eventName":"X"}]}`,
      );
    // Every prefix of a clean text: the last block short by every count, a quote or a bracket last.
    const whole = JSON.stringify({ Records: [record(), record({ requestParameters: { a: [{ b: 1 }] } })] });
    for (let n = 0; n <= whole.length; n++) texts.push(whole.slice(0, n));
    // Whitespace where JSON allows it around a key's colon and value, and between records.
    const spacing: [string, string][] = [
      ['": "', ','],
      ['" :"', ', '],
      ['":\t"', ' ,'],
      ['" : \r\n "', ',\n'],
      ['":"', ' , '],
    ];
    for (const [around, between] of spacing)
      texts.push(
        `{"Records":[{"eventName${around}X","userIdentity${around.replace(/"$/, '')}{"type${around}Root"}}${between}{"eventName${around}Y","readOnly${around.replace(/"$/, '')}true}]}`,
      );
    scansWithoutTrap(texts, [3, 64, MAX_NATIVE_DEPTH]);
    const r = compare(texts, [3, 64, MAX_NATIVE_DEPTH]);
    expect(r.clean).toBeGreaterThan(400);
    expect(r.lines).toBeGreaterThan(300);
    expect(r.texts - r.clean / 3).toBeGreaterThan(1000);
  });

  it('on texts of many thousands of events: the list of events ends everywhere in a record', () => {
    const texts: Buffer[] = [];
    for (let filler = 0; filler < 40; filler++) {
      // Records of a few dozen to a few hundred events each, so that each list's end falls at another
      // place; their struct fields three deep, and JSON values as deep holding objects with keys.
      const recs = Array.from({ length: 90 }, (_, i) =>
        record({
          requestParameters: {
            list: Array.from({ length: (i * 7 + filler) % 53 }, (_, j) => (j % 3 ? [j, 'x'] : { k: j, l: null })),
            a: { b: Array.from({ length: (i * 3 + filler) % 11 }, (_, j) => ({ k: j, l: [j, { m: 'x', n: {} }] })) },
          },
          ...(i % 5 === 0 ? { errorCode: null, resources: [{ ARN: 'a' }, { ARN: 'b' }] } : {}),
          ...(i % 7 !== 3
            ? { userIdentity: { type: 'Root', sessionContext: { sessionIssuer: { type: 'Role', userName: 'r' }, attributes: { mfaAuthenticated: 'true' } } } }
            : {}),
        }),
      );
      const text = JSON.stringify({ Records: recs });
      texts.push(Buffer.from(text));
      if (filler % 8 === 0) {
        // Damaged deep inside: a key unknown, a key twice, a string where a record is due, cut short.
        texts.push(Buffer.from(text.replace(/"eventName"/g, (m, at: number) => (at > text.length * 0.9 ? '"eventNam"' : m))));
        texts.push(Buffer.from(text.slice(0, Math.floor(text.length * 0.7))));
        texts.push(Buffer.from(`${text.slice(0, -2)},"x"]}`));
      }
    }
    // A JSON value of thousands of brackets (and nesting), where a list ends inside it; deeper than MAX_NATIVE_DEPTH once.
    for (const depth of [1, 60, 70, 300, 900, 1001]) {
      const deep = `${'['.repeat(depth)}${'[1,{"a":"b"}],'.repeat(700)}0${']'.repeat(depth)}`;
      texts.push(Buffer.from(`{"Records":[${JSON.stringify(record())},{"requestParameters":${deep},"eventName":"X"},${JSON.stringify(record())}]}`));
    }
    const events = (t: Buffer) => t.toString('latin1').replace(/[^{}[\]"]/g, '').length;
    expect(Math.min(...texts.slice(0, 5).map(events))).toBeGreaterThan(10000);
    scansWithoutTrap(texts, [64, MAX_NATIVE_DEPTH]);
    const r = compare(texts, [64, MAX_NATIVE_DEPTH]);
    expect(r.clean).toBeGreaterThan(80);
    expect(r.deep).toBeGreaterThan(1);
  });

  it('a text above WASM_MAX_TEXT (scanned in TypeScript, to keep the module’s memory small) gets the same verdict', () => {
    const rec = JSON.stringify(record({ requestParameters: { policy: 'x'.repeat(4000) } }));
    const big = Buffer.from(`{"Records":[${Array.from({ length: Math.ceil(WASM_MAX_TEXT / rec.length) + 1 }, () => rec).join(',')}]}`);
    expect(big.length).toBeGreaterThan(WASM_MAX_TEXT);
    const s = scanText(big, MAX_NATIVE_DEPTH);
    expect(s.masks?.length).toBe(Math.ceil(WASM_MAX_TEXT / rec.length) + 1);
    expect(s).toEqual(scanRecords(big, MAX_NATIVE_DEPTH));
  });
});
