/**
 * The resource registry: one entry per CloudTrail event that creates, changes, shares or deletes
 * something billable or dangerous, with where its id(s) and details are and what undoes it
 * (resources/entry.ts says what an entry is). Step 2 (IAM) and Step 3 (everything else) of the
 * report read resources through it (resource-sql.ts), and remediation.sh takes its undo commands
 * from it (resource-undo.ts).
 *
 * To register an event: add an entry to its service's file under resources/ (or a new file, listed
 * below), and an example record of it to test/fixtures/ (test/report/resource-registry.test.ts
 * checks that every registered event's example yields the id the record holds).
 */
import { CONTAINERS } from './resources/containers.js';
import { EC2_COMPUTE } from './resources/ec2.js';
import { EC2_NETWORK } from './resources/ec2-network.js';
import { EC2_SHARING } from './resources/ec2-sharing.js';
import { DOCS, type Locator, RESOURCE_TYPES, type ResourceEntry } from './resources/entry.js';
import { IAM_ENTRIES } from './resources/iam.js';
import { LAMBDA_RDS } from './resources/lambda-rds.js';
import { OPERATIONS } from './resources/operations.js';
import { S3_ENTRIES } from './resources/s3.js';
import { SERVICES } from './resources/services.js';

export type { Action, Detail, Format, Locator, ResourceEntry, ResourceType } from './resources/entry.js';
export { ACTIONS, ARG_KINDS, RESOURCE_TYPES } from './resources/entry.js';

export const RESOURCE_REGISTRY: readonly ResourceEntry[] = [
  ...EC2_COMPUTE,
  ...EC2_SHARING,
  ...EC2_NETWORK,
  ...LAMBDA_RDS,
  ...S3_ENTRIES,
  ...IAM_ENTRIES,
  ...CONTAINERS,
  ...SERVICES,
  ...OPERATIONS,
];

const key = (eventSource: string, eventName: string) => `${eventSource} ${eventName}`;
const BY_EVENT = new Map(RESOURCE_REGISTRY.map((e) => [key(e.eventSource, e.eventName), e]));

/** The entry of an event, or undefined when it is not registered. */
export const registryEntry = (eventSource: string, eventName: string): ResourceEntry | undefined => BY_EVENT.get(key(eventSource, eventName));

/**
 * A path the SQL can read: `$`, then `.name`, `."quoted name"` or `[n]` steps, with at most one
 * `[*]` (each element of the list before it). No recursive descent (`..`), no filter.
 */
const STEP = String.raw`(\.[A-Za-z_][A-Za-z0-9_]*|\."[^"\\]+"|\[\d+\])`;
export const PATH = new RegExp(`^\\$${STEP}*(\\[\\*\\]${STEP}*)?$`);
const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/** What is wrong with the registry, as messages (empty when nothing is): checked by the tests. */
export function registryProblems(registry: readonly ResourceEntry[] = RESOURCE_REGISTRY): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const e of registry) {
    const at = `${e.eventSource} ${e.eventName}`;
    if (seen.has(key(e.eventSource, e.eventName))) problems.push(`${at}: registered twice`);
    seen.add(key(e.eventSource, e.eventName));
    if (!Object.hasOwn(RESOURCE_TYPES, e.type)) problems.push(`${at}: unknown type ${e.type}`);
    if (e.ids.length === 0) problems.push(`${at}: no id locator`);
    const locators: [string, Locator][] = [
      ...e.ids.map((l): [string, Locator] => ['id', l]),
      ...e.details.flatMap((d) => d.from.map((l): [string, Locator] => [`detail ${d.label}`, l])),
      ...Object.entries(e.args).flatMap(([name, a]) => a.from.map((l): [string, Locator] => [`arg ${name}`, l])),
    ];
    for (const [what, l] of locators) {
      if (!Object.hasOwn(DOCS, l.doc)) problems.push(`${at}: ${what}: unknown document ${l.doc}`);
      if (!PATH.test(l.path)) problems.push(`${at}: ${what}: malformed path ${l.path}`);
      if ((l.doc === 'resources') !== (l.resourceType !== undefined)) problems.push(`${at}: ${what}: a resources locator, and only one, names a resource type`);
    }
    for (const d of e.details) if (d.from.length === 0) problems.push(`${at}: detail ${d.label} reads nothing`);
    if (e.undo === null && e.undoNote !== null) problems.push(`${at}: an undo note without an undo`);
    if (e.undo && e.action === 'delete') problems.push(`${at}: a deletion cannot be undone by a command`);
    const named = new Set(['id', 'region', ...Object.keys(e.args)]);
    const used = new Set((e.undo ?? []).flatMap((w) => [...w.matchAll(PLACEHOLDER)].map((m) => m[1]!)));
    for (const u of used) if (!named.has(u)) problems.push(`${at}: undo names {${u}}, which the entry does not define`);
    for (const a of Object.keys(e.args)) if (!used.has(a)) problems.push(`${at}: arg ${a} is not used by the undo`);
  }
  return problems;
}
