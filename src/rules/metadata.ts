/**
 * The metadata check: what pySigma and sigma-cli accept and warn about, so a public pack runs as
 * written. Everything here concerns what a rule says about itself (title, id, status, level,
 * references, falsepositives, logsource, keys no tool knows), never what it matches; a value that
 * is wrong is a warning and is left out, so the rule still loads and runs. Only keytrail's own keys
 * and the logic (detection, correlation) are checked strictly, by the schema (rules/schema.ts).
 */
import { z } from 'zod';
import { LEVELS, META, STATUSES } from './schema.js';

/** What kind of warning: metadata that is empty or of the wrong shape, the id, an unknown key, the logsource. */
export type WarningCode = 'METADATA' | 'ID' | 'UNKNOWN_KEY' | 'LOGSOURCE';

export interface MetaWarning {
  code: WarningCode;
  /** The top-level key the warning concerns (for its line). */
  key: string;
  message: string;
}

/** The keys of the logic, checked by the schema; besides these and META, a key is unknown. */
const RULE_KEYS = new Set(['logsource', 'detection', 'tests', 'output']);
const CORRELATION_KEYS = new Set(['correlation', 'generate', 'tests', 'output']);

const HEX_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 4122 (9562): the version nibble 1-8 and the variant bits 10xx. */
const RFC_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

const isEmpty = (v: unknown) =>
  v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/** A scalar as YAML wrote it, for a message. */
const shown = (v: unknown) => {
  const text = JSON.stringify(v) ?? `${v}`;
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
};

/** The shape each metadata key must have, as zod reports it (first issue). */
function shapeProblem(schema: z.ZodType, v: unknown): string | null {
  const r = schema.safeParse(v);
  return r.success ? null : (r.error.issues[0]?.message ?? 'invalid');
}

/** id: any string keytrail keeps (it names the rule); a warning when it is not an RFC 4122 UUID. */
function idWarning(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  if (RFC_UUID.test(v)) return null;
  if (HEX_UUID.test(v)) return `id ${shown(v)} is a well-formed UUID but not an RFC 4122 one (version or variant digits); kept as the rule's id`;
  return `id ${shown(v)} is not a UUID; kept as the rule's id`;
}

/** status and level are read case-insensitively, as pySigma reads them. */
const ENUMS: Record<string, readonly string[]> = { status: STATUSES, level: LEVELS };

/** One metadata value: the value kept (undefined: left out) and the warning, if any. */
function checkMeta(key: keyof typeof META, v: unknown): { value?: unknown; warning?: MetaWarning } {
  if (isEmpty(v)) return { warning: { code: 'METADATA', key, message: `${key} is empty; left out` } };
  const allowed = ENUMS[key];
  const value = allowed && typeof v === 'string' && allowed.includes(v.toLowerCase()) ? v.toLowerCase() : v;
  if (key === 'id' && typeof value === 'string') {
    const message = idWarning(value);
    return { value, warning: message ? { code: 'ID', key, message } : undefined };
  }
  const problem = shapeProblem(META[key], value);
  if (problem === null) return { value };
  const why = allowed ? `must be one of ${allowed.join(', ')}` : problem;
  return { warning: { code: key === 'id' ? 'ID' : 'METADATA', key, message: `${key} ${shown(value)}: ${why}; left out` } };
}

/** logsource of a detection rule: a map of strings; keytrail reads CloudTrail, so another product or service is said. */
function logsourceWarnings(v: unknown): { value?: unknown; warnings: MetaWarning[] } {
  if (v === undefined) return { warnings: [{ code: 'LOGSOURCE', key: 'logsource', message: 'no logsource; read as AWS CloudTrail' }] };
  const parsed = z.record(z.string(), z.string()).safeParse(v);
  if (!parsed.success) return { warnings: [{ code: 'LOGSOURCE', key: 'logsource', message: `logsource ${shown(v)} is not a map of names; left out` }] };
  const { product, service } = parsed.data;
  const other = [
    product && product.toLowerCase() !== 'aws' ? `product ${product}` : '',
    service && service.toLowerCase() !== 'cloudtrail' ? `service ${service}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const warnings: MetaWarning[] = other
    ? [{ code: 'LOGSOURCE', key: 'logsource', message: `logsource is ${other}, not AWS CloudTrail: its fields are unlikely to be in a CloudTrail record` }]
    : [];
  return { value: parsed.data, warnings };
}

/**
 * The document with its metadata checked: what is wrong is a warning and left out; an unknown key
 * is a warning and left out (Sigma tools keep it as a custom attribute; nothing in keytrail reads
 * it); a logsource on a correlation (the specification has none) is a warning and left out; a
 * missing title becomes the id, name or `fallback`.
 */
export function checkMetadata(doc: Record<string, unknown>, kind: 'rule' | 'correlation', fallback: string) {
  const clean: Record<string, unknown> = {};
  const warnings: MetaWarning[] = [];
  const logic = kind === 'rule' ? RULE_KEYS : CORRELATION_KEYS;
  for (const [key, v] of Object.entries(doc)) {
    if (Object.hasOwn(META, key)) {
      const r = checkMeta(key as keyof typeof META, v);
      if (r.warning) warnings.push(r.warning);
      if (r.value !== undefined) clean[key] = r.value;
    } else if (logic.has(key)) {
      if (key !== 'logsource') clean[key] = v;
    } else if (key === 'logsource') {
      warnings.push({ code: 'LOGSOURCE', key, message: 'a correlation rule has no logsource (its rules have theirs); ignored' });
    } else {
      warnings.push({ code: 'UNKNOWN_KEY', key, message: `unknown key ${shown(key)}: not a Sigma key; ignored` });
    }
  }
  if (kind === 'rule') {
    const ls = logsourceWarnings(doc.logsource);
    warnings.push(...ls.warnings);
    if (ls.value !== undefined) clean.logsource = ls.value;
  }
  if (clean.title === undefined) {
    clean.title = clean.id ?? clean.name ?? fallback;
    if (!warnings.some((w) => w.key === 'title')) warnings.push({ code: 'METADATA', key: 'title', message: `no title; called ${shown(clean.title)}` });
  }
  return { clean, warnings };
}
