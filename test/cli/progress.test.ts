/** The ingest progress bar's words (cli/progress.ts): what it says while files are read and while a batch loads. */
import { describe, expect, it } from 'vitest';
import { progressPhase } from '../../src/cli/progress.js';

const base = { filesDone: 10, filesTotal: 40, events: 0, filesLoaded: 0, batchesLoaded: 0, loading: null };

describe('progressPhase', () => {
  it('reading, loading a batch (its step, and for how long once a second has passed), and batches loaded', () => {
    expect(progressPhase(base)).toBe('reading files');
    expect(progressPhase({ ...base, loading: { batch: 1, files: 1425, step: 'reading', seconds: 0 } })).toBe('loading batch 1 (1,425 files): reading');
    expect(progressPhase({ ...base, loading: { batch: 3, files: 700, step: 'inserting events', seconds: 74 } })).toBe(
      'loading batch 3 (700 files): inserting events, 74 s',
    );
    expect(progressPhase({ ...base, batchesLoaded: 2, events: 5 })).toBe('2 batches loaded');
    expect(progressPhase({ ...base, batchesLoaded: 1, events: 5 })).toBe('1 batch loaded');
  });
});
