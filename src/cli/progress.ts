/**
 * The ingest progress bar: on stderr, only when stderr is a terminal and --quiet is not given, so
 * logs and pipes never fill with control characters.
 */
import cliProgress from 'cli-progress';
import type { IngestProgress } from '../ingest/ingest.js';

export function ingestProgress(quiet: boolean): { update(p: IngestProgress): void; stop(): void } {
  if (quiet || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'ingest [{bar}] {value}/{total} files read | {events} events loaded | {rate} events/s',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { events: 0, rate: 0 });
  return {
    update(p) {
      const secs = Math.max((Date.now() - started) / 1000, 0.001);
      bar.setTotal(Math.max(p.filesTotal, 1));
      bar.update(p.filesDone, { events: p.events, rate: Math.round(p.events / secs) });
    },
    stop: () => bar.stop(),
  };
}
