/** KEYTRAIL_TRACE=1 prints where an ingest's time goes, on stderr. */
export function tracer(what: string): (step: string) => void {
  if (!process.env.KEYTRAIL_TRACE) return () => undefined;
  let t = performance.now();
  return (step) => {
    const now = performance.now();
    process.stderr.write(`[trace] ${what}: ${step} in ${((now - t) / 1000).toFixed(2)} s\n`);
    t = now;
  };
}
