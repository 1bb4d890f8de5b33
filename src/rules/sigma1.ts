/**
 * Sigma 1 aggregations, read as the Sigma 2 correlation that means the same (SigmaHQ keeps such
 * rules under unsupported/, pySigma refuses them):
 *
 *   condition: selection | count() by userIdentity.arn > 10     → event_count, group-by the field
 *   condition: selection | count(eventName) by sourceIPAddress > 5 → value_count of eventName
 *   condition: selection | sum(x) > 100, avg(x) > 100           → value_sum, value_avg of x
 *   condition: sel1 | near sel2 and sel3                         → temporal over sel1, sel2, sel3
 *   detection.timeframe: 10m                                     → the correlation's timespan
 *
 * The search before the `|` becomes a base rule of its own (no id, no findings of its own); the
 * correlation takes the rule's id, title, level and the rest, so findings read as the rule's. An
 * aggregation without a timeframe counts over the whole case. What has no Sigma 2 equivalent
 * (min, max, `near ... and not`, `near` without a timeframe) is an error naming what to do.
 */
import { DetectionError } from './compile-detection.js';

/** The whole case, as a timespan: an aggregation without a timeframe counts over everything. */
export const WHOLE_CASE = '36500d';

const AGGREGATION =
  /^(?<search>.*?)\s*\|\s*(?<fn>count|sum|avg|min|max)\(\s*(?<field>[^()\s]*)\s*\)\s*(?:by\s+(?<group>[^\s<>=!]+)\s*)?(?<op>==|=|!=|<=|>=|<|>)\s*(?<n>\d+(?:\.\d+)?)\s*$/is;
const NEAR = /^(?<search>.*?)\s*\|\s*near\s+(?<rest>.+)$/is;

const OPS: Record<string, string> = { '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte', '=': 'eq', '==': 'eq', '!=': 'neq' };
const TYPES: Record<string, string> = { count: 'event_count', sum: 'value_sum', avg: 'value_avg' };

/** A detection condition that holds a Sigma 1 aggregation (a `|` outside any value). */
export const isAggregation = (condition: unknown): condition is string => typeof condition === 'string' && condition.includes('|');

export interface Translation {
  /** Detection rules, each with a `name` the correlation refers to it by. */
  bases: Record<string, unknown>[];
  correlation: Record<string, unknown>;
  /** What was read, for the note `rules validate` shows. */
  note: string;
}

/**
 * The rule (its metadata already checked) as base rules and a correlation. `name` is what the
 * base rules are named after (unique within the pack: the rule's id, or file and line).
 */
export function translateAggregation(rule: Record<string, unknown>, name: string): Translation {
  const { condition, timeframe, ...selections } = rule.detection as Record<string, unknown>;
  if (typeof condition !== 'string') throw new DetectionError('a Sigma 1 aggregation needs a single condition, not a list');
  if (timeframe !== undefined && (typeof timeframe !== 'string' || !/^\d+[smhd]$/.test(timeframe)))
    throw new DetectionError(`timeframe ${JSON.stringify(timeframe)} is not a number followed by s, m, h or d (e.g. 10m)`);
  const { detection: _d, tests: _t, output: _o, ...meta } = rule;
  const { logsource: _l, ...corrMeta } = meta;
  const own = { ...corrMeta, ...(rule.tests ? { tests: rule.tests } : {}), ...(rule.output ? { output: rule.output } : {}) };
  const base = (search: string, part: string) => ({
    ...meta,
    id: undefined,
    name: `${name}#${part}`,
    title: `${meta.title} (${part})`,
    detection: { ...selections, condition: search },
  });
  const span = timeframe ?? WHOLE_CASE;
  const within = timeframe ? `within ${timeframe}` : 'over the whole case (no timeframe)';
  const near = NEAR.exec(condition);
  if (near?.groups) {
    if (!timeframe) throw new DetectionError(`"${condition}": near needs a timeframe (detection.timeframe, e.g. 5m) to say how near`);
    const searches = [near.groups.search!, ...near.groups.rest!.split(/\s+and\s+/i)].map((s) => s.trim());
    if (searches.some((s) => /^not\b/i.test(s)))
      throw new DetectionError(`"${condition}": near ... and not (an event that must not occur) has no Sigma 2 correlation equivalent`);
    const bases = searches.map((s, i) => base(s, `search ${i + 1}`));
    const correlation = { ...own, correlation: { type: 'temporal', rules: bases.map((b) => b.name), timespan: span }, generate: false };
    return { bases, correlation, note: `Sigma 1 "${condition}" read as a temporal correlation of ${searches.length} searches ${within}` };
  }
  const m = AGGREGATION.exec(condition);
  const g = m?.groups;
  if (!g)
    throw new DetectionError(`cannot read the Sigma 1 aggregation in "${condition}" (keytrail reads "| count(field) by field > N", sum, avg and "| near")`);
  const fn = g.fn!.toLowerCase();
  const type = fn === 'count' && g.field ? 'value_count' : TYPES[fn];
  if (!type) throw new DetectionError(`"${condition}": ${fn}() has no Sigma 2 correlation equivalent (count, count(field), sum and avg have)`);
  if (fn !== 'count' && !g.field) throw new DetectionError(`"${condition}": ${fn}() needs the field it computes over`);
  const b = base(g.search!, 'search');
  const correlation = {
    ...own,
    correlation: {
      type,
      rules: [b.name],
      ...(g.group ? { 'group-by': [g.group] } : {}),
      timespan: span,
      condition: { [OPS[g.op!]!]: Number(g.n), ...(g.field ? { field: g.field } : {}) },
    },
    generate: false,
  };
  return { bases: [b], correlation, note: `Sigma 1 "${condition}" read as ${type === 'event_count' ? 'an' : 'a'} ${type} correlation ${within}` };
}
