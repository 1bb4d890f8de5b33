/**
 * Inputs → every object to account for. A path is a file or a folder (read recursively, hidden
 * files included); anything else is a glob. Objects that are not regular files — symlinks, FIFOs,
 * sockets, devices, folders that cannot be read, paths too long to open — are not read but each
 * gets a row with what it is, so nothing under an input goes unaccounted for. Evidence may be
 * crafted: a link is never followed out of the inputs, and a FIFO is never opened (that blocks).
 * A keytrail case folder found inside the inputs (investigate's --out, or any folder holding a case
 * database and its report) is keytrail's own output: it is not read, and gets one row saying so.
 */
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { messageOf } from '../errors.js';
import { errnoCode } from './errno.js';

export interface Discovered {
  /** Regular files to read, absolute, sorted. */
  files: string[];
  /** Everything else found under the inputs: not read, each written as its own files row. */
  objects: SpecialObject[];
  /** Inputs that named nothing: `path: what is wrong`. */
  errors: { input: string; message: string }[];
  /** Case folders found inside the inputs, absolute, sorted: keytrail's own output, not read (each also among `objects`). */
  caseFolders: string[];
}

/**
 * What investigate writes into its case folder (report/investigate.ts): a folder holding both is
 * a case folder wherever it is found, whatever --out named it.
 */
export const CASE_FOLDER = { db: 'keytrail.duckdb', report: 'report.json' } as const;

export interface DiscoverOptions {
  /** Folders that are keytrail's own output (investigate's --out), whether or not they hold a case yet. */
  caseFolders?: readonly string[];
}

/** An object that is not read, with the files row it gets. */
export interface SpecialObject {
  path: string;
  format: 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device' | 'folder' | 'unknown';
  status: 'skipped' | 'rejected' | 'duplicate-file';
  reason: string;
}

/** What the walk and the globs found, before links are resolved against the files found. */
interface Found {
  files: string[];
  links: string[];
  objects: SpecialObject[];
  seen: Set<string>;
  /** The case folders named as such, absolute. */
  named: Set<string>;
  /** The case folders found, absolute. */
  cases: Set<string>;
}

export async function discover(inputs: readonly string[], options: DiscoverOptions = {}): Promise<Discovered> {
  const named = new Set((options.caseFolders ?? []).map((d) => path.resolve(d)));
  const found: Found = { files: [], links: [], objects: [], seen: new Set(), named, cases: new Set() };
  const errors: Discovered['errors'] = [];
  for (const input of inputs) {
    const before = found.seen.size;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(input);
    } catch (err) {
      const code = errnoCode(err);
      if (fg.isDynamicPattern(input)) {
        await glob(input, found);
        found.files = found.files.filter((f) => !inCaseFolder(f, found));
        if (found.seen.size === before) errors.push({ input, message: 'no files match this pattern' });
      } else if (code === 'ENOENT' || code === 'ENOTDIR') errors.push({ input, message: 'no such file or folder' });
      else add(found, unreadable(path.resolve(input), err));
      continue;
    }
    if (st.isDirectory()) {
      walk(path.resolve(input), found);
      if (found.seen.size === before) errors.push({ input, message: 'folder holds no files' });
    } else classify(path.resolve(input), st, found);
  }
  const caseFolders = [...found.cases].sort(compare);
  const cases = caseFolders.map((p): SpecialObject => ({ path: p, format: 'folder', status: 'skipped', reason: CASE_FOLDER_REASON }));
  const objects = [...found.objects, ...resolveLinks(found), ...cases].sort((a, b) => compare(a.path, b.path));
  return { files: found.files.sort(compare), objects, errors, caseFolders };
}

/** A case folder's row, and what a person is told about it. */
export const CASE_FOLDER_REASON = "keytrail's own case folder (its case database and reports), not evidence: not read";

/** A folder named as a case folder, or holding what investigate writes into one (`holds` says whether it holds a name). */
const isCaseFolder = (dir: string, holds: (name: string) => boolean, found: Found) =>
  found.named.has(dir) || (holds(CASE_FOLDER.db) && holds(CASE_FOLDER.report));

/**
 * A file a glob matched inside a case folder: one named as such above it, or its own folder
 * holding a case (investigate writes its files flat). The folder is noted; the file is not read.
 */
function inCaseFolder(file: string, found: Found): boolean {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (found.named.has(dir)) return noteCase(dir, found);
  }
  const dir = path.dirname(file);
  return isCaseFolder(dir, (name) => fs.existsSync(path.join(dir, name)), found) && noteCase(dir, found);
}

function noteCase(dir: string, found: Found): true {
  found.cases.add(dir);
  return true;
}

/** Code-unit order, the same for every run: ids and "which copy came first" depend on it. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function add(found: Found, o: SpecialObject): void {
  if (found.seen.has(o.path)) return;
  found.seen.add(o.path);
  found.objects.push(o);
}

/** A non-folder object, by what lstat says it is. */
function classify(p: string, st: Kind, found: Found): void {
  if (found.seen.has(p)) return;
  if (st.isFile()) found.files.push(p);
  else if (st.isSymbolicLink()) found.links.push(p);
  else if (st.isDirectory()) return;
  else return add(found, { path: p, format: kindOf(st).format, status: 'skipped', reason: `${kindOf(st).what}: not read` });
  found.seen.add(p);
}

/**
 * Lists a folder tree without following links. Iterative (a stack of folders, not recursion), so
 * a tree thousands of levels deep costs memory, not the call stack.
 */
function walk(root: string, found: Found): void {
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      add(found, folderError(dir, err));
      continue;
    }
    // A case folder inside the evidence is not read; one named as the evidence itself is.
    if (dir !== root && isCaseFolder(dir, (name) => entries.some((e) => e.name === name), found)) {
      noteCase(dir, found);
      continue;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      // The folder listing says what each entry is (one call for the folder, not one lstat per
      // file: 100,000 small files); lstat is asked only when it does not, or when the path is
      // near the system's limit (lstat then names the problem).
      let st: Kind = e;
      if (!known(e) || p.length > NEAR_PATH_MAX) {
        try {
          st = fs.lstatSync(p);
        } catch (err) {
          add(found, unreadable(p, err));
          continue;
        }
      }
      if (st.isDirectory()) stack.push(p);
      else classify(p, st, found);
    }
  }
}

/** What a folder entry or lstat says an object is. */
type Kind = Pick<fs.Stats, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>;
/** Paths this long (in UTF-16 units; bytes may be up to three times as many) are checked with lstat. */
const NEAR_PATH_MAX = 1024;
const known = (e: Kind) => e.isFile() || e.isDirectory() || e.isSymbolicLink() || e.isFIFO() || e.isSocket() || e.isCharacterDevice() || e.isBlockDevice();

/**
 * fast-glob matches the pattern (folders it matches are not walked: the pattern says which files);
 * what it finds is classified like the walk's. Its readdir is watched so that a folder it cannot
 * enter gets a row instead of being passed over.
 */
async function glob(pattern: string, found: Found): Promise<void> {
  const failed: SpecialObject[] = [];
  const readdir = ((dir: string, opts: object, cb: (err: NodeJS.ErrnoException | null, ents: fs.Dirent[]) => void) =>
    fs.readdir(dir, opts as { withFileTypes: true }, (err, ents) => {
      if (err && err.code !== 'ENOENT') failed.push(folderError(path.resolve(dir), err));
      cb(err, ents);
    })) as unknown as typeof fs.readdir;
  const matches = await fg(pattern, { dot: true, onlyFiles: false, followSymbolicLinks: false, absolute: true, suppressErrors: true, fs: { readdir } });
  for (const p of matches.sort(compare)) {
    try {
      classify(p, fs.lstatSync(p), found);
    } catch (err) {
      add(found, unreadable(p, err));
    }
  }
  for (const f of failed) add(found, f);
}

/**
 * A link is read only as the file it names, and only when that file is itself among the inputs:
 * the file gets its own row (read once, under its own path) and the link's row points at it. A
 * link never leads out of the inputs, into a folder, or to anything that is not a regular file.
 */
function resolveLinks(found: Found): SpecialObject[] {
  if (found.links.length === 0) return [];
  const byReal = new Map<string, string>();
  for (const f of found.files) {
    try {
      byReal.set(fs.realpathSync.native(f), f);
    } catch {
      // Unreadable or gone: its own row says so when it is examined.
    }
  }
  return found.links.map((link) => resolveLink(link, byReal));
}

function resolveLink(link: string, byReal: Map<string, string>): SpecialObject {
  const row = (status: SpecialObject['status'], reason: string): SpecialObject => ({ path: link, format: 'symlink', status, reason });
  let target = '?';
  try {
    target = fs.readlinkSync(link);
  } catch {
    // Shown as '?' below: the link itself vanished or cannot be read.
  }
  let real: string;
  let st: fs.Stats;
  try {
    real = fs.realpathSync.native(link);
    st = fs.statSync(real);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return row('rejected', `symbolic link to ${target}, which does not exist (a dangling link): nothing to read`);
    if (code === 'ELOOP') return row('rejected', `symbolic link that loops (its target ${target} leads back to it): nothing to read`);
    if (code === 'EACCES') return row('rejected', `symbolic link to ${target}, which cannot be read: permission denied`);
    if (code === 'ENAMETOOLONG') return row('rejected', `symbolic link to ${target}: the path it leads to is longer than the system allows (ENAMETOOLONG)`);
    return row('rejected', `symbolic link to ${target}: cannot be followed (${messageOf(err)})`);
  }
  if (st.isFile()) {
    const inside = byReal.get(real);
    if (inside) return row('duplicate-file', `symbolic link to ${inside}: read once, under that path`);
    return row('rejected', `symbolic link to a file outside the inputs (${real}): not read; name that file as an input to read it`);
  }
  if (st.isDirectory()) return row('rejected', `symbolic link to a folder (${real}): not followed; name that folder as an input to read it`);
  return row('skipped', `symbolic link to ${kindOf(st).what} (${real}): not read`);
}

function kindOf(st: Kind): { format: SpecialObject['format']; what: string } {
  if (st.isFIFO()) return { format: 'fifo', what: 'a FIFO (named pipe)' };
  if (st.isSocket()) return { format: 'socket', what: 'a Unix socket' };
  if (st.isCharacterDevice()) return { format: 'char-device', what: 'a character device' };
  if (st.isBlockDevice()) return { format: 'block-device', what: 'a block device' };
  return { format: 'unknown', what: 'not a regular file, folder or link' };
}

/** An object lstat could not look at. */
function unreadable(p: string, err: unknown): SpecialObject {
  return { path: p, format: 'unknown', status: 'rejected', reason: tooLong(p, err) ?? `cannot read: ${describe(err)}` };
}

function folderError(dir: string, err: unknown): SpecialObject {
  return {
    path: dir,
    format: 'folder',
    status: 'rejected',
    reason: tooLong(dir, err) ?? `cannot read folder: ${describe(err)} (the files in it are not read)`,
  };
}

function tooLong(p: string, err: unknown): string | undefined {
  if (errnoCode(err) !== 'ENAMETOOLONG') return undefined;
  return `path is ${Buffer.byteLength(p).toLocaleString('en-US')} bytes, longer than the system allows (ENAMETOOLONG): cannot be opened; move the evidence to a shorter path`;
}

function describe(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'it vanished while being read';
  return messageOf(err);
}
