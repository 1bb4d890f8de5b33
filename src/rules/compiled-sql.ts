/**
 * Each loaded rule as the SQL keytrail runs for it, with its bound parameters, as `keytrail rules
 * compile` prints it: a rule's condition over `events`, a correlation's statement over the matches
 * of its base rules. Names from the rule files are made printable (they are comments here).
 */
import { jsonText, printable } from '../escape.js';
import type { Bound, Sql } from '../store/sql.js';
import { BASELINE_FIELD, BASELINE_JOIN, readsBaseline } from './baseline.js';
import { ruleId } from './detect.js';
import type { LoadedCorrelation, LoadedRule } from './load-rules.js';

/** A fragment as it is run: its text numbered from $1, and the values of its placeholders (a list as an array). */
function listing(fragment: Sql): { text: string; params: string } {
  const built = fragment.build();
  const plain = (b: Bound): unknown => (b.kind === 'list' ? [...b.values] : b.value);
  return { text: built.text, params: jsonText(built.params.map(plain)) };
}

export function ruleSqlText(r: LoadedRule): string {
  const l = listing(r.compiled.where);
  const reads = readsBaseline(r.compiled.where);
  const from = reads ? `events ${BASELINE_JOIN.build().text}` : 'events';
  const note = reads ? `-- ${BASELINE_FIELD}: kt_baseline(rid, baseline) is computed by keytrail before the scan (src/rules/baseline.ts)\n` : '';
  return `-- ${printable(`${ruleId(r)}: ${r.rule.title} (${r.file}:${r.line})`)}\n${note}SELECT eventID FROM ${from} WHERE ${l.text};\n-- parameters: ${l.params}\n\n`;
}

export function correlationSqlText(c: LoadedCorrelation): string {
  const l = listing(c.compiled.query);
  const bases = c.inputs
    .map(
      (b, i) =>
        `--   r = ${i}: ${printable(`${ruleId(b)} (${b.file}:${b.line})`)}${'correlation' in b.rule ? ' (a correlation: its findings, from corr_nested)' : ''}`,
    )
    .join('\n');
  return (
    `-- ${printable(`${ruleId(c)}: ${c.rule.title} (${c.file}:${c.line}), ${c.rule.correlation.type}`)}\n` +
    `-- reads corr_input(rid, r): the rowid of each event a base rule matched, and which rule:\n${bases}\n` +
    `${l.text.replace(/\n\s*\n/g, '\n')};\n-- parameters: ${l.params}\n\n`
  );
}
