/**
 * Chain of custody (issue 17): every case folder holds manifest.json, what a lab needs to show
 * later exactly what was analysed and with what — each input file as the case's `files` table has
 * it (path, size, SHA-256, status), the command line, keytrail's, DuckDB's and the rule packs'
 * versions and digests, start and end, and the SHA-256 of every file written into the folder.
 * `keytrail verify --manifest` (checkManifest) re-hashes the outputs and the inputs and says what
 * changed. The manifest is read back as untrusted input: validated, and its output names must be
 * plain file names inside the case folder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { KeytrailError } from '../errors.js';
import { errnoCode } from '../ingest/errno.js';
import { writeOutputFile } from '../output-path.js';
import type { Provenance, RulePack } from '../provenance.js';
import type { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';

export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_VERSION = 1;

const Digest = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), files: z.number().int().nonnegative() });

/** An input as the case's files table has it. */
const InputFile = z.object({
  path: z.string(),
  bytes: z.number().nullable(),
  sha256: z.string().nullable(),
  status: z.string(),
  reason: z.string().nullable(),
  /** The archive it came out of (its path), for an archive member. */
  parent: z.string().nullable(),
});

export const Manifest = z.object({
  manifest: z.literal(MANIFEST_VERSION),
  keytrail: z.string(),
  duckdb: z.string(),
  builtinRules: Digest,
  /** The rule files and folders the run loaded ('built-in' for the built-in pack); null when not named. */
  rulesRun: z.array(Digest.extend({ path: z.string() })).nullable(),
  /** As typed, after the program name (`keytrail investigate ...`); null when run from the library. */
  command: z.array(z.string()).nullable(),
  cwd: z.string(),
  /** The evidence as given on the command line (or to investigate()); `inputs` has every file found under it. */
  evidence: z.array(z.string()),
  started: z.iso.datetime(),
  finished: z.iso.datetime(),
  inputs: z.array(InputFile),
  outputs: z.array(
    z.object({
      file: z.string().regex(/^(?!\.\.?$)[^/\\\0]+$/, 'a file name inside the case folder'),
      bytes: z.number(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});
export type Manifest = z.infer<typeof Manifest>;

/** Read as a stream: a case database or an evidence archive may pass 2 GiB, more than one read can hold. */
async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** What stands at a path instead of the plain file the manifest hashed. */
const notAFile = (st: fs.Stats) => (st.isDirectory() ? 'a folder' : st.isSymbolicLink() ? 'a symbolic link' : 'a FIFO, socket or device');

/** Every row of the case's files table, as the manifest lists inputs. */
export async function manifestInputs(db: CaseDb): Promise<Manifest['inputs']> {
  return db.rows(
    sql`SELECT f.path, f.bytes::BIGINT::DOUBLE AS bytes, f.sha256, f.status, f.reason, p.path AS parent
        FROM files f LEFT JOIN files p ON p.id = f.parent_id ORDER BY f.id`,
    InputFile,
  );
}

export interface ManifestRun {
  provenance: Provenance;
  rulesRun: RulePack[] | null;
  command: string[] | null;
  evidence: readonly string[];
  started: Date;
  inputs: Manifest['inputs'];
}

/** manifest.json into the case folder `out`, listing `outputs` (names inside it) with their hashes: written last. */
export async function writeManifest(out: string, run: ManifestRun, outputs: readonly string[]): Promise<Manifest> {
  const hashed: Manifest['outputs'] = [];
  for (const file of outputs) {
    const p = path.join(out, file);
    hashed.push({ file, bytes: fs.statSync(p).size, sha256: await sha256File(p) });
  }
  const manifest: Manifest = {
    manifest: MANIFEST_VERSION,
    keytrail: run.provenance.keytrail,
    duckdb: run.provenance.duckdb,
    builtinRules: run.provenance.rules,
    rulesRun: run.rulesRun,
    command: run.command,
    cwd: process.cwd(),
    evidence: [...run.evidence],
    started: run.started.toISOString(),
    finished: new Date().toISOString(),
    inputs: run.inputs,
    outputs: hashed,
  };
  writeOutputFile(path.join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export interface ManifestCheckRow {
  role: 'input' | 'output';
  file: string;
  status: 'unchanged' | 'changed' | 'missing' | 'added' | 'not-checked';
  detail: string;
}

/**
 * Re-hash what a manifest lists: each output in its folder, each input file on disk (archive members
 * through their archive). Only plain files are opened: a FIFO or device a hostile manifest names
 * would block or never end.
 */
export async function checkManifest(file: string): Promise<{ manifest: Manifest; rows: ManifestCheckRow[]; ok: boolean; members: number }> {
  const manifest = readManifest(file);
  const dir = path.dirname(file);
  const rows: ManifestCheckRow[] = [];
  const compare = async (role: ManifestCheckRow['role'], shown: string, p: string, sha256: string) => {
    let now: string;
    try {
      const st = fs.lstatSync(p);
      if (!st.isFile()) {
        rows.push({ role, file: shown, status: 'missing', detail: `not a plain file any more: ${notAFile(st)} (not read)` });
        return;
      }
      now = await sha256File(p);
    } catch (err) {
      const code = errnoCode(err);
      rows.push({ role, file: shown, status: 'missing', detail: code === 'ENOENT' ? 'not there any more' : `cannot be read (${code ?? String(err)})` });
      return;
    }
    rows.push(
      now === sha256
        ? { role, file: shown, status: 'unchanged', detail: `SHA-256 ${sha256}` }
        : { role, file: shown, status: 'changed', detail: `SHA-256 was ${sha256}, is ${now}` },
    );
  };
  for (const o of manifest.outputs) await compare('output', o.file, path.join(dir, o.file), o.sha256);
  const listed = new Set([MANIFEST_FILE, ...manifest.outputs.map((o) => o.file)]);
  for (const f of fs.readdirSync(dir).sort())
    if (!listed.has(f)) rows.push({ role: 'output', file: f, status: 'added', detail: 'in the case folder, not in its manifest' });
  let members = 0;
  for (const i of manifest.inputs) {
    if (i.parent !== null) {
      members++;
      continue;
    }
    if (i.sha256 === null) {
      rows.push({
        role: 'input',
        file: i.path,
        status: 'not-checked',
        detail: `not read when the case was made (${i.status}${i.reason ? `: ${i.reason}` : ''})`,
      });
      continue;
    }
    await compare('input', i.path, path.resolve(manifest.cwd, i.path), i.sha256);
  }
  const ok = rows.every((r) => r.status === 'unchanged' || r.status === 'not-checked');
  return { manifest, rows, ok, members };
}

function readManifest(file: string): Manifest {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new KeytrailError('INPUT', `${file}: not a plain file (${notAFile(st)}): not a keytrail manifest.json`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof KeytrailError) throw err;
    throw new KeytrailError('INPUT', `${file}: cannot be read (${errnoCode(err) ?? String(err)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeytrailError('INPUT', `${file}: not JSON: not a keytrail manifest.json`);
  }
  const m = Manifest.safeParse(value);
  if (!m.success) {
    const i = m.error.issues[0];
    throw new KeytrailError('INPUT', `${file}: not a keytrail manifest.json: ${i?.path.join('.') || 'top level'}: ${i?.message}`);
  }
  return m.data;
}
