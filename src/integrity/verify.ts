/**
 * Evidence integrity from CloudTrail's digest files, offline (issue 17). Each check gives each file
 * a status; STATUS says what each proves and what it does not. A digest vouches for the log files
 * it lists; its signature (with AWS's public key) vouches for the digest; the chain of digests
 * (each naming the hash of the one before) vouches that no digest was removed or replaced between
 * two that are present.
 */
import { checkLakeSignature, type SignatureStatus, type DigestFile, type PublicKey, checkSignature, readPublicKeys } from './digest.js';
import { type ControlEvent, type ScanOptions, type Scanned, s3Key, scanEvidence } from './scan.js';

export type Check = 'hash' | 'times' | 'path' | 'chain' | 'signature' | 'continuity' | 'digest';

/** Every status, what it means, and whether it is a problem (a problem makes verify exit 1 and leads the report). */
export const STATUS = {
  match: {
    check: 'hash',
    problem: false,
    means:
      "the file's uncompressed content has the SHA-256 its digest lists: unchanged since CloudTrail delivered it (as far as the digest itself can be trusted: see signature)",
  },
  mismatch: { check: 'hash', problem: true, means: 'the content differs from what CloudTrail delivered: edited, truncated, or replaced' },
  missing: { check: 'hash', problem: true, means: 'a digest lists this log file and it is not in the evidence: deleted, or not copied' },
  'not-covered': {
    check: 'hash',
    problem: true,
    means: 'an S3 log file in an hour whose digest is present but does not list it: not delivered by this trail then (added, or renamed)',
  },
  'not-digested': {
    check: 'hash',
    problem: false,
    means:
      'no digest in the evidence covers it: normal for lookup-events output, console downloads, and hours whose digests were not copied; its integrity is not known',
  },
  inside: { check: 'times', problem: false, means: "every event's time is inside the oldest and newest event time its digest lists for the file" },
  outside: { check: 'times', problem: true, means: 'an event time lies outside the range the digest lists for the file' },
  consistent: { check: 'path', problem: false, means: 'account, region and key agree with where the file lies and what the digest says' },
  moved: {
    check: 'path',
    problem: true,
    means: 'the digest names another S3 key than where the file lies: moved or renamed (its signature covers its original key)',
  },
  inconsistent: { check: 'path', problem: true, means: "the file's path, its records or its digest disagree on the account or region" },
  linked: {
    check: 'chain',
    problem: false,
    means: "the SHA-256 of the previous digest's content is the one this digest names: nothing was changed between them",
  },
  start: { check: 'chain', problem: false, means: 'the first digest of its chain in the evidence: the chain is checked from here on, not before' },
  broken: {
    check: 'chain',
    problem: true,
    means: "the previous digest's content does not have the SHA-256 this digest names: the previous digest was changed or replaced",
  },
  'previous-missing': {
    check: 'chain',
    problem: true,
    means: 'the digest this one names as previous is not in the evidence, though earlier ones are: a digest was removed',
  },
  valid: {
    check: 'signature',
    problem: false,
    means: 'the digest, at its original S3 key, is what CloudTrail signed with the public key of its fingerprint: its hashes can be trusted',
  },
  invalid: { check: 'signature', problem: true, means: 'the signature does not verify: the digest, its key or the signature was changed' },
  'unknown-key': { check: 'signature', problem: true, means: "the public keys given have none with the digest's fingerprint" },
  'not-checked': {
    check: 'signature',
    problem: false,
    means: 'no public keys or no signature given: the digest is checked against the logs and its chain, but whoever could rewrite both could rewrite it',
  },
  gap: {
    check: 'continuity',
    problem: true,
    means: 'hours with no digest between two digests of a region: logging or validation was off, or digests were removed',
  },
  'gap-after-stoplogging': {
    check: 'continuity',
    problem: false,
    means: 'hours with no digest that follow a StopLogging (or a trail change) in the evidence: expected',
  },
  unreadable: { check: 'digest', problem: true, means: 'a digest that cannot be read as one: damaged, or not what CloudTrail writes' },
} as const satisfies Record<string, { check: Check; problem: boolean; means: string }>;

export type Status = keyof typeof STATUS;

export interface IntegrityRow {
  file: string;
  check: Check;
  status: Status;
  detail: string;
}

export interface ChainSummary {
  account: string;
  region: string;
  trail: string;
  digests: number;
  from: string;
  to: string;
  links: number;
  broken: number;
}

export interface IntegritySummary {
  digests: number;
  logFiles: { listed: number; matched: number; mismatched: number; missing: number };
  /** S3 log files in digested hours that no digest lists. */
  notCovered: number;
  /** Evidence no digest covers (lookup-events, console downloads, undigested hours). */
  notDigested: number;
  chains: ChainSummary[];
  gaps: { region: string; from: string; to: string; expected: boolean; detail: string }[];
  signatures: Record<'valid' | 'invalid' | 'unknown-key' | 'not-checked', number>;
  problems: number;
  /** One statement for a report: what matched, how far the chain holds, what is missing. */
  statement: string;
}

export interface IntegrityResult {
  rows: IntegrityRow[];
  summary: IntegritySummary;
}

export interface VerifyOptions extends ScanOptions {
  /** The JSON of `aws cloudtrail list-public-keys`: digests' signatures are checked with it. */
  publicKeys?: string;
}

/** Scan the evidence and verify it: `keytrail verify <evidence>...`. */
export async function verifyEvidence(inputs: readonly string[], o: VerifyOptions = {}) {
  const keys = o.publicKeys ? readPublicKeys(o.publicKeys) : undefined;
  const scan = await scanEvidence(inputs, o);
  return { ...verifyScanned(scan.files, keys), errors: scan.errors, files: scan.files.length };
}

const HOUR = 3600_000;
/** Digests start a few minutes off the hour; a start this much after the previous end is a gap. */
const GAP_SLACK = 5 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

/** The trail name in a digest's key: `<acct>_CloudTrail-Digest_<region>_<trail>_<home region>_<time>.json.gz`. */
const trailOf = (key: string) => /_CloudTrail-Digest_[^_]+_(.+)_[^_]+_\d{8}T\d{6}Z\.json\.gz$/.exec(key)?.[1] ?? '';

/** The account and region a CloudTrail key names: `AWSLogs/[o-org/]<acct>/CloudTrail[-Digest]/<region>/...`. */
function keyParts(key: string): { account: string; region: string } | undefined {
  const m = /^AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\/CloudTrail(?:-Digest)?\/([a-z0-9-]+)\//.exec(key);
  return m ? { account: m[1]!, region: m[2]! } : undefined;
}

/** The time in an S3 log file's name (`..._20261014T0315Z_xxxx.json.gz`): about when it was delivered. */
function deliveredAt(key: string): number | null {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(key);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) : null;
}

interface DigestNode {
  file: Scanned & { digest: DigestFile };
  key: string;
  start: number;
  end: number;
  chain: string;
}

export function verifyScanned(files: readonly Scanned[], keys?: Map<string, PublicKey[]>): IntegrityResult {
  const rows: IntegrityRow[] = [];
  const add = (file: string, status: Status, detail: string) => rows.push({ file, check: STATUS[status].check, status, detail });
  const signatures = new Map(files.filter((f) => f.kind === 'signature').map((f) => [f.signatureOf!, f.signature!]));
  const logsByKey = new Map<string, Scanned>();
  for (const f of files) if (f.kind === 'log' && f.key) logsByKey.set(f.key, f);
  const control = files.flatMap((f) => f.log?.control ?? []).sort((a, b) => (a.eventTime < b.eventTime ? -1 : 1));

  for (const f of files) if (f.kind === 'unreadable' && f.problem?.startsWith('a CloudTrail digest')) add(f.path, 'unreadable', f.problem);

  // Digests, by chain (account, region, trail), in time order.
  const digests: DigestNode[] = files
    .filter((f): f is Scanned & { digest: DigestFile } => f.kind === 'digest')
    .map((f) => {
      const d = f.digest;
      const key = s3Key(d.digestS3Object) ?? d.digestS3Object;
      const region = keyParts(key)?.region ?? keyParts(f.key ?? '')?.region ?? '';
      return { file: f, key, start: Date.parse(d.digestStartTime), end: Date.parse(d.digestEndTime), chain: `${d.awsAccountId}/${region}/${trailOf(key)}` };
    })
    .sort((a, b) => a.end - b.end);
  const byKey = new Map(digests.map((n) => [n.key, n]));
  const listed = new Map<string, { digest: DigestNode; entry: DigestFile['logFiles'][number] }[]>();
  for (const n of digests)
    for (const e of n.file.digest.logFiles) {
      const k = s3Key(e.s3Object) ?? e.s3Object;
      listed.set(k, [...(listed.get(k) ?? []), { digest: n, entry: e }]);
    }

  const chains = new Map<string, DigestNode[]>();
  for (const n of digests) chains.set(n.chain, [...(chains.get(n.chain) ?? []), n]);
  const chainSummaries: ChainSummary[] = [];
  const gaps: IntegritySummary['gaps'] = [];
  const sigCount = { valid: 0, invalid: 0, 'unknown-key': 0, 'not-checked': 0 };

  for (const [chain, nodes] of chains) {
    let links = 0;
    let broken = 0;
    for (const [i, n] of nodes.entries()) {
      const d = n.file.digest;
      const where = n.file.path;
      // Where it lies against what it says it is.
      const parts = keyParts(n.key);
      if (n.file.key !== null && n.file.key !== n.key) add(where, 'moved', `the digest names ${d.digestS3Object}; the file lies at ${n.file.key}`);
      else if (parts && parts.account !== d.awsAccountId)
        add(where, 'inconsistent', `its key names account ${parts.account}, its awsAccountId is ${d.awsAccountId}`);
      else add(where, 'consistent', `account ${d.awsAccountId}, region ${parts?.region ?? '?'}`);

      const sig = checkSignature(d, n.file.contentSha256!, signatures.get(where), keys);
      sigCount[sig.status]++;
      add(where, sig.status, sig.detail);

      // The link to the digest before it.
      const prevKey = d.previousDigestS3Object ? (s3Key(d.previousDigestS3Object) ?? d.previousDigestS3Object) : null;
      const prev = prevKey ? byKey.get(prevKey) : undefined;
      if (!prevKey) add(where, 'start', 'the first digest of a chain (no previous digest): logging or validation started here');
      else if (!prev)
        add(
          where,
          i === 0 ? 'start' : 'previous-missing',
          i === 0
            ? `the digest before it (${prevKey}) is not in the evidence: the chain is checked from here`
            : `its previous digest ${prevKey} is not in the evidence`,
        );
      else if (prev.file.contentSha256 !== (d.previousDigestHashValue ?? '').toLowerCase()) {
        broken++;
        add(where, 'broken', `names ${d.previousDigestHashValue} as the SHA-256 of ${prev.file.path}, whose content hashes to ${prev.file.contentSha256}`);
      } else if (d.previousDigestSignature && signatures.has(prev.file.path) && signatures.get(prev.file.path) !== d.previousDigestSignature.toLowerCase()) {
        broken++;
        add(where, 'broken', `names another signature for ${prev.file.path} than the one beside it`);
      } else {
        links++;
        add(where, 'linked', `previous digest ${prev.file.path}`);
      }

      // Continuity: the hours between this digest and the one before it in time.
      const before = nodes[i - 1];
      if (before && n.start - before.end > GAP_SLACK) {
        const hours = Math.round((n.start - before.end) / HOUR);
        // Logging stopped around the gap's start: in the last digested hour, or the hour after it.
        const why = control.find(
          (c) =>
            c.eventName !== 'StartLogging' &&
            c.eventName !== 'CreateTrail' &&
            Date.parse(c.eventTime) >= before.start - HOUR &&
            Date.parse(c.eventTime) <= before.end + HOUR,
        );
        const span = `no digest from ${iso(before.end)} to ${iso(n.start)} (${hours} hour${hours === 1 ? '' : 's'})`;
        const detail = why ? `${span}, after ${describe(why)}` : span;
        gaps.push({ region: parts?.region ?? '', from: iso(before.end), to: iso(n.start), expected: !!why, detail });
        add(where, why ? 'gap-after-stoplogging' : 'gap', detail);
      }

      // The log files it lists.
      for (const e of d.logFiles) {
        const k = s3Key(e.s3Object) ?? e.s3Object;
        const log = logsByKey.get(k);
        if (!log) {
          add(e.s3Object, 'missing', `listed by ${where} (SHA-256 ${e.hashValue})`);
          continue;
        }
        if (log.contentSha256 === e.hashValue.toLowerCase()) add(log.path, 'match', `as listed by ${where}`);
        else add(log.path, 'mismatch', `its content hashes to ${log.contentSha256}; ${where} lists ${e.hashValue}`);
        const lo = e.oldestEventTime ? Date.parse(e.oldestEventTime) : null;
        const hi = e.newestEventTime ? Date.parse(e.newestEventTime) : null;
        const l = log.log!;
        if (l.oldest !== null && lo !== null && l.oldest < lo)
          add(log.path, 'outside', `an event at ${iso(l.oldest)}, before the oldest event time ${e.oldestEventTime} its digest lists`);
        else if (l.newest !== null && hi !== null && l.newest > hi)
          add(log.path, 'outside', `an event at ${iso(l.newest)}, after the newest event time ${e.newestEventTime} its digest lists`);
        else add(log.path, 'inside', `${l.events} event(s) inside ${e.oldestEventTime ?? '?'} – ${e.newestEventTime ?? '?'}`);
        const lp = keyParts(k);
        if (lp && (lp.account !== d.awsAccountId || (parts && lp.region !== parts.region)))
          add(log.path, 'inconsistent', `its key names ${lp.account}/${lp.region}; its digest is for ${d.awsAccountId}/${parts?.region ?? '?'}`);
        else if (lp && l.accounts.some((a) => a !== lp.account))
          add(log.path, 'inconsistent', `records for account ${l.accounts.join(', ')} in a file under ${lp.account}`);
        else add(log.path, 'consistent', `account ${lp?.account ?? '?'}, region ${lp?.region ?? '?'}`);
      }
    }
    const first = nodes[0]!;
    const last = nodes[nodes.length - 1]!;
    const [account, region, trail] = chain.split('/');
    chainSummaries.push({ account: account!, region: region!, trail: trail!, digests: nodes.length, from: iso(first.start), to: iso(last.end), links, broken });
  }

  // CloudTrail Lake query results: each result file against the sign file in its folder.
  const lake = lakeResults(files, keys, add, sigCount);

  // Evidence no digest lists.
  let notCovered = 0;
  let notDigested = 0;
  for (const f of files) {
    if (f.kind === 'digest' || f.kind === 'signature' || f.kind === 'lake-sign' || lake.covered.has(f.path)) continue;
    if (f.kind === 'log' && f.key && listed.has(f.key)) continue;
    if (f.kind === 'unreadable' && f.problem?.startsWith('a CloudTrail digest')) continue;
    const parts = f.key ? keyParts(f.key) : undefined;
    const at = f.key ? deliveredAt(f.key) : null;
    const hour =
      f.kind === 'log' && parts && at !== null ? digests.find((n) => keyParts(n.key)?.region === parts.region && n.start <= at && at < n.end) : undefined;
    if (hour) {
      notCovered++;
      add(
        f.path,
        'not-covered',
        `an S3 log file of ${parts!.region} delivered at about ${iso(at!)}; the digest of that hour (${hour.file.path}) does not list it`,
      );
    } else {
      notDigested++;
      const what =
        f.kind === 'log' && parts
          ? 'an S3 log file in an hour no digest in the evidence covers'
          : f.kind === 'unreadable'
            ? `not read (${f.problem})`
            : 'not an S3 delivery file (lookup-events output, a console download or other evidence): CloudTrail writes no digest for it';
      add(f.path, 'not-digested', what);
    }
  }

  const logFiles = {
    listed: listed.size + lake.listed,
    matched: count(rows, 'match'),
    mismatched: count(rows, 'mismatch'),
    missing: count(rows, 'missing'),
  };
  const problems = rows.filter((r) => STATUS[r.status].problem).length;
  const summary: IntegritySummary = {
    digests: digests.length,
    logFiles,
    notCovered,
    notDigested,
    chains: chainSummaries,
    gaps,
    signatures: sigCount,
    problems,
    statement: '',
  };
  summary.statement = statementOf(summary, rows);
  return { rows, summary };
}

const count = (rows: readonly IntegrityRow[], s: Status) => rows.filter((r) => r.status === s).length;

/** A path's folder and name, for local paths and archive members (`a.zip!/x/result_1.csv.gz`) alike. */
const splitPath = (p: string) => {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return { dir: p.slice(0, i + 1), name: p.slice(i + 1) };
};

/**
 * CloudTrail Lake's saved query results: each file a sign file lists, beside it, has the SHA-256 it
 * lists (of the file as delivered, compressed); a result file beside a sign file that does not list
 * it is not covered; the sign file's signature is checked with the public keys, when given.
 */
function lakeResults(
  files: readonly Scanned[],
  keys: Map<string, PublicKey[]> | undefined,
  add: (file: string, status: Status, detail: string) => void,
  sigCount: Record<SignatureStatus, number>,
): { covered: Set<string>; listed: number } {
  const covered = new Set<string>();
  let listed = 0;
  for (const f of files) {
    if (f.kind !== 'lake-sign') continue;
    const s = f.lakeSign!;
    const { dir } = splitPath(f.path);
    const sig = checkLakeSignature(s, keys);
    sigCount[sig.status]++;
    add(f.path, sig.status, sig.detail);
    for (const e of s.files) {
      listed++;
      const target = `${dir}${e.fileName}`;
      const r = files.find((x) => x.path === target);
      if (!r) {
        add(target, 'missing', `a CloudTrail Lake result file listed by ${f.path} (SHA-256 ${e.fileHashValue})`);
        continue;
      }
      covered.add(r.path);
      if (r.fileSha256 === e.fileHashValue.toLowerCase()) add(r.path, 'match', `the file's SHA-256, as ${f.path} lists it`);
      else add(r.path, 'mismatch', `the file hashes to ${r.fileSha256}; ${f.path} lists ${e.fileHashValue}`);
    }
    for (const r of files) {
      const p = splitPath(r.path);
      if (p.dir !== dir || covered.has(r.path) || !/^result_\d+\.csv(\.gz)?$/i.test(p.name)) continue;
      covered.add(r.path);
      add(r.path, 'not-covered', `a CloudTrail Lake result file beside ${f.path}, which does not list it: added, or from another query`);
    }
  }
  return { covered, listed };
}

function describe(c: ControlEvent): string {
  return `${c.eventName}${c.trail ? ` of ${c.trail}` : ''} by ${c.arn ?? 'an unknown caller'} at ${c.eventTime}`;
}

/** "312 of 312 S3 log files match their digests; chain unbroken from T1 to T2; ..." */
function statementOf(s: IntegritySummary, rows: readonly IntegrityRow[]): string {
  if (s.digests === 0) return 'no CloudTrail digest files in the evidence: the integrity of the log files cannot be checked';
  const parts = [`${s.logFiles.matched} of ${s.logFiles.listed} log file(s) listed in ${s.digests} digest(s) match their digests`];
  if (s.logFiles.mismatched) parts.push(`${s.logFiles.mismatched} changed`);
  if (s.logFiles.missing) parts.push(`${s.logFiles.missing} missing`);
  const broken = s.chains.reduce((a, c) => a + c.broken, 0) + count(rows, 'previous-missing');
  const from = s.chains.map((c) => c.from).sort()[0];
  const to = s.chains
    .map((c) => c.to)
    .sort()
    .at(-1);
  parts.push(broken ? `the digest chain is broken ${broken} time(s)` : `chain unbroken from ${from} to ${to} (${s.chains.map((c) => c.region).join(', ')})`);
  const open = s.gaps.filter((g) => !g.expected);
  const listed = open.slice(0, 5).map((g) => `${g.region} ${g.from} – ${g.to}`);
  if (open.length) parts.push(`${open.length} gap(s) without digest: ${listed.join('; ')}${open.length > 5 ? `; ${open.length - 5} more` : ''}`);
  const expected = s.gaps.filter((g) => g.expected);
  if (expected.length) parts.push(`${expected.length} expected gap(s) after logging was stopped`);
  if (s.notCovered) parts.push(`${s.notCovered} S3 log file(s) in digested hours that no digest lists`);
  const sig = s.signatures;
  parts.push(
    sig['not-checked'] === s.digests
      ? 'signatures not checked'
      : `signatures: ${[`${sig.valid} valid`, sig.invalid && `${sig.invalid} invalid`, sig['unknown-key'] && `${sig['unknown-key']} with an unknown key`, sig['not-checked'] && `${sig['not-checked']} not checked`].filter(Boolean).join(', ')}`,
  );
  if (s.notDigested) parts.push(`${s.notDigested} file(s) no digest covers`);
  return parts.join('; ');
}
