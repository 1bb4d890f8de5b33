/**
 * The shipped evidence set (samples/leaked-key, made by scripts/generate-samples.mjs) loads as its
 * ground truth (truth.json) says: every file accounted for, the lookup-events overlap collapsed,
 * and keytrail never opens a network connection doing it (ARCHITECTURE.md section 8).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, cli, tmpDir } from './helpers.js';

const SAMPLE = path.join(ROOT, 'samples/leaked-key/evidence');
const truth = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples/leaked-key/truth.json'), 'utf8'));

describe('samples/leaked-key', () => {
  it('ingests as truth.json says: distinct events, overlap collapsed, digests skipped', () => {
    const db = path.join(tmpDir(), 'case.duckdb');
    const r = cli(['ingest', SAMPLE, '--db', db, '--json']);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    const c = truth.counts;
    expect(s.events).toBe(c.distinctEvents);
    expect(s.duplicates).toBe(c.overlap);
    expect(s.files).toEqual({ ingested: c.eventFiles + 1, partial: 0, skipped: c.digestFiles + c.signatureFiles, 'duplicate-file': 0, rejected: 0 });
    const regions = JSON.parse(cli(['query', 'SELECT DISTINCT awsRegion FROM events ORDER BY 1', '--db', db, '--format', 'json']).stdout);
    expect(regions.map((x: { awsRegion: string }) => x.awsRegion)).toEqual([...c.regions].sort());
    const leaked = JSON.parse(cli(['events', '--key', truth.leakedKey, '--event', 'CreateUser', '--db', db, '--format', 'json']).stdout);
    const created = truth.createdUsers.map((u: { eventID: string }) => u.eventID);
    expect(leaked.map((e: { eventID: string }) => e.eventID).filter((id: string) => created.includes(id))).toEqual(created);
  });

  it('runs with no network at all (unshare -n): ingest, files, query, events, export, detect, rules test', () => {
    const probe = spawnSync('unshare', ['-n', 'true']);
    expect(probe.status, 'unshare -n must work here (root on these machines): it is how offline operation is proven').toBe(0);
    const d = tmpDir();
    const db = path.join(d, 'case.duckdb');
    const run = (args: string[]) => {
      const r = spawnSync('unshare', ['-n', process.execPath, CLI, ...args], { encoding: 'utf8' });
      // Every command must succeed; when one does not, what it said is the first thing to read.
      expect({ args: args.slice(0, 3), status: r.status, signal: r.signal, stderr: r.status === 0 ? '' : r.stderr }).toEqual({
        args: args.slice(0, 3),
        status: 0,
        signal: null,
        stderr: '',
      });
      return r;
    };
    run(['ingest', SAMPLE, '--db', db, '--quiet']);
    run(['files', '--db', db]);
    const q = run(['query', 'SELECT count(*) AS n FROM events', '--db', db, '--format', 'json']);
    expect(JSON.parse(q.stdout)).toEqual([{ n: truth.counts.distinctEvents }]);
    expect(run(['events', '--key', truth.leakedKey, '--db', db, '--format', 'jsonl']).stdout.trim().split('\n').length).toBeGreaterThan(10);
    run(['export', '--format', 'parquet', '-o', path.join(d, 'pq'), '--db', db]);
    expect(fs.readdirSync(path.join(d, 'pq')).filter((x) => x.startsWith('region=')).length).toBe(truth.counts.regions.length);
    const findings = JSON.parse(run(['detect', '--db', db, '--format', 'json']).stdout) as { eventIDs: string[] }[];
    expect(findings.map((f) => f.eventIDs[0])).toContain(truth.createdUsers[0].eventID);
    run(['rules', 'test']);
  });
});
