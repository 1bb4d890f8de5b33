/**
 * A case holds one customer's evidence: the AWS account(s) its events were logged for, derived from
 * the events themselves (recipientAccountId, else the caller's userIdentity.accountId), so nothing
 * can drift from what the case holds. Evidence of another account, added to a case that already
 * holds some, is refused unless the user says --append: without it, a second customer's folder run
 * in the same place would land in the first customer's case and report.
 *
 * A file belongs to another account when none of its events is of the case's accounts: a
 * cross-account call inside a customer's own files does not trip it, and the accounts of a first
 * ingest (an organization trail delivers several) are all the case's.
 */
import { KeytrailError } from '../errors.js';
import type { CaseDb } from '../store/db.js';
import { sql } from '../store/sql.js';
import { int, text, textListOrNull } from './row-values.js';

const ACCOUNT = sql.raw('coalesce(recipientAccountId, userIdentity.accountId)');

/** Evidence of an AWS account the case does not hold; the batch holding it was rolled back. */
export class ForeignAccount extends KeytrailError {
  constructor(
    readonly accounts: string[],
    readonly caseAccounts: string[],
    db: string,
    first: string,
    files: number,
  ) {
    const more = files > 1 ? ` and ${files - 1} more file(s)` : '';
    super(
      'INPUT',
      `evidence from AWS account ${accounts.join(', ')} (${first}${more}), but the case ${db} holds AWS account ${caseAccounts.join(', ')}: ` +
        `use another case for it (investigate --out DIR, ingest --db FILE), or --append to add it to this one. Nothing of the batch holding it was loaded`,
    );
  }
}

export class CaseAccounts {
  private constructor(
    private readonly db: CaseDb,
    /** The accounts the case held when the run began; none for a new case. */
    readonly accounts: string[],
  ) {}

  static async read(db: CaseDb): Promise<CaseAccounts> {
    const rows = await db.all(sql`SELECT DISTINCT ${ACCOUNT} AS account FROM events WHERE ${ACCOUNT} IS NOT NULL ORDER BY account`);
    return new CaseAccounts(
      db,
      rows.map((r) => text(r, 'account')),
    );
  }

  /**
   * Inside the batch's transaction, before it commits: throws ForeignAccount when a file of the
   * batch (its events from file id `minId` on) holds only events of other accounts.
   */
  async check(minId: number, paths: ReadonlyMap<number, string>): Promise<void> {
    if (this.accounts.length === 0) return;
    const held = sql.list(this.accounts);
    const [r] = await this.db.all(sql`
      SELECT count(*)::INTEGER AS files, min(file_id) AS first, list_sort(list_distinct(flatten(list(accounts)))) AS accounts
      FROM (SELECT file_id, list(DISTINCT account) AS accounts
            FROM (SELECT file_id, ${ACCOUNT} AS account FROM events WHERE file_id >= ${minId}) WHERE account IS NOT NULL
            GROUP BY file_id HAVING NOT bool_or(list_contains(${held}, account)))`);
    if (!r || int(r, 'files') === 0) return;
    const first = int(r, 'first');
    throw new ForeignAccount(textListOrNull(r, 'accounts') ?? [], this.accounts, this.db.path, paths.get(first) ?? `file #${first}`, int(r, 'files'));
  }
}
