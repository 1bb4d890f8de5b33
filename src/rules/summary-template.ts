/**
 * The placeholders of a rule's output.summary:
 * `{field.path}` in an output.summary; `{a|b|c}` takes the first field that is present, and an
 * empty last alternative (`{errorCode|}`) prints nothing instead of `?` when none is. An
 * alternative may name a formatter after a colon (`{requestParameters.ipPermissions:permissions}`):
 * the field's JSON value rendered as words by SQL of keytrail's own (summary-sql.ts FORMATTERS).
 */
export const PLACEHOLDER = /\{([A-Za-z0-9_.@:-]+(?:\|[A-Za-z0-9_.@:-]*)*)\}/g;

/** The formatters a placeholder may name, and what each renders. */
export const FORMATTER_NAMES = {
  permissions: 'EC2 security-group permissions (ipPermissions) as `tcp/22 from 0.0.0.0/0, ::/0; all from sg-1`',
  list: 'an array, or the `items` of an object, as its values joined by `, ` (`{"items":[{"userId":"1"}]}` → `1`)',
  principals: 'the principals of a policy document (JSON or a string holding it) as `arn:aws:iam::1:root, ec2.amazonaws.com`',
  filters: 'Secrets Manager filters (`[{"key":"tag-key","values":["a","b"]}]`) as `secrets matching tag-key a or b`',
  for: 'a value as ` for VALUE`, leading space included; with a trailing `|`, nothing when absent (`{eventName}{requestParameters.domain:for|}`)',
  failed: 'an error code as ` (failed: AccessDenied)`, leading space included; with a trailing `|`, nothing for a call that succeeded',
} as const;
export type FormatterName = keyof typeof FORMATTER_NAMES;

export interface Alternative {
  field: string;
  format?: FormatterName;
}
export interface Placeholder {
  /** As written, braces included. */
  text: string;
  alts: Alternative[];
  /** An empty last alternative: prints nothing when no field is present. */
  optional: boolean;
}
/** A template as literal text and placeholders, in order. */
export type TemplatePart = string | Placeholder;

const isFormatter = (f: string): f is FormatterName => Object.hasOwn(FORMATTER_NAMES, f);

export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    const alts = m[1]!.split('|');
    parts.push({
      text: m[0],
      optional: alts.length > 1 && alts.at(-1) === '',
      alts: alts.filter(Boolean).map((a) => {
        const [field, format] = a.split(':', 2) as [string, string | undefined];
        return format !== undefined && isFormatter(format) ? { field, format } : { field: format === undefined ? field : a };
      }),
    });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

/** What is wrong with a summary template (an unknown formatter), or undefined. */
export function summaryProblem(template: string): string | undefined {
  for (const m of template.matchAll(PLACEHOLDER)) {
    for (const a of m[1]!.split('|')) {
      const i = a.indexOf(':');
      if (i < 0) continue;
      const f = a.slice(i + 1);
      if (!isFormatter(f) || a.slice(0, i) === '')
        return `${m[0]}: ${JSON.stringify(a)} is not field:formatter (formatters: ${Object.keys(FORMATTER_NAMES).join(', ')})`;
    }
  }
  return undefined;
}

export const placeholdersOf = (template: string) => [...template.matchAll(PLACEHOLDER)].flatMap((m) => m[1]!.split('|').filter(Boolean));
