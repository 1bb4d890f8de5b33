/**
 * records-scan.ts's scanRecords in WebAssembly (native/records-scan, built by
 * scripts/records-scan-wasm.mjs): the same verdicts, in well under half the time. The scan runs on
 * every byte of every file a probe reads, and in TypeScript it was most of examining: 6.6-7.1 s of
 * one core for the 1.44 GB of a 1M-event export, against 2.6-2.8 s in WebAssembly (strings, most
 * of a CloudTrail file, skipped 16 bytes at a time; keys compared 16 bytes at a time).
 *
 * Each thread instantiates the module once. Its memory holds the text and then the masks, so it
 * grows to three times the largest text scanned; texts above WASM_MAX_TEXT are scanned in
 * TypeScript, which keeps that memory small. Where WebAssembly cannot run, every scan is the
 * TypeScript one.
 */
import { RECORDS_SCAN_WASM } from './records-scan-wasm-bytes.js';
import { keyTable, scanRecords, typedReads, type RecordsScan } from './records-scan.js';

/** The largest text scanned in WebAssembly: S3 files are a few MB; the module's memory stays below 3x this. */
export const WASM_MAX_TEXT = 16 << 20;

interface Exports {
  memory: WebAssembly.Memory;
  heap_start(): number;
  init(ptr: number, len: number): number;
  scan(text: number, n: number, stopAt: number, masks: number, cap: number): number;
  result_max(): number;
  result_masks(): number;
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

/** scanRecords' result for `b`, computed in WebAssembly when it can be. */
export function scanText(b: Buffer, stopAt: number): RecordsScan {
  const m = b.length <= WASM_MAX_TEXT ? wasmModule() : null;
  if (m !== null)
    try {
      const scan = wasmScan(m, b, stopAt);
      if (scan) return scan;
    } catch {
      // The memory could not grow (or the module trapped): the TypeScript scan gives the same verdict.
    }
  return scanRecords(b, stopAt);
}

/** The scan in WebAssembly; undefined when its room for masks ran out (it cannot: a record takes two bytes at least). */
function wasmScan({ ex, base }: Module, b: Buffer, stopAt: number): RecordsScan | undefined {
  const n = b.length;
  const cap = (n >> 1) + 1;
  const masksAt = (base + n + 15) & ~15;
  ensure(ex.memory, masksAt + cap * 4);
  new Uint8Array(ex.memory.buffer, base, n).set(b);
  const flags = ex.scan(base, n, stopAt, masksAt, cap);
  if (flags & OVERFLOW) return undefined;
  const max = ex.result_max();
  if (flags & STOPPED) return { max, stopped: true, single: false };
  const out: RecordsScan = { max, stopped: false, single: (flags & SINGLE) !== 0 };
  if (flags & CLEAN && typedReads.enabled) out.masks = Array.from(new Int32Array(ex.memory.buffer, masksAt, ex.result_masks()));
  return out;
}
