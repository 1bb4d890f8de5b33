/**
 * sniff(): one case per detector, in the order they are tried, from probes made in memory (the
 * ingest tests see the same answers through files). Each row: the name, the probe, what sniff says.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HEAD_BYTES, probeBytes, type Probe } from '../../src/ingest/bytes.js';
import { sniff, type Sniffed } from '../../src/ingest/sniff.js';

const probe = (bytes: Buffer | string): Probe => {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  // What the streaming probe gives where the in-memory one cannot judge (a damaged gzip).
  return probeBytes(b, Number.MAX_SAFE_INTEGER) ?? { size: b.length, sha256: '', head: b.subarray(0, HEAD_BYTES), tail: b.subarray(-4) };
};
const bytes = (...xs: number[]) => Buffer.from(xs);
const padded = (head: Buffer, length = 600) => Buffer.concat([head, Buffer.alloc(Math.max(0, length - head.length), 0x61)]);
/** A tar header block: "ustar" at offset 257. */
const tarBlock = () => {
  const b = Buffer.alloc(1024);
  b.write('file.json', 0);
  b.write('ustar', 257, 'latin1');
  return b;
};
const utf16 = (s: string, order: 'le' | 'be', bom: boolean) => {
  const le = Buffer.from(s, 'utf16le');
  const body = order === 'le' ? le : Buffer.from(le).swap16();
  return bom ? Buffer.concat([order === 'le' ? bytes(0xff, 0xfe) : bytes(0xfe, 0xff), body]) : body;
};
const records = '{"Records":[{"eventName":"ListUsers"}]}';
const compressed = (format: string): Sniffed => ({
  kind: 'reject',
  format,
  reason: `${format} compressed data is not supported: decompress it and ingest the result (gzip, zip and tar.gz are read directly)`,
});

const CASES: [string, Probe, string, Sniffed][] = [
  ['.DS_Store', probe(records), 'evidence/.DS_Store', { kind: 'skip', format: 'system', reason: 'operating-system metadata file, not evidence' }],
  ['Thumbs.db', probe(records), 'Thumbs.db', { kind: 'skip', format: 'system', reason: 'operating-system metadata file, not evidence' }],
  ['__MACOSX/', probe(records), 'bundle.zip!/__MACOSX/a.json', { kind: 'skip', format: 'system', reason: 'operating-system metadata file, not evidence' }],
  ['._ resource fork', probe(records), 'x/._a.json', { kind: 'skip', format: 'system', reason: 'operating-system metadata file, not evidence' }],
  ['empty', probe(''), 'a.json', { kind: 'reject', format: 'empty', reason: 'empty file (0 bytes): nothing to read; was the copy or download complete?' }],
  ['zip (local header)', probe(padded(bytes(0x50, 0x4b, 0x03, 0x04))), 'a', { kind: 'zip' }],
  ['zip (empty archive)', probe(padded(bytes(0x50, 0x4b, 0x05, 0x06))), 'a', { kind: 'zip' }],
  ['tar', probe(tarBlock()), 'a', { kind: 'tar', gzip: false }],
  [
    'DuckDB',
    probe(padded(Buffer.concat([Buffer.alloc(8), Buffer.from('DUCK')]))),
    'a',
    { kind: 'skip', format: 'duckdb', reason: 'a DuckDB database (another keytrail case?), not evidence' },
  ],
  ['bzip2', probe(padded(bytes(0x42, 0x5a, 0x68, 0x39))), 'a', compressed('bzip2')],
  ['xz', probe(padded(bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0))), 'a', compressed('xz')],
  ['zstd', probe(padded(bytes(0x28, 0xb5, 0x2f, 0xfd))), 'a', compressed('zstd')],
  ['7z', probe(padded(bytes(0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c))), 'a', compressed('7z')],
  ['rar', probe(padded(Buffer.from('Rar!\x1a\x07', 'latin1'))), 'a', compressed('rar')],
  ['gzip of nothing', probe(zlib.gzipSync('')), 'a.gz', { kind: 'reject', format: 'gzip', reason: 'gzip file that decompresses to nothing' }],
  [
    'damaged gzip header',
    probe(padded(bytes(0x1f, 0x8b, 0x07, 0), 40)),
    'a.gz',
    { kind: 'reject', format: 'gzip', reason: 'gzip data is corrupt (incorrect header check)' },
  ],
  ['tar.gz', probe(zlib.gzipSync(tarBlock())), 'a.tgz', { kind: 'tar', gzip: true }],
  [
    'binary',
    probe(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d)),
    'a',
    {
      kind: 'reject',
      format: 'binary',
      reason: 'binary data, not text (first bytes: 89 50 4e 47 0d 0a 1a 0a); CloudTrail evidence is JSON, JSON Lines or CSV',
    },
  ],
  ['only whitespace', probe(' \n\t \n'), 'a.json', { kind: 'reject', format: 'empty', reason: 'only whitespace: no records' }],
  ['records', probe(` ${records}`), 'a.json', { kind: 'records', gzip: false }],
  ['records, gzip', probe(zlib.gzipSync(records)), 'a.json.gz', { kind: 'records', gzip: true, isize: records.length }],
  [
    'records nested past the native depth',
    probe(`{"Records":[${'['.repeat(1001)}${']'.repeat(1001)}]}`),
    'a.json',
    { kind: 'json', gzip: false, encoding: 'utf-8', bom: false },
  ],
  ['records with a BOM', probe(`\ufeff${records}`), 'a.json', { kind: 'json', gzip: false, encoding: 'utf-8', bom: true }],
  [
    'records that is not a list',
    probe('{"Records": {"eventName": "x"}}'),
    'a.json',
    { kind: 'reject', format: 'json', reason: '"Records" is not a list: a CloudTrail file holds {"Records": [ ...events... ]}' },
  ],
  [
    'digest',
    probe('{"digestStartTime":"2026-10-14T08:00:00Z","digestS3Object":"o","logFiles":[]}'),
    'd.json',
    { kind: 'skip', format: 'cloudtrail-digest', reason: 'CloudTrail-Digest file: integrity hashes of log files, no events' },
  ],
  [
    "a digest's signature beside it (.sig: hex)",
    probe(`${'0a1b'.repeat(128)}\n`),
    'd.json.gz.sig',
    { kind: 'skip', format: 'digest-signature', reason: 'signature of a CloudTrail digest file (x-amz-meta-signature): read by keytrail verify, no events' },
  ],
  [
    "a digest's signature beside it (.head.json: what aws s3api head-object prints)",
    probe('{"ContentType":"application/json","Metadata":{"signature":"0a1b","signature-algorithm":"SHA256withRSA"}}'),
    'd.json.gz.head.json',
    { kind: 'skip', format: 'digest-signature', reason: 'signature of a CloudTrail digest file (x-amz-meta-signature): read by keytrail verify, no events' },
  ],
  ['a .sig file that is not hex is read as any text', probe('not a signature\n'), 'notes.sig', expect.objectContaining({ kind: 'skip', format: 'text' })],
  [
    'digest fields beside Records: JSON for the record reader',
    probe('{"digestStartTime":"x","digestS3Object":"o","Records": 1}'),
    'd.json',
    { kind: 'json', gzip: false, encoding: 'utf-8', bom: false },
  ],
  ['JSON', probe('{"Events":[]}'), 'a.json', { kind: 'json', gzip: false, encoding: 'utf-8', bom: false }],
  ['JSON array', probe('[{"eventName":"x"}]'), 'a.json', { kind: 'json', gzip: false, encoding: 'utf-8', bom: false }],
  ['JSON, UTF-16LE with a BOM', probe(utf16('{"a":1}', 'le', true)), 'a.json', { kind: 'json', gzip: false, encoding: 'utf-16le', bom: true }],
  ['JSON, UTF-16BE with a BOM', probe(utf16('{"a":1}', 'be', true)), 'a.json', { kind: 'json', gzip: false, encoding: 'utf-16be', bom: true }],
  ['JSON, UTF-16LE without a BOM', probe(utf16('{"a":1}', 'le', false)), 'a.json', { kind: 'json', gzip: false, encoding: 'utf-16le', bom: false }],
  ['JSON, UTF-16BE without a BOM', probe(utf16('{"a":1}', 'be', false)), 'a.json', { kind: 'json', gzip: false, encoding: 'utf-16be', bom: false }],
  ['CSV', probe('Event time,Event name\n1,2\n'), 'a.csv', { kind: 'csv', gzip: false, encoding: 'utf-8', bom: false }],
  ['CSV, tab-separated, quoted', probe('"a"\t"b"\n'), 'a.tsv', { kind: 'csv', gzip: false, encoding: 'utf-8', bom: false }],
  ['CSV, one line without a newline', probe('a;b'), 'a.csv', { kind: 'csv', gzip: false, encoding: 'utf-8', bom: false }],
  ['CSV, UTF-8 BOM', probe('\ufeffa,b\n'), 'a.csv', { kind: 'csv', gzip: false, encoding: 'utf-8', bom: true }],
  ['CSV, gzip', probe(zlib.gzipSync('a,b\n1,2\n')), 'a.csv.gz', { kind: 'csv', gzip: true, encoding: 'utf-8', bom: false }],
  [
    'text',
    probe('# Notes\nThe export of 14 October.\n'),
    'README',
    {
      kind: 'skip',
      format: 'text',
      reason: 'text that is neither JSON nor CSV, so not CloudTrail evidence (starts with "# Notes\\nThe export of 14 October.\\n")',
    },
  ],
  [
    'text whose first line has a comma further on',
    probe('-- a, b\n'),
    'notes.txt',
    { kind: 'skip', format: 'text', reason: 'text that is neither JSON nor CSV, so not CloudTrail evidence (starts with "-- a, b\\n")' },
  ],
];

describe('sniff: every detector, in order', () => {
  it.each(CASES)('%s', (_name, p, displayPath, want) => {
    expect(sniff(p, displayPath)).toEqual(want);
  });

  it('an in-memory gzip probe and a head gunzipped from the raw bytes give the same answer', () => {
    const p = probe(zlib.gzipSync(records));
    const { inflatedHead: _, ...streamed } = p;
    expect(sniff(streamed, 'a.json.gz')).toEqual(sniff(p, 'a.json.gz'));
  });
});
