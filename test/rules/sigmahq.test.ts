/**
 * Public SigmaHQ CloudTrail rules through the real path: rule files loaded by loadRules, events
 * ingested into a case, runRules over it, findings compared with a hand-checked table.
 *
 * test/fixtures/sigmahq/rules/ holds thirteen SigmaHQ rules (rules/cloud/aws/cloudtrail/, DRL 1.1)
 * whose id, title, logsource, level, tags and detection are kept as published, each file naming
 * the SigmaHQ path and commit it mirrors. Together they use: a list of values (OR), `selection and
 * not filter` where the filter's field is absent, `1 of selection_*`, `not 1 of` over a list of
 * maps, parentheses, `contains` / `contains|all` / `startswith` / `re` / `fieldref`, `*` inside a
 * value, `errorCode: null`, boolean values, deep struct paths (userIdentity.sessionContext...) and
 * paths into JSON (requestParameters.PublicAccessBlockConfiguration...), and `contains` on a whole
 * JSON object (responseElements).
 *
 * test/fixtures/sigmahq/events.ndjson: real events from panther-labs/panther-analysis's rule tests
 * (Apache-2.0; its README says which) plus hand-made near misses; every eventID is a label.
 * The table is closed-world: a rule flags exactly the listed events and nothing else in the case.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/ingest.js';
import { runRules, type Finding } from '../../src/rules/detect.js';
import { formatProblem, loadRules, type LoadResult } from '../../src/rules/load-rules.js';
import { CaseDb } from '../../src/store/db.js';
import { ROOT, tmpDir } from '../helpers.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/sigmahq');
const EVENTS_FILE = path.join(FIXTURES, 'events.ndjson');

interface Expectation {
  /** Fixture rule file. */
  file: string;
  /** Every event the rule must flag, and no other. */
  flags: string[];
  /** Near misses it must not flag (already implied by `flags`; listed so each rule has some). */
  spares: string[];
}

/** Rule id → expectation; each line checked by hand against the rule and the event. */
const EXPECTED: Record<string, Expectation> = {
  // ecs AND eventName in [DescribeTaskDefinition, RegisterTaskDefinition, RunTask] AND
  // requestParameters.containerDefinitions.command contains the credential-endpoint variable: the path
  // crosses the containerDefinitions array (and command is itself a list of words).
  'b94bf91e-c2bf-4047-9c43-c6810f43baad': {
    file: 'aws_ecs_task_definition_cred_endpoint_query.yml',
    flags: ['ecs-register-cred-endpoint'],
    // A plain command; the same text under an eventName the rule does not name.
    spares: ['ecs-register-plain', 'ecs-listtasks-cred-endpoint'],
  },
  // eventSource cloudtrail AND eventName in [StopLogging, UpdateTrail, DeleteTrail]; errors are not excluded.
  '4db60cc0-36fb-42b7-9b58-a5b53019fb74': {
    file: 'aws_cloudtrail_disable_logging.yml',
    flags: ['ct-stoplogging', 'ct-stoplogging-error', 'ct-updatetrail-vpce'],
    // StartLogging is not in the list; a DeleteTrail without eventSource fails the AND.
    spares: ['ct-startlogging', 'ct-deletetrail-no-source'],
  },
  // s3 ListBuckets AND NOT userIdentity.type = AssumedRole (case-insensitive); no type at all is "not AssumedRole".
  'f305fd62-beca-47da-ad95-7690a0620084': {
    file: 'aws_enum_buckets.yml',
    flags: ['s3-listbuckets-iamuser', 's3-listbuckets-no-type'],
    spares: ['s3-listbuckets-assumedrole', 's3-listbuckets-assumedrole-lowercase', 'role-s3-listobjects'],
  },
  // (sts AND AssumeRoleWithSAML) OR (iam AND UpdateSAMLProvider): the pairs do not mix.
  'f43f5d2f-3f2a-4cc8-b1af-81fde7dbaf0e': {
    file: 'aws_susp_saml_activity.yml',
    flags: ['iam-updatesamlprovider', 'sts-assumerolewithsaml'],
    spares: ['iam-assumerolewithsaml-wrong-source', 'sts-assumerolewithwebidentity'],
  },
  // guardduty AND (DeleteDetector OR (UpdateDetector AND enable = 'false')) AND (errorCode 'Success' OR errorCode absent).
  // The rule's 'false' is a string; the event's enable is a JSON boolean.
  'd2656e78-c069-4571-8220-9e0ab5913f19': {
    file: 'aws_cloudtrail_guardduty_detector_deleted_or_updated.yml',
    flags: ['gd-deletedetector', 'gd-updatedetector-disable', 'gd-deletedetector-errorcode-success'],
    spares: ['gd-updatedetector-enable', 'gd-updatedetector-frequency', 'gd-deletedetector-denied'],
  },
  // sts GetCallerIdentity AND userAgent contains TruffleHog, case-insensitively ("trufflehog/3.63.0" too).
  '9b1b8e9b-0a5d-4af1-9d2f-4c4b6e7c2c9d': {
    file: 'aws_sts_getcalleridentity_trufflehog.yml',
    flags: ['sts-gci-trufflehog', 'sts-gci-trufflehog-lowercase'],
    spares: ['sts-assumerole-trufflehog', 'sts-gci-awscli'],
  },
  // arn matches /.+:assumed-role\/aws:.+/ (re is case-sensitive) AND NOT (ssm OR RegisterManagedInstance OR 'AWS Internal').
  '352a918a-34d8-4882-8470-44830c507aa3': {
    file: 'aws_cloudtrail_imds_malicious_usage.yml',
    flags: ['imds-s3-listobjects-external'],
    spares: ['imds-ssm-updateinstanceinformation', 'imds-kms-decrypt-internal', 'imds-uppercase-arn', 'role-s3-listobjects'],
  },
  // ec2 CreateInstanceExportTask AND NOT (errorMessage has a value OR errorCode has a value OR responseElements contains "failure").
  // A null responseElements does not contain anything, so the export without a response is flagged.
  '54b9a76a-3c71-4673-b4b3-2edb4566ea7b': {
    file: 'aws_ec2_vm_export_failure.yml',
    flags: ['ec2-exportinstance-ok', 'ec2-exportinstance-null-response'],
    spares: ['ec2-exportinstance-denied', 'ec2-exportinstance-failure-response', 'ec2-exportimage'],
  },
  // PutBucketPublicAccessBlock AND any of the four PublicAccessBlockConfiguration booleans is false.
  'ab18a523-e093-4ac6-8303-8c47431f4fca': {
    file: 'aws_cloudtrail_bucket_block_public_access_weakened.yml',
    flags: ['pab-restrict-off', 'pab-all-off'],
    spares: ['pab-all-on', 'pab-real-no-config'],
  },
  // iam UpdateLoginProfile AND NOT userIdentity.arn = requestParameters.userName. An ARN never equals a bare
  // user name, so both real events (alice changing her own and bob's password) are flagged; only the
  // contrived event whose userName is the caller's ARN is spared.
  '055fb148-60f8-462d-ad16-26926ce050f1': {
    file: 'aws_update_login_profile.yml',
    flags: ['iam-updateloginprofile-alice', 'iam-updateloginprofile-bob'],
    spares: ['iam-updateloginprofile-fieldref-equal', 'iam-getloginprofile'],
  },
  // userIdentity.type AssumedRole AND sessionContext.sessionIssuer.type Role: every role session in the case.
  '905d389b-b853-46d0-9d3d-dea0d3a3cd49': {
    file: 'aws_sts_assumerole_misuse.yml',
    flags: [
      'ct-stoplogging',
      'ct-stoplogging-error',
      'iam-setdefaultpolicyversion-cfn',
      'iam-setdefaultpolicyversion-terraform',
      'iam-updateloginprofile-alice',
      'iam-updateloginprofile-bob',
      'iam-updatesamlprovider',
      'imds-kms-decrypt-internal',
      'imds-s3-listobjects-external',
      'imds-ssm-updateinstanceinformation',
      'imds-uppercase-arn',
      'role-s3-listobjects',
      's3-listbuckets-assumedrole',
      's3-listbuckets-assumedrole-lowercase',
      'ses-getsendquota-real',
      'ses-listidentities-asia',
      'ses-listidentities-real',
    ],
    // An assumed role without sessionContext, a federated user issued by an IAM user, a SAML user.
    spares: ['pab-real-no-config', 'ec2-describeinstances-federated', 'sts-assumerolewithsaml'],
  },
  // (iam CreatePolicyVersion AND setAsDefault true AND the document contains all three snippets, where each
  // "*" is a Sigma wildcard, so "Action": "s3:GetObject" qualifies) OR (iam SetDefaultPolicyVersion),
  // AND NOT (AWSService OR arn like arn:*/*terraform* OR source cloudformation / servicecatalog).
  // The snippets have a space after the colon: a compact document does not contain them.
  '8b4e6d1c-2f3a-49c5-a1b2-3d4e5f6a7b8c': {
    file: 'aws_iam_managed_policy_version_abuse.yml',
    flags: ['iam-createpolicyversion-admin', 'iam-createpolicyversion-s3-read', 'iam-setdefaultpolicyversion'],
    spares: [
      'iam-createpolicyversion-compact',
      'iam-createpolicyversion-not-default',
      'iam-setdefaultpolicyversion-terraform',
      'iam-setdefaultpolicyversion-cfn',
      'iam-setdefaultpolicyversion-awsservice',
    ],
  },
  // eventName in [GetSendQuota, GetAccount, ListIdentities] AND userIdentity.accessKeyId starts with AKIA.
  '5f75f934-e78a-4653-9d3a-50e799af9edc': {
    file: 'aws_cloudtrail_ses_account_discovery.yml',
    flags: ['ses-getaccount-akia', 'ses-getsendquota-akia'],
    spares: ['ses-getsendquota-real', 'ses-listidentities-real', 'ses-listidentities-asia', 'ses-getsendquota-no-key', 'ses-sendemail-akia'],
  },
};

const eventIDs = fs
  .readFileSync(EVENTS_FILE, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => String((JSON.parse(l) as { eventID: string }).eventID));

let loaded: LoadResult;
let db: CaseDb;
let findings: Finding[];

beforeAll(async () => {
  const dir = tmpDir('kt-sigmahq-');
  loaded = await loadRules([path.join(FIXTURES, 'rules')]);
  await ingest([EVENTS_FILE], { db: path.join(dir, 'case.duckdb') });
  db = await CaseDb.open(path.join(dir, 'case.duckdb'), { readOnly: true });
  findings = await runRules(db, loaded.rules);
});
afterAll(() => db?.close());

describe('SigmaHQ CloudTrail rules', () => {
  it('load without a problem, each with every field known to the catalog', () => {
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    expect(loaded.rules.map((r) => [r.rule.id, path.basename(r.file)]).sort()).toEqual(
      Object.entries(EXPECTED)
        .map(([id, e]) => [id, e.file])
        .sort(),
    );
    for (const r of loaded.rules) expect([r.rule.id, r.compiled.unknownFields]).toEqual([r.rule.id, []]);
  });

  it('the case holds every fixture event once', async () => {
    expect(new Set(eventIDs).size).toBe(eventIDs.length);
    const rows = await db.all(`SELECT eventID FROM events ORDER BY eventID`);
    expect(rows.map((r) => String(r.eventID))).toEqual([...eventIDs].sort());
    expect(await db.all(`SELECT count(*) AS n FROM rejects`)).toEqual([{ n: 0 }]);
  });

  it('the table names only events of the case, and every rule has events to flag and to spare', () => {
    const known = new Set(eventIDs);
    for (const [id, e] of Object.entries(EXPECTED)) {
      expect([id, e.flags.length > 0, e.spares.length > 0]).toEqual([id, true, true]);
      expect([id, [...e.flags, ...e.spares].filter((x) => !known.has(x))]).toEqual([id, []]);
      expect([id, e.spares.filter((x) => e.flags.includes(x))]).toEqual([id, []]);
    }
  });

  it('flag exactly the hand-checked events (closed world)', () => {
    const got: Record<string, string[]> = Object.fromEntries(Object.keys(EXPECTED).map((id) => [id, []]));
    for (const f of findings) {
      expect(f.eventIDs).toHaveLength(1);
      (got[f.rule.id] ??= []).push(f.eventIDs[0]!);
    }
    const want = Object.fromEntries(Object.entries(EXPECTED).map(([id, e]) => [id, [...e.flags].sort()]));
    expect(Object.fromEntries(Object.entries(got).map(([id, ids]) => [id, ids.sort()]))).toEqual(want);
  });

  it('findings carry the rule as published and the event it matched', () => {
    const f = findings.find((x) => x.rule.id === 'f305fd62-beca-47da-ad95-7690a0620084' && x.eventIDs[0] === 's3-listbuckets-iamuser')!;
    expect(f).toMatchObject({
      rule: { title: 'Potential Bucket Enumeration on AWS', level: 'low', tags: ['attack.discovery', 'attack.t1580'] },
      eventName: 'ListBuckets',
      eventSource: 's3.amazonaws.com',
      principal: 'arn:aws:iam::111122223333:user/dev',
      accessKeyId: 'AKIAEXAMPLEDEV00001',
      summary: 'Potential Bucket Enumeration on AWS',
    });
  });
});
