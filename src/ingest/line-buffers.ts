/**
 * Memory for clean files' lines (record-lines.ts), used again once the lines are written (issue 19).
 * Each file's lines were made in memory of their own, posted to the main thread, written to a
 * staging file and dropped: 1.44 GB for the 1,382 files of a 1M-event export, each buffer new to
 * V8, which collected the old ones with a full mark-compact for every ~50 MB that arrived (30 of
 * them, and their concurrent marking: 1.5-1.8 s of CPU while the files were examined, measured with
 * --trace-gc and perf). Now the stager gives each written buffer back (giveBack), the probe pool
 * sends it to a worker with its next job (takeSpare), and the worker makes the next file's lines in
 * it (linesBuffer). Without workers the same buffers go round on this thread.
 *
 * A buffer is given back only once nothing reads it: after its lines are written (staging.ts).
 */

/** Buffers are made in whole MiB, so that one fits the next file's lines (S3 files are a few MB). */
const STEP = 1 << 20;
/**
 * Lines shorter than this get memory of their own size, never a spare's: 100,000 small S3 files
 * (a few KB each) given a whole MiB each took 27.7 s to examine the first 50,000 instead of 6.6 s,
 * the kernel clearing pages that were never used.
 */
const SMALL = STEP / 4;
/** A larger buffer is not kept: one big file's lines must not stay in memory for the rest of the run. */
const MAX_KEPT_BYTES = 8 << 20;
/** Buffers kept on a thread at most. */
const MAX_SPARE = 8;

/** This thread's buffers waiting to be used again. */
const spare: ArrayBuffer[] = [];

/** Memory for `length` bytes of lines: a spare buffer that holds them, or a new one. */
export function linesBuffer(length: number): Buffer {
  if (length < SMALL) return Buffer.allocUnsafeSlow(length);
  const i = spare.findIndex((b) => b.byteLength >= length);
  if (i >= 0) return Buffer.from(spare.splice(i, 1)[0]!, 0, length);
  // Not cleared: the lines fill the first `length` bytes, and nothing reads past them.
  return Buffer.allocUnsafeSlow(Math.ceil(length / STEP) * STEP).subarray(0, length);
}

/** Lines' memory that nothing reads any more, kept to be used again (a large one, or past MAX_SPARE, is left to the collector). */
export function giveBack(memory: ArrayBuffer): void {
  if (memory.byteLength >= STEP && memory.byteLength <= MAX_KEPT_BYTES && spare.length < MAX_SPARE && !spare.includes(memory)) spare.push(memory);
}

/** Up to `max` spare buffers, taken from this thread to go to a worker with its next job (or dropped: see BatchPipeline.run). */
export function takeSpare(max: number): ArrayBuffer[] {
  return spare.splice(0, max);
}
