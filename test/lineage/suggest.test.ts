/** lineage --suggest on the sample incident: the leaked key ranks first, with its reasons; clean keys do not appear. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, tmpDir } from '../helpers.js';

const truth = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples/leaked-key/truth.json'), 'utf8'));
let db: string;

beforeAll(() => {
  db = path.join(tmpDir(), 'case.duckdb');
  expect(cli(['ingest', path.join(ROOT, 'samples/leaked-key/evidence'), '--db', db, '--quiet']).status).toBe(0);
});

describe('keytrail lineage --suggest', () => {
  it('ranks the leaked key first, for the reasons a responder would give, and leaves the clean keys out', () => {
    const r = cli(['lineage', '--suggest', '--db', db, '--format', 'json']);
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as { accessKeyId: string; owner: string; score: number; reasons: string[]; firstSuspicious: string }[];
    expect(list[0]).toMatchObject({ accessKeyId: truth.leakedKey, owner: `user/${truth.leakedKeyUser}`, firstSuspicious: '2026-10-14T03:02:11Z' });
    const reasons = list[0]!.reasons.join('\n');
    expect(reasons).toContain(`first use from ${truth.attackerIps[0]} at 2026-10-14T03:02:11Z`);
    expect(reasons).toMatch(/IAM change\(s\) .* from that new address/);
    expect(reasons).toMatch(/GetCallerIdentity at 2026-10-14T03:02:11Z from that new address, then \d+ List\/Describe\/Get calls/);
    expect(reasons).toContain('python-requests');
    // Every key listed is one the attacker held: the corporate users' keys show none of the signs.
    const attackerKeys = new Set<string>(truth.attackerAccessKeys);
    expect(list.every((s) => attackerKeys.has(s.accessKeyId))).toBe(true);
    const text = cli(['lineage', '--suggest', '--db', db]).stdout;
    expect(text).toContain(`1. ${truth.leakedKey}`);
    expect(text).toContain(`then: keytrail lineage --key ${truth.leakedKey}`);
  });

  it('only prints a ranked list: other formats are a usage error', () => {
    const r = cli(['lineage', '--suggest', '--db', db, '--format', 'dot']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--suggest prints a ranked list/);
  });
});
