/**
 * The program built without running it (cli/program.ts): every command and option is described,
 * shared options are the same everywhere, every --format lists its choices, and an action's exit
 * status comes back from the one table without touching process.exitCode.
 */
import { Command, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT, exits, statusOf } from '../../src/cli/exit.js';
import { buildProgram } from '../../src/cli/program.js';

const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
const commands = all(buildProgram()).slice(1);
const leaves = commands.filter((c) => c.commands.length === 0);
const name = (c: Command): string => (c.parent?.parent ? `${name(c.parent)} ${c.name()}` : c.name());
const option = (c: Command, long: string): Option | undefined => c.options.find((o) => o.long === long);

describe('buildProgram', () => {
  it('builds every command without running anything', () => {
    expect(leaves.map(name).sort()).toEqual(
      [
        'athena ddl',
        'athena plan',
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
        'verify',
      ].sort(),
    );
    expect(process.exitCode).toBeUndefined();
  });

  it('every command and every option has a description, and help lists each option with it', () => {
    for (const c of commands) {
      expect(c.description(), name(c)).not.toBe('');
      const help = c.helpInformation().replace(/\s+/g, ' ');
      for (const o of c.options) {
        expect(o.description, `${name(c)} ${o.flags}`).not.toBe('');
        expect(help, `${name(c)} ${o.flags}`).toContain(`${o.flags} ${o.description.replace(/\s+/g, ' ')}`);
      }
    }
  });

  it('every --format refuses what it does not list, and help shows the list', () => {
    const withFormat = leaves.filter((c) => option(c, '--format'));
    expect(withFormat.map(name).sort()).toEqual(['detect', 'events', 'export', 'files', 'lineage', 'query', 'report', 'verify']);
    for (const c of withFormat) {
      const choices = option(c, '--format')!.argChoices;
      expect(choices?.length, name(c)).toBeGreaterThan(1);
      expect(c.helpInformation().replace(/\s+/g, ' '), name(c)).toContain(`(choices: ${choices!.map((x) => `"${x}"`).join(', ')}`);
    }
  });

  it('a shared option has one flag and one parser wherever it appears, and --db the same default', () => {
    for (const long of ['--db', '--key', '--user', '--arn', '--since', '--until', '--rules', '--no-builtin', '--memory-limit']) {
      const found = leaves.flatMap((c) => option(c, long) ?? []);
      expect(found.length, long).toBeGreaterThan(1);
      expect(new Set(found.map((o) => o.flags)).size, long).toBe(1);
      expect(new Set(found.map((o) => o.parseArg)).size, long).toBe(1);
      expect(new Set(found.map((o) => String(o.defaultValue))).size, long).toBe(1);
    }
    const since = leaves.flatMap((c) => option(c, '--since') ?? []);
    expect(new Set(since.map((o) => o.description)).size).toBe(1);
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

  it('keeps every number the README and ARCHITECTURE.md give, and 130 for Ctrl-C as a shell says it', () => {
    expect(EXIT).toEqual({ OK: 0, FINDINGS: 1, TESTS_FAILED: 1, USAGE: 2, ERROR: 2, BUG: 2, INTERRUPTED: 130 });
  });
});
