/**
 * The Sigma rule schema (zod) for what evaluation needs: detection (or correlation), and keytrail's
 * additions `tests` and `output`, which Sigma tools ignore. A problem there is an error: the rule
 * cannot be evaluated as written. Metadata reaches this schema already checked (rules/metadata.ts:
 * what is wrong there is a warning and the rule still runs), so its types here are the clean ones.
 */
import { z } from 'zod';
import { summaryProblem } from './summary-template.js';

export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Level = (typeof LEVELS)[number];

const stringOrList = z.union([z.string(), z.array(z.string())]);

/** An inline test: one event, and whether the rule must flag it. */
export const RuleTest = z.strictObject({
  name: z.string().min(1),
  match: z.boolean(),
  event: z.record(z.string(), z.unknown()),
});

export const RuleOutput = z.strictObject({
  /** A sentence for the finding, with {field.path} placeholders filled from the event. */
  summary: z
    .string()
    .min(1)
    .superRefine((t, ctx) => {
      const problem = summaryProblem(t);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  fields: z.array(z.string()).optional(),
});

export const STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;
export type Status = (typeof STATUSES)[number];

/**
 * The metadata every Sigma document may have, as keytrail keeps it. A value that is not of this
 * shape (empty, null, misspelt, another type) is a warning of the metadata check
 * (rules/metadata.ts) and is left out before the rule reaches this schema: it never stops a rule.
 */
export const META = {
  title: z.string().min(1).max(256),
  id: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  related: z.array(z.strictObject({ id: z.string().min(1), type: z.enum(['derived', 'obsolete', 'merged', 'renamed', 'similar']) })).optional(),
  taxonomy: z.string().optional(),
  status: z.enum(STATUSES).optional(),
  description: z.string().optional(),
  license: z.string().optional(),
  author: z.string().optional(),
  references: z.array(z.string()).optional(),
  date: z.union([z.string(), z.date()]).optional(),
  modified: z.union([z.string(), z.date()]).optional(),
  tags: z.array(z.string()).optional(),
  scope: z.array(z.string()).optional(),
  fields: z.array(z.string()).optional(),
  falsepositives: stringOrList.optional(),
  level: z.enum(LEVELS).optional(),
};

/** keytrail's own keys, which Sigma tools ignore: checked strictly, as they are keytrail's to define. */
const KEYTRAIL = { output: RuleOutput.optional() };

export const LogSource = z.record(z.string(), z.string());

export const SigmaRule = z.strictObject({
  ...META,
  ...KEYTRAIL,
  logsource: LogSource.optional(),
  detection: z.record(z.string(), z.unknown()).refine((d) => 'condition' in d, { message: 'detection needs a condition' }),
  tests: z.array(RuleTest).optional(),
});

export type SigmaRule = z.infer<typeof SigmaRule>;

export const CORRELATION_TYPES = ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile'] as const;

/** An inline test of a correlation: a sequence of events, and whether the correlation must fire on it. */
export const CorrelationTest = z.strictObject({
  name: z.string().min(1),
  match: z.boolean(),
  events: z.array(z.record(z.string(), z.unknown())).min(1),
});

/** A condition's bound: a count for the counting types, any number for value_sum, value_avg and value_percentile (the compiler tells them apart). */
const bound = z.number();

/**
 * A Sigma correlation rule (specification 2.0, and pySigma's value_sum, value_avg and
 * value_percentile): a document with `correlation:` instead of `detection:`. `generate` is read at the top level (the specification) or inside `correlation`
 * (where pySigma reads it).
 */
export const SigmaCorrelation = z.strictObject({
  ...META,
  ...KEYTRAIL,
  correlation: z.strictObject({
    type: z.enum(CORRELATION_TYPES),
    rules: z.array(z.string().min(1)).min(1),
    'group-by': z.array(z.string().min(1)).optional(),
    timespan: z.string().regex(/^\d+[smhd]$/, 'timespan is a number and one of s, m, h, d (e.g. 90m)'),
    condition: z
      .strictObject({
        gt: bound.optional(),
        gte: bound.optional(),
        lt: bound.optional(),
        lte: bound.optional(),
        eq: bound.optional(),
        neq: bound.optional(),
        field: z.string().min(1).optional(),
        /** value_percentile: which percentile of the field's values (0 to 100) is compared (pySigma's condition.percentile). */
        percentile: z.number().int().min(0).max(100).optional(),
      })
      .optional(),
    aliases: z.record(z.string(), z.record(z.string(), z.string().min(1))).optional(),
    generate: z.boolean().optional(),
  }),
  generate: z.boolean().optional(),
  tests: z.array(CorrelationTest).optional(),
});

export type SigmaCorrelation = z.infer<typeof SigmaCorrelation>;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];
