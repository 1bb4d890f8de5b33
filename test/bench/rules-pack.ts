/**
 * A generated pack of single-event Sigma rules for the rules benchmark, written one rule a file the
 * way a team keeps its own pack. The rules are shaped like real CloudTrail detections and drawn from
 * the same catalog (catalog.ts) and world (world.ts) the export is generated from, so a share of them
 * match: eventSource/eventName lists (with real API names the generator never logs, as real packs
 * have), userAgent |contains/|startswith/|endswith, sourceIPAddress |cidr, requestParameters.* JSON
 * paths, errorCode present or absent, userIdentity.type, `selection and not filter` and
 * `1 of selection_*` conditions. Deterministic: the same count and seed give the same files; ids are
 * UUIDs derived from the rule's index.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { CATALOG } from './catalog.js';
import { Rng } from './rng.js';
import { makeWorld, REGIONS } from './world.js';

export const PACK_SIZE = 520;

type Detection = Record<string, unknown>;
interface Shape {
  title: string;
  description: string;
  tags: string[];
  detection: Detection;
  summary?: string;
  falsepositives?: string[];
}

/** Real API names the generator never logs, per service: real packs list many calls a trail rarely has. */
const UNLOGGED: Record<string, string[]> = {
  ec2: [
    'DeleteSnapshot',
    'ModifySnapshotAttribute',
    'ModifyImageAttribute',
    'CreateKeyPair',
    'ImportKeyPair',
    'DeleteFlowLogs',
    'DisableEbsEncryptionByDefault',
    'GetPasswordData',
    'ModifyInstanceAttribute',
    'CreateImage',
  ],
  iam: [
    'DeleteUser',
    'CreateLoginProfile',
    'UpdateLoginProfile',
    'PutUserPolicy',
    'AddUserToGroup',
    'DeactivateMFADevice',
    'DeleteRolePermissionsBoundary',
    'CreatePolicyVersion',
    'SetDefaultPolicyVersion',
    'UpdateAccessKey',
  ],
  sts: ['GetFederationToken', 'AssumeRoleWithSAML'],
  s3: ['DeleteBucketPolicy', 'PutBucketAcl', 'PutBucketLogging', 'DeleteBucketEncryption', 'PutBucketReplication', 'PutBucketLifecycle'],
  lambda: ['AddPermission20150331v2', 'UpdateFunctionConfiguration20150331v2', 'CreateEventSourceMapping20150331', 'PublishLayerVersion20181031'],
  kms: ['ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy', 'CreateGrant'],
  cloudformation: ['UpdateStack', 'DeleteStack', 'CreateStackSet'],
  ssm: ['StartSession', 'GetParametersByPath', 'DeleteParameter', 'PutParameter'],
  logs: ['DeleteLogGroup', 'DeleteLogStream', 'PutSubscriptionFilter'],
  secretsmanager: ['ListSecrets', 'BatchGetSecretValue', 'DeleteSecret', 'PutSecretValue'],
  ses: ['SendEmail', 'SendRawEmail', 'UpdateAccountSendingEnabled', 'GetAccount'],
  signin: ['SwitchRole', 'ExternalIdPDirectoryLogin'],
  cloudtrail: ['DeleteTrail', 'UpdateTrail', 'PutEventSelectors'],
  guardduty: ['DeleteDetector', 'UpdateDetector', 'DisassociateFromMasterAccount', 'CreateIPSet'],
  organizations: ['LeaveOrganization', 'ListAccounts'],
  config: ['StopConfigurationRecorder', 'DeleteDeliveryChannel'],
};

/** Offensive tooling and unusual clients, as user-agent rules list them (none of them is in the export). */
const TOOLS = [
  'kali',
  'parrot',
  'pentoo',
  'Pacu',
  'ScoutSuite',
  'cloudsploit',
  'prowler',
  'CloudMapper',
  'weirdAAL',
  'enumerate-iam',
  'aws-nuke',
  'cloudfox',
  'curl/',
  'python-requests/',
  'Go-http-client/',
  'PostmanRuntime/',
];

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
const src = (d: { source: string }) => `${d.source}.amazonaws.com`;
const rot = <T>(xs: readonly T[], k: number, n: number): T[] => Array.from({ length: Math.min(n, xs.length) }, (_, j) => xs[(k + j) % xs.length]!);
const uuidOf = (index: number) => `6b657974-7261-4c00-8000-${index.toString(16).padStart(12, '0')}`;

/** The pack's rules as objects (YAML-ready), `count` of them. */
export function makeRules(count = PACK_SIZE, seed = 1): Record<string, unknown>[] {
  const w = makeWorld(seed);
  const rng = new Rng(seed, 0x5e1a);
  const sources = [...new Set(CATALOG.map((d) => d.source))];
  // Writes at most 0.5 in ~390 of the catalog's weight: each about 0.1% of the events or less.
  const rareWrites = CATALOG.filter((d) => d.weight <= 0.5 && !d.readOnly);
  const withErrors = CATALOG.filter((d) => d.errors?.length);
  const namesOf = (source: string) => CATALOG.filter((d) => d.source === source).map((d) => d.name);
  const agentPrefixes = [...new Set(w.agents.map((a) => a.split(' ')[0]!.replace(/[\d.]+$/, '')))];
  const agentTails = [...new Set(w.agents.map((a) => a.split(' ').at(-1)!))];
  const net16 = (ip: string) => `${ip.split('.').slice(0, 2).join('.')}.0.0/16`;
  const net24 = (ip: string) => `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  const serviceUsers = w.users.filter((u) => !u.console).map((u) => u.name);

  /** Request-parameter checks an analyst writes for one API (JSON paths into requestParameters). */
  const PARAMS: { def: string; title: string; item: (k: number) => Detection; summary: string }[] = [
    {
      def: 'RunInstances',
      title: 'GPU or large instances launched',
      item: (k) => ({ 'requestParameters.instanceType': rot(['p3.2xlarge', 'g4dn.xlarge', 'p4d.24xlarge', 'c6i.xlarge', 'x2iedn.32xlarge'], k, 3) }),
      summary: '{userIdentity.arn} launched {requestParameters.instanceType} in {awsRegion}',
    },
    {
      def: 'AttachUserPolicy',
      title: 'Powerful managed policy attached to a user',
      item: (k) => ({
        'requestParameters.policyArn|endswith': rot(['/AdministratorAccess', '/IAMFullAccess', '/PowerUserAccess', '/AmazonS3FullAccess'], k, 2),
      }),
      summary: '{userIdentity.arn} attached {requestParameters.policyArn} to {requestParameters.userName}',
    },
    {
      def: 'AttachRolePolicy',
      title: 'Customer policy attached to a role',
      item: (k) => ({ 'requestParameters.policyArn|contains': k % 2 ? `:${w.account}:policy/` : ':aws:policy/AmazonSSM' }),
      summary: '{userIdentity.arn} attached {requestParameters.policyArn} to {requestParameters.roleName}',
    },
    {
      def: 'GetParameter',
      title: 'Decrypted parameter read',
      item: (k) => ({
        'requestParameters.withDecryption': true,
        'requestParameters.name|startswith': `/${['prod', 'staging', 'dev'][k % 3]}/`,
        'userIdentity.type': 'IAMUser',
      }),
      summary: '{userIdentity.arn} read {requestParameters.name}',
    },
    {
      def: 'AuthorizeSecurityGroupIngress',
      title: 'Security group opened to the internet',
      item: (k) => ({
        'requestParameters.ipPermissions|contains': rot(
          ['"cidrIp":"0.0.0.0/0"', '"fromPort":22', '"fromPort":3389', '"fromPort":5432', '"fromPort":6379'],
          k,
          2,
        ),
        'requestParameters.ipPermissions|contains|all': ['"ipProtocol":"tcp"'],
      }),
      summary: '{userIdentity.arn} opened {requestParameters.groupId}: {requestParameters.ipPermissions}',
    },
    {
      def: 'AssumeRole',
      title: 'Long role session requested',
      item: (k) => ({ 'requestParameters.durationSeconds': 43200, 'requestParameters.roleArn|contains': w.roles[(k * 3) % w.roles.length]!.name }),
      summary: '{userIdentity.arn} assumed {requestParameters.roleArn} for {requestParameters.durationSeconds} s',
    },
    {
      def: 'AssumeRole',
      title: 'Cross-account role assumed with an external id',
      item: (k) => ({ 'requestParameters.externalId|exists': true, 'requestParameters.roleSessionName|startswith': w.functions[k % w.functions.length]! }),
      summary: '{userIdentity.accountId} assumed {requestParameters.roleArn}',
    },
    {
      def: 'GetSessionToken',
      title: 'Session token without MFA',
      item: () => ({ 'requestParameters.serialNumber|exists': false }),
      summary: '{userIdentity.arn} got a session token from {sourceIPAddress}',
    },
    {
      def: 'VerifyEmailIdentity',
      title: 'SES identity at a free mail provider',
      item: (k) => ({ 'requestParameters.emailAddress|endswith': rot(['@mailinator.com', '@protonmail.com', '@guerrillamail.com', '@yopmail.com'], k, 2) }),
      summary: '{userIdentity.arn} verified {requestParameters.emailAddress}',
    },
    {
      def: 'PutRetentionPolicy',
      title: 'Log retention shortened',
      item: (k) => ({ 'requestParameters.retentionInDays': rot([1, 3, 7, 14], k, 2) }),
      summary: '{requestParameters.logGroupName} retention set to {requestParameters.retentionInDays} days',
    },
    {
      def: 'GenerateDataKey',
      title: 'Data key from an alias for a watched role',
      item: (k) => ({
        'requestParameters.keyId|startswith': ['alias/aws/s3', 'alias/aws/ebs', 'alias/app-data'][k % 3]!,
        'userIdentity.arn|contains': `/${w.roles[(k * 5) % w.roles.length]!.name}/`,
      }),
      summary: '{userIdentity.arn} generated a data key with {requestParameters.keyId}',
    },
    {
      def: 'CreateStack',
      title: 'Stack with IAM capabilities',
      item: (k) => ({
        'requestParameters.capabilities|contains': 'CAPABILITY_NAMED_IAM',
        'requestParameters.stackName|startswith': w.stacks[k % w.stacks.length]!.split('-')[0]!,
      }),
      summary: '{userIdentity.arn} created {requestParameters.stackName}',
    },
    {
      def: 'SendCommand',
      title: 'Shell command sent to instances',
      item: (k) => ({ 'requestParameters.documentName': ['AWS-RunShellScript', 'AWS-RunPowerShellScript'][k % 2]! }),
      summary: '{userIdentity.arn} ran {requestParameters.documentName} on {requestParameters.instanceIds}',
    },
    {
      def: 'GetSecretValue',
      title: 'Production secret read',
      item: (k) => ({ 'requestParameters.secretId|contains': w.paramNames[(k * 7) % w.paramNames.length]!.slice(1) }),
      summary: '{userIdentity.arn} read {requestParameters.secretId}',
    },
    {
      def: 'UpdateFunctionCode20150331v2',
      title: 'Function code from an unexpected bucket',
      item: (k) => ({ 'requestParameters.s3Bucket|contains': w.buckets[(k * 5) % w.buckets.length]!.split('-')[0]! }),
      summary: '{requestParameters.functionName} code from s3://{requestParameters.s3Bucket}/{requestParameters.s3Key}',
    },
    {
      def: 'CreateUser',
      title: 'User created with a personal name',
      item: (k) => ({ 'requestParameters.userName|startswith': w.people[k % w.people.length]!.split('.')[0]! }),
      summary: '{userIdentity.arn} created user {requestParameters.userName}',
    },
    {
      def: 'PutBucketPolicy',
      title: 'Bucket shared with a partner account',
      item: (k) => ({ 'requestParameters.policy|contains': `arn:aws:iam::${w.partners[k % w.partners.length]!}:root` }),
      summary: '{userIdentity.arn} shared {requestParameters.bucketName}',
    },
    {
      def: 'LookupEvents',
      title: 'CloudTrail searched for sign-ins',
      item: (k) => ({ 'requestParameters.lookupAttributes|contains': ['ConsoleLogin', 'CreateUser', 'RunInstances'][k % 3]! }),
      summary: '{userIdentity.arn} searched CloudTrail: {requestParameters.lookupAttributes}',
    },
    {
      def: 'StopLogging',
      title: 'Trail stopped',
      item: () => ({ 'requestParameters.name|contains': ':trail/' }),
      summary: '{userIdentity.arn} stopped {requestParameters.name}',
    },
    {
      def: 'DescribeInstances',
      title: 'Instances enumerated by state',
      item: (k) => ({
        'requestParameters.filterSet|contains': ['instance-state-name', 'vpc-id', 'tag:Name'][k % 3]!,
        'userIdentity.type': 'IAMUser',
        'userAgent|startswith': 'aws-cli/',
      }),
      summary: '{userIdentity.arn} listed instances: {requestParameters.filterSet}',
    },
    {
      def: 'CreateKey',
      title: 'KMS key with the lockout check bypassed',
      item: () => ({ 'requestParameters.bypassPolicyLockoutSafetyCheck': true }),
      summary: '{userIdentity.arn} created a key',
    },
    {
      def: 'UpdateAssumeRolePolicy',
      title: 'Role trust opened to another account',
      item: (k) => ({ 'requestParameters.policyDocument|contains': w.partners[k % w.partners.length]! }),
      summary: '{userIdentity.arn} changed the trust of {requestParameters.roleName}',
    },
  ];
  const byName = new Map(CATALOG.map((d) => [d.name, d]));

  const shapes: ((k: number) => Shape)[] = [
    // Sensitive calls of one service, not by AWS itself nor by the IaC pipeline.
    (k) => {
      const s = sources[k % sources.length]!;
      const names = [
        ...rareWrites
          .filter((d) => d.source === s)
          .map((d) => d.name)
          .slice(0, 2),
        ...rot(UNLOGGED[s] ?? [], k, 3),
      ];
      return {
        title: `Sensitive ${s} API call outside automation (${k})`,
        description: `A change to ${s} made by a person or an unknown client rather than by an AWS service or the deployment pipeline.`,
        tags: ['attack.persistence', 'attack.t1098'],
        detection: {
          selection: { eventSource: `${s}.amazonaws.com`, eventName: names },
          filter_service: { 'userIdentity.type': 'AWSService' },
          filter_iac: { 'userAgent|contains': ['Terraform/', 'CloudFormation'] },
          condition: 'selection and not 1 of filter_*',
        },
        summary: '{userIdentity.arn} called {eventName} from {sourceIPAddress}',
      };
    },
    // Offensive tooling in the user agent.
    (k) => ({
      title: `Offensive tooling user agent (${k})`,
      description: 'A user agent of a cloud attack or audit framework, or a raw HTTP client signing AWS requests itself.',
      tags: ['attack.discovery', 'attack.t1580'],
      detection: { selection: { 'userAgent|contains': rot(TOOLS, k, 4) }, condition: 'selection' },
      summary: '{userIdentity.arn} used {userAgent} for {eventName}',
    }),
    // An SDK family (prefix) calling a rare write API.
    (k) => {
      const d = rareWrites[k % rareWrites.length]!;
      return {
        title: `${d.name} from a scripted client (${k})`,
        description: `${d.name} called by an SDK or CLI rather than the console.`,
        tags: ['attack.execution', 'attack.t1059.009'],
        detection: {
          selection: { eventSource: src(d), eventName: [d.name, ...rot(UNLOGGED[d.source] ?? [], k, 2)], 'userAgent|startswith': rot(agentPrefixes, k, 3) },
          condition: 'selection',
        },
        summary: '{userIdentity.arn} called {eventName} with {userAgent}',
      };
    },
    // A CLI command or browser (suffix of the agent) making IAM or STS calls.
    (k) => {
      const tails = rot(agentTails, k, 2);
      return {
        title: `Identity changes from ${tails[0]} (${k})`,
        description: 'IAM changes and STS session tokens from a client that usually does something else.',
        tags: ['attack.discovery', 'attack.t1087.004'],
        detection: {
          selection: { eventSource: ['iam.amazonaws.com', 'sts.amazonaws.com'], 'userAgent|endswith': tails },
          filter: { eventName: ['GetCallerIdentity', 'AssumeRole', 'AssumeRoleWithWebIdentity', 'ListUsers', 'ListRoles', 'GetUser', 'ListAccessKeys'] },
          condition: 'selection and not filter',
        },
      };
    },
    // Calls from given networks (CIDR), excluding AWS's own.
    (k) => {
      const ips = [rng.pick(w.ips), rng.pick(w.ips), w.ips[(k * 11) % w.ips.length]!];
      const d = CATALOG[(k * 7) % CATALOG.length]!;
      return {
        title: `${d.source} activity from a watched network (${k})`,
        description: 'Calls from networks named in threat intelligence or outside the company ranges.',
        tags: ['attack.initial-access', 'attack.t1078.004'],
        detection: {
          selection: { eventSource: src(d), 'sourceIPAddress|cidr': [net16(ips[0]!), net24(ips[1]!), `${ips[2]}/32`] },
          filter: { 'userIdentity.type': 'AWSService' },
          condition: 'selection and not filter',
        },
        summary: '{userIdentity.arn} called {eventName} from {sourceIPAddress}',
      };
    },
    // requestParameters checks, successful calls only.
    (k) => {
      const p = PARAMS[k % PARAMS.length]!;
      const d = byName.get(p.def)!;
      return {
        title: `${p.title} (${k})`,
        description: `${p.def} with request parameters worth a look.`,
        tags: ['attack.privilege-escalation', 'attack.t1098.003'],
        detection: {
          selection: { eventSource: src(d), eventName: p.def, ...p.item(Math.floor(k / PARAMS.length)) },
          failed: { 'errorCode|exists': true },
          condition: 'selection and not failed',
        },
        summary: p.summary,
      };
    },
    // Failed calls of one API: denied recon.
    (k) => {
      const d = withErrors[k % withErrors.length]!;
      const codes = d.errors!.map(([code]) => code);
      return {
        title: `${d.name} denied or failing (${k})`,
        description: `${d.name} failing with ${codes.join(' or ')} for a user key or root: a key probing what it may do.`,
        tags: ['attack.discovery', 'attack.t1526'],
        detection:
          k % 2
            ? {
                selection: { eventSource: src(d), eventName: d.name, 'userIdentity.type': ['IAMUser', 'Root'] },
                error: { 'errorCode|exists': true },
                condition: 'selection and error',
              }
            : {
                selection: {
                  eventSource: src(d),
                  eventName: d.name,
                  'userIdentity.type': ['IAMUser', 'Root'],
                  errorCode: [...codes, 'AccessDenied', 'UnauthorizedOperation'],
                },
                condition: 'selection',
              },
        summary: '{userIdentity.arn} {eventName} failed: {errorCode}',
      };
    },
    // Who is calling: root, web identities outside STS, long-term user keys of service users.
    (k) => {
      const variant = k % 3;
      if (variant === 0) {
        const s = sources[(k * 5) % sources.length]!;
        return {
          title: `Root account changing ${s} (${k})`,
          description: `${s} changed as the root user: root should sign in to fix billing or a lockout, not to run the account.`,
          tags: ['attack.privilege-escalation', 'attack.t1078.004'],
          detection: {
            selection: {
              'userIdentity.type': 'Root',
              eventSource: `${s}.amazonaws.com`,
              'eventName|startswith': ['Create', 'Delete', 'Put', 'Update', 'Attach', 'Run', 'Stop', 'Modify'],
            },
            filter: { eventName: ['CreateLogStream', ...rot(['CreateLogGroup', 'PutEvaluations', 'CreateTags'], k, 1 + (k % 2))] },
            condition: 'selection and not filter',
          },
          summary: 'root called {eventName} from {sourceIPAddress}',
        };
      }
      if (variant === 1) {
        const s = sources[k % sources.length]!;
        return {
          title: `Web identity calling ${s} (${k})`,
          description: 'A federated web identity (OIDC, EKS service account) calling a service directly rather than exchanging its token for a role session.',
          tags: ['attack.defense-evasion', 'attack.t1550.001'],
          detection: {
            selection: { 'userIdentity.type': 'WebIdentityUser', eventSource: `${s}.amazonaws.com` },
            filter: { eventName: 'AssumeRoleWithWebIdentity' },
            condition: 'selection and not filter',
          },
        };
      }
      return {
        title: `Service user key used interactively (${k})`,
        description: "A service user's long-term key used from a CLI or a browser.",
        tags: ['attack.credential-access', 'attack.t1552.005'],
        detection: {
          selection: { 'userIdentity.type': 'IAMUser', 'userIdentity.userName': rot(serviceUsers, k, 3) },
          tool: { 'userAgent|startswith': ['Mozilla/', `aws-cli/2.${9 + (k % 9)}.`] },
          condition: 'selection and tool',
        },
        summary: '{userIdentity.userName} ({userIdentity.accessKeyId}) used {userAgent}',
      };
    },
    // Several selections, any of which is enough.
    (k) => {
      const rareErrors = withErrors.filter((d) => d.weight <= 6);
      const [a, b, c] = [rareWrites[(k * 3) % rareWrites.length]!, rareWrites[(k * 3 + 1) % rareWrites.length]!, rareErrors[(k * 5) % rareErrors.length]!];
      return {
        title: `Persistence or evasion step (${k})`,
        description: 'One of several steps an intruder takes to stay or hide.',
        tags: ['attack.persistence', 'attack.defense-evasion'],
        detection: {
          selection_change: { eventSource: src(a), eventName: [a.name, ...rot(UNLOGGED[a.source] ?? [], k, 1)] },
          selection_other: { eventSource: src(b), eventName: b.name, 'userIdentity.type': ['IAMUser', 'Root'] },
          selection_denied: { eventSource: src(c), eventName: c.name, errorCode: c.errors![0]![0] },
          filter: { 'userAgent|contains': 'Terraform/' },
          condition: '1 of selection_* and not filter',
        },
        summary: '{userIdentity.arn} {eventName} {errorCode}',
      };
    },
    // Console sign-in shapes.
    (k) => ({
      title: `Console sign-in ${['without MFA', 'failure', 'as root', 'from a watched network'][k % 4]} (${k})`,
      description: 'A console sign-in worth checking against the people who may sign in.',
      tags: ['attack.initial-access', 'attack.t1078.004'],
      detection: {
        selection: { eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin' },
        ...[
          { mfa: { 'additionalEventData.MFAUsed': 'No' }, condition: 'selection and mfa' },
          { failed: { 'responseElements.ConsoleLogin': 'Failure' }, condition: 'selection and failed' },
          { root: { 'userIdentity.type': 'Root' }, condition: 'selection and root' },
          { net: { 'sourceIPAddress|cidr': [net16(w.ips[k % w.ips.length]!), net16(w.ips[(k + 1) % w.ips.length]!)] }, condition: 'selection and net' },
        ][k % 4],
      },
      summary: '{userIdentity.arn} signed in from {sourceIPAddress} (MFA {additionalEventData.MFAUsed})',
    }),
    // Identity changes by sessions without MFA.
    (k) => {
      const s = ['iam', 'kms', 's3', 'lambda', 'cloudformation'][k % 5]!;
      return {
        title: `${s} change by a session without MFA (${k})`,
        description: 'A change made by a role session that did not authenticate with MFA.',
        tags: ['attack.persistence', 'attack.t1098'],
        detection: {
          selection: { eventSource: `${s}.amazonaws.com`, readOnly: false, 'userIdentity.sessionContext.attributes.mfaAuthenticated': 'false' },
          filter: { 'userIdentity.sessionContext.sessionIssuer.userName|startswith': rot(['AWSServiceRole', 'github-actions', 'gitlab-runner'], k, 2) },
          condition: 'selection and not filter',
        },
        summary: '{userIdentity.arn} called {eventName}',
      };
    },
    // Activity in regions the company does not use.
    (k) => {
      const d = rareWrites[(k * 2) % rareWrites.length]!;
      return {
        title: `${d.name} in an unused region (${k})`,
        description: 'Resources created in a region the company has no workloads in: a favourite for miners.',
        tags: ['attack.defense-evasion', 'attack.t1535'],
        detection: {
          selection: { eventSource: src(d), eventName: [d.name, ...rot(UNLOGGED[d.source] ?? [], k, 2)], awsRegion: rot(REGIONS.slice(4), k, 4) },
          condition: 'selection',
        },
        summary: '{eventName} in {awsRegion} by {userIdentity.arn}',
      };
    },
    // Resource names: the calls touching a given bucket, function or key, by anyone not its owner.
    (k) => {
      const b = w.buckets[k % w.buckets.length]!;
      return {
        title: `Bucket ${b.split('-')[0]} configuration read with a user key (${k})`,
        description: 'Bucket configuration read with a long-term user key that does not belong to its application.',
        tags: ['attack.discovery', 'attack.t1619'],
        detection: {
          selection: {
            eventSource: 's3.amazonaws.com',
            eventName: rot(namesOf('s3'), k, 3),
            'requestParameters.bucketName': b,
            'userIdentity.type': 'IAMUser',
          },
          filter: { 'userIdentity.userName': rot(serviceUsers, k, 2) },
          condition: 'selection and not filter',
        },
        summary: '{userIdentity.arn} {eventName} on {requestParameters.bucketName}',
      };
    },
  ];

  return Array.from({ length: count }, (_, i) => {
    const shape = shapes[i % shapes.length]!(Math.floor(i / shapes.length));
    return {
      title: shape.title,
      id: uuidOf(i),
      status: 'experimental',
      description: shape.description,
      author: 'keytrail benchmark',
      date: '2026-11-28',
      tags: shape.tags,
      logsource: { product: 'aws', service: 'cloudtrail' },
      detection: shape.detection,
      falsepositives: shape.falsepositives ?? ['Administrators doing the same on purpose'],
      level: LEVELS[(i * 7) % LEVELS.length],
      ...(shape.summary && i % 4 !== 3 ? { output: { summary: shape.summary } } : {}),
    };
  });
}

/** Write the pack under `dir` (emptied first), one rule a file; returns the number of rules. */
export function writeRulesPack(dir: string, count = PACK_SIZE, seed = 1): number {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const rules = makeRules(count, seed);
  rules.forEach((r, i) => {
    const slug = String(r.title)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60);
    fs.writeFileSync(path.join(dir, `${String(i).padStart(4, '0')}-${slug}.yml`), stringify(r, { lineWidth: 0 }));
  });
  return rules.length;
}
