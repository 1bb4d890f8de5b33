/**
 * remediation.sh over hostile evidence: every field the script uses, fuzzed with newlines, CR, NUL,
 * quotes, $(...), backticks, `;`, `#`, U+2028/2029, terminal sequences and long values. Run as
 * shipped it does nothing; run with every command uncommented it calls aws-cli with no value a
 * shape check refused, and still nothing else runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { printable } from '../../src/escape.js';
import { KINDS, command, arg } from '../../src/report/shell.js';
import { LEAKED, SHELL_FIELDS, SHELL_PAYLOADS, writeShellEvidence, type Planted } from '../fixtures/hostile.js';
import { cli, tmpDir } from '../helpers.js';

let script: string;
let text: string;
let planted: Planted[];

beforeAll(() => {
  const d = tmpDir();
  planted = writeShellEvidence(path.join(d, 'ev'));
  const r = cli(['investigate', path.join(d, 'ev'), '--key', LEAKED, '--out', path.join(d, 'case')]);
  expect(r.status, r.stderr).toBe(0);
  script = path.join(d, 'case/remediation.sh');
  text = fs.readFileSync(script, 'utf8');
}, 120_000);

/** Everything a run left in a folder, recursively. */
const contents = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });

/** A folder with a fake `aws` that records each call (arguments NUL-separated) outside the sandbox. */
function fakeAws(): { bin: string; log: string } {
  const d = tmpDir();
  const bin = path.join(d, 'bin');
  const log = path.join(d, 'aws-calls.log');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'aws'), `#!/bin/bash\nprintf '%s\\0' "$@" >> '${log}'\nprintf '\\n' >> '${log}'\n`, { mode: 0o755 });
  return { bin, log };
}

describe('remediation.sh over evidence that fuzzes every field it uses', () => {
  it('every planted record reached the script (the fuzz is not vacuous)', () => {
    expect(planted.length).toBe(Object.keys(SHELL_FIELDS).length * SHELL_PAYLOADS.length);
    for (const p of planted) {
      if (p.field.startsWith('CreateAccessKey')) continue; // Step 1 names the key, not the event
      expect(text, `${p.field} ${JSON.stringify(p.payload.slice(0, 30))}`).toContain(printable(p.eventID));
    }
  });

  it('has no control character and no line separator anywhere: each line is one line', () => {
    expect(text.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/gu) ?? []).toEqual([]);
    const lines = text.split('\n').filter((l) => l.trim() && !l.startsWith('#!'));
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual(['set -euo pipefail']);
  });

  it('bash -n passes', () => {
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('run as shipped in an empty folder: nothing runs, nothing is created', () => {
    const sandbox = tmpDir();
    const { bin, log } = fakeAws();
    const r = spawnSync('bash', [script], { cwd: sandbox, encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, HOME: sandbox } });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
    expect(contents(sandbox)).toEqual([]);
    expect(fs.existsSync(log)).toBe(false);
  });

  it('every command uncommented: only aws runs, nothing is created, no refused value is an argument', () => {
    const sandbox = tmpDir();
    const { bin, log } = fakeAws();
    const commands = text
      .split('\n')
      .filter((l) => l.startsWith('# aws '))
      .map((l) => l.slice(2));
    expect(commands.length).toBeGreaterThan(20);
    const all = path.join(tmpDir(), 'all.sh');
    fs.writeFileSync(all, `${['set -euo pipefail', ...commands].join('\n')}\n`);
    const r = spawnSync('bash', [all], { cwd: sandbox, encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, HOME: sandbox, NEW_PASSWORD: 'x' } });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
    expect(contents(sandbox)).toEqual([]);
    const calls = fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((c) => c.split('\0').slice(0, -1));
    expect(calls.length).toBe(commands.length);
    for (const args of calls) {
      for (const a of args) {
        expect(a, args.join(' ')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
        expect(a.length).toBeLessThan(1000);
        // A payload that is a valid value of its kind (a key pair name may be any printable ASCII) arrives whole, as one argument.
        if (a.includes('pwned')) expect(SHELL_PAYLOADS, args.join(' ')).toContain(a);
      }
    }
  });

  it('each value in an argument position that AWS would refuse is withheld in a note, shown escaped', () => {
    const lines = text.split('\n');
    for (const p of planted.filter((x) => SHELL_FIELDS[x.field]!.arg && !x.field.startsWith('CreateAccessKey'))) {
      const line = lines.find((l) => l.includes(printable(p.eventID)));
      // A quote-only payload may be a valid name for some kinds (a key pair name is any printable ASCII): then it is one quoted word.
      if (line?.startsWith('# aws ')) expect(p.payload, `${p.field}: ${line}`).toMatch(/^[\x20-\x7e]+$/);
      // A creation removed later in the evidence (the fuzz deletes what it creates) needs nothing: one comment, no argument.
      else expect(line, `${p.field} ${JSON.stringify(p.payload.slice(0, 30))}`).toMatch(/^# (value withheld: |review |\(nothing to do\) )/);
    }
    expect(text).toContain('# value withheld: not a valid IAM user name (AWS allows [\\w+=,.@-], 1-64 characters): "x\\ntouch pwned-lf"');
  });

  it('the keys of Step 1: a forged access key id or owner is withheld, not passed to update-access-key', () => {
    const step1 = text.slice(text.indexOf('# ---- Step 1'), text.indexOf('# ---- Step 2')).split('\n');
    for (const p of planted.filter((x) => x.field.startsWith('CreateAccessKey'))) {
      const bad = printable(p.payload).slice(0, 40);
      const hits = step1.filter((l) => l.includes(bad));
      expect(hits.length, p.field).toBeGreaterThan(0);
      for (const h of hits) expect(h, p.field).not.toMatch(/^# aws /);
    }
  });
});

describe('shell.ts: command() and the kinds', () => {
  it('passes a value of its kind as one quoted word; refuses anything else, naming the kind and what AWS allows', () => {
    expect(command`aws iam delete-user --user-name ${arg('user', 'svc-backup')}`).toBe(`aws iam delete-user --user-name 'svc-backup'`);
    expect(command`aws ec2 delete-key-pair --key-name ${arg('keyPair', "k'; x")} --region ${arg('region', 'eu-west-1')}`).toBe(
      `aws ec2 delete-key-pair --key-name 'k'\\''; x' --region 'eu-west-1'`,
    );
    expect(command`aws iam delete-user --user-name ${arg('user', 'a;b')}`).toBe(
      'value withheld: not a valid IAM user name (AWS allows [\\w+=,.@-], 1-64 characters): "a;b"',
    );
    expect(command`aws iam delete-user --user-name ${arg('user', null)}`).toBe('value withheld: the event names no IAM user name');
    expect(command`x ${arg('user', 'a'.repeat(200))}`).toMatch(/^value withheld: not a valid IAM user name .*"a{119}…"$/);
  });

  it('accepts the shapes AWS documents and nothing around them', () => {
    const good: [keyof typeof KINDS, string][] = [
      ['region', 'us-gov-west-1'],
      ['region', 'ap-southeast-5'],
      ['instance', 'i-0123456789abcdef0'],
      ['instance', 'i-1234abcd'],
      ['securityGroup', 'sg-0a1b2c3d4e5f60718'],
      ['spotRequest', 'sir-8d5y6h7k'],
      ['spotFleet', 'sfr-0e9f7a2c-3b4d-4e5f-8a9b-0c1d2e3f4a5b'],
      ['policyArn', 'arn:aws:iam::aws:policy/AdministratorAccess'],
      ['policyArn', 'arn:aws:iam::111122223333:policy/team/ops-read'],
      ['accessKey', 'AKIAIOSFODNN7EXAMPLE'],
      ['function', 'miner'],
      ['function', 'arn:aws:lambda:eu-west-1:111122223333:function:miner:$LATEST'],
      ['sesIdentity', 'promo@example.com'],
      ['sesIdentity', 'mail.example.com'],
      ['trail', 'management-events'],
      ['trail', 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org'],
    ];
    for (const [k, v] of good) expect(KINDS[k].shape.test(v), `${k} ${v}`).toBe(true);
    const bad: [keyof typeof KINDS, string][] = [
      ['region', 'eu-west-1\n'],
      ['region', 'eu-west-1; x'],
      ['instance', 'i-0123456789abcdef0 '],
      ['accessKey', 'AKIA$(x)'],
      ['user', 'a b'],
      ['policyArn', 'arn:aws:iam::aws:policy/x\ny'],
      ['sesIdentity', 'a@b`x`'],
      ['trail', "t'rail"],
      ['function', 'f\u2028'],
    ];
    for (const [k, v] of bad) expect(KINDS[k].shape.test(v), `${k} ${JSON.stringify(v)}`).toBe(false);
  });
});
