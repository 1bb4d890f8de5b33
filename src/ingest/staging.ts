/**
 * Small `{"Records":[...]}` files, staged. DuckDB's JSON reader spends more on opening a small file
 * (its buffers, a gzip stream, the file's state) than on reading it: 20,000 files of ten records
 * took it 11.7 s one by one, 5.6 s as a few large files. The probe already holds each small file's
 * text in memory, decompressed, so the text is appended unchanged, wrapped as
 * `{"f":<file id>,"d":<text>}`, to a few staging files per batch, which DuckDB reads as a stream of
 * JSON values (format 'unstructured': a pretty-printed text stays as written).
 *
 * A text is staged only when the probe saw one bracketed value with nothing but whitespace after
 * it (DepthScanner.single), so no text can close its wrapper and speak for another file. Whatever
 * DuckDB refuses in a staging file sends the batch back to reading each file alone (load-batch.ts),
 * where the file at fault is found and named: staging changes how fast, never what is read.
 *
 * A clean file (records-scan.ts) the probe made lines of (record-lines.ts), small or large, is
 * staged as those lines, its id written in: one line a record, which DuckDB's newline-delimited
 * reader reads into the typed record. No record holds a line break (record-lines.ts makes none
 * then), so none can end its line early and speak for another file; a record is one balanced value,
 * so none can close its wrapper either.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NativeUnit } from './batch-loader.js';
import { giveBack } from './line-buffers.js';
import { withFileId, type RecordLines } from './record-lines.js';
import type { StagingRoom } from './staging-room.js';

// Which texts are staged is the probe's decision: it keeps a text (Probe.content) only up to
// MAX_CONTENT_BYTES in bytes.ts, only when it is one JSON value, and only when it made no lines.

/**
 * A staging file is closed and the next begun past this size: several per batch, read in parallel.
 * DuckDB's reader holds buffers of a file's size per thread: 20,000 small files staged in 32 MiB
 * files peaked at 640-740 MB RSS under a 512 MiB limit, in 8 MiB files at ~600 MB, as fast.
 */
const STAGE_FILE_BYTES = 8 << 20;
/** Texts are written in runs of about this size (one system call, not three a file). */
const WRITE_RUN_BYTES = 1 << 20;

const CLOSE = Buffer.from('}\n');

/** Staging files of one kind: careful (`{"f":id,"d":text}`) or typed (`{"f":id,"m":"masks","d":text}`, a clean text). */
class Lane {
  readonly files: string[] = [];
  /** The file being written, as an index of Stager.files. */
  current = -1;
  fd = -1;
  inFile = 0;
  run: Buffer[] = [];
  runBytes = 0;
}

export class Stager {
  /** Staging files written, in order, of both lanes. */
  readonly files: string[] = [];
  /** The files staged, as DuckDB would read them alone (for the way back, see above). */
  readonly units: NativeUnit[] = [];
  /** Where each unit's text is: staging file, offset, length. */
  private readonly where: ({ file: number; at: number; length: number } | null)[] = [];
  /** The longest wrapped text: DuckDB's maximum_object_size must hold it. */
  longest = 0;
  /** The longest line of the lines lane. */
  longestLine = 0;
  /**
   * Texts read the careful way (the map of every value), clean ones read straight into the typed
   * record (their masks beside them), and clean files the probe made lines of, a record a line
   * (record-lines.ts).
   */
  private readonly lanes = { careful: new Lane(), typed: new Lane(), lines: new Lane() };

  constructor(
    /** Where staging files go: in memory while there is room, else on disk (staging-room.ts). */
    private readonly room: StagingRoom,
    /** The batch's number, in the staging files' names. */
    private readonly batch: number,
  ) {}

  /** The careful lane's staging files. */
  get careful(): readonly string[] {
    return this.lanes.careful.files;
  }

  /** The typed lane's staging files: clean texts (records-scan.ts), each with its records' null_field_masks. */
  get typed(): readonly string[] {
    return this.lanes.typed.files;
  }

  /** The lines lane's staging files: JSON Lines of clean files' records, each with its file id, index and mask. */
  get lines(): readonly string[] {
    return this.lanes.lines.files;
  }

  /**
   * A clean file's records as lines. For the way back (load-batch.ts) the file is read again from its
   * own file, which stays where it is (`unit.path`), not from the lines.
   */
  addLines(unit: NativeUnit, lines: RecordLines): void {
    const lane = this.lanes.lines;
    this.append(lane, unit, [withFileId(lines, unit.fileId)]);
    this.where.push(null);
    if (lines.longest > this.longestLine) this.longestLine = lines.longest;
  }

  add(unit: NativeUnit, text: Buffer): void {
    const lane = unit.masks ? this.lanes.typed : this.lanes.careful;
    const open = Buffer.from(unit.masks ? `{"f":${unit.fileId},"m":"${unit.masks.join(',')}","d":` : `{"f":${unit.fileId},"d":`);
    const start = this.append(lane, unit, [open, text, CLOSE]);
    this.where.push({ file: start.file, at: start.at + open.length, length: text.length });
    const n = open.length + text.length + CLOSE.length;
    if (n > this.longest) this.longest = n;
  }

  /**
   * A unit's bytes appended to a lane, in a new staging file when the current one is full, and the
   * unit listed (as DuckDB would read it alone); where its first byte went.
   */
  private append(lane: Lane, unit: NativeUnit, pieces: Buffer[]): { file: number; at: number } {
    if (lane.fd < 0 || lane.inFile >= STAGE_FILE_BYTES) this.next(lane);
    const start = { file: lane.current, at: lane.inFile };
    const n = pieces.reduce((sum, p) => sum + p.length, 0);
    lane.run.push(...pieces);
    lane.runBytes += n;
    lane.inFile += n;
    const { masks: _, ...plain } = unit;
    this.units.push(plain);
    if (lane.runBytes >= WRITE_RUN_BYTES) this.write(lane);
    return start;
  }

  /** Write what is pending and close the current files; the staging files are then complete. */
  close(): void {
    for (const lane of Object.values(this.lanes)) this.finish(lane);
  }

  /** A lane's pending texts written and its current file closed. */
  private finish(lane: Lane): void {
    if (lane.fd < 0) return;
    this.write(lane);
    fs.closeSync(lane.fd);
    lane.fd = -1;
  }

  /**
   * A staged unit as a file of its own, for DuckDB or the record reader to read alone: its own file
   * when that is still there, else (an archive entry, removed once staged) its text written out
   * again from the staging file, uncompressed.
   */
  alone(i: number): NativeUnit {
    const unit = this.units[i]!;
    const w = this.where[i]!;
    // A file staged as lines is still in its own file: if that is gone, reading it says so.
    if (w === null || fs.existsSync(unit.path)) return unit;
    const text = Buffer.alloc(w.length);
    const fd = fs.openSync(this.files[w.file]!, 'r');
    try {
      fs.readSync(fd, text, 0, w.length, w.at);
    } finally {
      fs.closeSync(fd);
    }
    const file = path.join(this.room.disk, `unstaged-${unit.fileId}.json`);
    fs.writeFileSync(file, text, { flag: 'wx' });
    this.files.push(file);
    return { ...unit, path: file, gzip: false };
  }

  remove(): void {
    this.close();
    for (const f of this.files) fs.rmSync(f, { force: true });
  }

  private next(lane: Lane): void {
    this.finish(lane);
    const file = path.join(this.room.dirFor(STAGE_FILE_BYTES), `staged-${this.batch}-${this.files.length}.json`);
    lane.fd = fs.openSync(file, 'wx');
    lane.files.push(file);
    lane.current = this.files.push(file) - 1;
    lane.inFile = 0;
  }

  /**
   * The lane's current file, in a memory folder that is full, moved to disk with what it holds so
   * far (every unit keeps its offset in it), to be written on there.
   */
  private toDisk(lane: Lane): void {
    const from = this.files[lane.current]!;
    const to = path.join(this.room.disk, path.basename(from));
    fs.closeSync(lane.fd);
    lane.fd = -1;
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
    fs.rmSync(from, { force: true });
    lane.fd = fs.openSync(to, 'a');
    this.files[lane.current] = to;
    lane.files[lane.files.length - 1] = to;
  }

  private write(lane: Lane): void {
    if (lane.run.length === 0) return;
    let pending = lane.run;
    let left = lane.runBytes;
    // writev may write less than asked: go on from where it stopped.
    while (left > 0) {
      let done: number;
      try {
        done = fs.writevSync(lane.fd, pending);
      } catch (err) {
        if (!this.room.full(this.files[lane.current]!, err)) throw err;
        this.toDisk(lane);
        continue;
      }
      left -= done;
      if (left > 0) pending = [Buffer.concat(pending).subarray(done)];
    }
    // Written: the lines' memory makes the next files' lines (line-buffers.ts).
    if (lane === this.lanes.lines) for (const piece of lane.run) giveBack(piece.buffer as ArrayBuffer);
    lane.run = [];
    lane.runBytes = 0;
  }
}
