/**
 * What the case already holds, as far as a run must know it: the files by content and by path and
 * content (a file already in the case is left alone; one whose content is is a duplicate), what
 * could not be read last time and why, and the next files row's id. Read once at the start of a
 * run, and kept up to date as the run examines files.
 */
import type { CaseDb } from '../store/db.js';
import type { ExaminedRow } from './examine.js';
import { int, text, textOrNull } from './row-values.js';

/** A file the case holds, named in a duplicate's reason. */
export interface KnownFile {
  id: number;
  path: string;
}

const pathSha = (path: string, sha256: string) => `${path}\0${sha256}`;
const pathReason = (path: string, reason: string | null) => `${path}\0${reason}`;

export class CaseIndex {
  private constructor(
    private readonly bySha: Map<string, KnownFile>,
    private readonly byPathSha: Set<string>,
    /** What could not be read last time, by path and reason: still unread for the same reason, it is not written again. */
    private readonly unread: Set<string>,
    /** The id the next files row gets. */
    public nextId: number,
  ) {}

  static async read(db: CaseDb): Promise<CaseIndex> {
    const bySha = new Map<string, KnownFile>();
    const byPathSha = new Set<string>();
    for (const r of await db.all(`SELECT id, path, sha256 FROM files WHERE sha256 IS NOT NULL`)) {
      const sha256 = text(r, 'sha256');
      const path = text(r, 'path');
      if (!bySha.has(sha256)) bySha.set(sha256, { id: int(r, 'id'), path });
      byPathSha.add(pathSha(path, sha256));
    }
    const [maxRow] = await db.all(`SELECT coalesce(max(id), 0) AS m FROM files`);
    const nextId = (maxRow ? int(maxRow, 'm') : 0) + 1;
    const unread = new Set(
      (await db.all(`SELECT path, reason FROM files WHERE sha256 IS NULL AND parent_id IS NULL`)).map((r) =>
        pathReason(text(r, 'path'), textOrNull(r, 'reason')),
      ),
    );
    return new CaseIndex(bySha, byPathSha, unread, nextId);
  }

  /** The case holds this file: the same path and content. */
  holds(path: string, sha256: string): boolean {
    return this.byPathSha.has(pathSha(path, sha256));
  }

  /** The file the case holds with this content, under another path. */
  sameContent(sha256: string): KnownFile | undefined {
    return this.bySha.get(sha256);
  }

  /** Could not be read last time, and cannot now, for the same reason. */
  stillUnread(path: string, reason: string | null): boolean {
    return this.unread.has(pathReason(path, reason));
  }

  /** A row examined this run is written: later files are judged against it, and the next row gets the next id. */
  add(row: ExaminedRow): void {
    this.nextId++;
    if (row.sha256 && row.status !== 'duplicate-file') this.bySha.set(row.sha256, { id: row.id, path: row.path });
    if (row.sha256) this.byPathSha.add(pathSha(row.path, row.sha256));
  }
}
