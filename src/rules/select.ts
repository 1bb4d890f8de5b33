/**
 * Which of a pack's rules a run uses: by status (deprecated and unsupported rules are left out
 * unless asked for, as Hayabusa does) and by an exclusion list of rule ids (Hayabusa's
 * exclude_rules.txt form: one id a line, `#` starts a comment). A rule or correlation left out
 * that a kept correlation needs still runs for it, silently; one only a left-out correlation
 * needed goes with it. What was left out, and why, is counted for the caller to say.
 */
import fs from 'node:fs';
import { messageOf, usageError } from '../errors.js';
import { evaluationOrder, silentCorrelations } from './correlation-inputs.js';
import { silentRules } from './detect.js';
import type { LoadedCorrelation, LoadedRule } from './load-rules.js';
import { namesOf } from './rule-names.js';
import type { Status } from './schema.js';

/** Left out unless asked for. */
export const LEFT_OUT_STATUSES: readonly Status[] = ['deprecated', 'unsupported'];

export interface Selection {
  /** Statuses whose rules are left out (default LEFT_OUT_STATUSES). */
  leaveOut?: readonly Status[];
  /** Rule ids (or names or titles, as a rule is known) left out. */
  exclude?: ReadonlySet<string>;
}

export interface Selected {
  rules: LoadedRule[];
  correlations: LoadedCorrelation[];
  /** How many rules each status left out. */
  byStatus: Partial<Record<Status, number>>;
  /** How many rules the exclusion list left out. */
  excluded: number;
  /** Ids of the exclusion list that no loaded rule has. */
  unknownExcludes: string[];
}

/** The ids of an exclusion file: the first word of each line, comments (`#` on) and blank lines skipped. */
export function readExcludeFile(file: string): Set<string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`--exclude ${file}: cannot read: ${messageOf(err)}`);
  }
  const ids = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
  return new Set(ids);
}

type AnyRule = LoadedRule | LoadedCorrelation;

export function selectRules(rules: readonly LoadedRule[], correlations: readonly LoadedCorrelation[], sel: Selection = {}): Selected {
  const leaveOut = new Set<string>(sel.leaveOut ?? LEFT_OUT_STATUSES);
  const exclude = sel.exclude ?? new Set<string>();
  const byStatus: Partial<Record<Status, number>> = {};
  let excluded = 0;
  const kept = (r: AnyRule) => {
    if (namesOf(r).some((n) => exclude.has(n))) {
      excluded++;
      return false;
    }
    const status = r.rule.status;
    if (status && leaveOut.has(status)) {
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      return false;
    }
    return true;
  };
  // A correlation or base rule with no findings of its own runs for the correlations that name it,
  // whatever its own status: it is kept (and counted) with them, never on its own.
  const quiet = silentCorrelations(correlations);
  const keptCorrelations = evaluationOrder(correlations.filter((c) => !quiet.has(c) && kept(c)));
  const silent = silentRules(correlations);
  const needed = new Set(keptCorrelations.flatMap((c) => c.bases));
  const keptRules = rules.filter((r) => needed.has(r) || (silent.has(r) ? false : kept(r)));
  const known = new Set([...rules, ...correlations].flatMap(namesOf));
  return { rules: keptRules, correlations: keptCorrelations, byStatus, excluded, unknownExcludes: [...exclude].filter((id) => !known.has(id)) };
}

/** One line saying what a selection left out, or null when it left nothing out. */
export function selectionNote(s: Selected): string | null {
  const parts = Object.entries(s.byStatus).map(([status, n]) => `${n} ${status} (--include-${status} to run them)`);
  if (s.excluded > 0) parts.push(`${s.excluded} by --exclude`);
  return parts.length > 0 ? `rule(s) left out: ${parts.join(', ')}` : null;
}
