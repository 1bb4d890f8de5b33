/**
 * The Sigma rule schema (zod), strict: an unknown or misspelt key is an error that names the valid
 * keys, never silently ignored. Sigma's documented top-level keys are accepted so that public rules
 * load unmodified; keytrail's additions live in `tests` and `output`, which Sigma tools ignore.
 */
import { z } from 'zod';

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
  summary: z.string().min(1),
  fields: z.array(z.string()).optional(),
});

/** The keys every Sigma document has, a detection rule and a correlation rule alike. */
const META = {
  title: z.string().min(1).max(256),
  id: z.uuid().optional(),
  name: z.string().optional(),
  related: z.array(z.strictObject({ id: z.uuid(), type: z.enum(['derived', 'obsolete', 'merged', 'renamed', 'similar']) })).optional(),
  taxonomy: z.string().optional(),
  status: z.enum(['stable', 'test', 'experimental', 'deprecated', 'unsupported']).optional(),
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
  output: RuleOutput.optional(),
};

export const SigmaRule = z.strictObject({
  ...META,
  logsource: z.strictObject({
    product: z.string().optional(),
    service: z.string().optional(),
    category: z.string().optional(),
    definition: z.string().optional(),
  }),
  detection: z.record(z.string(), z.unknown()).refine((d) => 'condition' in d, { message: 'detection needs a condition' }),
  tests: z.array(RuleTest).optional(),
});

export type SigmaRule = z.infer<typeof SigmaRule>;

export const CORRELATION_TYPES = ['event_count', 'value_count', 'temporal', 'temporal_ordered'] as const;

/** An inline test of a correlation: a sequence of events, and whether the correlation must fire on it. */
export const CorrelationTest = z.strictObject({
  name: z.string().min(1),
  match: z.boolean(),
  events: z.array(z.record(z.string(), z.unknown())).min(1),
});

const count = z.number().int().nonnegative();

/**
 * A Sigma correlation rule (specification 2.0): a document with `correlation:` instead of
 * `detection:`. `generate` is read at the top level (the specification) or inside `correlation`
 * (where pySigma reads it).
 */
export const SigmaCorrelation = z.strictObject({
  ...META,
  correlation: z.strictObject({
    type: z.enum(CORRELATION_TYPES),
    rules: z.array(z.string().min(1)).min(1),
    'group-by': z.array(z.string().min(1)).optional(),
    timespan: z.string().regex(/^\d+[smhd]$/, 'timespan is a number and one of s, m, h, d (e.g. 90m)'),
    condition: z
      .strictObject({
        gt: count.optional(),
        gte: count.optional(),
        lt: count.optional(),
        lte: count.optional(),
        eq: count.optional(),
        neq: count.optional(),
        field: z.string().min(1).optional(),
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
