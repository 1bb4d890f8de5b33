/**
 * The events the generator draws from: 65 eventSource/eventName pairs across 16 services, each
 * with the request and response shapes CloudTrail logs for it (modelled on real records), a relative
 * frequency, who typically calls it, and the errors it fails with. A new event is one entry here.
 */
import type { Rng } from './rng.js';
import type { World } from './world.js';

export type ActorKind = 'AssumedRole' | 'IAMUser' | 'AWSService' | 'Root' | 'WebIdentityUser' | 'AWSAccount';

export interface Ctx {
  rng: Rng;
  w: World;
  region: string;
  time: number;
  def: EventDef;
  identity: Record<string, unknown>;
  actorArn: string;
  ip: string;
  agent: string;
  console: boolean;
  internal: boolean;
  crossAccount: boolean;
}

type Build = (c: Ctx) => unknown;
type ErrorDef = [code: string, message: (c: Ctx) => string];

export interface EventDef {
  /** eventSource without `.amazonaws.com`. */
  source: string;
  name: string;
  weight: number;
  readOnly: boolean;
  /** Global service: only logged in us-east-1. */
  global?: boolean;
  actors?: Partial<Record<ActorKind, number>>;
  /** invokedBy when an AWS service makes the call. */
  service?: string;
  host?: (c: Ctx) => string;
  request?: Build;
  response?: Build;
  resources?: (c: Ctx) => unknown[];
  extra?: (c: Ctx) => Record<string, unknown>;
  errors?: ErrorDef[];
  errorRate?: number;
  eventType?: string;
  apiVersion?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** The date format IAM and STS use inside responseElements: "Jun 2, 2024, 7:41:40 PM". */
function awsDate(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}
const isoMs = (ms: number) => new Date(ms).toISOString();

const id = (c: Ctx, prefix: string) => {
  const pool = c.w.ids[prefix];
  return pool ? c.rng.pick(pool) : `${prefix}-0${c.rng.hex(16)}`;
};
const az = (c: Ctx) => `${c.region}${c.rng.pick(['a', 'b', 'c'])}`;
const privateIp = (c: Ctx) => `10.${c.rng.int(64)}.${c.rng.int(256)}.${c.rng.range(4, 250)}`;
const bucket = (c: Ctx) => c.rng.pick(c.w.buckets);
const fn = (c: Ctx) => c.rng.pick(c.w.functions);
const roleName = (c: Ctx) => c.rng.pick(c.w.roles).name;
const userName = (c: Ctx) => c.rng.pick(c.w.users).name;
const caller = (c: Ctx) => c.actorArn || `arn:aws:iam::${c.w.account}:root`;
const kmsArn = (c: Ctx) => `arn:aws:kms:${c.region}:${c.w.account}:key/${c.rng.pick(c.w.kmsKeys)}`;
const items = <T>(c: Ctx, lo: number, hi: number, f: (i: number) => T) => Array.from({ length: c.rng.range(lo, hi) }, (_, i) => f(i));
const tags = (c: Ctx) => [
  { key: 'Name', value: `${c.rng.pick(['web', 'worker', 'batch', 'bastion', 'db-proxy'])}-${c.rng.hex(4)}` },
  { key: 'env', value: c.rng.pick(['prod', 'staging', 'dev']) },
  { key: 'owner', value: c.rng.pick(c.w.people) },
];

const denied = (action: string, resource: (c: Ctx) => string): ErrorDef => [
  'AccessDenied',
  (c) => `User: ${caller(c)} is not authorized to perform: ${action} on resource: ${resource(c)} because no identity-based policy allows the ${action} action`,
];
const ec2Denied = (action: string): ErrorDef => [
  'Client.UnauthorizedOperation',
  (c) =>
    `You are not authorized to perform this operation. User: ${caller(c)} is not authorized to perform: ec2:${action} on resource: arn:aws:ec2:${c.region}:${c.w.account}:instance/* because no identity-based policy allows the ec2:${action} action. Encoded authorization failure message: ${c.rng.b64(c.rng.range(300, 520)).replace(/[+/]/g, '-')}`,
];
const throttled: ErrorDef = ['ThrottlingException', () => 'Rate exceeded'];

const s3Extra = (c: Ctx) => ({
  SignatureVersion: 'SigV4',
  CipherSuite: 'TLS_AES_128_GCM_SHA256',
  bytesTransferredIn: 0,
  AuthenticationMethod: 'AuthHeader',
  'x-amz-id-2': c.rng.b64(76),
  bytesTransferredOut: c.rng.range(0, 2000),
});
const s3Host = (c: Ctx) => `s3.${c.region}.amazonaws.com`;
const bucketRes = (c: Ctx, b: string) => [{ accountId: c.w.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${b}` }];

const credentials = (c: Ctx, hours: number) => ({
  accessKeyId: `ASIA${c.rng.b32(16)}`,
  sessionToken: `IQoJb3JpZ2luX2Vj${c.rng.b64(c.rng.range(280, 440))}`,
  expiration: awsDate(c.time + hours * 3_600_000),
});

const policyDoc = (c: Ctx) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: items(c, 1, 3, () => ({
      Effect: 'Allow',
      Action: items(c, 1, 4, () =>
        c.rng.pick(['s3:GetObject', 's3:PutObject', 'sqs:SendMessage', 'dynamodb:Query', 'kms:Decrypt', 'logs:PutLogEvents', 'ssm:GetParameter']),
      ),
      Resource: `arn:aws:${c.rng.pick([`s3:::${bucket(c)}/*`, `sqs:${c.region}:${c.w.account}:queue-${c.rng.hex(6)}`, `dynamodb:${c.region}:${c.w.account}:table/${c.rng.hex(6)}`])}`,
    })),
  });
const trustPolicy = (c: Ctx) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: c.rng.chance(0.5) ? { Service: c.rng.pick(c.w.services) } : { AWS: `arn:aws:iam::${c.rng.pick(c.w.partners)}:root` },
        Action: 'sts:AssumeRole',
      },
    ],
  });

const instanceItem = (c: Ctx, type: string) => {
  const vpc = id(c, 'vpc');
  const subnet = id(c, 'subnet');
  const ip = privateIp(c);
  const sg = { groupId: id(c, 'sg'), groupName: `${c.rng.pick(['web', 'app', 'default', 'launch-wizard'])}-${c.rng.range(1, 40)}` };
  return {
    instanceId: id(c, 'i'),
    imageId: c.rng.pick(c.w.amis),
    bootMode: 'uefi-preferred',
    instanceState: { code: 0, name: 'pending' },
    privateDnsName: `ip-${ip.replace(/\./g, '-')}.${c.region}.compute.internal`,
    amiLaunchIndex: 0,
    productCodes: {},
    instanceType: type,
    launchTime: c.time,
    placement: { availabilityZone: az(c), tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: subnet,
    vpcId: vpc,
    privateIpAddress: ip,
    stateReason: { code: 'pending', message: 'pending' },
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    blockDeviceMapping: {},
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    groupSet: { items: [sg] },
    networkInterfaceSet: {
      items: [
        {
          networkInterfaceId: id(c, 'eni'),
          subnetId: subnet,
          vpcId: vpc,
          ownerId: c.w.account,
          status: 'in-use',
          macAddress: `0a:${c.rng.hex(2)}:${c.rng.hex(2)}:${c.rng.hex(2)}:${c.rng.hex(2)}:${c.rng.hex(2)}`,
          privateIpAddress: ip,
          sourceDestCheck: true,
          interfaceType: 'interface',
          groupSet: { items: [sg] },
          attachment: {
            attachmentId: id(c, 'eni-attach'),
            deviceIndex: 0,
            networkCardIndex: 0,
            status: 'attaching',
            attachTime: c.time,
            deleteOnTermination: true,
          },
        },
      ],
    },
    ebsOptimized: false,
    enaSupport: true,
    cpuOptions: { coreCount: c.rng.pick([1, 2, 4]), threadsPerCore: 2 },
    metadataOptions: { state: 'pending', httpTokens: c.rng.pick(['required', 'optional']), httpPutResponseHopLimit: 2, httpEndpoint: 'enabled' },
  };
};

const stateChange = (from: [number, string], to: [number, string]): Partial<EventDef> => ({
  request: (c) => ({ instancesSet: { items: items(c, 1, 3, () => ({ instanceId: id(c, 'i') })) }, ...(to[1] === 'stopping' ? { force: false } : {}) }),
  response: (c) => ({
    requestId: c.rng.uuid(),
    instancesSet: {
      items: items(c, 1, 3, () => ({ instanceId: id(c, 'i'), currentState: { code: to[0], name: to[1] }, previousState: { code: from[0], name: from[1] } })),
    },
  }),
});

const ec2: EventDef[] = [
  {
    source: 'ec2',
    name: 'DescribeInstances',
    weight: 60,
    readOnly: true,
    actors: { AssumedRole: 6, IAMUser: 3, AWSService: 1 },
    errors: [ec2Denied('DescribeInstances'), ['RequestLimitExceeded', () => 'Request limit exceeded.']],
    request: (c) => ({
      instancesSet: { items: items(c, 0, 4, () => ({ instanceId: id(c, 'i') })) },
      filterSet: c.rng.chance(0.5)
        ? {
            items: [
              {
                name: c.rng.pick(['tag:Name', 'instance-state-name', 'vpc-id']),
                valueSet: { items: items(c, 1, 3, () => ({ value: c.rng.pick(['running', 'stopped', id(c, 'vpc'), `web-${c.rng.hex(4)}`]) })) },
              },
            ],
          }
        : {},
    }),
  },
  {
    source: 'ec2',
    name: 'DescribeSecurityGroups',
    weight: 25,
    readOnly: true,
    errors: [ec2Denied('DescribeSecurityGroups')],
    request: (c) => ({ securityGroupSet: {}, securityGroupIdSet: { items: items(c, 1, 5, () => ({ groupId: id(c, 'sg') })) }, filterSet: {} }),
  },
  {
    source: 'ec2',
    name: 'DescribeVolumes',
    weight: 15,
    readOnly: true,
    errors: [ec2Denied('DescribeVolumes')],
    request: (c) => ({
      volumeSet: {},
      filterSet: { items: [{ name: 'attachment.instance-id', valueSet: { items: items(c, 1, 3, () => ({ value: id(c, 'i') })) } }] },
      maxResults: 500,
    }),
  },
  {
    source: 'ec2',
    name: 'RunInstances',
    weight: 3,
    readOnly: false,
    errors: [ec2Denied('RunInstances'), ['Client.InstanceLimitExceeded', () => 'You have requested more instances than your current instance limit allows.']],
    errorRate: 0.08,
    request: (c) => ({
      instancesSet: { items: [{ imageId: c.rng.pick(c.w.amis), minCount: 1, maxCount: 1, keyName: `kp-${c.rng.hex(4)}` }] },
      groupSet: { items: [{ groupId: id(c, 'sg') }] },
      instanceType: c.rng.pick(['t3.micro', 'm5.large', 'c6i.xlarge', 'p3.2xlarge', 'g4dn.xlarge']),
      blockDeviceMapping: {},
      monitoring: { enabled: false },
      disableApiTermination: false,
      disableApiStop: false,
      clientToken: c.rng.uuid(),
      subnetId: id(c, 'subnet'),
      tagSpecificationSet: { items: [{ resourceType: 'instance', tags: tags(c) }] },
    }),
    response: (c) => ({
      requestId: c.rng.uuid(),
      reservationId: id(c, 'r'),
      ownerId: c.w.account,
      groupSet: {},
      instancesSet: { items: [instanceItem(c, 't3.micro')] },
    }),
  },
  {
    source: 'ec2',
    name: 'TerminateInstances',
    weight: 2,
    readOnly: false,
    errors: [ec2Denied('TerminateInstances'), ['Client.InvalidInstanceID.NotFound', (c) => `The instance ID '${id(c, 'i')}' does not exist`]],
    ...stateChange([16, 'running'], [32, 'shutting-down']),
  },
  { source: 'ec2', name: 'StartInstances', weight: 2, readOnly: false, errors: [ec2Denied('StartInstances')], ...stateChange([80, 'stopped'], [0, 'pending']) },
  { source: 'ec2', name: 'StopInstances', weight: 2, readOnly: false, errors: [ec2Denied('StopInstances')], ...stateChange([16, 'running'], [64, 'stopping']) },
  {
    source: 'ec2',
    name: 'CreateSecurityGroup',
    weight: 1,
    readOnly: false,
    errors: [['Client.InvalidGroup.Duplicate', (c) => `The security group '${c.rng.hex(6)}' already exists for VPC '${id(c, 'vpc')}'`]],
    request: (c) => ({
      groupName: `${c.rng.pick(['web', 'app', 'db'])}-${c.rng.hex(6)}`,
      groupDescription: `Managed by Terraform ${c.rng.hex(6)}`,
      vpcId: id(c, 'vpc'),
      tagSpecificationSet: { items: [{ resourceType: 'security-group', tags: tags(c) }] },
    }),
    response: (c) => ({
      requestId: c.rng.uuid(),
      _return: true,
      groupId: id(c, 'sg'),
      securityGroupArn: `arn:aws:ec2:${c.region}:${c.w.account}:security-group/${id(c, 'sg')}`,
    }),
  },
  {
    source: 'ec2',
    name: 'AuthorizeSecurityGroupIngress',
    weight: 1.5,
    readOnly: false,
    errors: [['Client.InvalidPermission.Duplicate', () => 'the specified rule already exists']],
    request: (c) => ({
      groupId: id(c, 'sg'),
      ipPermissions: {
        items: items(c, 1, 3, () => {
          const p = c.rng.pick([22, 80, 443, 3389, 5432, 6379]);
          return {
            ipProtocol: 'tcp',
            fromPort: p,
            toPort: p,
            groups: {},
            ipRanges: { items: [{ cidrIp: c.rng.chance(0.3) ? '0.0.0.0/0' : `${c.rng.pick(c.w.ips)}/32`, description: `access ${c.rng.hex(4)}` }] },
            ipv6Ranges: {},
            prefixListIds: {},
          };
        }),
      },
    }),
    response: (c) => ({
      requestId: c.rng.uuid(),
      _return: true,
      securityGroupRuleSet: {
        items: items(c, 1, 2, () => ({
          groupOwnerId: c.w.account,
          groupId: id(c, 'sg'),
          securityGroupRuleId: id(c, 'sgr'),
          isEgress: false,
          ipProtocol: 'tcp',
          fromPort: 443,
          toPort: 443,
          cidrIpv4: '0.0.0.0/0',
        })),
      },
    }),
  },
  {
    source: 'ec2',
    name: 'CreateTags',
    weight: 6,
    readOnly: false,
    actors: { AssumedRole: 5, IAMUser: 2, AWSService: 3 },
    service: 'autoscaling.amazonaws.com',
    errors: [ec2Denied('CreateTags')],
    request: (c) => ({
      resourcesSet: { items: items(c, 1, 4, () => ({ resourceId: c.rng.chance(0.5) ? id(c, 'i') : id(c, 'vol') })) },
      tagSet: { items: tags(c) },
    }),
    response: (c) => ({ requestId: c.rng.uuid(), _return: true }),
  },
  {
    source: 'ec2',
    name: 'CreateSnapshot',
    weight: 2,
    readOnly: false,
    actors: { AssumedRole: 5, AWSService: 5 },
    service: 'dlm.amazonaws.com',
    errors: [['Client.SnapshotCreationPerVolumeRateExceeded', () => 'The maximum per volume CreateSnapshot request rate has been exceeded.']],
    request: (c) => ({ volumeId: id(c, 'vol'), description: `Created for policy: policy-0${c.rng.hex(16)} schedule: Default Schedule` }),
    response: (c) => ({
      requestId: c.rng.uuid(),
      snapshotId: id(c, 'snap'),
      volumeId: id(c, 'vol'),
      status: 'pending',
      startTime: c.time,
      progress: '',
      ownerId: c.w.account,
      volumeSize: c.rng.pick([8, 20, 50, 100, 500]),
      encrypted: true,
      kmsKeyId: kmsArn(c),
      storageTier: 'standard',
    }),
  },
];

const iamNotFound: ErrorDef = ['NoSuchEntityException', (c) => `The user with name ${userName(c)}-old cannot be found.`];
const iam: EventDef[] = [
  {
    source: 'iam',
    name: 'ListUsers',
    weight: 8,
    readOnly: true,
    global: true,
    errors: [denied('iam:ListUsers', (c) => `arn:aws:iam::${c.w.account}:user/`)],
    request: (c) => (c.rng.chance(0.5) ? null : { maxItems: 100 }),
  },
  {
    source: 'iam',
    name: 'ListRoles',
    weight: 6,
    readOnly: true,
    global: true,
    errors: [denied('iam:ListRoles', (c) => `arn:aws:iam::${c.w.account}:role/`)],
    request: (c) => ({ maxItems: 1000, pathPrefix: c.rng.pick(['/', '/service-role/']) }),
  },
  { source: 'iam', name: 'GetUser', weight: 5, readOnly: true, global: true, errors: [iamNotFound], request: (c) => ({ userName: userName(c) }) },
  { source: 'iam', name: 'ListAccessKeys', weight: 5, readOnly: true, global: true, errors: [iamNotFound], request: (c) => ({ userName: userName(c) }) },
  {
    source: 'iam',
    name: 'CreateUser',
    weight: 0.3,
    readOnly: false,
    global: true,
    errors: [
      denied('iam:CreateUser', (c) => `arn:aws:iam::${c.w.account}:user/x`),
      ['EntityAlreadyExistsException', (c) => `User with name ${userName(c)} already exists.`],
    ],
    errorRate: 0.1,
    request: (c) => ({
      userName: `${c.rng.pick(c.w.people)}-${c.rng.hex(3)}`,
      path: '/',
      tags: [{ key: 'team', value: c.rng.pick(['platform', 'data', 'security']) }],
    }),
    response: (c) => ({
      user: {
        path: '/',
        userName: `${c.rng.pick(c.w.people)}-${c.rng.hex(3)}`,
        userId: `AIDA${c.rng.b32(17)}`,
        arn: `arn:aws:iam::${c.w.account}:user/${userName(c)}`,
        createDate: awsDate(c.time),
        tags: [{ key: 'team', value: 'platform' }],
      },
    }),
  },
  {
    source: 'iam',
    name: 'CreateAccessKey',
    weight: 0.3,
    readOnly: false,
    global: true,
    errors: [['LimitExceededException', () => 'Cannot exceed quota for AccessKeysPerUser: 2'], iamNotFound],
    errorRate: 0.1,
    request: (c) => ({ userName: userName(c) }),
    response: (c) => ({ accessKey: { userName: userName(c), accessKeyId: `AKIA${c.rng.b32(16)}`, status: 'Active', createDate: awsDate(c.time) } }),
  },
  {
    source: 'iam',
    name: 'AttachUserPolicy',
    weight: 0.3,
    readOnly: false,
    global: true,
    errors: [denied('iam:AttachUserPolicy', (c) => `arn:aws:iam::${c.w.account}:user/${userName(c)}`)],
    request: (c) => ({
      userName: userName(c),
      policyArn: `arn:aws:iam::aws:policy/${c.rng.pick(['AdministratorAccess', 'ReadOnlyAccess', 'AmazonS3FullAccess', 'IAMFullAccess'])}`,
    }),
  },
  {
    source: 'iam',
    name: 'AttachRolePolicy',
    weight: 0.5,
    readOnly: false,
    global: true,
    request: (c) => ({
      roleName: roleName(c),
      policyArn: `arn:aws:iam::${c.rng.chance(0.5) ? 'aws' : c.w.account}:policy/${c.rng.pick(['AmazonSSMManagedInstanceCore', 'CloudWatchAgentServerPolicy', 'app-s3-access'])}`,
    }),
  },
  {
    source: 'iam',
    name: 'PutRolePolicy',
    weight: 0.5,
    readOnly: false,
    global: true,
    errors: [['MalformedPolicyDocumentException', () => 'Syntax errors in policy.']],
    request: (c) => ({ roleName: roleName(c), policyName: `inline-${c.rng.hex(6)}`, policyDocument: policyDoc(c) }),
  },
  {
    source: 'iam',
    name: 'CreateRole',
    weight: 0.2,
    readOnly: false,
    global: true,
    errors: [['EntityAlreadyExistsException', (c) => `Role with name ${roleName(c)} already exists.`]],
    request: (c) => ({
      roleName: `app-${c.rng.hex(6)}`,
      assumeRolePolicyDocument: trustPolicy(c),
      description: 'Managed by Terraform',
      maxSessionDuration: 3600,
    }),
    response: (c) => ({
      role: {
        path: '/',
        roleName: `app-${c.rng.hex(6)}`,
        roleId: `AROA${c.rng.b32(17)}`,
        arn: `arn:aws:iam::${c.w.account}:role/app-${c.rng.hex(6)}`,
        createDate: awsDate(c.time),
        assumeRolePolicyDocument: encodeURIComponent(trustPolicy(c)),
      },
    }),
  },
  {
    source: 'iam',
    name: 'UpdateAssumeRolePolicy',
    weight: 0.1,
    readOnly: false,
    global: true,
    request: (c) => ({ roleName: roleName(c), policyDocument: trustPolicy(c) }),
  },
];

const sts: EventDef[] = [
  {
    source: 'sts',
    name: 'AssumeRole',
    weight: 18,
    readOnly: true,
    actors: { AWSService: 5, AssumedRole: 2, IAMUser: 2, AWSAccount: 1 },
    errors: [denied('sts:AssumeRole', (c) => `arn:aws:iam::${c.w.account}:role/${roleName(c)}`)],
    errorRate: 0.02,
    request: (c) => ({
      roleArn: `arn:aws:iam::${c.w.account}:role/${roleName(c)}`,
      roleSessionName: `${c.rng.pick(c.w.functions)}-${c.rng.hex(8)}`,
      durationSeconds: c.rng.pick([900, 3600, 43200]),
      ...(c.crossAccount ? { externalId: c.rng.hex(16) } : {}),
    }),
    response: (c) => ({
      credentials: credentials(c, 1),
      assumedRoleUser: {
        assumedRoleId: `AROA${c.rng.b32(17)}:${c.rng.hex(8)}`,
        arn: `arn:aws:sts::${c.w.account}:assumed-role/${roleName(c)}/${c.rng.hex(8)}`,
      },
    }),
    resources: (c) => [{ accountId: c.w.account, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${c.w.account}:role/${roleName(c)}` }],
  },
  {
    source: 'sts',
    name: 'AssumeRoleWithWebIdentity',
    weight: 3,
    readOnly: true,
    actors: { WebIdentityUser: 1 },
    request: (c) => ({ roleArn: `arn:aws:iam::${c.w.account}:role/${roleName(c)}`, roleSessionName: `botocore-session-${Math.floor(c.time / 1000)}` }),
    response: (c) => ({
      credentials: credentials(c, 1),
      subjectFromWebIdentityToken: String(c.identity.userName),
      assumedRoleUser: {
        assumedRoleId: `AROA${c.rng.b32(17)}:botocore-session-${Math.floor(c.time / 1000)}`,
        arn: `arn:aws:sts::${c.w.account}:assumed-role/${roleName(c)}/botocore-session-${Math.floor(c.time / 1000)}`,
      },
      provider: String(c.identity.identityProvider),
      audience: 'sts.amazonaws.com',
    }),
  },
  { source: 'sts', name: 'GetCallerIdentity', weight: 10, readOnly: true, actors: { AssumedRole: 5, IAMUser: 5 } },
  {
    source: 'sts',
    name: 'GetSessionToken',
    weight: 0.5,
    readOnly: true,
    actors: { IAMUser: 1 },
    request: (c) => ({
      durationSeconds: 43200,
      ...(c.rng.chance(0.5) ? { serialNumber: `arn:aws:iam::${c.w.account}:mfa/${userName(c)}`, tokenCode: 'HIDDEN_DUE_TO_SECURITY_REASONS' } : {}),
    }),
    response: (c) => ({ credentials: credentials(c, 12) }),
  },
];

const s3: EventDef[] = [
  { source: 's3', name: 'ListBuckets', weight: 6, readOnly: true, host: s3Host, extra: s3Extra, request: (c) => ({ Host: s3Host(c) }) },
  ...['GetBucketAcl', 'GetBucketLocation', 'GetBucketPolicy', 'GetBucketVersioning', 'GetBucketEncryption'].map(
    (name): EventDef => ({
      source: 's3',
      name,
      weight: name === 'GetBucketPolicy' ? 3 : 5,
      readOnly: true,
      actors: { AssumedRole: 5, IAMUser: 2, AWSService: 3 },
      service: 'config.amazonaws.com',
      errors: name === 'GetBucketPolicy' ? [['NoSuchBucketPolicy', () => 'The bucket policy does not exist']] : [['AccessDenied', () => 'Access Denied']],
      errorRate: name === 'GetBucketPolicy' ? 0.3 : 0.03,
      host: (c) => `${bucket(c)}.s3.${c.region}.amazonaws.com`,
      extra: s3Extra,
      request: (c) => ({ bucketName: bucket(c), Host: `${bucket(c)}.s3.${c.region}.amazonaws.com`, [name.slice(9).toLowerCase()]: '' }),
      resources: (c) => bucketRes(c, bucket(c)),
    }),
  ),
  {
    source: 's3',
    name: 'CreateBucket',
    weight: 0.2,
    readOnly: false,
    host: s3Host,
    extra: s3Extra,
    errors: [['BucketAlreadyOwnedByYou', () => 'Your previous request to create the named bucket succeeded and you already own it.']],
    request: (c) => ({
      CreateBucketConfiguration: { LocationConstraint: c.region, xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      bucketName: `${c.rng.pick(['logs', 'data', 'tmp'])}-${c.rng.hex(10)}`,
      Host: s3Host(c),
    }),
    resources: (c) => bucketRes(c, bucket(c)),
  },
  {
    source: 's3',
    name: 'PutBucketPolicy',
    weight: 0.3,
    readOnly: false,
    host: s3Host,
    extra: s3Extra,
    errors: [['MalformedPolicy', () => 'Policy has invalid resource']],
    request: (c) => {
      const b = bucket(c);
      return {
        bucketName: b,
        Host: `${b}.s3.${c.region}.amazonaws.com`,
        policy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: `Allow${c.rng.hex(4)}`,
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${c.rng.pick(c.w.partners)}:root` },
              Action: ['s3:GetObject', 's3:ListBucket'],
              Resource: [`arn:aws:s3:::${b}`, `arn:aws:s3:::${b}/*`],
            },
          ],
        },
      };
    },
    resources: (c) => bucketRes(c, bucket(c)),
  },
  {
    source: 's3',
    name: 'PutBucketPublicAccessBlock',
    weight: 0.3,
    readOnly: false,
    host: s3Host,
    extra: s3Extra,
    request: (c) => ({
      publicAccessBlock: '',
      bucketName: bucket(c),
      Host: s3Host(c),
      PublicAccessBlockConfiguration: {
        xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
        RestrictPublicBuckets: true,
        BlockPublicPolicy: true,
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
      },
    }),
    resources: (c) => bucketRes(c, bucket(c)),
  },
];

const fnArn = (c: Ctx) => `arn:aws:lambda:${c.region}:${c.w.account}:function:${fn(c)}`;
const fnConfig = (c: Ctx) => ({
  functionName: fn(c),
  functionArn: fnArn(c),
  runtime: c.rng.pick(['python3.12', 'nodejs20.x', 'java21', 'provided.al2023']),
  role: `arn:aws:iam::${c.w.account}:role/${roleName(c)}`,
  handler: 'app.handler',
  codeSize: c.rng.range(1000, 50_000_000),
  description: '',
  timeout: c.rng.pick([3, 30, 900]),
  memorySize: c.rng.pick([128, 512, 1024]),
  lastModified: isoMs(c.time).replace('Z', '+0000'),
  codeSha256: `${c.rng.b64(43)}=`,
  version: '$LATEST',
  tracingConfig: { mode: 'PassThrough' },
  revisionId: c.rng.uuid(),
  state: 'Pending',
  stateReason: 'The function is being created.',
  stateReasonCode: 'Creating',
  packageType: 'Zip',
  architectures: ['x86_64'],
  ephemeralStorage: { size: 512 },
  snapStart: { applyOn: 'None', optimizationStatus: 'Off' },
  loggingConfig: { logFormat: 'Text', logGroup: `/aws/lambda/${fn(c)}` },
});
const lambda: EventDef[] = [
  {
    source: 'lambda',
    name: 'ListFunctions20150331',
    weight: 3,
    readOnly: true,
    apiVersion: '2015-03-31',
    request: (c) => (c.rng.chance(0.5) ? null : { maxItems: 50, marker: c.rng.b64(60) }),
  },
  {
    source: 'lambda',
    name: 'GetFunction20150331v2',
    weight: 3,
    readOnly: true,
    apiVersion: '2015-03-31',
    errors: [['ResourceNotFoundException', (c) => `Function not found: ${fnArn(c)}`]],
    request: (c) => ({ functionName: fn(c) }),
  },
  {
    source: 'lambda',
    name: 'CreateFunction20150331',
    weight: 0.2,
    readOnly: false,
    apiVersion: '2015-03-31',
    request: (c) => ({
      functionName: fn(c),
      runtime: 'python3.12',
      role: `arn:aws:iam::${c.w.account}:role/${roleName(c)}`,
      handler: 'app.handler',
      code: {},
      description: '',
      timeout: 30,
      memorySize: 512,
      publish: true,
      environment: {},
      tracingConfig: { mode: 'PassThrough' },
      architectures: ['x86_64'],
    }),
    response: fnConfig,
  },
  {
    source: 'lambda',
    name: 'UpdateFunctionCode20150331v2',
    weight: 1,
    readOnly: false,
    apiVersion: '2015-03-31',
    errors: [['ResourceConflictException', (c) => `The operation cannot be performed at this time. An update is in progress for resource: ${fnArn(c)}`]],
    request: (c) => ({ functionName: fn(c), publish: false, dryRun: false, s3Bucket: bucket(c), s3Key: `builds/${c.rng.hex(40)}.zip` }),
    response: fnConfig,
  },
];

const kmsDenied = denied('kms:Decrypt', kmsArn);
const encContext = (c: Ctx) =>
  c.rng.pick([
    () => ({ 'aws:lambda:FunctionArn': fnArn(c) }),
    () => ({ 'aws:s3:arn': `arn:aws:s3:::${bucket(c)}/${c.rng.hex(2)}/${c.rng.hex(24)}.parquet` }),
    () => ({ 'aws:ebs:id': id(c, 'vol') }),
    () => ({
      SecretARN: `arn:aws:secretsmanager:${c.region}:${c.w.account}:secret:${c.rng.pick(c.w.paramNames).slice(1)}-${c.rng.alnum(6)}`,
      SecretVersionId: c.rng.uuid(),
    }),
    () => ({ PARAMETER_ARN: `arn:aws:ssm:${c.region}:${c.w.account}:parameter${c.rng.pick(c.w.paramNames)}` }),
  ])();
const kmsRes = (c: Ctx) => [{ accountId: c.w.account, type: 'AWS::KMS::Key', ARN: kmsArn(c) }];
const kms: EventDef[] = [
  {
    source: 'kms',
    name: 'Decrypt',
    weight: 45,
    readOnly: true,
    actors: { AWSService: 5, AssumedRole: 5 },
    errors: [kmsDenied, ['InvalidCiphertextException', () => '']],
    errorRate: 0.01,
    request: (c) => ({ encryptionContext: encContext(c), encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
    resources: kmsRes,
  },
  {
    source: 'kms',
    name: 'GenerateDataKey',
    weight: 25,
    readOnly: true,
    actors: { AWSService: 6, AssumedRole: 4 },
    errors: [kmsDenied],
    errorRate: 0.01,
    request: (c) => ({
      keyId: c.rng.chance(0.5) ? kmsArn(c) : c.rng.pick(['alias/aws/s3', 'alias/aws/ebs', 'alias/app-data']),
      encryptionContext: encContext(c),
      keySpec: 'AES_256',
    }),
    resources: kmsRes,
  },
  {
    source: 'kms',
    name: 'Encrypt',
    weight: 3,
    readOnly: true,
    request: (c) => ({ keyId: kmsArn(c), encryptionContext: encContext(c), encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
    resources: kmsRes,
  },
  {
    source: 'kms',
    name: 'CreateKey',
    weight: 0.1,
    readOnly: false,
    request: (c) => ({
      description: `app key ${c.rng.hex(6)}`,
      keyUsage: 'ENCRYPT_DECRYPT',
      keySpec: 'SYMMETRIC_DEFAULT',
      origin: 'AWS_KMS',
      bypassPolicyLockoutSafetyCheck: false,
      multiRegion: false,
    }),
    response: (c) => {
      const k = c.rng.uuid();
      return {
        keyMetadata: {
          aWSAccountId: c.w.account,
          keyId: k,
          arn: `arn:aws:kms:${c.region}:${c.w.account}:key/${k}`,
          creationDate: awsDate(c.time),
          enabled: true,
          description: '',
          keyUsage: 'ENCRYPT_DECRYPT',
          keyState: 'Enabled',
          origin: 'AWS_KMS',
          keyManager: 'CUSTOMER',
          customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
          keySpec: 'SYMMETRIC_DEFAULT',
          encryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
          multiRegion: false,
        },
      };
    },
  },
];

const stackArn = (c: Ctx) => `arn:aws:cloudformation:${c.region}:${c.w.account}:stack/${c.rng.pick(c.w.stacks)}/${c.rng.uuid()}`;
const cfn: EventDef[] = [
  {
    source: 'cloudformation',
    name: 'DescribeStacks',
    weight: 8,
    readOnly: true,
    errors: [['ValidationError', (c) => `Stack with id ${c.rng.pick(c.w.stacks)}-old does not exist`]],
    request: (c) => (c.rng.chance(0.3) ? null : { stackName: c.rng.chance(0.5) ? stackArn(c) : c.rng.pick(c.w.stacks) }),
  },
  { source: 'cloudformation', name: 'DescribeStackEvents', weight: 3, readOnly: true, request: (c) => ({ stackName: stackArn(c) }) },
  {
    source: 'cloudformation',
    name: 'CreateStack',
    weight: 0.2,
    readOnly: false,
    errors: [['AlreadyExistsException', (c) => `Stack [${c.rng.pick(c.w.stacks)}] already exists`]],
    request: (c) => ({
      stackName: c.rng.pick(c.w.stacks),
      templateURL: `https://s3.${c.region}.amazonaws.com/${bucket(c)}/${c.rng.hex(12)}-template.yaml`,
      parameters: items(c, 1, 4, (i) => ({
        parameterKey: ['Env', 'InstanceType', 'VpcId', 'Owner'][i],
        parameterValue: c.rng.pick(['prod', 't3.micro', id(c, 'vpc'), c.rng.pick(c.w.people)]),
      })),
      capabilities: ['CAPABILITY_NAMED_IAM'],
      tags: [{ key: 'owner', value: c.rng.pick(c.w.people) }],
    }),
    response: (c) => ({ stackId: stackArn(c) }),
  },
];

const ssm: EventDef[] = [
  {
    source: 'ssm',
    name: 'GetParameter',
    weight: 15,
    readOnly: true,
    errors: [['ParameterNotFound', () => '']],
    errorRate: 0.06,
    request: (c) => ({ name: c.rng.pick(c.w.paramNames), withDecryption: c.rng.chance(0.7) }),
  },
  {
    source: 'ssm',
    name: 'GetParameters',
    weight: 6,
    readOnly: true,
    request: (c) => ({ names: items(c, 2, 6, () => c.rng.pick(c.w.paramNames)), withDecryption: true }),
  },
  {
    source: 'ssm',
    name: 'UpdateInstanceInformation',
    weight: 20,
    readOnly: false,
    errors: [throttled],
    request: (c) => ({
      instanceId: id(c, 'i'),
      agentVersion: `3.3.${c.rng.range(40, 400)}.0`,
      agentStatus: 'Active',
      platformType: 'Linux',
      platformName: 'Amazon Linux',
      platformVersion: '2023',
      iPAddress: privateIp(c),
      computerName: `ip-${privateIp(c).replace(/\./g, '-')}.${c.region}.compute.internal`,
      agentName: 'amazon-ssm-agent',
      availabilityZone: az(c),
      availabilityZoneId: `${c.region.slice(0, 2)}${c.rng.range(1, 3)}-az${c.rng.range(1, 3)}`,
      ssmConnectionChannel: 'ssmmessages',
    }),
  },
  {
    source: 'ssm',
    name: 'SendCommand',
    weight: 0.3,
    readOnly: false,
    request: (c) => ({
      instanceIds: items(c, 1, 3, () => id(c, 'i')),
      documentName: 'AWS-RunShellScript',
      parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS',
      interactive: false,
    }),
    response: (c) => ({
      command: {
        commandId: c.rng.uuid(),
        documentName: 'AWS-RunShellScript',
        documentVersion: '$DEFAULT',
        comment: '',
        expiresAfter: awsDate(c.time + 7_200_000),
        parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS',
        instanceIds: [id(c, 'i')],
        targets: [],
        requestedDateTime: awsDate(c.time),
        status: 'Pending',
        statusDetails: 'Pending',
        outputS3Region: c.region,
        outputS3BucketName: '',
        outputS3KeyPrefix: '',
        maxConcurrency: '50',
        maxErrors: '0',
        targetCount: 1,
        completedCount: 0,
        errorCount: 0,
        deliveryTimedOutCount: 0,
        serviceRole: '',
        notificationConfig: { notificationArn: '', notificationEvents: [], notificationType: '' },
        cloudWatchOutputConfig: { cloudWatchLogGroupName: '', cloudWatchOutputEnabled: false },
        timeoutSeconds: 3600,
        alarmConfiguration: { ignorePollAlarmFailure: false, alarms: [] },
        triggeredAlarms: [],
      },
    }),
  },
];

const logGroup = (c: Ctx) => (c.rng.chance(0.6) ? `/aws/lambda/${fn(c)}` : `/ecs/${c.rng.pick(c.w.stacks)}`);
const other: EventDef[] = [
  {
    source: 'logs',
    name: 'CreateLogStream',
    weight: 20,
    readOnly: false,
    actors: { AssumedRole: 1 },
    errors: [['ResourceAlreadyExistsException', () => 'The specified log stream already exists']],
    request: (c) => ({ logGroupName: logGroup(c), logStreamName: `${isoMs(c.time).slice(0, 10).replace(/-/g, '/')}/[$LATEST]${c.rng.hex(32)}` }),
  },
  {
    source: 'logs',
    name: 'DescribeLogGroups',
    weight: 5,
    readOnly: true,
    request: (c) => (c.rng.chance(0.5) ? { logGroupNamePrefix: '/aws/lambda/', limit: 50 } : { nextToken: c.rng.b64(120) }),
  },
  {
    source: 'logs',
    name: 'CreateLogGroup',
    weight: 0.5,
    readOnly: false,
    errors: [['ResourceAlreadyExistsException', () => 'The specified log group already exists']],
    request: (c) => ({ logGroupName: logGroup(c), tags: { owner: c.rng.pick(c.w.people) } }),
  },
  {
    source: 'logs',
    name: 'PutRetentionPolicy',
    weight: 0.5,
    readOnly: false,
    request: (c) => ({ logGroupName: logGroup(c), retentionInDays: c.rng.pick([7, 30, 90, 365]) }),
  },
  {
    source: 'secretsmanager',
    name: 'GetSecretValue',
    weight: 10,
    readOnly: true,
    errors: [['ResourceNotFoundException', () => "Secrets Manager can't find the specified secret."]],
    request: (c) => ({ secretId: `arn:aws:secretsmanager:${c.region}:${c.w.account}:secret:${c.rng.pick(c.w.paramNames).slice(1)}-${c.rng.alnum(6)}` }),
  },
  { source: 'ses', name: 'GetSendQuota', weight: 1, readOnly: true, errors: [throttled] },
  { source: 'ses', name: 'ListIdentities', weight: 0.5, readOnly: true, request: () => ({ identityType: 'EmailAddress', maxItems: 1000 }) },
  {
    source: 'ses',
    name: 'VerifyEmailIdentity',
    weight: 0.05,
    readOnly: false,
    request: (c) => ({ emailAddress: `${c.rng.pick(c.w.people)}@${c.rng.pick(['example.com', 'mailinator.com', 'protonmail.com'])}` }),
  },
  {
    source: 'signin',
    name: 'ConsoleLogin',
    weight: 0.5,
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
    actors: { IAMUser: 6, AssumedRole: 3, Root: 1 },
    host: (c) => `${c.region}.signin.aws.amazon.com`,
    response: (c) => ({ ConsoleLogin: c.rng.chance(0.08) ? 'Failure' : 'Success' }),
    extra: (c) => ({
      LoginTo: `https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&nc2=h_ct&src=header-signin&state=hashArgsFromTB_${c.region}_${c.rng.hex(16)}`,
      MobileVersion: 'No',
      MFAUsed: c.rng.pick(['Yes', 'No']),
    }),
  },
  {
    source: 'cloudtrail',
    name: 'DescribeTrails',
    weight: 2,
    readOnly: true,
    actors: { AssumedRole: 5, AWSService: 5 },
    service: 'config.amazonaws.com',
    request: () => ({ trailNameList: [], includeShadowTrails: true }),
  },
  {
    source: 'cloudtrail',
    name: 'LookupEvents',
    weight: 1,
    readOnly: true,
    request: (c) => ({
      lookupAttributes: [{ attributeKey: 'EventName', attributeValue: c.rng.pick(['ConsoleLogin', 'RunInstances', 'CreateUser']) }],
      maxResults: 50,
    }),
  },
  {
    source: 'cloudtrail',
    name: 'StopLogging',
    weight: 0.02,
    readOnly: false,
    request: (c) => ({ name: `arn:aws:cloudtrail:${c.region}:${c.w.account}:trail/management-events` }),
  },
  { source: 'guardduty', name: 'ListDetectors', weight: 2, readOnly: true, actors: { AssumedRole: 5, AWSService: 5 }, service: 'securityhub.amazonaws.com' },
  {
    source: 'organizations',
    name: 'DescribeOrganization',
    weight: 1,
    readOnly: true,
    global: true,
    errors: [['AWSOrganizationsNotInUseException', () => 'Your account is not a member of an organization.']],
  },
  {
    source: 'config',
    name: 'PutEvaluations',
    weight: 4,
    readOnly: false,
    actors: { AssumedRole: 1 },
    request: (c) => ({
      evaluations: items(c, 1, 4, () => ({
        complianceResourceType: 'AWS::EC2::Instance',
        complianceResourceId: id(c, 'i'),
        complianceType: c.rng.pick(['COMPLIANT', 'NON_COMPLIANT']),
        orderingTimestamp: awsDate(c.time),
      })),
      resultToken: c.rng.b64(120),
      testMode: false,
    }),
  },
];

export const CATALOG: EventDef[] = [...ec2, ...iam, ...sts, ...s3, ...lambda, ...kms, ...cfn, ...ssm, ...other];
