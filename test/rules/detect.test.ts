/** detect and rules test through the real CLI, on the sample incident and on hostile rule files. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, tmpDir, write } from '../helpers.js';

const truth = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples/leaked-key/truth.json'), 'utf8'));
let db: string;

beforeAll(() => {
  db = path.join(tmpDir(), 'case.duckdb');
  expect(cli(['ingest', path.join(ROOT, 'samples/leaked-key/evidence'), '--db', db, '--quiet']).status).toBe(0);
});

const rule = (id: string, body: string) => `title: Test rule ${id}
id: ${id}
logsource:
    product: aws
    service: cloudtrail
${body}`;

describe('keytrail detect', () => {
  it('finds the sample incident with the built-in pack, in time order, as ARCHITECTURE.md section 6 says', () => {
    const r = cli(['detect', '--db', db, '--format', 'json']);
    expect(r.status).toBe(0);
    const findings = JSON.parse(r.stdout) as { rule: { id: string; level: string }; eventIDs: string[]; eventTime: string; summary: string }[];
    const ids = findings.map((f) => f.eventIDs[0]);
    expect(ids).toContain(truth.createdUsers[0].eventID);
    expect(ids).toContain(truth.createdAccessKeys[0].eventID);
    expect(findings.map((f) => f.eventTime)).toEqual([...findings.map((f) => f.eventTime)].sort());
    expect(Object.keys(findings[0]!).sort()).toEqual(
      ['accessKeyId', 'awsRegion', 'eventIDs', 'eventName', 'eventSource', 'eventTime', 'principal', 'rule', 'sourceIPAddress', 'summary'].sort(),
    );
    expect(findings.find((f) => f.eventIDs[0] === truth.createdUsers[0].eventID)!.summary).toBe(
      `arn:aws:iam::111122223333:user/ci-deploy created IAM user ${truth.createdUsers[0].userName}`,
    );
    const stored = JSON.parse(cli(['query', 'SELECT count(*) AS n FROM findings', '--db', db, '--format', 'json']).stdout);
    expect(stored).toEqual([{ n: findings.length }]);
  });

  it('--min-level and --fail-on', () => {
    const high = JSON.parse(cli(['detect', '--db', db, '--format', 'json', '--min-level', 'high']).stdout) as { rule: { level: string } }[];
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((f) => f.rule.level === 'high' || f.rule.level === 'critical')).toBe(true);
    expect(cli(['detect', '--db', db, '--fail-on', 'high', '--format', 'jsonl']).status).toBe(1);
    expect(cli(['detect', '--db', db, '--fail-on', 'critical', '--format', 'jsonl']).status).toBe(0);
  });

  it('a rule with an error is skipped, named with file:line, and the others run; --strict stops the run (exit 2)', () => {
    const d = tmpDir();
    write(`${d}/bad.yml`, rule('55555555-5555-4555-8555-555555555555', "detection:\n    sel:\n        eventName|re: '(x'\n    condition: sel\n"));
    const r = cli(['detect', '--db', db, '--rules', d, '--format', 'jsonl']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^skipped: .*bad\.yml:\d+: \[55555555-5555-4555-8555-555555555555\] detection: invalid regular expression/);
    expect(r.stderr).toContain("1 rule(s) skipped: run 'keytrail rules validate' for the list");
    // The built-in pack ran: the sample incident's findings are there.
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(5);
    const strict = cli(['detect', '--db', db, '--rules', d, '--no-builtin', '--strict']);
    expect(strict.status).toBe(2);
    expect(strict.stderr).toMatch(/bad\.yml:\d+: \[55555555-5555-4555-8555-555555555555\] detection: invalid regular expression/);
    expect(strict.stderr).toContain('--strict: 1 error(s) in the rules, so none ran');
  });
  it('runs a pack with warnings, leaves out deprecated and unsupported rules and --exclude ids, and says so', () => {
    const d = tmpDir();
    const gci = 'detection:\n    sel:\n        eventName: GetCallerIdentity\n    condition: sel\nlevel: high\n';
    write(`${d}/warn.yml`, rule('66666666-6666-6666-6666-666666666666', `falsepositives:\nreferences:\n${gci}`));
    write(`${d}/dep.yml`, rule('77777777-7777-4777-8777-777777777777', `status: deprecated\n${gci}`));
    write(`${d}/uns.yml`, rule('88888888-8888-4888-8888-888888888888', `status: unsupported\n${gci}`));
    write(`${d}/excluded.yml`, rule('99999999-9999-4999-8999-999999999999', gci));
    const exclude = write(`${d}/../exclude_rules.txt`, '99999999-9999-4999-8999-999999999999 # noisy in this account\n');
    const ids = (stdout: string) =>
      [
        ...new Set(
          stdout
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l).rule.id as string),
        ),
      ].sort();
    const r = cli(['detect', '--db', db, '--rules', d, '--no-builtin', '--exclude', exclude, '--format', 'jsonl']);
    expect(r.status).toBe(0);
    expect(ids(r.stdout)).toEqual(['66666666-6666-6666-6666-666666666666']);
    expect(r.stderr.split('\n').slice(0, 2)).toEqual([
      "3 warning(s) in the rules (those rules run): 'keytrail rules validate' lists them",
      'rule(s) left out: 1 deprecated (--include-deprecated to run them), 1 unsupported (--include-unsupported to run them), 1 by --exclude',
    ]);
    const all = cli(['detect', '--db', db, '--rules', d, '--no-builtin', '--include-deprecated', '--include-unsupported', '--format', 'jsonl']);
    expect(ids(all.stdout)).toEqual([
      '66666666-6666-6666-6666-666666666666',
      '77777777-7777-4777-8777-777777777777',
      '88888888-8888-4888-8888-888888888888',
      '99999999-9999-4999-8999-999999999999',
    ]);
    // list says which rules and correlations have no findings of their own (a correlation's base, an inner correlation).
    write(
      `${d}/nested.yml`,
      `title: Outer\nid: aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\ncorrelation:\n    type: event_count\n    rules: [burst]\n    timespan: 1d\n    condition: {gte: 2}\n---\n` +
        `title: Burst\nname: burst\ncorrelation:\n    type: event_count\n    rules: [${'66666666-6666-6666-6666-666666666666'}]\n    timespan: 10m\n    condition: {gte: 3}\n`,
    );
    const list = cli(['rules', 'list', d]);
    expect(list.status).toBe(0);
    const kinds = Object.fromEntries(
      list.stdout
        .split('\n')
        .filter((l) => /^[\w-]+ {2}/.test(l))
        .map((l) => [l.split(/ {2,}/)[0], l.split(/ {2,}/)[1]]),
    );
    expect(kinds).toMatchObject({
      '66666666-6666-6666-6666-666666666666': 'base (no findings of its own)',
      burst: 'event_count (inner: no findings of its own)',
      'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa': 'event_count',
      '77777777-7777-4777-8777-777777777777': 'event',
    });
    fs.rmSync(`${d}/nested.yml`);
    // validate lists the warnings and exits 0: nothing stops those rules.
    const v = cli(['rules', 'validate', d]);
    expect(v.status).toBe(0);
    expect(v.stderr).toContain('warn.yml:6: [66666666-6666-6666-6666-666666666666] warning: falsepositives is empty; left out');
    expect(v.stderr).toContain('warning: id "66666666-6666-6666-6666-666666666666" is a well-formed UUID but not an RFC 4122 one');
    expect(v.stderr.trim().split('\n').at(-1)).toBe(
      '4 rule(s) and 0 correlation(s) load; 0 error(s) in 0 rule(s) (detect skips them), 3 warning(s) (those rules run)',
    );
  });
});

describe('keytrail rules test', () => {
  it('passes for the built-in pack', () => {
    const r = cli(['rules', 'test']);
    expect(r.stderr).toMatch(/ 0 failed/);
    expect(r.status).toBe(0);
  });

  it('fails a rule whose test is wrong, and one without a negative case, naming rule and case', () => {
    const d = tmpDir();
    write(
      `${d}/r.yml`,
      rule(
        '66666666-6666-4666-8666-666666666666',
        `detection:
    sel:
        eventName: CreateUser
    condition: sel
tests:
    - name: wrongly expected
      match: true
      event: {eventName: DeleteUser}
    - name: fine
      match: false
      event: {eventName: ListUsers}
`,
      ) +
        '---\n' +
        rule(
          '77777777-7777-4777-8777-777777777777',
          'detection:\n    sel:\n        eventName: X\n    condition: sel\ntests:\n    - name: only positive\n      match: true\n      event: {eventName: X}\n',
        ),
    );
    const r = cli(['rules', 'test', d]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/r\.yml:1: \[66666666-6666-4666-8666-666666666666\] wrongly expected: should match but did not/);
    expect(r.stderr).toMatch(/\[77777777-7777-4777-8777-777777777777\] \(tests\): has no test that must not match/);
  });
});

describe('keytrail rules test: scenarios (expected.yaml, closed world)', () => {
  it('fails on a listed finding that is missing and on a finding that is not listed, naming rule and line', () => {
    const d = tmpDir();
    const expected = fs.readFileSync(path.join(ROOT, 'samples/leaked-key/expected.yaml'), 'utf8');
    // Drop the CreateUser rule's entry, and claim the GPU rule flags one more event.
    const edited = expected
      .replace(/ {4}2b8c4d6e-0f1a-4b3c-8d5e-7f9a1b2c3d40:\n( {8}#.*\n {8}- .*\n)+/, '')
      .replace(/( {4}d02dfe48-0526-4358-9cd7-b22080c9f446:\n)/, `$1        - ${truth.responder.deactivateLeakedKey}\n`)
      .replace('evidence: evidence', `evidence: ${path.join(ROOT, 'samples/leaked-key/evidence')}`);
    expect(edited).not.toBe(expected);
    write(`${d}/leaked-key/expected.yaml`, edited);
    const r = cli(['rules', 'test', '--samples', d]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `\\[2b8c4d6e-0f1a-4b3c-8d5e-7f9a1b2c3d40\\] scenario leaked-key: flagged ${truth.createdUsers[0].eventID} \\(.*created IAM user svc-backup\\), which expected.yaml does not list \\(the rule has no entry`,
      ),
    );
    expect(r.stderr).toMatch(
      new RegExp(
        `expected\\.yaml:\\d+: \\[d02dfe48-0526-4358-9cd7-b22080c9f446\\] scenario leaked-key: should flag ${truth.responder.deactivateLeakedKey} but did not`,
      ),
    );
    expect(r.stderr).toMatch(/1 scenario\(s\); 2 failed/);
  });

  it('an expected.yaml naming a rule that is not loaded, or with a bad shape, is a failure too', () => {
    const d = tmpDir();
    write(`${d}/s/expected.yaml`, `evidence: ${path.join(ROOT, 'samples/leaked-key/evidence')}\nrules:\n    no-such-rule: []\n`);
    write(`${d}/t/expected.yaml`, 'rules: {x: 5}\n');
    const r = cli(['rules', 'test', '--samples', d]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/s\/expected\.yaml:3: \[no-such-rule\] scenario s: expected\.yaml names this rule, which is not among the rules under test/);
    expect(r.stderr).toMatch(/t\/expected\.yaml:1: \[\(expected\.yaml\)\] scenario t: rules\.x: /);
  });
});
