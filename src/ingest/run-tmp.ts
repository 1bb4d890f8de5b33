/**
 * A run's temp folder (archives unpacked, records staged), and the removal of those left behind by
 * runs that died before their `finally` (kill -9, out of memory, power loss). Each folder holds an
 * owner file naming its process; a folder is removed only when that process is gone. Several runs
 * share the temp dir at once, so a folder whose owner is alive, or cannot be told, is kept, and
 * nothing keytrail did not make is touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { errnoCode } from './errno.js';

const PREFIX = 'keytrail-';
/** mkdtemp's six random characters: anything else in the temp dir is not ours. */
const NAME = /^keytrail-[A-Za-z0-9]{6}$/;
const OWNER_FILE = '.keytrail-owner.json';

/**
 * Who made a temp folder. `boot` (Linux's boot id) and `start` (the process's start time in clock
 * ticks since boot, /proc/<pid>/stat) tell a reused pid from the owner; null where unknown.
 */
const OwnerFile = z.object({
  keytrail: z.literal(1),
  pid: z.number().refine((n) => Number.isSafeInteger(n) && n > 0),
  boot: z.string().nullable(),
  start: z.string().nullable(),
});
type Owner = z.infer<typeof OwnerFile>;

export function makeRunTmp(parent: string): string {
  const dir = fs.mkdtempSync(path.join(parent, PREFIX));
  const owner: Owner = { keytrail: 1, pid: process.pid, boot: bootId(), start: startTime(process.pid) };
  fs.writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify(owner), { flag: 'wx', mode: 0o600 });
  return dir;
}

/** Removes this user's keytrail temp folders whose owning run is dead; returns them. */
export function removeStaleTmp(parent: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => NAME.test(n))) {
    const dir = path.join(parent, name);
    try {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || st.uid !== process.getuid?.()) continue;
      const owner = readOwner(path.join(dir, OWNER_FILE));
      if (!owner || !isGone(owner)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Removed by another run first, or not removable now: the next run tries again.
    }
  }
  return removed;
}

/** The owner file, only when it is a small regular file in exactly the shape makeRunTmp writes. */
function readOwner(file: string): Owner | undefined {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > 4096) return undefined;
    const o = OwnerFile.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return o.success ? o.data : undefined;
  } catch {
    // No owner file yet (a run that is just starting, or one from before owner files): kept.
    return undefined;
  }
}

/** True only when the owner is certainly dead: no such process, or its pid now names another. */
function isGone(o: Owner): boolean {
  const boot = bootId();
  if (o.boot && boot && o.boot !== boot) return true;
  try {
    process.kill(o.pid, 0);
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') return true;
    // EPERM: the process exists under another user; the start time still tells whether it is ours.
  }
  const start = startTime(o.pid);
  return o.start !== null && start !== null && o.start !== start;
}

function bootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat; the command name before it may hold spaces and parentheses. */
function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
