/**
 * The JSON splitter alone: what pieces each shape of text gives, that a wrapper's records come out
 * as they stream (a document is never held whole), and the bounds on one piece.
 */
import { describe, expect, it } from 'vitest';
import { JsonSplitter, type Piece } from '../../src/ingest/json-values.js';

/** All pieces of `text` fed in chunks of `size` characters. */
function split(text: string, size = 7, limits?: ConstructorParameters<typeof JsonSplitter>[0]): Piece[] {
  const s = new JsonSplitter(limits);
  const out: Piece[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...s.push(text.slice(i, i + size)));
  return [...out, ...s.end()];
}
const brief = (p: Piece) =>
  p.kind === 'item' || p.kind === 'value' || p.kind === 'junk'
    ? `${p.kind}@${p.line}:${p.text}`
    : p.kind === 'oversize'
      ? `oversize@${p.line}:${p.why}`
      : `${p.kind}:${p.wrapper}${p.kind === 'close' && p.unterminated ? ' (cut)' : ''}`;

describe('JsonSplitter', () => {
  it('a CloudTrail file: its records one by one, as written', () => {
    const text = '{"Records": [\n {"eventID": "a", "n": 1e999},\n {"eventID": "b\\"}", "x": [1, {"y": "]"}]}\n]}';
    expect(split(text).map(brief)).toEqual([
      'open:Records',
      'item@2:{"eventID": "a", "n": 1e999}',
      'item@3:{"eventID": "b\\"}", "x": [1, {"y": "]"}]}',
      'close:Records',
    ]);
  });

  it('lookup-events pages appended in one file, a JSON array with scalars, JSON Lines, junk', () => {
    const text = '{"Events":[{"EventId":"1"}],"NextToken":"t"}{"Events":[]}\n[{"a":1}, 2, "s", true]\n{"eventID":"c"}\n{"eventID":"d"}\nnot json\n';
    expect(split(text, 5).map(brief)).toEqual([
      'open:Events',
      'item@1:{"EventId":"1"}',
      'close:Events',
      'open:Events',
      'close:Events',
      'open:array',
      'item@2:{"a":1}',
      'item@2:2',
      'item@2:"s"',
      'item@2:true',
      'close:array',
      'value@3:{"eventID":"c"}',
      'value@4:{"eventID":"d"}',
      'junk@5:not json',
    ]);
  });

  it('a JSON Lines line whose string never closes ends at its newline; the next lines are read', () => {
    expect(split('{"eventID":"a"}\n{"eventName": "Trunc\n{"eventID":"b"}\n').map(brief)).toEqual([
      'value@1:{"eventID":"a"}',
      'value@2:{"eventName": "Trunc',
      'value@3:{"eventID":"b"}',
    ]);
    expect(split('{"eventName": "Trunc\n')[0]).toMatchObject({ kind: 'value', broken: true });
  });

  it('a cut document: the whole records, the cut one, and the wrapper marked cut', () => {
    expect(split('{"Records":[{"eventID":"a"},{"eventID":"b"').map(brief)).toEqual([
      'open:Records',
      'item@1:{"eventID":"a"}',
      'item@1:{"eventID":"b"',
      'close:Records (cut)',
    ]);
  });

  it('a piece deeper or longer than its bounds is not kept (its head is), and reading goes on', () => {
    const deep = `{"Records":[{"x":${'['.repeat(50)}${']'.repeat(50)}},{"eventID":"ok"},{"big":"${'y'.repeat(500)}"},{"eventID":"ok2"}]}`;
    const pieces = split(deep, 64, { maxDepth: 20, maxBytes: 200, headBytes: 16 });
    expect(pieces.map(brief)).toEqual([
      'open:Records',
      'oversize@1:depth',
      'item@1:{"eventID":"ok"}',
      'oversize@1:size',
      'item@1:{"eventID":"ok2"}',
      'close:Records',
    ]);
    expect(pieces[1]).toMatchObject({ depth: 51, head: '{"x":[[[[[[[[[[[' });
    expect(pieces[3]).toMatchObject({ bytes: 510 });
  });

  it('streams: a record comes out in the push that completes it, whatever the document size', () => {
    const s = new JsonSplitter();
    const rec = JSON.stringify({ eventID: 'x', userAgent: 'z'.repeat(1000) });
    expect(s.push('{"Records":[').map((p) => p.kind)).toEqual(['open']);
    for (let i = 0; i < 2000; i++) {
      const got = s.push(`${i ? ',' : ''}${rec}`);
      expect(got.length).toBe(1);
    }
    expect(s.push(']}').map((p) => p.kind)).toEqual(['close']);
  });
});
