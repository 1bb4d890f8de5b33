/**
 * Loads Sigma rule files and reports every problem of every rule at once, each as
 * `file:line: [rule id] what is wrong`: YAML syntax, schema (strict), duplicate ids, and anything
 * the compiler refuses (bad condition, invalid regex, unknown modifier). A rule that cannot load is
 * a problem the caller must show; it is never dropped quietly.
 */
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { LineCounter, isMap, parseAllDocuments, type Document } from 'yaml';
import { compileDetection, DetectionError, type CompiledExpr } from './detection.js';
import { SigmaRule } from './schema.js';

export interface LoadedRule {
  rule: SigmaRule;
  file: string;
  line: number;
  compiled: CompiledExpr;
}

export interface RuleProblem {
  file: string;
  line: number;
  ruleId?: string;
  message: string;
}

export interface LoadResult {
  rules: LoadedRule[];
  problems: RuleProblem[];
}

export const formatProblem = (p: RuleProblem) => `${p.file}:${p.line}: ${p.ruleId ? `[${p.ruleId}] ` : ''}${p.message}`;

/** Rule files under the given files and folders (*.yml, *.yaml), in a stable order. */
export async function ruleFiles(paths: readonly string[]): Promise<{ files: string[]; problems: RuleProblem[] }> {
  const files: string[] = [];
  const problems: RuleProblem[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) problems.push({ file: p, line: 0, message: 'no such file or folder' });
    else if (fs.statSync(p).isDirectory()) files.push(...(await fg('**/*.{yml,yaml}', { cwd: p, absolute: true })).sort());
    else files.push(path.resolve(p));
  }
  return { files, problems };
}

export async function loadRules(paths: readonly string[]): Promise<LoadResult> {
  const { files, problems } = await ruleFiles(paths);
  const rules: LoadedRule[] = [];
  for (const file of files) loadFile(file, fs.readFileSync(file, 'utf8'), rules, problems);
  const seen = new Map<string, LoadedRule>();
  for (const r of rules) {
    const id = r.rule.id;
    if (!id) continue;
    const first = seen.get(id);
    if (first) problems.push({ file: r.file, line: r.line, ruleId: id, message: `duplicate rule id (also ${first.file}:${first.line})` });
    else seen.set(id, r);
  }
  const dupes = new Set(problems.filter((p) => p.message.startsWith('duplicate rule id')).map((p) => p.ruleId));
  return { rules: rules.filter((r) => !r.rule.id || !dupes.has(r.rule.id)), problems };
}

/** Parse one file's YAML documents (a file may hold several rules separated by ---). */
export function loadFile(file: string, text: string, rules: LoadedRule[], problems: RuleProblem[]): void {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const at = (offset: number | undefined) => (offset === undefined ? 1 : lc.linePos(offset).line);
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ file, line: at(e.pos[0]), message: `YAML: ${e.message.split('\n')[0]}` });
      continue;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const line = at(doc.contents?.range?.[0]);
    const ruleId = typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : undefined;
    const parsed = SigmaRule.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({ file, line: lineOf(doc, issue.path as (string | number)[], lc) ?? line, ruleId, message: `${issue.path.join('.') || 'rule'}: ${issue.message}` });
      }
      continue;
    }
    try {
      rules.push({ rule: parsed.data, file, line, compiled: compileDetection(parsed.data.detection) });
    } catch (err) {
      if (!(err instanceof DetectionError)) throw err;
      problems.push({ file, line: lineOf(doc, ['detection'], lc) ?? line, ruleId, message: `detection: ${err.message}` });
    }
  }
}

/** The line of the node at `path` (or its nearest existing parent) in a YAML document. */
function lineOf(doc: Document, p: (string | number)[], lc: LineCounter): number | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range && (n === 0 || isMap(doc.contents))) return lc.linePos(range[0]).line;
  }
  return undefined;
}
