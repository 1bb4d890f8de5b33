/**
 * Issue 16 point 2: what a lab records about the tool. `keytrail --version` prints keytrail's
 * version, DuckDB's and the SHA-256 of the built-in rule pack; the digest changes with any byte or
 * name of the pack; every report states the same line.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { folderDigest, provenance } from '../src/provenance.js';
import { BUILTIN_RULES } from '../src/rules/detect.js';
import { cli, record, s3File, tmpDir, write } from './helpers.js';

describe('provenance', () => {
  it('keytrail --version names keytrail, DuckDB and the rule pack digest', () => {
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    const p = provenance();
    expect(r.stdout.trim()).toBe(`keytrail ${pkg.version}, DuckDB ${p.duckdb}, built-in rules sha256:${p.rules.sha256} (${p.rules.files} files)`);
    expect(p.duckdb).toMatch(/^v\d+\.\d+\.\d+/);
    expect(p.rules.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.rules.files).toBeGreaterThan(50);
  });

  it('the digest follows every byte and every name of the pack', () => {
    const copy = path.join(tmpDir(), 'rules');
    fs.cpSync(BUILTIN_RULES, copy, { recursive: true });
    const same = folderDigest(copy);
    expect(same).toEqual(provenance().rules);
    const one = path.join(copy, 'recon', 'attempts-refused.yml');
    fs.appendFileSync(one, ' ');
    const changed = folderDigest(copy);
    expect(changed.sha256).not.toBe(same.sha256);
    fs.renameSync(one, path.join(copy, 'recon', 'attempts-refused-2.yml'));
    expect(folderDigest(copy).sha256).not.toBe(changed.sha256);
  });

  it('every report states it, and the rules the run loaded with their digests', () => {
    const d = tmpDir();
    const key = 'AKIAPROVENANCEKEY001';
    const who = { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/ci', accountId: '111122223333', accessKeyId: key, userName: 'ci' };
    write(
      path.join(d, 'ev/a.json.gz'),
      s3File([record({ userIdentity: who, eventName: 'CreateUser', readOnly: false, requestParameters: { userName: 'x' } })]),
    );
    // An updated pack copied in beside the case (README: "On an air-gapped machine"), run instead of the built-in one.
    const mine = path.join(d, 'rules-update');
    fs.cpSync(BUILTIN_RULES, mine, { recursive: true });
    fs.appendFileSync(path.join(mine, 'recon', 'attempts-refused.yml'), '# updated\n');
    const out = path.join(d, 'case');
    const r = cli(['investigate', path.join(d, 'ev'), '--key', key, '--out', out, '--no-builtin', '--rules', mine]);
    expect(r.status, r.stderr).toBe(0);
    const p = provenance();
    const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(json.provenance).toEqual(p);
    const digest = folderDigest(mine);
    expect(digest.sha256).not.toBe(p.rules.sha256);
    expect(json.rulesRun).toEqual([{ path: mine, ...digest }]);
    const line = `Made with keytrail ${pkg.version}, DuckDB ${p.duckdb}, built-in rules sha256:${p.rules.sha256} (${p.rules.files} files); rules run: ${mine} sha256:${digest.sha256} (${digest.files} files).`;
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8').replaceAll('\\', '')).toContain(line);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain(`rules run: ${mine} sha256:${digest.sha256}`);

    // The built-in pack alone is named as such; one rule file's digest is its bytes'.
    const one = path.join(mine, 'recon', 'attempts-refused.yml');
    const again = cli(['report', '--db', path.join(out, 'keytrail.duckdb'), '--key', key, '--format', 'json', '--rules', one]);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).rulesRun).toEqual([
      { path: 'built-in', ...p.rules },
      { path: one, sha256: createHash('sha256').update(fs.readFileSync(one)).digest('hex'), files: 1 },
    ]);
    const md = cli(['report', '--db', path.join(out, 'keytrail.duckdb'), '--key', key, '--format', 'md']);
    expect(md.stdout).toContain('; rules run: the built-in pack.');
  });
});
