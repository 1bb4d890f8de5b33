/**
 * The placeholders of a rule's output.summary:
 * `{field.path}` in an output.summary; `{a|b|c}` takes the first field that is present, and an
 * empty last alternative (`{errorCode|}`) prints nothing instead of `?` when none is.
 */
export const PLACEHOLDER = /\{([A-Za-z0-9_.@-]+(?:\|[A-Za-z0-9_.@-]*)*)\}/g;
export const placeholdersOf = (template: string) => [...template.matchAll(PLACEHOLDER)].flatMap((m) => m[1]!.split('|').filter(Boolean));
