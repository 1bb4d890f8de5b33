/**
 * The paths keytrail writes to (-o FILE, --out DIR, export's folder of partitions). Every problem a
 * person can fix (a folder that does not exist, a file where a folder is needed or the other way
 * round, no permission, a read-only or full disk) is one KeytrailError naming the path and why, never
 * Node's stack trace: checked before any work where it can be told in advance (checkOutputFile,
 * checkOutputFolder), and said the same way when the file is written all the same.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { KeytrailError, messageOf } from './errors.js';

type Kind = 'file' | 'folder';

const codeOf = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;

/** The first existing ancestor of `p` (the root, or the working folder, at worst), as the user wrote it, and what it is. */
function nearestExisting(p: string): { at: string; st: fs.Stats | undefined } {
  for (let at = path.dirname(p); ; at = path.dirname(at)) {
    try {
      return { at, st: fs.statSync(at) };
    } catch {
      if (at === path.dirname(at)) return { at, st: undefined };
    }
  }
}

/** Why `target` cannot be written, from the error writing it gave (or the check's own). */
function why(target: string, kind: Kind, err: unknown): string {
  const code = codeOf(err);
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EISDIR') return `it is a folder; name the ${kind} to write`;
  if (code === 'EEXIST' && kind === 'folder') return 'it is a file, not a folder';
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    const { at, st } = nearestExisting(target);
    if (st && !st.isDirectory()) return `${at} is a file, not a folder`;
    if (code === 'ENOENT')
      return fs.existsSync(path.dirname(target))
        ? `${path.dirname(target)} takes no new entries (a system folder?): write elsewhere`
        : `the folder ${path.dirname(target)} does not exist (make it first, or write elsewhere)`;
  }
  return code ? `${code}: ${messageOf(err)}` : messageOf(err);
}

/** The error for a path that cannot be written: `cannot write -o out/x.csv: why`. */
export function outputError(target: string, kind: Kind, err: unknown, option?: string): KeytrailError {
  return new KeytrailError('USAGE', `cannot write ${option ? `${option} ` : ''}${target}: ${why(target, kind, err)}`, {}, { cause: err });
}

/** A system error with a code, for the checks that find a problem without an error of their own. */
const errno = (code: string) => Object.assign(new Error(code), { code });

/**
 * Before any work: can a file be written at `file`? Nothing is left behind: a file the check
 * creates to see whether it may is removed, and an existing one is opened without truncating it.
 */
export function checkOutputFile(file: string | undefined, option?: string): void {
  if (file === undefined) return;
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') throw outputError(file, 'file', err, option);
  }
  if (st?.isDirectory()) throw outputError(file, 'file', errno('EISDIR'), option);
  // A pipe or a device (-o /dev/stdout) is written as it is; opening it here could block.
  if (st && !st.isFile()) return;
  try {
    fs.closeSync(fs.openSync(file, st ? 'a' : 'wx'));
    if (!st) fs.rmSync(file, { force: true });
  } catch (err) {
    throw outputError(file, 'file', err, option);
  }
}

/** Before any work: can `dir` be made (or, when it exists, written into)? Nothing is made. */
export function checkOutputFolder(dir: string, option?: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') throw outputError(dir, 'folder', err, option);
  }
  if (st && !st.isDirectory()) throw outputError(dir, 'folder', errno('EEXIST'), option);
  const { at, st: above } = st ? { at: dir, st } : nearestExisting(dir);
  if (above && !above.isDirectory()) throw outputError(dir, 'folder', errno('ENOTDIR'), option);
  try {
    fs.accessSync(at, fs.constants.W_OK);
  } catch (err) {
    throw outputError(dir, 'folder', err, option);
  }
}

/** Make `dir` (and the folders above it) when missing; it must be a folder. */
export function makeOutputFolder(dir: string, option?: string): void {
  // Each missing folder made on its own, from the top: Node's recursive mkdir spins forever under
  // /proc (mkdir there fails with ENOENT, which it takes for a missing parent).
  const missing: string[] = [];
  for (let at = path.resolve(dir); !fs.existsSync(at) && at !== path.dirname(at); at = path.dirname(at)) missing.unshift(at);
  try {
    for (const m of missing) fs.mkdirSync(m);
  } catch (err) {
    throw outputError(dir, 'folder', err, option);
  }
  if (!fs.statSync(dir).isDirectory()) throw outputError(dir, 'folder', errno('EEXIST'), option);
}

/** A whole text to `file`. */
export function writeOutputFile(file: string, text: string, option?: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (err) {
    throw outputError(file, 'file', err, option);
  }
}

/**
 * Stream into `file`: `fn` writes to the stream, which is ended and flushed after it. A failure to
 * open or to write (a disk that fills) is the same one-line error, whenever it happens.
 */
export async function writeOutputStream<T>(file: string, fn: (out: Writable) => Promise<T>, option?: string): Promise<T> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'w');
  } catch (err) {
    throw outputError(file, 'file', err, option);
  }
  const out = fs.createWriteStream(file, { fd });
  let failed: unknown;
  const failure = new Promise<never>((_, reject) =>
    out.once('error', (err) => {
      failed = err;
      reject(err);
    }),
  );
  failure.catch(() => undefined);
  try {
    const result = await Promise.race([fn(out), failure]);
    out.end();
    await Promise.race([once(out, 'finish'), failure]);
    return result;
  } catch (err) {
    out.destroy();
    throw failed === undefined ? err : outputError(file, 'file', failed, option);
  }
}
