/**
 * One rule file's YAML documents, each checked and compiled: the YAML (syntax, depth, aliases), the
 * metadata (rules/metadata.ts: warnings), the logic against the schema and the compilers (errors),
 * a Sigma 1 aggregation read as its correlation (rules/sigma1.ts), and the fields a rule names
 * that CloudTrail has not (warnings). Every problem is located at its file and line.
 */
import path from 'node:path';
import { LineCounter, isCollection, isMap, isNode, isPair, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import { messageOf } from '../errors.js';
import { compileDetection, DetectionError, type CompiledExpr } from './compile-detection.js';
import type { LoadedRule, PendingCorrelation } from './load-rules.js';
import { checkMetadata } from './metadata.js';
import { PlaceholderError, type Placeholders } from './placeholders.js';
import type { RuleProblem, RuleProblemCode } from './problems.js';
import { SigmaCorrelation, SigmaRule } from './schema.js';
import { isAggregation, translateAggregation } from './sigma1.js';

/** No real rule nests its YAML more than a dozen levels deep or uses an alias at all. */
export const MAX_YAML_DEPTH = 64;
/** yaml's own default, stated: how far aliases may expand before a file is a billion-laughs attack. */
const MAX_ALIAS_COUNT = 100;

/** One YAML document of a rule file, with what its problems are located by. */
interface Doc {
  file: string;
  doc: Document;
  lc: LineCounter;
  /** The line the document starts on. */
  line: number;
  /** The document's text, to tell one rule written twice from two rules with one id. */
  source: string;
}

/** Where a loaded file's rules, correlations and problems go. */
export interface Sink {
  rules: LoadedRule[];
  problems: RuleProblem[];
  correlations: PendingCorrelation[];
  placeholders?: Placeholders;
}

const tooDeep = `YAML: nested too deeply to read (more than ${MAX_YAML_DEPTH} levels)`;
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Parse one file's YAML documents (a file may hold several rules separated by ---). */
export function loadFile(file: string, text: string, sink: Sink): void {
  const { problems } = sink;
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
    const range = doc.contents?.range;
    const d: Doc = { file, doc, lc, line: lineAt(lc, range?.[0]), source: range ? text.slice(range[0], range[1]) : '' };
    const value = documentValue(d, problems);
    if (value !== null && value !== undefined) loadValue(d, value, sink);
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
      problems.push({
        code: 'YAML',
        file,
        line: lineAt(lc, e.pos[0]),
        doc: line,
        message: /call stack/i.test(e.message) ? tooDeep : `YAML: ${e.message.split('\n')[0]}`,
      });
    }
    return undefined;
  }
  const deep = deeperThan(doc, MAX_YAML_DEPTH);
  if (deep) {
    problems.push({
      code: 'YAML',
      file,
      line: lineAt(lc, deep.range?.[0]),
      doc: line,
      ruleId,
      message: `YAML: nested more than ${MAX_YAML_DEPTH} levels: not loaded`,
    });
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
      doc: line,
      ruleId,
      message: /alias/i.test(m) ? `YAML: its aliases expand more than ${MAX_ALIAS_COUNT} times (a billion-laughs file?): not loaded` : `YAML: ${m}`,
    });
    return undefined;
  }
}

/** A problem of the document `d` at the line of `key` (a path of keys; the document's own line when absent). */
function problemAt(d: Doc, code: RuleProblemCode, ruleId: string | undefined, message: string, key: (string | number)[] = []): RuleProblem {
  return { code, file: d.file, line: (key.length ? lineOf(d.doc, key, d.lc) : undefined) ?? d.line, doc: d.line, ruleId, message };
}

/** The line of a top-level key itself (not of its value, which may start on the next line). */
function keyLine(d: Doc, key: string): number | undefined {
  const contents = d.doc.contents;
  if (!isMap(contents)) return undefined;
  const pair = contents.items.find((p) => isNode(p.key) && 'value' in p.key && p.key.value === key);
  const start = pair && isNode(pair.key) ? pair.key.range?.[0] : undefined;
  return start === undefined ? undefined : lineAt(d.lc, start);
}

/**
 * A document's value: its metadata checked (warnings, and what is wrong left out), then its logic
 * against the schema: a rule (compiled), a correlation (joined later), a Sigma 1 aggregation (both),
 * or its errors.
 */
function loadValue(d: Doc, value: unknown, sink: Sink): void {
  if (!isRecord(value)) {
    sink.problems.push(
      problemAt(d, 'SCHEMA', undefined, `a rule is a map of keys (title, detection, ...), not ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`),
    );
    return;
  }
  const ruleId = typeof value.id === 'string' ? value.id : undefined;
  const kind = Object.hasOwn(value, 'correlation') ? 'correlation' : 'rule';
  const { clean, warnings } = checkMetadata(value, kind, `${path.basename(d.file)}:${d.line}`);
  for (const w of warnings) sink.problems.push({ ...problemAt(d, w.code, ruleId, w.message), line: keyLine(d, w.key) ?? d.line });
  const detection = clean.detection;
  if (kind === 'rule' && isRecord(detection) && isAggregation(detection.condition)) return loadAggregation(d, clean, ruleId, sink);
  if (kind === 'rule' && isRecord(detection) && detection.timeframe !== undefined)
    sink.problems.push(
      problemAt(d, 'IGNORED', ruleId, 'detection.timeframe is ignored: it applies only to a Sigma 1 aggregation ("| count() ...")', ['detection', 'timeframe']),
    );
  loadChecked(d, clean, ruleId, sink);
}

/** A document whose metadata is checked, against the schema and the compiler. */
function loadChecked(d: Doc, value: Record<string, unknown>, ruleId: string | undefined, sink: Sink, name?: string): void {
  const isCorrelation = Object.hasOwn(value, 'correlation');
  if (!isCorrelation && value.detection === undefined) {
    sink.problems.push(problemAt(d, 'SCHEMA', ruleId, 'no detection: a rule needs detection (its selections and a condition), or correlation'));
    return;
  }
  const parsed = isCorrelation ? SigmaCorrelation.safeParse(value) : SigmaRule.safeParse(value);
  if (!parsed.success) {
    schemaProblems(d, parsed.error.issues, ruleId, sink.problems);
    // Every problem at once: the detection is still compiled when the rest of the rule is wrong.
    const detection = value.detection;
    if (!isCorrelation && isRecord(detection) && 'condition' in detection) compileOrProblem(d, detection, ruleId, sink);
    return;
  }
  if ('correlation' in parsed.data) {
    sink.correlations.push({ rule: parsed.data, file: d.file, line: d.line, source: d.source });
    return;
  }
  const compiled = compileOrProblem(d, parsed.data.detection, ruleId, sink);
  if (!compiled) return;
  for (const f of compiled.unknownFields)
    sink.problems.push(
      problemAt(d, 'FIELD', ruleId, `field ${f} is not in a CloudTrail record; it matches as absent${name ? ` (in ${name})` : ''}`, ['detection']),
    );
  sink.rules.push({ rule: parsed.data, file: d.file, line: d.line, compiled, source: name ? undefined : d.source });
}

/** A Sigma 1 aggregation: its searches as base rules and the correlation that means the same (a note says so). */
function loadAggregation(d: Doc, value: Record<string, unknown>, ruleId: string | undefined, sink: Sink): void {
  let t: ReturnType<typeof translateAggregation>;
  try {
    t = translateAggregation(value, ruleId ?? `${d.file}:${d.line}`);
  } catch (err) {
    if (!(err instanceof DetectionError)) throw err;
    sink.problems.push(problemAt(d, 'DETECTION', ruleId, `detection: ${err.message}`, ['detection', 'condition']));
    return;
  }
  sink.problems.push(problemAt(d, 'SIGMA1', ruleId, t.note, ['detection', 'condition']));
  // All or nothing: a search that does not load takes its correlation with it, and the reverse.
  const own: Sink = { ...sink, rules: [], correlations: [] };
  for (const b of t.bases) loadChecked(d, b, ruleId, own, `${b.name}`);
  if (own.rules.length === t.bases.length) loadChecked(d, t.correlation, ruleId, own);
  if (own.correlations.length === 0) return;
  sink.rules.push(...own.rules.map((r) => ({ ...r, searchOf: own.correlations[0]! })));
  sink.correlations.push(...own.correlations);
}

/** Each schema issue as a problem at the line of the key it concerns. */
function schemaProblems(d: Doc, issues: readonly z.core.$ZodIssue[], ruleId: string | undefined, problems: RuleProblem[]): void {
  for (const issue of issues) {
    problems.push(problemAt(d, 'SCHEMA', ruleId, `${issue.path.join('.') || 'rule'}: ${issue.message}`, issue.path.filter(isPathKey)));
  }
}

const isPathKey = (k: PropertyKey): k is string | number => typeof k !== 'symbol';

/** The detection compiled, or null with the compiler's refusal as a problem at the detection's line. */
function compileOrProblem(d: Doc, detection: Record<string, unknown>, ruleId: string | undefined, sink: Sink): CompiledExpr | null {
  try {
    return compileDetection(detection, { placeholders: sink.placeholders });
  } catch (err) {
    if (!(err instanceof DetectionError) && !(err instanceof PlaceholderError)) throw err;
    const code = err instanceof PlaceholderError ? 'PLACEHOLDER' : 'DETECTION';
    sink.problems.push(problemAt(d, code, ruleId, `detection: ${err.message}`, ['detection']));
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
