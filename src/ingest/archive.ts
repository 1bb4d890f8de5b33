/**
 * Bundles (.zip, .tar, .tar.gz): entries are copied into keytrail's own temporary folder under
 * generated names, so no path from an archive is ever used to write; an entry whose path would
 * leave the archive (`../`, absolute) is not extracted and is reported.
 *
 * An archive may be hostile or broken, so every entry becomes a result (extracted, skipped with its
 * type, or rejected with why) and one entry never stops the others: a bomb entry is rejected and the
 * next one is read. Extraction is bounded while it streams: per entry by the expansion limits, and
 * across an input archive and everything nested in it by one ExpansionBudget; the temporary folder
 * always keeps `minFreeBytes` free. Tar is read by a small reader of our own (readTar) rather than a
 * library, because a truncated or crafted tar must say exactly where it breaks and keep what came
 * before, which a parser that warns and carries on cannot tell us.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { messageOf } from '../errors.js';
import { ExpansionError, SMALL_PROBE_BYTES, describeZlibError, expansionGuard, expansionLimit, formatBytes, readAt, type ExpansionLimits } from './bytes.js';
import { errnoCode, isZlibError } from './errno.js';

export interface ArchiveEntry {
  /** The entry's path inside the archive, as written there. */
  name: string;
  /**
   * Where keytrail extracted it; absent when it was not extracted. For a small entry held in a pack
   * (`packed`), the name its own file takes if it ever needs one (see EntryPack).
   */
  extracted?: string;
  /** A small entry's bytes, in one of the archive's packs rather than a file of its own. */
  packed?: PackedBytes;
  /** Its size: the bytes extracted, or the size the archive declares; null when that is not a number. */
  bytes: number | null;
  /** Why the entry was not extracted. */
  rejected?: string;
  skipped?: string;
  /** The archive ends inside this entry: what it holds was extracted, and this says how much. */
  cut?: string;
}

/**
 * Small entries are appended to a few pack files instead of one file each: creating a file costs
 * about 0.9 ms on the machines measured (100,000 entries: 92 s of extraction), appending to an open
 * one microseconds. A small entry's bytes are read back from its pack (readPacked) and most are
 * never written anywhere again (a small S3 file's text is staged, staging.ts); the few that need a
 * file of their own get it then. A pack is removed once every entry in it has been released.
 */
export class EntryPack {
  /** Entries in the pack not yet released. */
  private held = 0;
  private closed = false;
  bytes = 0;
  constructor(
    readonly file: string,
    private readonly fd: number,
  ) {}

  append(data: Buffer): PackedBytes {
    const at = this.bytes;
    let done = 0;
    while (done < data.length) done += fs.writeSync(this.fd, data, done, data.length - done, at + done);
    this.bytes += data.length;
    this.held++;
    return { pack: this, at, length: data.length };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
    if (this.held === 0) fs.rmSync(this.file, { force: true });
  }

  release(): void {
    if (--this.held === 0 && this.closed) fs.rmSync(this.file, { force: true });
  }
}

export interface PackedBytes {
  pack: EntryPack;
  at: number;
  length: number;
}

/** A packed entry's bytes. */
export function readPacked(p: PackedBytes): Buffer {
  const fd = fs.openSync(p.pack.file, 'r');
  try {
    const buf = readAt(fd, p.length, p.at);
    if (buf.length < p.length) throw new Error('the temporary pack of archive entries is shorter than written');
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

/** Entries up to this size are packed (the size a probe reads in one call, bytes.ts). */
const PACKED_ENTRY_BYTES = SMALL_PROBE_BYTES;
/** A pack is closed and the next begun past this size, so that packs are released as their entries are read. */
const PACK_BYTES = 32 << 20;

export interface ArchiveResult {
  entries: ArchiveEntry[];
  /** Why the archive could not be read to its end, or not all of it extracted, if so. */
  error?: string;
}

/** Temporary disk keytrail leaves free for the case database and its staging files. */
export const DEFAULT_MIN_FREE_BYTES = 2 ** 30;

/**
 * One expansion budget for an input archive and everything nested in it: without it, each nested
 * archive would get a limit of its own and three levels of sixteen copies multiply them.
 */
export class ExpansionBudget {
  spent = 0;
  constructor(readonly total: number) {}
  get left(): number {
    return Math.max(0, this.total - this.spent);
  }
  /** The reason an entry was not extracted because the budget ran out. */
  spentReason(): string {
    return `not extracted: the expansion budget of ${formatBytes(this.total)} for this input archive and the archives inside it is spent (extract the archive yourself, or raise the limit)`;
  }
}

export interface ExtractOptions {
  limits: ExpansionLimits;
  budget: ExpansionBudget;
  /** Extraction stops while the temporary folder has less than this free. */
  minFreeBytes: number;
}

/** A name that is safe to report and whose path stays inside the archive; else the reason. */
export function unsafeEntryPath(name: string): string | undefined {
  const n = name.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) return `archive entry has an absolute path (${name}): not extracted`;
  if (n.split('/').includes('..')) return `archive entry path leaves the archive (${name}): not extracted`;
  return undefined;
}

/** An entry went past what is left of the shared budget. */
class BudgetSpent extends Error {}
/** The temporary folder is (nearly) full. */
class NoSpace extends Error {}

/** Bytes copied between checks of the temporary folder's free space. */
const FREE_CHECK_BYTES = 32 << 20;
const WRITE_BYTES = 1 << 20;

class Extractor {
  private n = 0;
  /** The first entry the budget stopped, for the archive's row. */
  spentAt?: string;
  /** Bytes extracted since the free space was last looked at (statfs for every small entry cost as much as writing it). */
  private sinceFreeCheck = Number.POSITIVE_INFINITY;
  private pack?: EntryPack;
  constructor(
    private readonly dir: string,
    readonly opts: ExtractOptions,
  ) {}

  target(name: string): string {
    const safe =
      path
        .basename(name.replace(/\\/g, '/'))
        .replace(/[^\w.-]/g, '_')
        .slice(-80) || 'entry';
    return path.join(this.dir, `${String(this.n++).padStart(6, '0')}-${safe}`);
  }

  /** The archive's note when the budget stopped some of its entries. */
  budgetNote(): string[] {
    return this.spentAt ? [`the expansion budget ran out at ${this.spentAt}: it and the entries after it that did not fit were not extracted`] : [];
  }

  /** Why an entry of `declared` bytes (its limit `entryLimit`) cannot be extracted, checked before reading it. */
  async refuse(name: string, declared: number, entryLimit: number): Promise<string | undefined> {
    if (declared > entryLimit) return new ExpansionError(entryLimit).message;
    // More than the whole budget is a bomb, not bad luck: it spends nothing and the next entries are read.
    if (declared > this.opts.budget.total) return new ExpansionError(this.opts.budget.total).message;
    if (declared > this.opts.budget.left) {
      this.spentAt ??= name;
      return this.opts.budget.spentReason();
    }
    this.sinceFreeCheck += declared;
    if (this.sinceFreeCheck < FREE_CHECK_BYTES) return undefined;
    const free = await freeBytes(this.dir);
    // Short of space, every entry looks again (some may be freed meanwhile); else not for a while.
    if (free !== undefined && free - declared < this.opts.minFreeBytes) return this.noSpace(free).message;
    this.sinceFreeCheck = 0;
    return undefined;
  }

  /** A small entry's bytes, whole and checked, into the current pack; they count against the budget like any write. */
  packed(data: Buffer): PackedBytes {
    this.opts.budget.spent += data.length;
    if (!this.pack || this.pack.bytes >= PACK_BYTES) {
      this.pack?.close();
      const file = path.join(this.dir, `pack-${String(this.n++).padStart(6, '0')}.bin`);
      this.pack = new EntryPack(file, fs.openSync(file, 'wx'));
    }
    return this.pack.append(data);
  }

  /** Extraction is over: the last pack is complete. */
  close(): void {
    this.pack?.close();
  }

  /**
   * Copy an entry's bytes to disk through its own limit, the shared budget and the free-space
   * reserve. Every byte written counts against the budget, kept or not: it bounds the work too.
   * The bytes' source is opened only once the file is, and read at once: a stream that fails
   * while nothing reads it yet (a damaged deflate entry) would emit an error nobody hears and end
   * the process.
   */
  async write(open: () => AsyncIterable<Buffer> | Promise<AsyncIterable<Buffer>>, to: string, entryLimit: number): Promise<number> {
    const budget = this.opts.budget;
    const fh = await fs.promises.open(to, 'wx');
    let written = 0;
    let sinceCheck = 0;
    let parts: Buffer[] = [];
    let held = 0;
    const flush = async () => {
      if (held === 0) return;
      const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      parts = [];
      held = 0;
      await fh.write(buf);
    };
    try {
      const chunks = await open();
      for await (const chunk of chunks) {
        written += chunk.length;
        budget.spent += chunk.length;
        if (written > entryLimit) throw new ExpansionError(entryLimit);
        if (budget.spent > budget.total)
          throw new BudgetSpent(
            `expands beyond what was left of the expansion budget (${formatBytes(budget.total)} for this input archive and the archives inside it): not extracted`,
          );
        parts.push(chunk);
        held += chunk.length;
        if (held >= WRITE_BYTES) await flush();
        sinceCheck += chunk.length;
        if (sinceCheck >= FREE_CHECK_BYTES) {
          sinceCheck = 0;
          const free = await freeBytes(this.dir);
          if (free !== undefined && free < this.opts.minFreeBytes) throw this.noSpace(free);
        }
      }
      await flush();
    } finally {
      await fh.close();
    }
    return written;
  }

  private noSpace(free: number): NoSpace {
    return new NoSpace(
      `not extracted: the temporary folder has ${formatBytes(free)} free and keytrail keeps ${formatBytes(this.opts.minFreeBytes)} free for the case (set TMPDIR to a larger disk)`,
    );
  }

  /** Why writing an entry failed, as a reason that names no temporary file. */
  describe(err: unknown, name: string): string {
    if (err instanceof BudgetSpent) this.spentAt ??= name;
    if (err instanceof ExpansionError || err instanceof BudgetSpent || err instanceof NoSpace) return err.message;
    const code = errnoCode(err);
    if (code === 'ENOSPC' || code === 'EDQUOT') return 'not extracted: the temporary folder is full (set TMPDIR to a larger disk)';
    return `cannot extract: ${messageOf(err)
      .split(this.dir + path.sep)
      .join('')
      .split(this.dir)
      .join('')}`;
  }
}

async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const s = await fs.promises.statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

export async function extractArchive(archive: string, kind: 'zip' | 'tar', gzip: boolean, dir: string, opts: ExtractOptions): Promise<ArchiveResult> {
  try {
    const size = fs.statSync(archive).size;
    await fs.promises.mkdir(dir, { recursive: true });
    const ex = new Extractor(dir, opts);
    try {
      return kind === 'zip' ? await extractZip(archive, ex) : await extractTar(archive, size, gzip, ex);
    } finally {
      ex.close();
    }
  } catch (err) {
    // Each reader returns its problems as values; this is the last guard, so one archive never stops the run.
    return { entries: [], error: `cannot read the archive: ${messageOf(err).split(dir).join('')}` };
  }
}

const S_IFMT = 0o170000;
const ZIP_TYPES: Record<number, string> = { 21609: 'symbolic link', 4802: 'character device', 14406: 'block device', 2401: 'FIFO', 26411: 'socket' };

async function extractZip(archive: string, ex: Extractor): Promise<ArchiveResult> {
  const entries: ArchiveEntry[] = [];
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings: false so that yauzl does not abort the whole archive on one bad name: we check names ourselves.
    zip = await new Promise<yauzl.ZipFile>((res, rej) =>
      yauzl.open(archive, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false }, (e, z) => (e ? rej(e) : res(z!))),
    );
  } catch (err) {
    // No central directory (most often a download cut short): the entries are found by their local headers.
    if (startsWithLocalHeader(archive)) return extractZipByLocalHeaders(archive, ex, messageOf(err));
    return { entries, error: `not a readable zip archive: ${messageOf(err)}` };
  }
  const readEntry = (): Promise<yauzl.Entry | undefined> =>
    new Promise((res, rej) => {
      zip.once('entry', (e: yauzl.Entry) => {
        zip.removeAllListeners('end');
        zip.removeAllListeners('error');
        res(e);
      });
      zip.once('end', () => res(undefined));
      zip.once('error', rej);
      zip.readEntry();
    });
  const fd = fs.openSync(archive, 'r');
  try {
    for (;;) {
      const e = await readEntry();
      if (!e) break;
      const name = zipEntryName(e) || '(unnamed)';
      if (name.endsWith('/')) continue;
      entries.push(await extractZipEntry(zip, fd, e, name, ex));
    }
  } catch (err) {
    return { entries, error: [...ex.budgetNote(), `zip archive is damaged after ${entries.length} entries: ${messageOf(err)}`].join('; ') };
  } finally {
    zip.close();
    fs.closeSync(fd);
  }
  return { entries, error: ex.budgetNote()[0] };
}

/**
 * An entry's name: its bytes as UTF-8 when the entry says so, else as Latin-1. With decodeStrings:
 * false yauzl gives the bytes, though its types say a string.
 */
function zipEntryName(e: yauzl.Entry): string {
  const raw: unknown = e.fileName;
  if (typeof raw === 'string') return raw;
  if (!Buffer.isBuffer(raw)) return '';
  return e.generalPurposeBitFlag & 0x800 ? raw.toString('utf8') : raw.toString('latin1');
}

async function extractZipEntry(zip: yauzl.ZipFile, fd: number, e: yauzl.Entry, name: string, ex: Extractor): Promise<ArchiveEntry> {
  const type = ZIP_TYPES[(e.externalFileAttributes >>> 16) & S_IFMT];
  if (type) return { name, bytes: e.uncompressedSize, skipped: `${type} in the archive: not followed` };
  const unsafe = unsafeEntryPath(name);
  if (unsafe) return { name, bytes: e.uncompressedSize, rejected: unsafe };
  const entryLimit = expansionLimit(e.compressedSize, ex.opts.limits);
  const refused = await ex.refuse(name, e.uncompressedSize, entryLimit);
  if (refused) return { name, bytes: e.uncompressedSize, rejected: refused };
  const to = ex.target(name);
  const small = e.uncompressedSize <= PACKED_ENTRY_BYTES && e.compressedSize <= PACKED_ENTRY_BYTES ? readSmallZipEntry(fd, e) : undefined;
  if (small) return { name, extracted: to, bytes: small.length, packed: ex.packed(small) };
  try {
    const stream = () => new Promise<Readable>((res, rej) => zip.openReadStream(e, (err, s) => (err ? rej(err) : res(s!))));
    const bytes = await ex.write(stream, to, entryLimit);
    return { name, extracted: to, bytes };
  } catch (err) {
    fs.rmSync(to, { force: true });
    return { name, bytes: e.uncompressedSize, rejected: ex.describe(err, name) };
  }
}

/** The signature a zip local file header starts with. */
const LOCAL_HEADER = 0x04034b50;

/**
 * A small entry's bytes in a few synchronous calls, where yauzl's stream costs several round trips
 * through the thread pool. Only the plain case: stored or deflated, not encrypted, sizes and CRC-32
 * as the central directory declares them. Anything else is undefined, and the entry goes through
 * yauzl, whose checks give the reason.
 */
function readSmallZipEntry(fd: number, e: yauzl.Entry): Buffer | undefined {
  if (e.generalPurposeBitFlag & 1) return undefined;
  try {
    const local = readAt(fd, 30, e.relativeOffsetOfLocalHeader);
    if (local.length < 30 || local.readUInt32LE(0) !== LOCAL_HEADER) return undefined;
    const comp = readAt(fd, e.compressedSize, e.relativeOffsetOfLocalHeader + 30 + local.readUInt16LE(26) + local.readUInt16LE(28));
    return comp.length < e.compressedSize ? undefined : inflateChecked(comp, e.compressionMethod, e.uncompressedSize, e.crc32);
  } catch {
    return undefined; // a read error: yauzl meets it too and says so
  }
}

/** An entry's data, stored or deflated, when it comes out at its declared size and CRC-32; else undefined. */
function inflateChecked(comp: Buffer, method: number, declared: number, crc: number): Buffer | undefined {
  if ((method !== 0 && method !== 8) || typeof zlib.crc32 !== 'function') return undefined;
  try {
    const data = method === 0 ? comp : zlib.inflateRawSync(comp, { maxOutputLength: declared + 1 });
    return data.length === declared && zlib.crc32(data) === crc ? data : undefined;
  } catch {
    return undefined;
  }
}

function startsWithLocalHeader(archive: string): boolean {
  const fd = fs.openSync(archive, 'r');
  try {
    const b = Buffer.alloc(4);
    return fs.readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32LE(0) === LOCAL_HEADER;
  } finally {
    fs.closeSync(fd);
  }
}

const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END = 0x06064b50;
const DATA_DESCRIPTOR = 0x08074b50;
/** Without sizes in its header, a deflated entry's end is found by inflating at most this much of it. */
const MAX_UNSIZED_ENTRY_BYTES = 64 << 20;
/** ... and decompressing it to at most this much (held in memory while its end is looked for). */
const MAX_UNSIZED_ENTRY_OUT = 256 << 20;

/**
 * A zip whose central directory cannot be read (a download cut short, most often): its entries
 * are found by walking their local headers from the start, as `zip -FF` does. Each entry whole
 * in the file is extracted as usual; one the file ends inside of keeps what it holds (deflate
 * decompressed as far as it goes) and says so, like a cut tar member; the walk stops, saying
 * where, at anything that is not an entry header.
 */
async function extractZipByLocalHeaders(archive: string, ex: Extractor, why: string): Promise<ArchiveResult> {
  const walk = new LocalHeaderWalk(archive, ex, why);
  try {
    return await walk.run();
  } catch (err) {
    return walk.done(`reading stopped at an error: ${messageOf(err)}`);
  } finally {
    walk.close();
  }
}

/** A local header, as read: where its entry's data starts and what the header says of it. */
interface LocalHeader {
  /** Where the header is. */
  at: number;
  name: string;
  flags: number;
  method: number;
  dataAt: number;
  /** The compressed size the header declares (0 when the sizes follow the data). */
  compressed: number;
  /** Its size as the header declares it (0 when the sizes follow the data). */
  declared: number;
  /** The sizes are in the header, not after the data. */
  sized: boolean;
  crc: number;
  /** It has a zip64 extra field (its data descriptor then holds 8-byte sizes). */
  zip64: boolean;
}

/** An entry found by its local header: the header, and its compressed bytes (what the header says, or where its deflate stream ends). */
interface LocalEntry extends LocalHeader {
  length: number;
}

/** Where the walk goes from an entry: to the next header, or it stops, saying why when it is not the directory. */
type WalkStep = { next: number } | { stop: string | undefined };

class LocalHeaderWalk {
  readonly entries: ArchiveEntry[] = [];
  private readonly fd: number;
  private readonly size: number;

  constructor(
    private readonly archive: string,
    private readonly ex: Extractor,
    /** Why the central directory cannot be read. */
    private readonly why: string,
  ) {
    this.fd = fs.openSync(archive, 'r');
    this.size = fs.fstatSync(this.fd).size;
  }

  /** `length` bytes from `at`, fewer where the file ends. */
  readonly read = (length: number, at: number): Buffer => readAt(this.fd, Math.min(length, this.size - at), at);

  async run(): Promise<ArchiveResult> {
    let at = 0;
    for (;;) {
      const step = await this.entryAt(at);
      if ('stop' in step) return this.done(step.stop);
      at = step.next;
    }
  }

  done(stop?: string): ArchiveResult {
    return {
      entries: this.entries,
      error: [
        ...this.ex.budgetNote(),
        `its central directory cannot be read (${this.why}): ${this.entries.length} entries found by their local headers${stop ? `; ${stop}` : ''}`,
      ].join('; '),
    };
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  /** The entry whose header is at `at`: extracted, unless it is a folder. */
  private async entryAt(at: number): Promise<WalkStep> {
    if (at >= this.size) return { stop: `the archive ends at byte ${this.size}, after its last whole entry` };
    const h = this.header(at);
    if ('stop' in h) return h;
    const span = this.span(h);
    if ('stop' in span) return span;
    const e: LocalEntry = { ...h, length: span.length };
    if (!e.name.endsWith('/')) this.entries.push(await this.extract(e, span.cut));
    if (span.cut)
      return { stop: `the archive ends inside entry ${e.name}, after ${this.size - e.dataAt} of its ${e.sized ? `${e.length} ` : ''}compressed bytes` };
    return { next: this.after(e) };
  }

  private header(at: number): LocalHeader | { stop: string | undefined } {
    const h = this.read(30, at);
    const sig = h.length >= 4 ? h.readUInt32LE(0) : -1;
    // The directory begins: every entry was seen (what is damaged is the directory itself).
    if (sig === CENTRAL_HEADER || sig === END_OF_DIRECTORY || sig === ZIP64_END) return { stop: undefined };
    if (sig !== LOCAL_HEADER) return { stop: `no entry header at byte ${at}: what follows is not read` };
    const cut = { stop: `the archive ends inside the header of an entry at byte ${at}` };
    if (h.length < 30) return cut;
    const nameLength = h.readUInt16LE(26);
    const meta = this.read(nameLength + h.readUInt16LE(28), at + 30);
    if (meta.length < nameLength + h.readUInt16LE(28)) return cut;
    return parseLocalHeader(h, meta, nameLength, at);
  }

  /** How many compressed bytes the entry has, and whether the file ends inside them. */
  private span(h: LocalHeader): { length: number; cut: boolean } | { stop: string } {
    if (h.sized) return { length: h.compressed, cut: h.dataAt + h.compressed > this.size };
    // The sizes follow the data: a deflated entry ends where its deflate stream does.
    if (h.method !== 8)
      return {
        stop: `entry ${h.name} at byte ${h.at} writes its size after its data and is not deflated: without the directory, where it ends cannot be found`,
      };
    const found = deflateEnd(this.read, h.dataAt, this.size);
    if (typeof found !== 'string') return found;
    this.entries.push({ name: h.name, bytes: null, rejected: `${found}: not extracted` });
    return { stop: `entry ${h.name} at byte ${h.at} writes its size after its data, and its end could not be found (${found})` };
  }

  /** Where the next header is: after the data, and its data descriptor when the sizes follow the data. */
  private after(e: LocalEntry): number {
    const end = e.dataAt + e.length;
    if (e.sized) return end;
    const d = this.read(4, end);
    return end + (d.length === 4 && d.readUInt32LE(0) === DATA_DESCRIPTOR ? 4 : 0) + (e.zip64 ? 20 : 12);
  }

  /** One entry, `cut` when the file ends inside its data: extracted, or refused with why. */
  private async extract(e: LocalEntry, cut: boolean): Promise<ArchiveEntry> {
    const { name } = e;
    const bytes = e.sized ? e.declared : null;
    const entryLimit = expansionLimit(e.length, this.ex.opts.limits);
    const refused = localRefusal(e) ?? (await this.ex.refuse(name, e.sized ? e.declared : e.length, entryLimit));
    if (refused) return { name, bytes, rejected: refused };
    const to = this.ex.target(name);
    if (!cut && e.sized && e.length <= PACKED_ENTRY_BYTES && e.declared <= PACKED_ENTRY_BYTES) {
      // The plain case as readSmallZipEntry; anything else through the stream below, which says what is wrong.
      const data = inflateChecked(this.read(e.length, e.dataAt), e.method, e.declared, e.crc);
      if (data) return { name, extracted: to, bytes: data.length, packed: this.ex.packed(data) };
    }
    try {
      return this.written(e, cut, to, await this.ex.write(() => this.stream(e, cut), to, entryLimit));
    } catch (err) {
      fs.rmSync(to, { force: true });
      return { name, bytes, rejected: isZlibError(err) ? `cannot extract: ${describeZlibError(err).replace('gzip', 'deflate')}` : this.ex.describe(err, name) };
    }
  }

  /** The entry's data as it comes out: stored, or inflated (as far as it goes, when cut). */
  private stream(e: LocalEntry, cut: boolean): Readable {
    const stream = fs.createReadStream(this.archive, { start: e.dataAt, end: this.end(e) - 1 });
    if (e.method !== 8) return stream;
    const inflate = zlib.createInflateRaw(cut ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {});
    stream.on('error', (err) => inflate.destroy(err));
    return stream.pipe(inflate);
  }

  /** Where the entry's data ends in the file. */
  private end(e: LocalEntry): number {
    return Math.min(e.dataAt + e.length, this.size);
  }

  /** An entry `bytes` of which were written to `to`: kept when whole, or cut and saying so; refused when it is not what its header says. */
  private written(e: LocalEntry, cut: boolean, to: string, bytes: number): ArchiveEntry {
    const { name } = e;
    if (!cut && e.sized && bytes !== e.declared) {
      fs.rmSync(to, { force: true });
      return { name, bytes: e.declared, rejected: `the entry holds ${bytes} bytes where its header declares ${e.declared}: damaged, not extracted` };
    }
    if (!cut) return { name, extracted: to, bytes };
    if (bytes === 0) {
      fs.rmSync(to, { force: true });
      return { name, bytes: 0, rejected: 'the archive ends inside this entry before any of its data: nothing to read' };
    }
    return {
      name,
      extracted: to,
      bytes,
      cut: `the archive ends inside this entry after ${this.end(e) - e.dataAt} ${e.sized ? `of its ${e.length} ` : ''}compressed bytes: truncated, only what it holds was read`,
    };
  }
}

/** The local header at `at` (its 30 fixed bytes `h`, its name and extra field `meta`). */
function parseLocalHeader(h: Buffer, meta: Buffer, nameLength: number, at: number): LocalHeader {
  const flags = h.readUInt16LE(6);
  const raw = meta.subarray(0, nameLength);
  const zip64 = zip64Sizes(meta.subarray(nameLength));
  let compressed = h.readUInt32LE(18);
  let declared = h.readUInt32LE(22);
  if (zip64 && (compressed === 0xffffffff || declared === 0xffffffff)) ({ compressed, declared } = zip64);
  return {
    at,
    name: (flags & 0x800 ? raw.toString('utf8') : raw.toString('latin1')) || '(unnamed)',
    flags,
    method: h.readUInt16LE(8),
    dataAt: at + 30 + meta.length,
    compressed,
    declared,
    sized: !(flags & 8),
    crc: h.readUInt32LE(14),
    zip64: zip64 !== undefined,
  };
}

/** Why an entry found by its local header is not extracted, from the header alone. */
function localRefusal(e: LocalEntry): string | undefined {
  const unsafe = unsafeEntryPath(e.name);
  if (unsafe) return unsafe;
  if (e.flags & 1) return 'the entry is encrypted: not extracted';
  if (e.method !== 0 && e.method !== 8) return `compression method ${e.method} is not supported: not extracted`;
  return undefined;
}

/**
 * Where a deflate stream starting at `at` ends: its compressed length, inflating a window that
 * doubles from 64 KiB (so a small entry costs a small read) up to MAX_UNSIZED_ENTRY_BYTES; when the
 * file ends first, the entry is cut and holds the rest of the file. A reason when it cannot be found.
 */
function deflateEnd(read: (length: number, at: number) => Buffer, at: number, size: number): { length: number; cut: boolean } | string {
  for (let n = 64 << 10; ; n *= 2) {
    const window = read(n, at);
    try {
      return { length: inflatedLength(window), cut: false };
    } catch (err) {
      if (err instanceof RangeError)
        return `it expands beyond the ${formatBytes(MAX_UNSIZED_ENTRY_OUT)} keytrail decompresses in memory to find where such an entry ends`;
      if (!/unexpected end/i.test(messageOf(err))) return `deflate data is corrupt (${messageOf(err)})`;
      if (at + window.length >= size) return { length: size - at, cut: true };
      if (n >= MAX_UNSIZED_ENTRY_BYTES) return `larger than the ${formatBytes(MAX_UNSIZED_ENTRY_BYTES)} keytrail looks through without the directory`;
    }
  }
}

/** How many bytes of `window` its first deflate stream takes (it throws when the stream does not end in it). */
function inflatedLength(window: Buffer): number {
  // With `info`, the result is the output and the engine, whose bytesWritten is the input it consumed
  // (Node's types say a Buffer).
  const inflated: unknown = zlib.inflateRawSync(window, { info: true, maxOutputLength: MAX_UNSIZED_ENTRY_OUT });
  if (typeof inflated === 'object' && inflated !== null && 'engine' in inflated && inflated.engine instanceof zlib.InflateRaw)
    return inflated.engine.bytesWritten;
  throw new TypeError('zlib.inflateRawSync with info: true returned no engine');
}

/** The sizes in a zip64 extended-information extra field, if the extra data has one. */
function zip64Sizes(extra: Buffer): { declared: number; compressed: number } | undefined {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const n = extra.readUInt16LE(i + 2);
    if (id === 0x0001 && n >= 16 && i + 20 <= extra.length)
      return { declared: Number(extra.readBigUInt64LE(i + 4)), compressed: Number(extra.readBigUInt64LE(i + 12)) };
    i += 4 + n;
  }
  return undefined;
}

// ---- tar ----

const BLOCK = 512;
/** Extended headers (pax, GNU long names) larger than this are not read: no real one comes close. */
const MAX_META_BYTES = 1 << 20;

const TAR_TYPES: Record<string, string> = {
  '1': 'hard link',
  '2': 'symbolic link',
  '3': 'character device',
  '4': 'block device',
  '6': 'FIFO',
  S: 'GNU sparse file',
  V: 'volume label',
  M: 'multi-volume continuation',
  D: 'GNU directory listing',
};

/** Pulls exact byte counts out of a stream and counts where it is; a failing source reads as its end. */
class ByteReader {
  private it: AsyncIterator<Buffer>;
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  /** Bytes handed out so far: the position in the (decompressed) tar. */
  offset = 0;
  /** Why the source ended early (a truncated or corrupt gzip, the scan limit). */
  failure?: unknown;

  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    try {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    } catch (err) {
      this.failure = err;
      this.done = true;
    }
    return !this.done;
  }

  /** The next `n` bytes, or fewer when the source ends first. */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n && (await this.fill()));
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  /** The next `n` bytes as chunks, as they arrive; fewer when the source ends first. */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill())) return;
      const out = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(out.length);
      this.offset += out.length;
      left -= out.length;
      yield out;
    }
  }

  /** Pass over `n` bytes; returns how many there were. */
  async skip(n: number): Promise<number> {
    let seen = 0;
    for await (const c of this.chunks(n)) seen += c.length;
    return seen;
  }

  /** Put back a block read too far (a header found while scanning). */
  unshift(b: Buffer): void {
    this.buf = Buffer.concat([b, this.buf]);
    this.offset -= b.length;
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

interface TarHeader {
  name: string;
  type: string;
  /** The declared size; undefined when the field is not a size (with sizeError saying why). */
  size?: number;
  sizeError?: string;
  linkname: string;
}

const cstr = (b: Buffer, off: number, len: number) => {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z < 0 ? s : s.subarray(0, z)).toString('utf8');
};

function octal(b: Buffer, off: number, len: number): number | undefined {
  const s = cstr(b, off, len).trim();
  if (!/^[0-7]*$/.test(s)) return undefined;
  return s === '' ? 0 : parseInt(s, 8);
}

function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** A header block's checksum is right (unsigned sum, or the signed sum old tars wrote). */
function checksumOk(b: Buffer): boolean {
  const want = octal(b, 148, 8);
  if (want === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return want === unsigned || want === signed;
}

/** The size field: octal digits, or base-256 when its high bit is set (GNU, for large files). */
function sizeField(b: Buffer): { size?: number; error?: string } {
  const f = b.subarray(124, 136);
  if (f[0]! & 0x80) {
    if (f[0] === 0xff) return { error: 'a negative size (base-256)' };
    let v = BigInt(f[0]! & 0x7f);
    for (let i = 1; i < f.length; i++) v = (v << 8n) | BigInt(f[i]!);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) return { error: `a size of ${v} bytes (base-256), more than any archive holds` };
    return { size: Number(v) };
  }
  const n = octal(b, 124, 12);
  return n === undefined ? { error: `a size field that is not a number (${JSON.stringify(cstr(b, 124, 12))})` } : { size: n };
}

function parseHeader(b: Buffer, pax: Record<string, string>): TarHeader {
  const magic = b.subarray(257, 263).toString('latin1');
  let name = cstr(b, 0, 100);
  // POSIX ustar keeps long paths' directories in the prefix field; GNU tar uses those bytes for times.
  if (magic === 'ustar\0') {
    const prefix = cstr(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const type = String.fromCharCode(b[156]!) === '\0' ? '0' : String.fromCharCode(b[156]!);
  const h: TarHeader = { name: pax.path ?? name, type, linkname: pax.linkpath ?? cstr(b, 157, 100), ...sizeOf(b, pax) };
  return h;
}

function sizeOf(b: Buffer, pax: Record<string, string>): { size?: number; sizeError?: string } {
  if (pax.size !== undefined) {
    const n = /^\d+$/.test(pax.size) ? Number.parseInt(pax.size, 10) : Number.NaN;
    return Number.isSafeInteger(n) ? { size: n } : { sizeError: `a size of ${JSON.stringify(pax.size)} (pax header), more than any archive holds` };
  }
  const s = sizeField(b);
  return s.error ? { sizeError: s.error } : { size: s.size };
}

/** pax records: `<length> <key>=<value>\n`, one after another. */
function parsePax(text: string, into: Record<string, string>): void {
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    const len = parseInt(text.slice(i, sp), 10);
    if (sp < 0 || !(len > 0)) return;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) into[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
}

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;
/** "the 2 members before it were kept" */
const keptBefore = (n: number) => `the ${n === 1 ? '1 member' : `${n} members`} before it ${n === 1 ? 'was' : 'were'} kept`;

async function extractTar(archive: string, size: number, gzip: boolean, ex: Extractor): Promise<ArchiveResult> {
  const src = fs.createReadStream(archive, { flags: 'r', highWaterMark: 1 << 20 });
  let stream: Readable = src;
  let gunzip: zlib.Gunzip | undefined;
  if (gzip) {
    // Reading through a tar.gz to find its members means decompressing it, kept members or not:
    // never more than one file's maximum, however the budget is doing.
    gunzip = zlib.createGunzip();
    const guard = expansionGuard(ex.opts.limits.maxBytes);
    src.on('error', (e) => guard.destroy(e));
    gunzip.on('error', (e) => guard.destroy(new Error(describeZlibError(e))));
    stream = src.pipe(gunzip).pipe(guard);
  }
  const r = new ByteReader(stream);
  try {
    return await readTar(r, gzip ? undefined : size, ex);
  } finally {
    await r.close();
    gunzip?.destroy();
    src.destroy();
  }
}

/** Read members one after another until the end marker, the end of the data, or damage that stops it. */
function readTar(r: ByteReader, fileSize: number | undefined, ex: Extractor): Promise<ArchiveResult> {
  return new TarWalk(r, fileSize, ex).run();
}

/** Header types whose data is about the next member (pax, GNU long names), not a member. */
const EXTENDED_TYPES = new Set(['x', 'g', 'L', 'K']);

class TarWalk {
  private readonly entries: ArchiveEntry[] = [];
  /** Damage read past, for the archive's row. */
  private readonly notes: string[] = [];
  /** The pax records for the next member, and those for all members after them. */
  private pax: Record<string, string> = {};
  private readonly globalPax: Record<string, string> = {};
  /** GNU long name and long link name for the next member. */
  private longName?: string;
  private longLink?: string;

  constructor(
    private readonly r: ByteReader,
    /** The size of a plain tar (no member holds more); undefined for a tar.gz. */
    private readonly fileSize: number | undefined,
    private readonly ex: Extractor,
  ) {}

  async run(): Promise<ArchiveResult> {
    for (;;) {
      const end = await this.next();
      if (end) return end;
    }
  }

  /** One header and what follows it; the archive's result when reading ends there. */
  private async next(): Promise<ArchiveResult | undefined> {
    const { r } = this;
    const at = r.offset;
    const block = await r.take(BLOCK);
    if (block.length === 0) {
      const last = this.entries.at(-1)?.name;
      return this.stop(last ? `after member ${last} without tar's end marker` : 'before its first member', 'it may have been cut there');
    }
    if (block.length < BLOCK) return this.stop(`inside a tar header at byte ${at}`);
    if (isZeroBlock(block)) return this.done();
    if (!checksumOk(block)) return this.resume(at, `the tar header at byte ${at} is damaged (checksum mismatch)`);
    const h = this.header(block);
    if (h.size === undefined) {
      // Where the next member starts is unknown: look for the next header that checks out.
      this.entries.push({ name: h.name, bytes: null, rejected: `its tar header declares ${h.sizeError}: not extracted` });
      return this.resume(at, `member ${h.name} at byte ${at} declares ${h.sizeError}`, h.name);
    }
    if (EXTENDED_TYPES.has(h.type)) return this.extended(h.type, h.size, at);
    return this.member(h, h.size);
  }

  /** The header in `block`, with what the extended headers before it said (used up by it). */
  private header(block: Buffer): TarHeader {
    const h = parseHeader(block, { ...this.globalPax, ...this.pax });
    if (this.longName !== undefined) h.name = this.longName;
    if (this.longLink !== undefined) h.linkname = this.longLink;
    this.pax = {};
    this.longName = this.longLink = undefined;
    return { ...h, name: h.name || '(unnamed)' };
  }

  /** An extended header's data, kept for the member after it. */
  private async extended(type: string, size: number, at: number): Promise<ArchiveResult | undefined> {
    if (size > MAX_META_BYTES)
      return this.done(
        `the extended header at byte ${at} is ${formatBytes(size)}, more than keytrail reads (${formatBytes(MAX_META_BYTES)}): the archive cannot be read past it`,
      );
    const body = await this.r.take(size);
    if (body.length < size) return this.stop(`inside an extended header at byte ${at}`);
    await this.r.skip(pad(size));
    const text = body.toString('utf8');
    if (type === 'x') parsePax(text, this.pax);
    else if (type === 'g') parsePax(text, this.globalPax);
    else if (type === 'L') this.longName = text.replace(/\0[\s\S]*$/, '');
    else this.longLink = text.replace(/\0[\s\S]*$/, '');
    return undefined;
  }

  private async member(h: TarHeader, size: number): Promise<ArchiveResult | undefined> {
    const m = await readMember(this.r, h, size, this.fileSize, this.ex);
    if (m.entry) this.entries.push(m.entry);
    if (m.truncated) return this.stop(`inside member ${h.name} at byte ${this.r.offset}`);
    const padding = pad(size);
    if ((await this.r.skip(padding)) < padding) return this.stop(`inside the padding after member ${h.name}`);
    return undefined;
  }

  private done(error?: string): ArchiveResult {
    const all = [...this.notes, ...this.ex.budgetNote(), ...(error ? [error] : [])];
    return { entries: this.entries, error: all.length ? all.join('; ') : undefined };
  }

  /** How far the archive got: where it stopped, why, and what was kept before. */
  private stop(where: string, plain = 'truncated'): ArchiveResult {
    const f = this.r.failure;
    const what =
      f instanceof ExpansionError
        ? `reading stopped ${where}: the archive ${f.message}`
        : f
          ? `the archive ends ${where}: ${messageOf(f)}`
          : `the archive ends ${where}: ${plain}`;
    return this.done(`${what}; ${keptBefore(this.entries.filter((e) => e.extracted && !e.cut).length)}`);
  }

  /** Past damage to the next header that checks out; the archive's result when there is none. */
  private async resume(at: number, what: string, name?: string): Promise<ArchiveResult | undefined> {
    const next = await resync(this.r);
    if (next === undefined)
      return this.done(
        `${what} and no valid tar header follows: the archive cannot be read past byte ${at}; ${keptBefore(this.entries.filter((e) => e.extracted).length)}`,
      );
    this.notes.push(`${what}: keytrail skipped to the next valid tar header at byte ${next.at}${name ? ` (the data of ${name} was not read)` : ''}`);
    this.r.unshift(next.block);
    return undefined;
  }
}

/**
 * One member: a file is extracted (or refused with why), anything else is a row saying what it is
 * (a directory has no row: its files have theirs). `truncated` when the data ends inside it; a file
 * cut that way keeps what it holds, so the records complete before the cut can still be read.
 */
async function readMember(
  r: ByteReader,
  h: TarHeader,
  size: number,
  fileSize: number | undefined,
  ex: Extractor,
): Promise<{ entry?: ArchiveEntry; truncated: boolean }> {
  const name = h.name;
  const passOver = async (entry?: ArchiveEntry) => ({ entry, truncated: (await r.skip(size)) < size });
  if (h.type === '5') return passOver();
  if (h.type !== '0' && h.type !== '7') {
    const what = TAR_TYPES[h.type] ?? `entry of unknown type ${JSON.stringify(h.type)}`;
    return passOver({ name, bytes: size, skipped: `${what}${h.linkname ? ` to ${h.linkname}` : ''} in the archive: not followed` });
  }
  const unsafe = unsafeEntryPath(name);
  if (unsafe) return passOver({ name, bytes: size, rejected: unsafe });
  // A plain tar stores members as they are, so none can hold more than the archive; one that claims
  // more is cut short by the end of the archive, and what it holds is read.
  const entryLimit = fileSize ?? Number.MAX_SAFE_INTEGER;
  const refused = await ex.refuse(name, Math.min(size, entryLimit), entryLimit);
  if (refused) return passOver({ name, bytes: size, rejected: refused });
  const to = ex.target(name);
  if (size <= PACKED_ENTRY_BYTES) {
    const body = await r.take(size);
    if (body.length === size) return { entry: { name, extracted: to, bytes: size, packed: ex.packed(body) }, truncated: false };
    return readMemberCut(name, size, body, to, ex);
  }
  let bytes: number;
  try {
    bytes = await ex.write(() => r.chunks(size), to, entryLimit);
  } catch (err) {
    fs.rmSync(to, { force: true });
    return passOver({ name, bytes: size, rejected: ex.describe(err, name) });
  }
  if (bytes === size) return { entry: { name, extracted: to, bytes }, truncated: false };
  return cutMember(name, size, bytes, to);
}

/** A member the archive ends inside of, `bytes` of it written to `to`: what it holds is read, and its row says how much. */
function cutMember(name: string, size: number, bytes: number, to: string): { entry: ArchiveEntry; truncated: boolean } {
  if (bytes === 0) {
    fs.rmSync(to, { force: true });
    return { entry: { name, bytes: 0, rejected: `the archive ends inside this member before any of its ${size} bytes: nothing to read` }, truncated: true };
  }
  const cut = `the archive ends inside this member after ${bytes} of its ${size} bytes: truncated, only what it holds was read`;
  return { entry: { name, extracted: to, bytes, cut }, truncated: true };
}

/** A small member the archive ends inside of: what it holds, in a file of its own for the record reader. */
function readMemberCut(name: string, size: number, body: Buffer, to: string, ex: Extractor): { entry: ArchiveEntry; truncated: boolean } {
  ex.opts.budget.spent += body.length;
  try {
    fs.writeFileSync(to, body, { flag: 'wx' });
  } catch (err) {
    fs.rmSync(to, { force: true });
    return { entry: { name, bytes: size, rejected: ex.describe(err, name) }, truncated: true };
  }
  return cutMember(name, size, body.length, to);
}

/** Scan block by block for the next header whose checksum is right; undefined at the end of the data. */
async function resync(r: ByteReader): Promise<{ at: number; block: Buffer } | undefined> {
  for (;;) {
    const at = r.offset;
    const b = await r.take(BLOCK);
    if (b.length < BLOCK) return undefined;
    if (!isZeroBlock(b) && checksumOk(b) && b.subarray(257, 262).toString('latin1') === 'ustar') return { at, block: b };
  }
}
