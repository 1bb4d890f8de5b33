/**
 * The rule files under the paths given (*.yml, *.yaml), and each one's text, within bounds: a
 * path that is not a regular file is never opened, a file too large is not read.
 */
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { messageOf } from '../errors.js';
import type { RuleProblem } from './problems.js';

/**
 * Bounds a rule file must keep, for packs keytrail did not write. The largest real rule file (the
 * built-in pack, SigmaHQ's CloudTrail rules) is 16 KB; 1 MiB leaves room for a pack in one file,
 * while the YAML parser, at about 3 MB/s over a list, still reads the worst such file in seconds.
 * No real rule nests its YAML more than a dozen levels deep or uses an alias at all.
 */
export const MAX_RULE_FILE_BYTES = 2 ** 20;

/** What a path is that is neither a regular file nor a folder (its stat, never an open). */
function notRegular(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a file';
}
const notRegularProblem = (file: string, st: fs.Stats): RuleProblem => ({
  code: 'FILE',
  file,
  line: 0,
  message: `not a regular file (${notRegular(st)}): not read`,
});

/** The error's code (ENOENT, EACCES, ...) when it has one. */
const errnoCode = (err: unknown): string | undefined => (err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined);

const statOf = (p: string) => {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
};

/**
 * Rule files under the given files and folders (*.yml, *.yaml), in a stable order. A FIFO, socket
 * or device, named or found in a folder, is a problem and is never opened: reading a FIFO waits
 * forever for a writer.
 */
export async function ruleFiles(paths: readonly string[]): Promise<{ files: string[]; problems: RuleProblem[] }> {
  const files: string[] = [];
  const problems: RuleProblem[] = [];
  for (const p of paths) {
    const st = statOf(p);
    if (!st) problems.push({ code: 'FILE', file: p, line: 0, message: 'no such file or folder' });
    else if (st.isFile()) files.push(path.resolve(p));
    else if (!st.isDirectory()) problems.push(notRegularProblem(p, st));
    else {
      for (const f of (await fg('**/*.{yml,yaml}', { cwd: p, absolute: true, onlyFiles: false, suppressErrors: true })).sort()) {
        const s = statOf(f);
        if (!s) problems.push({ code: 'FILE', file: f, line: 0, message: 'cannot read (a broken link?)' });
        else if (s.isFile()) files.push(f);
        else if (!s.isDirectory()) problems.push(notRegularProblem(f, s));
      }
    }
  }
  return { files, problems };
}

/**
 * A rule file's text, or the problem that stops it being read. Opened non-blocking and checked
 * again on the open file, so a file swapped for a FIFO after ruleFiles() looked cannot block.
 */
export function readRuleFile(file: string): string | RuleProblem {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    return { code: 'FILE', file, line: 0, message: `cannot read: ${errnoCode(err) ?? messageOf(err)}` };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return notRegularProblem(file, st);
    if (st.size > MAX_RULE_FILE_BYTES)
      return {
        code: 'FILE',
        file,
        line: 0,
        message: `${(st.size / 2 ** 20).toFixed(1)} MiB, more than the ${MAX_RULE_FILE_BYTES / 2 ** 20} MiB a rule file may hold: not read`,
      };
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}
