/**
 * Each loaded rule as the SQL keytrail runs for it, with its bound parameters, as `keytrail rules
 * compile` prints it: a rule's condition over `events`, a correlation's statement over the matches
 * of its base rules. Names from the rule files are made printable (they are comments here).
 */
import { jsonText, printable } from '../escape.js';
import { ruleId } from './detect.js';
import type { LoadedCorrelation, LoadedRule } from './load-rules.js';

export function ruleSqlText(r: LoadedRule): string {
  return (
    `-- ${printable(`${ruleId(r)}: ${r.rule.title} (${r.file}:${r.line})`)}\n` +
    `SELECT eventID FROM events WHERE ${r.compiled.sql};\n-- parameters: ${jsonText(r.compiled.params)}\n\n`
  );
}

export function correlationSqlText(c: LoadedCorrelation): string {
  const bases = c.bases.map((b, i) => `--   r = ${i}: ${printable(`${ruleId(b)} (${b.file}:${b.line})`)}`).join('\n');
  return (
    `-- ${printable(`${ruleId(c)}: ${c.rule.title} (${c.file}:${c.line}), ${c.rule.correlation.type}`)}\n` +
    `-- reads corr_input(rid, r): the rowid of each event a base rule matched, and which rule:\n${bases}\n` +
    `${c.compiled.sql.replace(/\n\s*\n/g, '\n')};\n-- parameters: ${jsonText(c.compiled.params)}\n\n`
  );
}
