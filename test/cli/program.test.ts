/**
 * The program built without running it (cli/program.ts), and an action's exit status coming back
 * from the one table without touching process.exitCode.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT, exits, statusOf } from '../../src/cli/exit.js';
import { buildProgram } from '../../src/cli/program.js';

const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
const commands = all(buildProgram()).slice(1);
const leaves = commands.filter((c) => c.commands.length === 0);
const name = (c: Command): string => (c.parent?.parent ? `${name(c.parent)} ${c.name()}` : c.name());

describe('buildProgram', () => {
  it('builds every command without running anything', () => {
    expect(leaves.map(name).sort()).toEqual(
      [
        'detect',
        'events',
        'export',
        'files',
        'ingest',
        'investigate',
        'lineage',
        'query',
        'report',
        'rules compile',
        'rules list',
        'rules test',
        'rules validate',
      ].sort(),
    );
    expect(process.exitCode).toBeUndefined();
  });
});

describe('exit statuses', () => {
  const program = (action: () => Promise<(typeof EXIT)[keyof typeof EXIT] | undefined>) => {
    const p = new Command('t').exitOverride();
    p.command('go').action(exits(action));
    return p;
  };

  it("an action's returned status is kept for its program, not set on the process", async () => {
    const found = program(async () => EXIT.FINDINGS);
    const done = program(async () => undefined);
    await found.parseAsync(['go'], { from: 'user' });
    await done.parseAsync(['go'], { from: 'user' });
    expect([statusOf(found), statusOf(done)]).toEqual([1, 0]);
    expect(process.exitCode).toBeUndefined();
  });

  it('keeps every number the README and ARCHITECTURE.md give', () => {
    expect(EXIT).toEqual({ OK: 0, FINDINGS: 1, TESTS_FAILED: 1, USAGE: 2, ERROR: 2, BUG: 2 });
  });
});
