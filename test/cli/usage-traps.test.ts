/**
 * The traps a responder falls into at the command line (issue 15 point 8), through the built binary:
 * an -o or --out that cannot be written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { write } from '../helpers.js';
import { LEAKED_KEY, ingestCase } from '../fixtures/use/case.js';
import { cliAsync, expectUserError } from '../fixtures/use/run.js';

describe('-o and --out that cannot be written: one line naming the path, exit 2', () => {
  let db: string;
  let dir: string;
  let aFile: string;
  /** A place nobody may write, root included. */
  let forbidden: string;
  beforeAll(() => {
    ({ db, dir } = ingestCase('kt-usage-out-'));
    aFile = write(path.join(dir, 'a-file.txt'), 'not a folder\n');
    if (process.getuid?.() === 0) forbidden = '/sys';
    else {
      forbidden = path.join(dir, 'read-only');
      fs.mkdirSync(forbidden, { mode: 0o500 });
    }
  });

  // detect writes its findings into the case: it gets a copy of its own, so the readers never wait on its lock.
  const detectDb = () => {
    const copy = path.join(dir, 'detect.duckdb');
    if (!fs.existsSync(copy)) fs.copyFileSync(db, copy);
    return copy;
  };
  const FILE_COMMANDS: [string, () => string[]][] = [
    ['query', () => ['query', 'SELECT 1 AS one', '--db', db]],
    ['detect', () => ['detect', '--db', detectDb()]],
    ['events', () => ['events', '--db', db]],
    ['files', () => ['files', '--db', db]],
    ['lineage', () => ['lineage', '--key', LEAKED_KEY, '--db', db]],
    ['lineage --suggest', () => ['lineage', '--suggest', '--db', db]],
    ['report', () => ['report', '--key', LEAKED_KEY, '--db', db]],
    ['export csv', () => ['export', '--format', 'csv', '--db', db]],
    ['export jsonl', () => ['export', '--format', 'jsonl', '--db', db]],
    ['export timeline', () => ['export', '--format', 'timeline', '--db', db]],
  ];
  const PROBLEMS: [string, () => string, RegExp][] = [
    ['a folder that does not exist', () => path.join(dir, 'no-such-folder', 'out.txt'), /does not exist/],
    ['a file where a folder is needed', () => path.join(aFile, 'out.txt'), /is a file, not a folder/],
    ['a folder where a file is needed', () => dir, /is a folder/],
    ['no permission', () => path.join(forbidden, 'out.txt'), /permission denied/],
  ];

  for (const [command, args] of FILE_COMMANDS) {
    it(`${command} -o`, async () => {
      for (const [problem, target, says] of PROBLEMS) {
        const r = await cliAsync([...args(), '-o', target()]);
        expectUserError(r);
        const lines = r.stderr.trimEnd().split('\n');
        const line = lines.find((l) => l.startsWith('keytrail: '));
        expect(line, `${command}, ${problem}: ${r.stderr}`).toContain(target());
        expect(line, `${command}, ${problem}`).toMatch(says);
      }
    });
  }

  it('export parquet -o and investigate --out (folders, created when missing)', async () => {
    const folderProblems: [string, RegExp][] = [
      [aFile, /is a file, not a folder/],
      [path.join(aFile, 'sub'), /is a file, not a folder/],
      [path.join(forbidden, 'case'), /permission denied/],
    ];
    for (const [target, says] of folderProblems) {
      for (const args of [
        ['export', '--format', 'parquet', '--db', db, '-o', target],
        ['investigate', path.join(dir, 'evidence'), '--key', LEAKED_KEY, '--out', target],
      ]) {
        const r = await cliAsync(args);
        expectUserError(r);
        const line = r.stderr.split('\n').find((l) => l.startsWith('keytrail: '));
        expect(line, `${args[0]} ${target}: ${r.stderr}`).toContain(target);
        expect(line, `${args[0]} ${target}`).toMatch(says);
      }
    }
    expect(fs.readFileSync(aFile, 'utf8')).toBe('not a folder\n');
  });
});
