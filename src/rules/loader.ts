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
import { CORRELATION_PLACEHOLDERS, compileCorrelation, CorrelationError, type CompiledCorrelation } from './correlation.js';
import { compileDetection, DetectionError, type CompiledExpr } from './detection.js';
import { SigmaCorrelation, SigmaRule } from './schema.js';

export interface LoadedRule {
  rule: SigmaRule;
  file: string;
  line: number;
  compiled: CompiledExpr;
}

export interface LoadedCorrelation {
  rule: SigmaCorrelation;
  file: string;
  line: number;
  /** The base rules, in the order of correlation.rules. */
  bases: LoadedRule[];
  compiled: CompiledCorrelation;
}

export interface RuleProblem {
  file: string;
  line: number;
  ruleId?: string;
  message: string;
}

export interface LoadResult {
  rules: LoadedRule[];
  correlations: LoadedCorrelation[];
  problems: RuleProblem[];
}

/** A correlation parsed but not yet joined to its base rules (they may live in other files). */
interface PendingCorrelation {
  rule: SigmaCorrelation;
  file: string;
  line: number;
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
  const pending: PendingCorrelation[] = [];
  for (const file of files) loadFile(file, fs.readFileSync(file, 'utf8'), rules, problems, pending);
  const seen = new Map<string, { file: string; line: number }>();
  for (const r of [...rules, ...pending]) {
    const id = r.rule.id;
    if (!id) continue;
    const first = seen.get(id);
    if (first) problems.push({ file: r.file, line: r.line, ruleId: id, message: `duplicate rule id (also ${first.file}:${first.line}); neither rule is loaded` });
    else seen.set(id, r);
  }
  const dupes = new Set(problems.filter((p) => p.message.startsWith('duplicate rule id')).map((p) => p.ruleId));
  const kept = rules.filter((r) => !r.rule.id || !dupes.has(r.rule.id));
  const correlations = resolveCorrelations(
    pending.filter((c) => !c.rule.id || !dupes.has(c.rule.id)),
    kept,
    problems,
  );
  return { rules: kept, correlations, problems };
}

const namesOf = (r: { rule: { id?: string; name?: string; title: string } }) => [r.rule.id, r.rule.name, r.rule.title].filter((x): x is string => !!x);

/**
 * Join each correlation to its base rules, named by id, name or title (in that order of
 * preference; a name or title is looked up in the correlation's own file first, as in a
 * multi-document rule file, then everywhere). Anything unresolved or ambiguous is a problem.
 */
function resolveCorrelations(pending: PendingCorrelation[], rules: LoadedRule[], problems: RuleProblem[]): LoadedCorrelation[] {
  const out: LoadedCorrelation[] = [];
  for (const c of pending) {
    const cid = c.rule.id ?? c.rule.name ?? c.rule.title;
    const fail = (message: string) => problems.push({ file: c.file, line: c.line, ruleId: cid, message });
    const bases: LoadedRule[] = [];
    for (const ref of c.rule.correlation.rules) {
      const byId = rules.filter((r) => r.rule.id === ref);
      const pick = (key: 'name' | 'title') => {
        const all = rules.filter((r) => r.rule[key] === ref);
        const local = all.filter((r) => r.file === c.file);
        return local.length > 0 ? local : all;
      };
      const found = byId.length > 0 ? byId : pick('name').length > 0 ? pick('name') : pick('title');
      if (found.length === 1) bases.push(found[0]!);
      else if (found.length > 1) fail(`correlation.rules: ${JSON.stringify(ref)} names ${found.length} rules (${found.map((r) => `${r.file}:${r.line}`).join(', ')}); refer to one by its id`);
      else if (pending.some((p) => p !== c && namesOf(p).includes(ref))) fail(`correlation.rules: ${JSON.stringify(ref)} is a correlation; correlations of correlations are not supported`);
      else fail(`correlation.rules: no loaded rule has the id, name or title ${JSON.stringify(ref)}`);
    }
    if (bases.length !== c.rule.correlation.rules.length) continue;
    try {
      const compiled = compileCorrelation(c.rule, bases.map((b) => ({ names: namesOf(b) })));
      const allowed = new Set<string>([...CORRELATION_PLACEHOLDERS, ...compiled.groupBy]);
      const bad = placeholdersOf(c.rule.output?.summary ?? '').filter((p) => !allowed.has(p));
      if (bad.length > 0) fail(`output.summary: {${bad.join('}, {')}} is not available in a correlation's summary (use ${[...allowed].map((a) => `{${a}}`).join(', ')})`);
      else out.push({ ...c, bases, compiled });
    } catch (err) {
      if (!(err instanceof CorrelationError)) throw err;
      fail(`correlation: ${err.message}`);
    }
  }
  return out;
}

/**
 * `{field.path}` in an output.summary; `{a|b|c}` takes the first field that is present, and an
 * empty last alternative (`{errorCode|}`) prints nothing instead of `?` when none is.
 */
export const PLACEHOLDER = /\{([A-Za-z0-9_.@-]+(?:\|[A-Za-z0-9_.@-]*)*)\}/g;
export const placeholdersOf = (template: string) => [...template.matchAll(PLACEHOLDER)].flatMap((m) => m[1]!.split('|').filter(Boolean));

/** Parse one file's YAML documents (a file may hold several rules separated by ---). */
export function loadFile(file: string, text: string, rules: LoadedRule[], problems: RuleProblem[], correlations: PendingCorrelation[]): void {
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
    const isCorrelation = typeof value === 'object' && Object.hasOwn(value as object, 'correlation');
    const parsed = isCorrelation ? SigmaCorrelation.safeParse(value) : SigmaRule.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({ file, line: lineOf(doc, issue.path as (string | number)[], lc) ?? line, ruleId, message: `${issue.path.join('.') || 'rule'}: ${issue.message}` });
      }
      // Every problem at once: the detection is still compiled when the rest of the rule is wrong.
      const detection = (value as { detection?: unknown }).detection;
      if (!isCorrelation && detection !== null && typeof detection === 'object' && !Array.isArray(detection) && 'condition' in detection) {
        try {
          compileDetection(detection as Record<string, unknown>);
        } catch (err) {
          if (!(err instanceof DetectionError)) throw err;
          problems.push({ file, line: lineOf(doc, ['detection'], lc) ?? line, ruleId, message: `detection: ${err.message}` });
        }
      }
      continue;
    }
    if ('correlation' in parsed.data) {
      correlations.push({ rule: parsed.data, file, line });
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
