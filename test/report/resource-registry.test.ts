/**
 * Issue 15 point 2, "Resources, one registry": every registered event's example yields the id(s)
 * its record holds, with its type, action and details; refused calls keep their errorCode; the undo
 * templates only take away, and hold no shell syntax of their own.
 *
 * The examples are TrailDiscover's (test/fixtures/traildiscover: real records, mostly refused calls)
 * and keytrail's own in the shapes CloudTrail logs (test/fixtures/resource-records), both ingested
 * through the real path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/ingest.js';
import { PATH, RESOURCE_REGISTRY, registryEntry, registryProblems } from '../../src/report/resource-registry.js';
import { type ResourceRow, ResourceRowSchema, resourceRows } from '../../src/report/resource-sql.js';
import { undoArgv, undoCommand } from '../../src/report/resource-undo.js';
import { CaseDb } from '../../src/store/db.js';
import { sql } from '../../src/store/sql.js';
import { EXAMPLES, OTHER_ACCOUNT } from '../fixtures/resource-records/index.js';
import { FIXTURES, record, s3File, tmpDir, write } from '../helpers.js';

const TRAILDISCOVER = path.join(FIXTURES, 'traildiscover');

/** What each TrailDiscover example yields: type, action, ids (the values its record holds), errorCode. */
const TD: Record<string, [type: string, action: string, ids: string[], errorCode: string | null]> = {
  'AddMemberToGroup.json.cloudtrail': ['sso:group', 'change', ['114bd550-8061-702c-4bb4-2a771ff86cfb'], null],
  'AddPermission20150331v2.json.cloudtrail': ['lambda:function', 'share', [], 'AccessDenied'],
  'AddRoleToInstanceProfile.json.cloudtrail': ['iam:instance-profile', 'change', [], 'AccessDenied'],
  'AddUserToGroup.json.cloudtrail': ['iam:user', 'change', [], 'AccessDenied'],
  'AssociateAccessPolicy.json.cloudtrail': ['eks:access-entry', 'change', ['arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FTrailDiscover'], 'AccessDenied'],
  'AttachGroupPolicy.json.cloudtrail': ['iam:group', 'change', [], 'AccessDenied'],
  'AttachRolePolicy.json.cloudtrail': ['iam:role', 'change', [], 'AccessDenied'],
  'AttachUserPolicy.json.cloudtrail': ['iam:user', 'change', [], 'AccessDenied'],
  'AttachVolume.json.cloudtrail': ['ec2:volume', 'change', ['TrailDiscoverVolumeId'], 'Client.InvalidParameterValue'],
  'AuthorizeSecurityGroupEgress.json.cloudtrail': ['ec2:security-group', 'change', ['sg-1a2b3c4d'], 'Client.UnauthorizedOperation'],
  'AuthorizeSecurityGroupIngress.json.cloudtrail': ['ec2:security-group', 'change', ['sg-0683fcf7a41c82593'], 'Client.UnauthorizedOperation'],
  'CreateAccessEntry.json.cloudtrail': ['eks:access-entry', 'create', ['arn:aws:iam::111111111111:role/TrailDiscover'], 'AccessDenied'],
  'CreateAccessKey.json.cloudtrail': ['iam:access-key', 'create', [], 'AccessDenied'],
  'CreateAccountAssignment.json.cloudtrail': ['sso:account-assignment', 'share', ['AROA****************:User'], null],
  'CreateCluster.json.cloudtrail': ['ecs:cluster', 'create', [], 'AccessDenied'],
  'CreateDBSnapshot.json.cloudtrail': ['rds:db-snapshot', 'create', [], 'AccessDenied'],
  'CreateDefaultVpc.json.cloudtrail': ['ec2:vpc', 'create', [], 'Client.UnauthorizedOperation'],
  'CreateEmailIdentity.json.cloudtrail': ['ses:identity', 'create', [], 'AccessDenied'],
  'CreateFunction20150331.json.cloudtrail': ['lambda:function', 'create', [], 'AccessDenied'],
  'CreateFunctionUrlConfig.json.cloudtrail': ['lambda:function-url', 'create', ['TrailDiscoverFunction'], 'ResourceNotFoundException'],
  'CreateGroup.json.cloudtrail': ['iam:group', 'create', [], 'AccessDenied'],
  'CreateImage.json.cloudtrail': ['ec2:image', 'create', [], 'Client.UnauthorizedOperation'],
  'CreateInstances.json.cloudtrail': ['lightsail:instance', 'create', [], 'AccessDenied'],
  'CreateKeyPair.json.cloudtrail': ['ec2:key-pair', 'create', ['TrailDiscoverKeyPair'], 'Client.UnauthorizedOperation'],
  'CreateLaunchTemplate.json.cloudtrail': ['ec2:launch-template', 'create', ['lt-0780d55503d605988'], null],
  'CreateLoginProfile.json.cloudtrail': ['iam:login-profile', 'create', [], 'AccessDenied'],
  'CreatePolicy.json.cloudtrail': ['iam:policy', 'create', [], 'AccessDenied'],
  'CreatePolicyVersion.json.cloudtrail': ['iam:policy', 'change', [], 'AccessDenied'],
  'CreateRole.json.cloudtrail': ['iam:role', 'create', [], 'AccessDenied'],
  'CreateSecurityGroup.json.cloudtrail': ['ec2:security-group', 'create', ['TrailDiscoverGroupName'], 'Client.UnauthorizedOperation'],
  'CreateService.json.cloudtrail': ['ecs:service', 'create', [], 'ClientException'],
  'CreateServiceLinkedRole.json.cloudtrail': ['iam:role', 'create', ['AWSServiceRoleForAutoScaling'], null],
  // TrailDiscover's file of this name holds a ModifySnapshotAttribute call.
  'CreateSnapshot.json.cloudtrail': ['ec2:snapshot', 'share', ['snap-1234567890abcdef0'], 'Client.InvalidSnapshotID.Malformed'],
  'CreateVolume.json.cloudtrail': ['ec2:volume', 'create', [], 'Client.UnauthorizedOperation'],
  'DeactivateMFADevice.json.cloudtrail': ['iam:user', 'change', [], 'AccessDenied'],
  'DeleteAccessKey.json.cloudtrail': ['iam:access-key', 'delete', [], 'AccessDenied'],
  'DeleteBucket.json.cloudtrail': ['s3:bucket', 'delete', ['my-traildiscover-bucket'], 'NoSuchBucket'],
  'DeleteBucketPolicy.json.cloudtrail': ['s3:bucket', 'change', ['TrailDiscoverBucketName'], 'NoSuchBucket'],
  'DeleteDBCluster.json.cloudtrail': ['rds:db-cluster', 'delete', [], 'AccessDenied'],
  'DeleteDBInstance.json.cloudtrail': ['rds:db-instance', 'delete', [], 'AccessDenied'],
  'DeleteIdentity.json.cloudtrail': ['ses:identity', 'delete', [], 'AccessDenied'],
  'DeleteLoginProfile.json.cloudtrail': ['iam:login-profile', 'delete', [], 'AccessDenied'],
  'DeleteRolePermissionsBoundary.json.cloudtrail': ['iam:role', 'change', [], 'AccessDenied'],
  'DeleteRolePolicy.json.cloudtrail': ['iam:role', 'change', [], 'AccessDenied'],
  'DeleteSnapshot.json.cloudtrail': ['ec2:snapshot', 'delete', ['TrailDiscoverSnapshotId'], 'Client.InvalidParameterValue'],
  'DeleteUser.json.cloudtrail': ['iam:user', 'delete', [], 'AccessDenied'],
  'DeleteUserPermissionsBoundary.json.cloudtrail': ['iam:user', 'change', [], 'AccessDenied'],
  'DeleteUserPolicy.json.cloudtrail': ['iam:user', 'change', [], 'AccessDenied'],
  'DeleteVolume.json.cloudtrail': ['ec2:volume', 'delete', ['TrailDiscoverVolumeId'], 'Client.InvalidParameterValue'],
  'DetachRolePolicy.json.cloudtrail': ['iam:role', 'change', [], 'AccessDenied'],
  'DetachUserPolicy.json.cloudtrail': ['iam:user', 'change', [], 'AccessDenied'],
  'IAM-CreateUser.json.cloudtrail': ['iam:user', 'create', [], 'AccessDenied'],
  'ModifyDBInstance.json.cloudtrail': ['rds:db-instance', 'change', ['database-instance'], null],
  'ModifyDBSnapshotAttribute.json.cloudtrail': ['rds:db-snapshot', 'share', [], 'AccessDenied'],
  'ModifyImageAttribute.json.cloudtrail': ['ec2:image', 'share', [], 'Client.InvalidParameterCombination'],
  'ModifyInstanceAttribute.json.cloudtrail': ['ec2:instance', 'change', ['TrailDiscoverInstanceId'], 'Client.InvalidParameterValue'],
  'ModifySnapshotAttribute.json.cloudtrail': ['ec2:snapshot', 'share', ['snap-046281ab24d756c50'], 'Client.UnauthorizedOperation'],
  'PutBucketAcl.json.cloudtrail': ['s3:bucket', 'share', ['TrailDiscoverBucket'], 'NoSuchBucket'],
  'PutBucketPolicy.json.cloudtrail': ['s3:bucket', 'share', ['TrailDiscover'], 'NoSuchBucket'],
  'PutBucketVersioning.json.cloudtrail': ['s3:bucket', 'change', ['TrailDiscoverBucket'], 'NoSuchBucket'],
  'PutGroupPolicy.json.cloudtrail': ['iam:group', 'change', [], 'AccessDenied'],
  'PutRolePermissionsBoundary.json.cloudtrail': ['iam:role', 'change', [], 'AccessDenied'],
  'PutRolePolicy.json.cloudtrail': ['iam:role', 'change', [], 'AccessDenied'],
  'PutUserPermissionsBoundary.json.cloudtrail': ['iam:user', 'change', [], 'AccessDenied'],
  'PutUserPolicy.json.cloudtrail': ['iam:user', 'change', [], 'AccessDenied'],
  'RunInstances.json.cloudtrail': ['ec2:instance', 'create', [], 'Client.InvalidParameterValue'],
  'SSO-CreateGroup.json.cloudtrail': ['sso:group', 'create', ['114bd550-8061-702c-4bb4-2a771ff86cfb'], null],
  'SSO-CreateUser.json.cloudtrail': ['sso:user', 'create', ['01cb45c0-c071-70a1-0a3a-e417bf7fd8ff'], null],
  'SetDefaultPolicyVersion.json.cloudtrail': ['iam:policy', 'change', [], 'AccessDenied'],
  'StartInstances.json.cloudtrail': ['ec2:instance', 'change', ['TrailDiscoverInstanceID'], 'Client.InvalidInstanceID.Malformed'],
  'StopInstances.json.cloudtrail': ['ec2:instance', 'change', ['TrailDiscoverInstanceID'], 'Client.InvalidInstanceID.Malformed'],
  'TerminateInstances.json.cloudtrail': ['ec2:instance', 'delete', ['TrailDiscoverInstanceID'], 'Client.InvalidInstanceID.Malformed'],
  'UpdateAccessKey.json.cloudtrail': ['iam:access-key', 'change', [], 'AccessDenied'],
  'UpdateAssumeRolePolicy.json.cloudtrail': ['iam:role', 'change', [], 'AccessDenied'],
  'UpdateFunctionCode20150331v2.json.cloudtrail': ['lambda:function', 'change', [], 'AccessDenied'],
  'UpdateFunctionConfiguration20150331v2.json.cloudtrail': ['lambda:function', 'change', [], 'AccessDenied'],
  'UpdateLoginProfile.json.cloudtrail': ['iam:login-profile', 'change', [], 'AccessDenied'],
  'UpdateSAMLProvider.json.cloudtrail': [
    'iam:saml-provider',
    'change',
    ['arn:aws:iam::111111111111:saml-provider/AWSSSO_bafa1a00e8e55555_DO_NOT_DELETE'],
    null,
  ],
  'VerifyEmailIdentity.json.cloudtrail': ['ses:identity', 'create', [], 'AccessDenied'],
};

interface TdRecord {
  file: string;
  eventID: string;
  eventSource: string;
  eventName: string;
  errorCode?: string;
}

/** Each TrailDiscover file's records (a file is a JSON array, or one record). */
function tdRecords(): TdRecord[] {
  return fs
    .readdirSync(TRAILDISCOVER)
    .filter((f) => f.endsWith('.json.cloudtrail'))
    .flatMap((file) => {
      const j = JSON.parse(fs.readFileSync(path.join(TRAILDISCOVER, file), 'utf8')) as TdRecord | TdRecord[];
      return (Array.isArray(j) ? j : [j]).map((r) => ({ ...r, file }));
    });
}

/** Our own examples as full records, one per name each is logged under, their eventIDs telling which. */
const own = EXAMPLES.flatMap((x) =>
  x.eventNames.map((eventName) => ({
    x,
    eventName,
    rec: record({
      eventSource: x.eventSource,
      eventName,
      awsRegion: x.awsRegion ?? 'us-east-1',
      readOnly: false,
      requestParameters: x.requestParameters,
      responseElements: x.responseElements,
      ...(x.resources ? { resources: x.resources } : {}),
    }),
  })),
);

let db: CaseDb;
let rows: ResourceRow[];
const rowsOf = (eventID: string) => rows.filter((r) => r.eventID === eventID);

beforeAll(async () => {
  const d = tmpDir();
  write(path.join(d, 'own/examples.json.gz'), s3File(own.map((o) => o.rec)));
  const summary = await ingest([TRAILDISCOVER, path.join(d, 'own')], { db: path.join(d, 'case.duckdb') });
  expect(summary.problems).toEqual([]);
  db = await CaseDb.open(path.join(d, 'case.duckdb'), { readOnly: true });
  rows = await db.rows(sql`SELECT * FROM (${resourceRows(sql`SELECT * FROM events`)}) ORDER BY eventTime, eventID, id`, ResourceRowSchema);
}, 120_000);

afterAll(() => db?.close());

describe('TrailDiscover examples', () => {
  const recs = tdRecords();
  const registered = recs.filter((r) => registryEntry(r.eventSource, r.eventName));

  it('every file holds an example of a registered event, and the table names each file', () => {
    expect(new Set(registered.map((r) => r.file))).toEqual(new Set(recs.map((r) => r.file)));
    expect(Object.keys(TD).sort()).toEqual([...new Set(recs.map((r) => r.file))].sort());
  });

  it.each(Object.entries(TD))('%s yields its type, action, ids and errorCode', (file, [type, action, ids, errorCode]) => {
    const rec = registered.find((r) => r.file === file)!;
    const got = rowsOf(rec.eventID);
    expect(got.length).toBe(Math.max(ids.length, 1));
    expect(got.map((r) => r.id).filter((id) => id !== null)).toEqual(ids);
    for (const r of got) {
      expect([r.type, r.action, r.errorCode]).toEqual([type, action, errorCode]);
      expect(r.errorCode).toBe(rec.errorCode ?? null);
    }
  });

  it('the successful ones all yield an id, and are counted', () => {
    const succeeded = registered.filter((r) => !r.errorCode);
    expect(succeeded.map((r) => r.eventName).sort()).toEqual([
      'AddMemberToGroup',
      'CreateAccountAssignment',
      'CreateGroup',
      'CreateLaunchTemplate',
      'CreateServiceLinkedRole',
      'CreateUser',
      'ModifyDBInstance',
      'UpdateSAMLProvider',
    ]);
    for (const r of succeeded) expect(rowsOf(r.eventID).every((x) => x.id !== null && x.id !== '')).toBe(true);
  });

  it('a refused call keeps its errorCode and, with no id in the record, still gives its row', () => {
    const run = registered.find((r) => r.file === 'RunInstances.json.cloudtrail')!;
    expect(rowsOf(run.eventID)).toMatchObject([
      { id: null, errorCode: 'Client.InvalidParameterValue', detail: 'type t2.micro, count 1, image ami-0b98a32b1c5e0d105, key pair MyKeyPair' },
    ]);
    const refused = registered.filter((r) => r.errorCode);
    expect(refused.length).toBe(71);
    for (const r of refused) expect(rowsOf(r.eventID).map((x) => x.errorCode)).toContain(r.errorCode);
    expect(rowsOf(run.eventID).map(undoArgv)).toEqual([null]);
  });

  it('refused security group rules and snapshot unsharing render from the real request shapes', () => {
    const ingress = registered.find((r) => r.file === 'AuthorizeSecurityGroupIngress.json.cloudtrail')!;
    expect(rowsOf(ingress.eventID)[0]!.detail).toBe('ingress tcp/22 from 0.0.0.0/24');
    const unshare = registered.find((r) => r.file === 'ModifySnapshotAttribute.json.cloudtrail')!;
    expect(rowsOf(unshare.eventID)[0]!.detail).toBe('unshared from 123456789012, attribute CREATE_VOLUME_PERMISSION');
  });
});

describe('examples of our own, in the shapes CloudTrail logs', () => {
  it.each(own.map((o) => [`${o.x.eventSource} ${o.eventName}`, o] as const))('%s yields its ids, type, action and detail', (_, o) => {
    const entry = registryEntry(o.x.eventSource, o.eventName)!;
    expect(entry).toBeDefined();
    const got = rowsOf(String(o.rec.eventID));
    expect(got.map((r) => r.id)).toEqual([...o.x.yields.ids].sort());
    for (const r of got) {
      expect(r).toMatchObject({ type: entry.type, action: entry.action, billable: entry.billable, detail: o.x.yields.detail, errorCode: null });
      expect(r.eventTime).toBe(o.rec.eventTime);
    }
  });

  it('every registered event has a successful example, TrailDiscover or ours', () => {
    const succeeded = new Set([
      ...tdRecords()
        .filter((r) => !r.errorCode)
        .map((r) => `${r.eventSource} ${r.eventName}`),
      ...own.map((o) => `${o.x.eventSource} ${o.eventName}`),
    ]);
    expect(RESOURCE_REGISTRY.map((e) => `${e.eventSource} ${e.eventName}`).filter((k) => !succeeded.has(k))).toEqual([]);
  });

  it('AllocateAddress yields the allocation id with the public IP, not the domain', () => {
    const r = rows.find((x) => x.eventName === 'AllocateAddress' && x.errorCode === null)!;
    expect([r.id, r.detail]).toEqual(['eipalloc-0a1b2c3d4e5f60718', 'public IP 198.51.100.23, pool amazon']);
    expect(rows.some((x) => x.id === 'vpc')).toBe(false);
    expect(undoCommand(r)).toBe("aws ec2 release-address --allocation-id 'eipalloc-0a1b2c3d4e5f60718' --region 'us-east-1'");
  });

  it('a security group rule reads tcp/22 from 0.0.0.0/0, and its undo revokes that rule', () => {
    const r = rows.find((x) => x.eventName === 'AuthorizeSecurityGroupIngress' && x.errorCode === null)!;
    expect(r.detail).toBe('ingress tcp/22 from 0.0.0.0/0');
    expect(undoCommand(r)).toBe(
      "aws ec2 revoke-security-group-ingress --group-id 'sg-0b2c3d4e5f6a7b8c9' --security-group-rule-ids 'sgr-0c2d3e4f5a6b7c8d9' --region 'us-east-1'",
    );
  });

  it('sharing names the other account, and the RDS undo removes exactly that account', () => {
    for (const name of ['ModifySnapshotAttribute', 'ModifyImageAttribute', 'ModifyDBSnapshotAttribute']) {
      const r = rows.find((x) => x.eventName === name && x.errorCode === null && x.detail?.includes(OTHER_ACCOUNT));
      expect(r, name).toBeDefined();
      expect(r!.action).toBe('share');
    }
    const rds = rows.find((x) => x.eventName === 'ModifyDBSnapshotAttribute' && x.errorCode === null)!;
    expect(rds.args).toEqual({ accounts: [OTHER_ACCOUNT] });
    expect(undoArgv(rds)).toEqual({
      argv: [
        'aws',
        'rds',
        'modify-db-snapshot-attribute',
        '--db-snapshot-identifier',
        'prod-nightly-copy',
        '--attribute-name',
        'restore',
        '--values-to-remove',
        OTHER_ACCOUNT,
        '--region',
        'us-east-1',
      ],
      note: null,
    });
  });

  it('RunInstances yields each instance it launched, with type and count', () => {
    const launched = rows.filter((x) => x.eventName === 'RunInstances' && x.errorCode === null);
    expect(launched.map((r) => [r.id, r.detail, r.billable])).toEqual([
      ['i-0a1b2c3d4e5f60718', 'type p3.16xlarge, count 2, image ami-0abcdef1234567890, key pair ops-key', true],
      ['i-0a1b2c3d4e5f60719', 'type p3.16xlarge, count 2, image ami-0abcdef1234567890, key pair ops-key', true],
    ]);
    expect(launched.map(undoCommand)).toEqual([
      "aws ec2 terminate-instances --instance-ids 'i-0a1b2c3d4e5f60718' --region 'us-east-1'",
      "aws ec2 terminate-instances --instance-ids 'i-0a1b2c3d4e5f60719' --region 'us-east-1'",
    ]);
  });

  it('the undo of every successful example of ours is a command, its values of the shape AWS allows', () => {
    const withUndo = own.filter((o) => registryEntry(o.x.eventSource, o.eventName)!.undo);
    expect(withUndo.length).toBeGreaterThan(50);
    for (const o of withUndo)
      for (const r of rowsOf(String(o.rec.eventID))) {
        const u = undoArgv(r);
        expect(u && 'argv' in u, `${o.eventName}: ${JSON.stringify(u)}`).toBe(true);
      }
  });
});

describe('the registry', () => {
  it('has no problem: paths well-formed, types known, placeholders defined and used, deletions without undo', () => {
    expect(registryProblems()).toEqual([]);
  });

  it('reads paths of one shape only', () => {
    for (const ok of ['$', '$.a', '$.a.b[0].c', '$.instancesSet.items[*].instanceId', '$."x-amz-acl"[*]', '$.valuesToAdd[*]'])
      expect(PATH.test(ok), ok).toBe(true);
    for (const bad of ['a.b', '$..Principal', '$.a[*].b[*].c', '$.a[?(@.b)]', '$.a b', "$.a'", '$.a;DROP', '']) expect(PATH.test(bad), bad).toBe(false);
  });

  it('finds problems when there are some', () => {
    const bad = { ...RESOURCE_REGISTRY[0]!, ids: [{ doc: 'request' as const, path: '$..x' }], undo: ['aws', 'ec2', 'x', '{nope}'] };
    expect(registryProblems([bad, bad])).toEqual([
      'ec2.amazonaws.com RunInstances: id: malformed path $..x',
      'ec2.amazonaws.com RunInstances: undo names {nope}, which the entry does not define',
      'ec2.amazonaws.com RunInstances: registered twice',
      'ec2.amazonaws.com RunInstances: id: malformed path $..x',
      'ec2.amazonaws.com RunInstances: undo names {nope}, which the entry does not define',
    ]);
  });

  const withUndo = RESOURCE_REGISTRY.filter((e) => e.undo);

  it('undo templates hold no shell syntax: every word is plain, every value a whole placeholder or inside a plain word', () => {
    for (const e of withUndo) for (const w of e.undo!) expect(w.replace(/\{[A-Za-z]+\}/g, ''), `${e.eventName}: ${w}`).toMatch(/^[A-Za-z0-9_.,:/=@+-]*$/);
  });

  /** A command that takes away: deletes, terminates, stops, detaches, revokes, or resets to private. */
  const TAKES_AWAY = /^(delete|terminate|cancel|release|revoke|detach|remove|deregister|disassociate|stop|reset|deactivate)-/;
  const NARROWING: Record<string, RegExp> = {
    'update-access-key': /--status Inactive/,
    'put-public-access-block': /BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true/,
    'put-bucket-acl': /--acl private/,
    'modify-db-snapshot-attribute': /--values-to-remove/,
    'modify-db-cluster-snapshot-attribute': /--values-to-remove/,
  };

  it('undo commands only take away: none gives an identity access back', () => {
    for (const e of withUndo) {
      const [aws, , verb] = e.undo!;
      expect(aws).toBe('aws');
      const line = e.undo!.join(' ');
      if (!TAKES_AWAY.test(verb!)) expect(NARROWING[verb!], `${e.eventName}: ${line}`).toBeDefined();
      if (NARROWING[verb!]) expect(line).toMatch(NARROWING[verb!]!);
    }
    const iamVerbs = RESOURCE_REGISTRY.filter((e) => e.eventSource === 'iam.amazonaws.com' && e.undo).map((e) => e.undo![2]);
    for (const giving of ['create-login-profile', 'update-login-profile', 'create-access-key', 'attach-user-policy', 'add-user-to-group', 'put-user-policy'])
      expect(iamVerbs).not.toContain(giving);
    for (const e of RESOURCE_REGISTRY.filter((x) => x.action === 'delete')) expect(e.undo, e.eventName).toBeNull();
    expect(registryEntry('iam.amazonaws.com', 'DeleteLoginProfile')!.undo).toBeNull();
    expect(registryEntry('iam.amazonaws.com', 'UpdateAccessKey')!.undo).toBeNull();
  });

  const row = (over: Partial<ResourceRow>) => ({
    eventSource: 'ec2.amazonaws.com',
    eventName: 'RunInstances',
    id: 'i-0a1b2c3d4e5f60718',
    awsRegion: 'us-east-1',
    args: {},
    errorCode: null,
    ...over,
  });

  it('a value from the logs becomes an argument only in the shape AWS allows, quoted; otherwise the command is withheld', () => {
    expect(undoCommand(row({}))).toBe("aws ec2 terminate-instances --instance-ids 'i-0a1b2c3d4e5f60718' --region 'us-east-1'");
    expect(undoCommand(row({ id: "i-0a1b2c3d4e5f60718'; rm -rf ~; '" }))).toBe(
      `value withheld: not a valid EC2 instance id (AWS allows i- and 8 or 17 hex digits): "i-0a1b2c3d4e5f60718'; rm -rf ~; '"`,
    );
    expect(undoCommand(row({ awsRegion: 'us-east-1\n$(curl x)' }))).toMatch(/^value withheld: not a valid AWS region .*\\n\$\(curl x\)"$/);
    expect(undoCommand(row({ id: null }))).toBe('value withheld: the event names no EC2 instance id');
    expect(undoCommand(row({ errorCode: 'AccessDenied' }))).toBeNull();
    expect(undoCommand(row({ eventName: 'TerminateInstances' }))).toBeNull();
    expect(undoCommand(row({ eventName: 'NotRegistered' }))).toBeNull();
  });

  it('a key pair name may hold spaces and quotes (AWS allows printable ASCII): it stays one quoted word', () => {
    expect(undoCommand(row({ eventName: 'CreateKeyPair', id: "it's mine" }))).toBe(`aws ec2 delete-key-pair --key-name 'it'\\''s mine' --region 'us-east-1'`);
  });

  it('a placeholder for several values gives one word each; inside a word it takes exactly one', () => {
    const share = row({
      eventSource: 'rds.amazonaws.com',
      eventName: 'ModifyDBSnapshotAttribute',
      id: 'snap-1',
      args: { accounts: [OTHER_ACCOUNT, '777788889999'] },
    });
    expect(undoCommand(share)).toBe(
      `aws rds modify-db-snapshot-attribute --db-snapshot-identifier 'snap-1' --attribute-name restore --values-to-remove '${OTHER_ACCOUNT}' '777788889999' --region 'us-east-1'`,
    );
    expect(undoCommand({ ...share, args: { accounts: ['all', '12345'] } })).toBe(
      'value withheld: not a valid AWS account id (AWS allows 12 digits, or all): "12345"',
    );
    const db = row({ eventSource: 'rds.amazonaws.com', eventName: 'CreateDBInstance', id: 'exfil-db' });
    expect(undoArgv(db)).toEqual({
      argv: [
        'aws',
        'rds',
        'delete-db-instance',
        '--db-instance-identifier',
        'exfil-db',
        '--final-db-snapshot-identifier',
        'keytrail-final-exfil-db',
        '--region',
        'us-east-1',
      ],
      note: 'keeps a final snapshot (keytrail-final-<id>) for the investigation; delete it once done',
    });
  });
});
