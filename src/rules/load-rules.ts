/**
 * Loads Sigma rule files and reports every problem of every rule at once, each as
 * `file:line: [rule id] what is wrong`: YAML syntax, schema (strict), duplicate ids, and anything
 * the compiler refuses (bad condition, invalid regex, unknown modifier). A rule that cannot load is
 * a problem the caller must show; it is never dropped quietly.
 */
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { LineCounter, isCollection, isMap, isNode, isPair, parseAllDocuments, type Document } from 'yaml';
import type { CompiledCorrelation } from './compile-correlation.js';
import { compileDetection, DetectionError, type CompiledExpr } from './compile-detection.js';
import type { z } from 'zod';
import { SigmaCorrelation, SigmaRule } from './schema.js';
import { resolveCorrelations } from './resolve-correlations.js';
import { messageOf } from '../errors.js';
import { CaseDb, SqlError } from '../store/db.js';
import { sql } from '../store/sql.js';

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

/**
 * What kind of problem a rule has, for callers to tell them apart (never by message text): the path
 * itself (FILE), YAML, the schema, a detection or correlation the compilers refuse, a regular
 * expression RE2 refuses, a rule id used twice, a placeholder a correlation's summary cannot fill.
 */
export type RuleProblemCode = 'FILE' | 'YAML' | 'SCHEMA' | 'DETECTION' | 'REGEX' | 'DUPLICATE_ID' | 'CORRELATION' | 'SUMMARY';

export interface RuleProblem {
  code: RuleProblemCode;
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
export interface PendingCorrelation {
  rule: SigmaCorrelation;
  file: string;
  line: number;
}

/** `file:line: [id] message`; line 0 is a problem with the path itself (`file: message`). */
export const formatProblem = (p: RuleProblem) => `${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.ruleId ? `[${p.ruleId}] ` : ''}${p.message}`;

/**
 * Bounds a rule file must keep, for packs keytrail did not write. The largest real rule file (the
 * built-in pack, SigmaHQ's CloudTrail rules) is 16 KB; 1 MiB leaves room for a pack in one file,
 * while the YAML parser, at about 3 MB/s over a list, still reads the worst such file in seconds.
 * No real rule nests its YAML more than a dozen levels deep or uses an alias at all.
 */
export const MAX_RULE_FILE_BYTES = 2 ** 20;
export const MAX_YAML_DEPTH = 64;
/** yaml's own default, stated: how far aliases may expand before a file is a billion-laughs attack. */
const MAX_ALIAS_COUNT = 100;

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
function readRuleFile(file: string): string | RuleProblem {
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

export async function loadRules(paths: readonly string[]): Promise<LoadResult> {
  const { files, problems } = await ruleFiles(paths);
  const rules: LoadedRule[] = [];
  const pending: PendingCorrelation[] = [];
  for (const file of files) {
    const text = readRuleFile(file);
    if (typeof text === 'string') loadFile(file, text, rules, problems, pending);
    else problems.push(text);
  }
  await refuseUncompilableRegexes(rules, problems);
  const seen = new Map<string, { file: string; line: number }>();
  for (const r of [...rules, ...pending]) {
    const id = r.rule.id;
    if (!id) continue;
    const first = seen.get(id);
    if (first)
      problems.push({
        code: 'DUPLICATE_ID',
        file: r.file,
        line: r.line,
        ruleId: id,
        message: `duplicate rule id (also ${first.file}:${first.line}); neither rule is loaded`,
      });
    else seen.set(id, r);
  }
  const dupes = new Set(problems.filter((p) => p.code === 'DUPLICATE_ID').map((p) => p.ruleId));
  const kept = rules.filter((r) => !r.rule.id || !dupes.has(r.rule.id));
  const correlations = resolveCorrelations(
    pending.filter((c) => !c.rule.id || !dupes.has(c.rule.id)),
    kept,
    problems,
  );
  return { rules: kept, correlations, problems };
}

/**
 * Compile each distinct regular expression once in DuckDB's RE2, exactly as the rules hand it over:
 * RE2 refuses patterns JavaScript accepts (a repetition over 1000, nested ones whose product is,
 * a program over its memory budget), and such a rule must fail here, naming itself, rather than
 * abort a whole detect. A refused rule is dropped from `rules` and becomes a problem.
 */
async function refuseUncompilableRegexes(rules: LoadedRule[], problems: RuleProblem[]): Promise<void> {
  const patterns = [...new Set(rules.flatMap((r) => r.compiled.regexes))];
  if (patterns.length === 0) return;
  const refused = new Map<string, string>();
  const db = await CaseDb.open(':memory:', { fileAccess: false });
  try {
    for (const p of patterns) {
      try {
        await db.exec(sql`SELECT regexp_matches('', ${p})`);
      } catch (err) {
        if (!(err instanceof SqlError)) throw err;
        refused.set(p, err.message.replace(/^Invalid Input Error: /, ''));
      }
    }
  } finally {
    db.close();
  }
  const kept = rules.filter((r) => {
    const bad = r.compiled.regexes.find((p) => refused.has(p));
    if (bad === undefined) return true;
    const shown = JSON.stringify(bad.length > 80 ? `${bad.slice(0, 80)}...` : bad);
    problems.push({
      code: 'REGEX',
      file: r.file,
      line: r.line,
      ruleId: r.rule.id ?? r.rule.title,
      message: `detection: regular expression ${shown} cannot compile in DuckDB's RE2: ${refused.get(bad)}`,
    });
    return false;
  });
  rules.splice(0, rules.length, ...kept);
}

/** One YAML document of a rule file, with what its problems are located by. */
interface Doc {
  file: string;
  doc: Document;
  lc: LineCounter;
  /** The line the document starts on. */
  line: number;
}

/** Where a loaded file's rules, correlations and problems go. */
interface Sink {
  rules: LoadedRule[];
  problems: RuleProblem[];
  correlations: PendingCorrelation[];
}

const tooDeep = `YAML: nested too deeply to read (more than ${MAX_YAML_DEPTH} levels)`;
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Parse one file's YAML documents (a file may hold several rules separated by ---). */
export function loadFile(file: string, text: string, rules: LoadedRule[], problems: RuleProblem[], correlations: PendingCorrelation[]): void {
  const lc = new LineCounter();
  let docs: Document[];
  try {
    docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false });
  } catch (err) {
    // The parser recurses into flow collections: a file deep enough overflows it before any bound can look.
    if (!(err instanceof RangeError)) throw err;
    problems.push({ code: 'YAML', file, line: 1, message: tooDeep });
    return;
  }
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const d: Doc = { file, doc, lc, line: lineAt(lc, doc.contents?.range?.[0]) };
    const value = documentValue(d, problems);
    if (value !== null && value !== undefined) loadValue(d, value, { rules, problems, correlations });
  }
}

const lineAt = (lc: LineCounter, offset: number | undefined) => (offset === undefined ? 1 : lc.linePos(offset).line);

/** The document as a JS value, or undefined when its YAML is a problem (syntax, depth, aliases). */
function documentValue(d: Doc, problems: RuleProblem[]): unknown {
  const { file, doc, lc, line } = d;
  const header = isMap(doc.contents) ? doc.get('id') : undefined;
  const ruleId = typeof header === 'string' ? header : undefined;
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      problems.push({ code: 'YAML', file, line: lineAt(lc, e.pos[0]), message: /call stack/i.test(e.message) ? tooDeep : `YAML: ${e.message.split('\n')[0]}` });
    }
    return undefined;
  }
  const deep = deeperThan(doc, MAX_YAML_DEPTH);
  if (deep) {
    problems.push({ code: 'YAML', file, line: lineAt(lc, deep.range?.[0]), ruleId, message: `YAML: nested more than ${MAX_YAML_DEPTH} levels: not loaded` });
    return undefined;
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const m = messageOf(err);
    problems.push({
      code: 'YAML',
      file,
      line,
      ruleId,
      message: /alias/i.test(m) ? `YAML: its aliases expand more than ${MAX_ALIAS_COUNT} times (a billion-laughs file?): not loaded` : `YAML: ${m}`,
    });
    return undefined;
  }
}

/** A document's value checked against the schema: a rule (compiled), a correlation (joined later), or its problems. */
function loadValue(d: Doc, value: unknown, sink: Sink): void {
  const ruleId = isRecord(value) && typeof value.id === 'string' ? value.id : undefined;
  const isCorrelation = value !== null && typeof value === 'object' && Object.hasOwn(value, 'correlation');
  const parsed = isCorrelation ? SigmaCorrelation.safeParse(value) : SigmaRule.safeParse(value);
  if (!parsed.success) {
    schemaProblems(d, parsed.error.issues, ruleId, sink.problems);
    // Every problem at once: the detection is still compiled when the rest of the rule is wrong.
    const detection = isRecord(value) ? value.detection : undefined;
    if (!isCorrelation && isRecord(detection) && 'condition' in detection) compileOrProblem(d, detection, ruleId, sink.problems);
    return;
  }
  if ('correlation' in parsed.data) {
    sink.correlations.push({ rule: parsed.data, file: d.file, line: d.line });
    return;
  }
  const compiled = compileOrProblem(d, parsed.data.detection, ruleId, sink.problems);
  if (compiled) sink.rules.push({ rule: parsed.data, file: d.file, line: d.line, compiled });
}

/** Each schema issue as a problem at the line of the key it concerns. */
function schemaProblems(d: Doc, issues: readonly z.core.$ZodIssue[], ruleId: string | undefined, problems: RuleProblem[]): void {
  for (const issue of issues) {
    problems.push({
      code: 'SCHEMA',
      file: d.file,
      line: lineOf(d.doc, issue.path.filter(isPathKey), d.lc) ?? d.line,
      ruleId,
      message: `${issue.path.join('.') || 'rule'}: ${issue.message}`,
    });
  }
}

const isPathKey = (k: PropertyKey): k is string | number => typeof k !== 'symbol';

/** The detection compiled, or null with the compiler's refusal as a problem at the detection's line. */
function compileOrProblem(d: Doc, detection: Record<string, unknown>, ruleId: string | undefined, problems: RuleProblem[]): CompiledExpr | null {
  try {
    return compileDetection(detection);
  } catch (err) {
    if (!(err instanceof DetectionError)) throw err;
    problems.push({ code: 'DETECTION', file: d.file, line: lineOf(d.doc, ['detection'], d.lc) ?? d.line, ruleId, message: `detection: ${err.message}` });
    return null;
  }
}

/** The first node nested more than `max` collections deep, found without recursion (the walk must not overflow either). */
function deeperThan(doc: Document, max: number): { range?: [number, number, number] | null } | undefined {
  const stack: [unknown, number][] = [[doc.contents, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (isPair(node)) {
      stack.push([node.key, depth], [node.value, depth]);
    } else if (isCollection(node)) {
      if (depth + 1 > max) return node;
      for (const item of node.items) stack.push([item, depth + 1]);
    }
  }
  return undefined;
}

/** The line of the node at `path` (or its nearest existing parent) in a YAML document. */
function lineOf(doc: Document, p: (string | number)[], lc: LineCounter): number | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
    const start = isNode(node) ? node.range?.[0] : undefined;
    if (start !== undefined && (n === 0 || isMap(doc.contents))) return lc.linePos(start).line;
  }
  return undefined;
}
