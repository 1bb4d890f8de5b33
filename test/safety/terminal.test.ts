/**
 * Text for a terminal is text: values from the logs (and names of files inside the evidence) that
 * carry terminal sequences (OSC 0 title, OSC 8 hyperlink, CSI 2J, the one-byte C1 CSI), a forged
 * line, NUL, DEL, bidi overrides or U+2028 reach no command's output raw: every table, tree,
 * message, summary and report.md shows them escaped (`\x1b`, `\n`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { excerpt, jsonText, printable } from '../../src/escape.js';
import { TERMINAL, TERMINAL_PAYLOADS, writeTerminalEvidence } from '../fixtures/hostile.js';
import { cli, tmpDir, write, type CliResult } from '../helpers.js';

/** Every character no terminal output may hold: C0 but the newline that ends a line, DEL, C1, line separators, bidi controls. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const rawIn = (s: string) => [...s].filter((c) => RAW.test(c)).map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);

let d: string;
let db: string;
let evidence: string;
let key: string;
let userName: string;

beforeAll(() => {
  d = tmpDir();
  ({ key, userName } = writeTerminalEvidence(d));
  evidence = path.join(d, `evidence${TERMINAL_PAYLOADS.clear}`);
  db = path.join(d, 'case.duckdb');
  write(
    path.join(d, 'rules/evil.yml'),
    `title: "Evil \\e]0;owned\\a rule \\e[2J"\nid: 0b5d7e0c-8a47-4c7e-9a43-5ad2f0d1c001\nstatus: test\nlevel: high\ndescription: "a user's own rule with a hostile title"\n` +
      `logsource: {product: aws, service: cloudtrail}\ndetection:\n  selection: {eventName: CreateUser}\n  condition: selection\noutput:\n  summary: "user {requestParameters.userName} created"\n`,
  );
}, 60_000);

/** stdout and stderr of one command: no raw control character in either. */
function clean(r: CliResult, what: string): void {
  expect(rawIn(r.stdout), `${what}: stdout`).toEqual([]);
  expect(rawIn(r.stderr), `${what}: stderr`).toEqual([]);
}

describe('every command that prints text, over hostile evidence', () => {
  it('ingest: the summary names the hostile files escaped', () => {
    const r = cli(['ingest', evidence, '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    clean(r, 'ingest');
    expect(r.stderr).toContain(printable(TERMINAL_PAYLOADS.forged.replace(/\r/g, '')));
  });

  it('files, query, events, detect, rules list: tables', () => {
    const runs: [string, string[]][] = [
      ['files', ['files', '--db', db]],
      ['query', ['query', 'SELECT userIdentity.userName AS u, userAgent, errorMessage, requestParameters FROM events', '--db', db]],
      ['events', ['events', '--db', db]],
      ['events --key', ['events', '--key', key, '--db', db, '--errors']],
      ['events --lineage', ['events', '--lineage', '--key', key, '--db', db]],
      ['detect', ['detect', '--db', db, '--rules', path.join(d, 'rules')]],
      ['rules list', ['rules', 'list', path.join(d, 'rules')]],
      ['rules validate', ['rules', 'validate', path.join(d, 'rules')]],
      ['rules compile', ['rules', 'compile', path.join(d, 'rules')]],
    ];
    for (const [what, args] of runs) {
      const r = cli(args);
      expect(r.status, `${what}: ${r.stderr}`).toBe(0);
      clean(r, what);
    }
    // The values came through, escaped: the test is not vacuous.
    const q = cli(['query', "SELECT userIdentity.userName AS u FROM events WHERE userIdentity.userName LIKE 'svc%' LIMIT 1", '--db', db]);
    expect(q.stdout).toContain('svc\\x1b]0;all clear\\x07');
    expect(cli(['detect', '--db', db, '--rules', path.join(d, 'rules'), '--no-builtin']).stdout).toContain('user svc\\x1b]0;all clear');
    expect(cli(['rules', 'list', path.join(d, 'rules')]).stdout).toContain('Evil \\x1b]0;owned\\x07 rule');
  });

  it('lineage: the tree and --suggest', () => {
    for (const [what, args] of [
      ['lineage', ['lineage', '--key', key, '--db', db]],
      ['lineage --suggest', ['lineage', '--suggest', '--db', db]],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, `${what}: ${r.stderr}`).toBe(0);
      clean(r, what);
    }
    expect(cli(['lineage', '--key', key, '--db', db]).stdout).toContain(`user/${printable(userName)}`);
  });

  it('report --format md on stdout, and investigate: its messages, the summary and report.md', () => {
    const r = cli(['report', '--key', key, '--db', db, '--format', 'md']);
    expect(r.status, r.stderr).toBe(0);
    clean(r, 'report --format md');
    const out = path.join(d, 'case');
    const inv = cli(['investigate', evidence, '--key', key, '--out', out]);
    expect(inv.status, inv.stderr).toBe(0);
    clean(inv, 'investigate');
    // The summary names the user the attacker created: on one line, escaped, no forged line.
    expect(inv.stderr).toContain(printable(`user/${userName}`));
    expect(inv.stderr.split('\n').filter((l) => l.startsWith('keytrail: 0 findings'))).toEqual([]);
    const mdText = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(rawIn(mdText)).toEqual([]);
    expect(mdText).toContain('\\\\x1b\\]0;all clear\\\\x07');
  });

  it('error messages: a path the user named, with a terminal sequence in it', () => {
    // (no NUL: no argument can hold one)
    const missing = path.join(d, `missing${TERMINAL.replace(/\u0000/g, '')}`);
    const r = cli(['ingest', missing, '--db', path.join(d, 'other.duckdb')]);
    expect(r.status).toBe(2);
    clean(r, 'ingest of a missing path');
    expect(r.stderr).toContain(printable(missing));
    const e = cli(['files', '--db', missing]);
    expect(e.status).toBe(2);
    clean(e, 'files --db <missing>');
  });

  it('JSON output escapes what JSON.stringify leaves raw (C1, U+2028, bidi) and parses back to the same values', () => {
    const r = cli(['events', '--db', db, '--format', 'json']);
    expect(r.status).toBe(0);
    clean(r, 'events --format json');
    const users = (JSON.parse(r.stdout) as { userIdentity: { userName: string } }[]).map((e) => e.userIdentity.userName);
    expect(users).toContain(userName);
    const l = cli(['lineage', '--key', key, '--db', db, '--format', 'json']);
    clean(l, 'lineage --format json');
  });
});

describe('escape.ts', () => {
  it('printable(): each control shown as an escape; text, tabs as \\t, non-ASCII letters kept', () => {
    expect(printable('a\nb\r\tc\u001b[2J\u009b\u0000\u007f\u2028\u202eé…')).toBe('a\\nb\\r\\tc\\x1b[2J\\x9b\\x00\\x7f\\u2028\\u202eé…');
    expect(printable(TERMINAL)).not.toMatch(RAW);
    expect(excerpt('x\n'.repeat(100), 10)).toBe('x\\nx\\nx\\n…');
  });

  it('jsonText(): the same JSON value, nothing raw', () => {
    const v = { s: TERMINAL, n: [1, 2.5], t: true };
    expect(JSON.parse(jsonText(v))).toEqual(v);
    expect(jsonText(v)).not.toMatch(RAW);
  });
});
