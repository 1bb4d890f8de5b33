/**
 * Ctrl-C during a long run (ingest, investigate). The first asks the run to stop through an
 * AbortSignal: it interrupts the statement running, lets the batch loading roll back, and ends with
 * an error that says what the case kept (exit 130). Should the run not have stopped within a grace
 * period, or on a second Ctrl-C, the process ends at once with what the last progress said: the case
 * keeps every batch committed (DuckDB drops an unfinished transaction when it next opens the case),
 * and the temporary folder left behind is removed by the next run.
 */
import type { IngestProgress } from '../ingest/ingest.js';
import { EXIT } from './exit.js';

const GRACE_MS = 15_000;

export interface Interruptible {
  signal: AbortSignal;
  /** The latest progress, for what is said should the process have to end at once. */
  progress(p: IngestProgress): void;
  /** Ctrl-C ends the process the usual way again. */
  dispose(): void;
}

/** `onStop`: called on the first Ctrl-C, before anything is said (the progress bar goes). */
export function interruptible(db: string, onStop: () => void): Interruptible {
  const controller = new AbortController();
  let last: IngestProgress | undefined;
  let asked = false;
  let grace: NodeJS.Timeout | undefined;
  const now = () => {
    const kept = last?.filesLoaded
      ? `${last.filesLoaded} file(s) fully loaded (${last.events} new event(s)) are in the case ${db}`
      : `the case ${db} keeps what it held`;
    process.stderr.write(`keytrail: interrupted: stopped at once; ${kept}. Run the same command again: the rest is loaded\n`);
    process.exit(EXIT.INTERRUPTED);
  };
  const handler = () => {
    if (asked) return now();
    asked = true;
    onStop();
    process.stderr.write('keytrail: stopping (Ctrl-C again to stop at once)...\n');
    controller.abort();
    grace = setTimeout(now, GRACE_MS).unref();
  };
  process.on('SIGINT', handler);
  return {
    signal: controller.signal,
    progress: (p) => {
      last = p;
    },
    dispose: () => {
      process.off('SIGINT', handler);
      clearTimeout(grace);
    },
  };
}
