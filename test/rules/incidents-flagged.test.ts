/**
 * Issue 14: quieting the built-in pack on routine work must not cost an attacker step. Over the
 * lineage tests' hand-designed incidents (test/fixtures/lineage/evidence.ts), every change the
 * attacker's identities make (labels L-, ops-, bd-, bdc-, c-: writes, sign-ins and denied attempts;
 * reads are context) must be flagged by at least one rule of the pack, at some level.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES, runRules } from '../../src/rules/detect.js';
import { loadRules } from '../../src/rules/load-rules.js';
import { CaseDb } from '../../src/store/db.js';
import { CYCLE, ingestEvidence, MAIN, type Spec } from '../fixtures/lineage/evidence.js';

const ATTACKER = /^(L|ops|bd|bdc|c)-/;
const INNOCENT = new Set(['ops-alice-use', 'c-seed-list', 'c-opsuser-assume']);
const READ = /^(Get|List|Describe)/;

async function unflagged(specs: Spec[], prefix: string): Promise<{ steps: string[]; missed: string[] }> {
  const ev = ingestEvidence(specs, prefix);
  const { rules, correlations } = await loadRules([BUILTIN_RULES]);
  const db = await CaseDb.open(ev.db, { readOnly: true });
  try {
    const flagged = new Set((await runRules(db, rules, { correlations })).flatMap((f) => f.eventIDs));
    const steps = Object.entries(ev.byLabel)
      .filter(([label, r]) => ATTACKER.test(label) && !INNOCENT.has(label) && !READ.test(String(r.eventName)))
      .map(([label]) => label);
    return { steps, missed: steps.filter((label) => !flagged.has(ev.id(label))) };
  } finally {
    db.close();
  }
}

describe('the built-in pack over the lineage incidents', () => {
  it('flags every attacker step of MAIN', async () => {
    const { steps, missed } = await unflagged(MAIN, 'keytrail-flag-main-');
    expect(steps.length).toBeGreaterThan(15);
    expect(missed).toEqual([]);
  });

  it('flags every attacker step of CYCLE', async () => {
    const { steps, missed } = await unflagged(CYCLE, 'keytrail-flag-cycle-');
    expect(steps.length).toBeGreaterThan(8);
    expect(missed).toEqual([]);
  });
});
