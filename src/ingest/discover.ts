/**
 * Inputs → the list of files to account for. A path is a file or a folder (read recursively,
 * hidden files included: every file is accounted for); anything else is a glob.
 */
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';

export interface Discovered {
  files: string[];
  /** Inputs that named nothing: `path: what is wrong`. */
  errors: { input: string; message: string }[];
}

export async function discover(inputs: readonly string[]): Promise<Discovered> {
  const files: string[] = [];
  const errors: Discovered['errors'] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const abs = path.resolve(f);
    if (!seen.has(abs)) {
      seen.add(abs);
      files.push(abs);
    }
  };
  for (const input of inputs) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(input);
    } catch {
      st = undefined;
    }
    if (st?.isFile()) {
      add(input);
    } else if (st?.isDirectory()) {
      const found = await fg('**/*', { cwd: input, dot: true, onlyFiles: true, followSymbolicLinks: false, absolute: true, suppressErrors: true });
      if (found.length === 0) errors.push({ input, message: 'folder holds no files' });
      found.sort().forEach(add);
    } else if (st) {
      errors.push({ input, message: 'not a regular file or folder' });
    } else if (fg.isDynamicPattern(input)) {
      const found = await fg(input, { dot: true, onlyFiles: true, absolute: true, suppressErrors: true });
      if (found.length === 0) errors.push({ input, message: 'no files match this pattern' });
      found.sort().forEach(add);
    } else {
      errors.push({ input, message: 'no such file or folder' });
    }
  }
  return { files, errors };
}
