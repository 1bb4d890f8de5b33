/**
 * Temp folders of dead runs are removed when the next run starts; those of live runs, and anything
 * keytrail did not make, are kept. The owner file is written here by hand, in the shape a run
 * writes it ({keytrail, pid, boot id, start time in clock ticks}), and once by a real run killed
 * with SIGKILL.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/index.js';
import { CLI, records, s3File, tmpDir, write } from '../helpers.js';

const OWNER = '.keytrail-owner.json';
const BOOT = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** Field 22 of /proc/<pid>/stat, after the command name (which may hold spaces). */
function startOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

let live: ChildProcess;
let deadPid: number;
let evidence: string;

beforeAll(() => {
  live = spawn('sleep', ['600'], { stdio: 'ignore' });
  // A process that has exited and been reaped: kill(pid, 0) says ESRCH.
  deadPid = spawnSync('true').pid!;
  evidence = tmpDir('kt-stale-ev-');
  write(path.join(evidence, 'a.json.gz'), s3File(records(2)));
});

afterAll(() => {
  live.kill('SIGKILL');
});

describe('temp folders left by dead runs', () => {
  it('removes those whose owner is gone and keeps live ones and anything not made by keytrail', async () => {
    const root = tmpDir('kt-stale-root-');
    const folder = (name: string, owner?: unknown) => {
      const d = path.join(root, name);
      fs.mkdirSync(d);
      write(path.join(d, 'normalized-0-1.jsonl'), '{}\n');
      if (owner !== undefined) write(path.join(d, OWNER), typeof owner === 'string' ? owner : JSON.stringify(owner));
      return d;
    };
    const pid = live.pid!;
    const start = startOf(pid);
    const gone = [
      folder('keytrail-dead01', { keytrail: 1, pid: deadPid, boot: BOOT, start: '12345' }),
      // The pid is alive but started at another time: it was reused, the owner is dead.
      folder('keytrail-reuse1', { keytrail: 1, pid, boot: BOOT, start: String(Number(start) - 1) }),
      // Written before the machine restarted: every process of that boot is gone.
      folder('keytrail-oldbt1', { keytrail: 1, pid, boot: 'a-boot-before-this-one', start }),
    ];
    const kept = [
      folder('keytrail-live01', { keytrail: 1, pid, boot: BOOT, start }),
      folder('keytrail-self01', { keytrail: 1, pid: process.pid, boot: BOOT, start: startOf(process.pid) }),
      // No owner file: a run that is just starting, or one from before owner files.
      folder('keytrail-nofile'),
      folder('keytrail-junk01', 'not json'),
      folder('keytrail-wrong1', { pid: deadPid }),
      folder('other-dead0001', { keytrail: 1, pid: deadPid, boot: BOOT, start: '12345' }),
      folder('keytrail-toolong', { keytrail: 1, pid: deadPid, boot: BOOT, start: '12345' }),
    ];
    // A link named like ours, to a folder that looks dead: neither is touched.
    const target = folder('elsewhere', { keytrail: 1, pid: deadPid, boot: BOOT, start: '12345' });
    fs.symlinkSync(target, path.join(root, 'keytrail-link01'));
    write(path.join(root, 'keytrail-file01'), 'a file, not a folder');

    const s = await ingest([evidence], { db: path.join(tmpDir(), 'case.duckdb'), tmpDir: root });
    expect(s.events).toBe(2);
    for (const d of gone) expect(fs.existsSync(d), d).toBe(false);
    for (const d of [...kept, target]) expect(fs.readdirSync(d).length, d).toBeGreaterThan(0);
    expect(fs.lstatSync(path.join(root, 'keytrail-link01')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(root, 'keytrail-file01'), 'utf8')).toBe('a file, not a folder');
    // The run's own folder went at its end, as before: nothing else is left.
    expect(fs.readdirSync(root).sort()).toEqual([...kept.map((d) => path.basename(d)), 'elsewhere', 'keytrail-file01', 'keytrail-link01'].sort());
  });

  it('a run killed with SIGKILL leaves its folder; the next run removes it', async () => {
    const root = tmpDir('kt-stale-kill-');
    const big = tmpDir('kt-stale-big-');
    // Enough to keep the run busy for a while after it has made its temp folder.
    for (let i = 0; i < 6; i++) write(path.join(big, `part-${i}.json`), JSON.stringify({ Records: records(4000) }));
    const child = spawn(process.execPath, [CLI, 'ingest', big, '--db', path.join(root, 'case.duckdb'), '--quiet'], {
      stdio: 'ignore',
      env: { ...process.env, TMPDIR: root },
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const ours = () => fs.readdirSync(root).filter((n) => n.startsWith('keytrail-'));
    const deadline = Date.now() + 30_000;
    while (ours().length === 0 && Date.now() < deadline && child.exitCode === null) await sleep(5);
    // The owner file follows the folder at once; a short grace keeps the kill from falling between.
    await sleep(20);
    child.kill('SIGKILL');
    await exited;
    const left = ours();
    expect(left).toHaveLength(1);
    expect(fs.existsSync(path.join(root, left[0]!, OWNER))).toBe(true);

    await ingest([evidence], { db: path.join(tmpDir(), 'case.duckdb'), tmpDir: root });
    expect(ours()).toEqual([]);
  });
});
