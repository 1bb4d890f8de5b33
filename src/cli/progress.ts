/**
 * The ingest progress bar: on stderr, only when stderr is a terminal and --quiet is not given, so
 * logs and pipes never fill with control characters. The bar counts files read; the words beside it
 * say what the load is doing and for how long, since loading a batch can take most of a run after
 * every file is read.
 */
import cliProgress from 'cli-progress';
import type { IngestProgress } from '../ingest/ingest.js';

const count = (n: number) => n.toLocaleString('en-US');

/** What the run is doing, beside the bar: reading files, loading batch N (its step, for how long), or how many batches are in. */
export function progressPhase(p: IngestProgress): string {
  if (p.loading) {
    const { batch, files, step, seconds } = p.loading;
    return `loading batch ${batch} (${count(files)} files): ${step}${seconds > 0 ? `, ${count(seconds)} s` : ''}`;
  }
  if (p.batchesLoaded > 0) return `${p.batchesLoaded} batch${p.batchesLoaded === 1 ? '' : 'es'} loaded`;
  return 'reading files';
}

/**
 * The bar appears with the first progress and goes with stop(); progress after a stop brings it back
 * (investigate stops it to print a step, then the ingest's progress follows).
 */
export function ingestProgress(quiet: boolean): { update(p: IngestProgress): void; stop(): void } {
  if (quiet || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  let started: number | undefined;
  let shown = false;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'ingest [{bar}] {value}/{total} files read | {phase} | {events} events loaded | {rate} events/s',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    update(p) {
      started ??= Date.now();
      const secs = Math.max((Date.now() - started) / 1000, 0.001);
      const payload = { phase: progressPhase(p), events: count(p.events), rate: count(Math.round(p.events / secs)) };
      if (!shown) bar.start(Math.max(p.filesTotal, 1), p.filesDone, payload);
      shown = true;
      bar.setTotal(Math.max(p.filesTotal, 1));
      bar.update(p.filesDone, payload);
    },
    stop() {
      if (shown) bar.stop();
      shown = false;
    },
  };
}
