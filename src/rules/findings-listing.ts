/**
 * The case's findings table (kept by a run's Findings.store()) as `keytrail detect` lists it, the
 * count --fail-on looks at, and findings grouped for reading (rule x principal x access key), as
 * detect's table and the report show them.
 */
import { z } from 'zod';
import type { CaseDb } from '../store/db.js';
import { type Sql, sql } from '../store/sql.js';
import { isoTime } from '../store/vocabulary.js';
import { LEVELS, type Level } from './schema.js';

/** The columns of a finding's line in a table or CSV. */
export const FINDING_LINE_COLUMNS = ['time', 'level', 'rule', 'title', 'summary', 'eventID', 'author'];

/** Every kept finding as a line (FINDING_LINE_COLUMNS, every contributing eventID in one cell), in the findings' order. */
export function findingLines(): Sql {
  return sql`SELECT ${isoTime('eventTime')} AS time, level, rule_id AS rule, rule_title AS title, summary, array_to_string(event_ids, ' ') AS eventID, rule_author AS author
             FROM findings ORDER BY findings.eventTime, rule_id, event_ids[1]`;
}

/** How many kept findings are at `level` or above. */
export async function findingsAtOrAbove(db: CaseDb, level: Level): Promise<number> {
  const levels = LEVELS.slice(LEVELS.indexOf(level));
  const { n } = await db.one(sql`SELECT count(*) AS n FROM findings WHERE level IN (SELECT unnest(${sql.list(levels)}))`, z.object({ n: z.number() }));
  return n;
}

/** How many of a group's eventIDs a group carries (the first ones in time); every one is in the findings themselves. */
export const GROUP_EVENT_IDS = 3;

/**
 * Findings grouped by rule x principal x access key, highest level first, then by first time: one
 * row per group with `rule` (as in a finding), `principal`, `accessKeyId`, `findings` (how many),
 * `events` (distinct eventIDs), `first` and `last` (ISO times), `regions` (sorted), `summary` (the
 * first finding's) and `eventIDs` (the first GROUP_EVENT_IDS). `findings` selects Finding rows
 * (Findings.query(), or a filter of it); with `opts.attempts` also a boolean `attempt` (see groupsOf).
 */
export function findingGroups(findings: Sql, opts: { attempts?: boolean } = {}): Sql {
  return sql`SELECT g.* FROM (${groupsOf(findings, opts.attempts)}) g ${GROUP_ORDER}`;
}

/** With `attempts`, the findings have a boolean column `attempt`, and a group is an attempt when all its findings are. */
function groupsOf(findings: Sql, attempts = false): Sql {
  const ordered = sql.raw('ORDER BY eventTime, eventIDs[1]');
  const attempt = attempts ? sql`bool_and(attempt) AS attempt, ` : sql``;
  return sql`SELECT rule, principal, accessKeyId, ${attempt}count(*) AS findings, len(list_distinct(flatten(list(eventIDs)))) AS events,
            min(eventTime) AS first, max(eventTime) AS last,
            list_sort(list_distinct(list(awsRegion) FILTER (WHERE awsRegion IS NOT NULL))) AS regions,
            first(summary ${ordered}) AS summary, list_slice(flatten(list(eventIDs ${ordered})), 1, ${GROUP_EVENT_IDS}) AS eventIDs
     FROM (${findings}) GROUP BY rule, principal, accessKeyId`;
}

/** The groups' order (over findingGroups' columns): highest level first, then by first time. */
const GROUP_ORDER = sql`ORDER BY list_position(${sql.list(LEVELS)}, g.rule.level) DESC, g.first, g.rule.id, g.principal NULLS FIRST, g.accessKeyId NULLS FIRST`;

/** The columns of a group's line in detect's table. */
export const FINDING_GROUP_COLUMNS = ['level', 'title', 'principal', 'accessKey', 'findings', 'first', 'last', 'regions', 'first summary', 'rule', 'author'];

/** The case's kept findings, grouped (findingGroups), as lines of FINDING_GROUP_COLUMNS. */
export function findingGroupLines(): Sql {
  const kept = sql`SELECT {'id': rule_id, 'title': rule_title, 'level': level, 'tags': tags, 'author': rule_author} AS rule, event_ids AS eventIDs,
                    ${isoTime('eventTime')} AS eventTime, awsRegion, principal, accessKeyId, summary FROM findings`;
  return sql`SELECT g.rule.level AS level, g.rule.title AS title, g.principal, g.accessKeyId AS accessKey, g.findings, g.first, g.last,
            array_to_string(g.regions, ', ') AS regions, g.summary AS "first summary", g.rule.id AS rule, g.rule.author AS author
     FROM (${groupsOf(kept)}) g ${GROUP_ORDER}`;
}
