/**
 * What a forensic lab records about the tool that made a report: keytrail's version, the DuckDB it
 * ran on, and a digest of the built-in rule pack as shipped (issue 16), printed by `keytrail
 * --version` and stated in every report.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { version as duckdbVersion } from '@duckdb/node-api';
import { BUILTIN_RULES } from './rules/detect.js';

export interface Provenance {
  keytrail: string;
  duckdb: string;
  /** SHA-256 over the pack's files in path order, each as `relative/path NUL bytes NUL`, and how many. */
  rules: { sha256: string; files: number };
}

/** The digest of a rule folder: every file under it, by its path relative to it (with `/`), and its bytes. */
export function folderDigest(dir: string): { sha256: string; files: number } {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  walk(dir);
  files.sort();
  const h = createHash('sha256');
  for (const f of files)
    h.update(`${f}\0`)
      .update(fs.readFileSync(path.join(dir, f)))
      .update('\0');
  return { sha256: h.digest('hex'), files: files.length };
}

let cached: Provenance | undefined;

/** keytrail's package folder: the nearest one up from this module with keytrail's package.json (dist/, or the benchmark's build beside the sources). */
function packageRoot(): string {
  for (let d = path.dirname(fileURLToPath(import.meta.url)); ; d = path.dirname(d)) {
    const file = path.join(d, 'package.json');
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'keytrail') return d;
    if (path.dirname(d) === d) throw new Error(`keytrail's package.json is not above ${fileURLToPath(import.meta.url)}`);
  }
}

export function provenance(): Provenance {
  if (!cached) {
    const root = packageRoot();
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    cached = { keytrail: version, duckdb: duckdbVersion(), rules: folderDigest(fs.existsSync(BUILTIN_RULES) ? BUILTIN_RULES : path.join(root, 'rules')) };
  }
  return cached;
}

/** A rule file or folder a run loaded, and its digest: what a report says it was made with. */
export interface RulePack {
  /** `built-in`, or the path as given (--rules). */
  path: string;
  sha256: string;
  files: number;
}

/** The digests of the rule files and folders of a run (a file's is the SHA-256 of its bytes); the built-in pack's path is named `built-in`. */
export function rulePacks(paths: readonly string[]): RulePack[] {
  return paths.map((p) => {
    const name = path.resolve(p) === path.resolve(BUILTIN_RULES) ? 'built-in' : p;
    if (fs.statSync(p).isDirectory()) return { path: name, ...folderDigest(p) };
    return { path: name, sha256: createHash('sha256').update(fs.readFileSync(p)).digest('hex'), files: 1 };
  });
}

/** `built-in sha256:… (58 files), ./mine sha256:… (1 file)`; `none` for no pack. */
export const rulePacksLine = (packs: readonly RulePack[]) =>
  packs.length ? packs.map((k) => `${k.path} sha256:${k.sha256} (${k.files} file${k.files === 1 ? '' : 's'})`).join(', ') : 'none';

/** One line: `keytrail 0.1.0, DuckDB v1.5.6, built-in rules sha256:… (69 files)`. */
export const provenanceLine = (p: Provenance = provenance()) =>
  `keytrail ${p.keytrail}, DuckDB ${p.duckdb}, built-in rules sha256:${p.rules.sha256} (${p.rules.files} files)`;

/** What a report says it was made with: the --version line, then the rules the run loaded (only named when not just the built-in pack, whose digest the line already gives). */
export function madeWith(p: Provenance, packs: readonly RulePack[] | null): string {
  const line = provenanceLine(p);
  if (!packs) return line;
  if (packs.length === 1 && packs[0]!.path === 'built-in' && packs[0]!.sha256 === p.rules.sha256) return `${line}; rules run: the built-in pack`;
  return `${line}; rules run: ${rulePacksLine(packs)}`;
}
