/**
 * records-scan.ts's scanRecords in WebAssembly (native/records-scan, built by
 * scripts/records-scan-wasm.mjs): the same verdicts, in a fifth of the time. The scan runs on every
 * byte of every file a probe reads, and in TypeScript it was most of examining: 6.6-7.1 s of one
 * core for the 1.44 GB of a 1M-event export, against 2.6-2.7 s in WebAssembly walking the text byte
 * by byte (strings skipped 16 bytes at a time), and 1.3-1.4 s now that it reads it as simdjson's
 * stage 1 does: bitmasks of 64 bytes at a time list the brackets and keys, the state machine runs on
 * that list only, and each key is first compared with the one that came after the last one (the
 * text copied in and scanned; the scan alone 2.4 s before, 1.1-1.2 s now).
 *
 * A clean text's lines (record-lines.ts) are made there too, from the text the scan has just read:
 * 0.28 s for those 1.44 GB, against 3.9 s in TypeScript.
 *
 * Each thread instantiates the module once. Its memory holds the text, then each record's mask and
 * end, then the lines, so it grows to under six times the largest text scanned; texts above
 * WASM_MAX_TEXT are scanned in TypeScript, which keeps that memory small. Where WebAssembly cannot
 * run, every scan is the TypeScript one.
 */
import { linesBuffer } from './line-buffers.js';
import { RECORDS_SCAN_WASM } from './records-scan-wasm-bytes.js';
import { LINE_EXTRA, recordLines, worthLines, type RecordLines } from './record-lines.js';
import { keyTable, scanRecords, typedReads, type RecordsScan } from './records-scan.js';

/** The largest text scanned in WebAssembly: S3 files are a few MB; the module's memory stays below 6x this. */
export const WASM_MAX_TEXT = 16 << 20;

interface Exports {
  memory: WebAssembly.Memory;
  heap_start(): number;
  init(ptr: number, len: number): number;
  scan(text: number, n: number, stopAt: number, masks: number, cap: number): number;
  result_max(): number;
  result_masks(): number;
  lines(text: number, n: number, pairs: number, count: number, out: number, cap: number): number;
  result_longest(): number;
}

// scan()'s flags (native/records-scan/src/lib.rs).
const STOPPED = 1;
const SINGLE = 2;
const CLEAN = 4;
const OVERFLOW = 8;

interface Module {
  ex: Exports;
  /** Where the text goes. */
  base: number;
}

/** Undefined until first asked; null where WebAssembly could not run it. */
let module: Module | null | undefined;

function ensure(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
}

function instantiate(): Module | null {
  try {
    const ex = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(RECORDS_SCAN_WASM, 'base64')), {}).exports as unknown as Exports;
    const base = ex.heap_start();
    const table = keyTable();
    ensure(ex.memory, base + table.length);
    new Uint8Array(ex.memory.buffer, base, table.length).set(table);
    return ex.init(base, table.length) === 1 ? { ex, base } : null;
  } catch {
    // No WebAssembly SIMD here (or none at all): the TypeScript scan gives the same verdicts.
    return null;
  }
}

/** The WebAssembly module of this thread, or null when scans run in TypeScript. */
export function wasmModule(): Module | null {
  if (module === undefined) module = instantiate();
  return module;
}

/** A scan, and with `lines` asked for, a clean text's lines (record-lines.ts) when it has them. */
export type TextScan = RecordsScan & { lines?: RecordLines };

/** scanRecords' result for `b` (and recordLines' with `lines`), computed in WebAssembly when it can be. */
export function scanText(b: Buffer, stopAt: number, lines = false): TextScan {
  const m = b.length <= WASM_MAX_TEXT ? wasmModule() : null;
  if (m !== null)
    try {
      const scan = wasmScan(m, b, stopAt, lines);
      if (scan) return scan;
    } catch {
      // The memory could not grow (or the module trapped): the TypeScript scan gives the same verdict.
    }
  const scan: TextScan = scanRecords(b, stopAt);
  if (lines && scan.masks && scan.ends) {
    const made = recordLines(b, scan.masks, scan.ends);
    if (made) scan.lines = made;
  }
  return scan;
}

/** The scan in WebAssembly; undefined when its room for masks ran out (it cannot: a record takes three bytes at least, its comma counted). */
function wasmScan({ ex, base }: Module, b: Buffer, stopAt: number, lines: boolean): TextScan | undefined {
  const n = b.length;
  // Each record's mask and end, a pair of i32.
  const cap = 2 * (Math.floor(n / 3) + 2);
  const masksAt = (base + n + 15) & ~15;
  ensure(ex.memory, masksAt + cap * 4);
  new Uint8Array(ex.memory.buffer, base, n).set(b);
  const flags = ex.scan(base, n, stopAt, masksAt, cap);
  if (flags & OVERFLOW) return undefined;
  const max = ex.result_max();
  if (flags & STOPPED) return { max, stopped: true, single: false };
  const out: TextScan = { max, stopped: false, single: (flags & SINGLE) !== 0 };
  if (flags & CLEAN && typedReads.enabled) {
    const count = ex.result_masks();
    const pairs = new Int32Array(ex.memory.buffer, masksAt, 2 * count);
    const masks = new Array<number>(count);
    const ends = new Array<number>(count);
    for (let k = 0; k < count; k++) {
      masks[k] = pairs[2 * k]!;
      ends[k] = pairs[2 * k + 1]!;
    }
    out.masks = masks;
    out.ends = ends;
    if (lines && worthLines(n, count)) {
      // The lines after the pairs, which they replace with each line's file id offset (lib.rs `lines`).
      const room = n + count * LINE_EXTRA;
      const outAt = (masksAt + cap * 4 + 15) & ~15;
      ensure(ex.memory, outAt + room);
      const length = ex.lines(base, n, masksAt, count, outAt, room);
      if (length >= 0) {
        const text = linesBuffer(length);
        text.set(new Uint8Array(ex.memory.buffer, outAt, length));
        out.lines = { text, idAt: new Int32Array(ex.memory.buffer.slice(masksAt, masksAt + count * 4)), longest: ex.result_longest() };
      }
    }
  }
  return out;
}
