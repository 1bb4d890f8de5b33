/**
 * What a resource registry entry is (resource-registry.ts holds the entries, one file per service
 * under resources/): for one CloudTrail event name, what it does to what kind of resource, where
 * the record holds the resource's id(s) and the details worth showing, and the aws-cli command
 * that undoes it. Everything here is data: resource-sql.ts reads it into one set-based query, and
 * resource-undo.ts fills the undo templates.
 */
import { KINDS as SHELL_KINDS } from '../shell.js';

export const ACTIONS = ['create', 'change', 'share', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

/** The JSON columns of `events` a value can come from. */
export const DOCS = { request: 'requestParameters', response: 'responseElements', resources: 'resources', additional: 'additionalEventData' } as const;
export type Doc = keyof typeof DOCS;

/**
 * Where a value is: a JSON path into one of the record's JSON columns. The path is DuckDB's:
 * `$.a.b`, `$.a[0].b`, a quoted key `$."x-amz-acl"`, and at most one `[*]` for "each element of
 * the list at `$.a`" (`$.instancesSet.items[*].instanceId`). In `resources`, each entry of the
 * array whose `type` is `resourceType` (`AWS::S3::Object`), and the path inside it.
 */
export interface Locator {
  readonly doc: Doc;
  readonly path: string;
  readonly resourceType?: string;
}

export const req = (path: string): Locator => ({ doc: 'request', path });
export const resp = (path: string): Locator => ({ doc: 'response', path });
export const res = (resourceType: string, path = '$.ARN'): Locator => ({ doc: 'resources', path, resourceType });

/**
 * How a detail reads its values: `text` joins them, `count` counts them, `flag` says its label
 * when the record has the field at all (a password, an object), `ingress`/`egress` render EC2
 * IpPermissions or security group rules (`tcp/22 from 0.0.0.0/0`), `principals` lists the
 * principals of a policy document (an object or the JSON text of one), sorted.
 */
export const FORMATS = ['text', 'count', 'flag', 'ingress', 'egress', 'principals'] as const;
export type Format = (typeof FORMATS)[number];

/** A detail: `label value` when any of its locators (the first that yields) has a value. */
export interface Detail {
  readonly label: string;
  readonly format: Format;
  readonly from: readonly Locator[];
}

export const detail = (label: string, ...from: Locator[]): Detail => ({ label, format: 'text', from });
export const count = (label: string, ...from: Locator[]): Detail => ({ label, format: 'count', from });
export const flag = (label: string, ...from: Locator[]): Detail => ({ label, format: 'flag', from });
export const ingress = (label: string, ...from: Locator[]): Detail => ({ label, format: 'ingress', from });
export const egress = (label: string, ...from: Locator[]): Detail => ({ label, format: 'egress', from });
export const principals = (label: string, ...from: Locator[]): Detail => ({ label, format: 'principals', from });

/** The shape AWS allows for a kind of value: what an undo argument must match before it is one. */
export interface Shape {
  readonly name: string;
  readonly allows: string;
  readonly shape: RegExp;
}

/** A kind shell.ts already knows (remediation.sh checks the same values the same way). */
const shell = (k: keyof typeof SHELL_KINDS): Shape => SHELL_KINDS[k];
const shape = (name: string, allows: string, re: string): Shape => ({ name, allows, shape: new RegExp(`^(?:${re})$`) });
const hexId = (prefix: string, name: string): Shape => shape(name, `${prefix}- and 8 or 17 hex digits`, `${prefix}-([0-9a-f]{8}|[0-9a-f]{17})`);
const ARN = 'arn:aws(-[a-z]+)*:';
const rdsName = (name: string, max: number) =>
  shape(
    name,
    `a letter, then letters, digits and hyphens, 1-${max} characters (or its ARN)`,
    `[A-Za-z][A-Za-z0-9-]{0,${max - 1}}|${ARN}rds:[a-z0-9-]+:\\d{12}:[a-z-]+:[A-Za-z][A-Za-z0-9-]{0,${max - 1}}`,
  );
const sageMakerName = (name: string) => shape(name, 'letters, digits and single hyphens, 1-63 characters', '[A-Za-z0-9](-*[A-Za-z0-9]){0,62}');

/** Values an undo template names besides the resource id: each kind with its shape. */
export const ARG_KINDS = {
  region: shell('region'),
  user: shell('user'),
  role: shell('role'),
  group: shell('group'),
  policyName: shell('policyName'),
  policyArn: shell('policyArn'),
  account: shape('AWS account id', '12 digits, or all', '\\d{12}|all'),
  securityGroupRule: hexId('sgr', 'security group rule id'),
  eipAssociation: hexId('eipassoc', 'Elastic IP association id'),
  vpc: hexId('vpc', 'VPC id'),
  policyVersion: shape('IAM policy version', 'v and a number', 'v\\d{1,5}'),
  mfaSerial: shape('MFA device serial number or ARN', '[\\w+=/:,.@-], 9-256 characters', '[\\w+=/:,.@-]{9,256}'),
  statementId: shape('Lambda statement id', '[A-Za-z0-9_-], 1-100 characters', '[A-Za-z0-9_-]{1,100}'),
  ecsCluster: shape(
    'ECS cluster name or ARN',
    'letters, digits, - and _, 1-255 characters (or its ARN)',
    `[A-Za-z0-9_-]{1,255}|${ARN}ecs:[a-z0-9-]+:\\d{12}:cluster/[A-Za-z0-9_-]{1,255}`,
  ),
  eksCluster: shape('EKS cluster name', 'a letter or digit, then letters, digits, - and _, 1-100 characters', '[0-9A-Za-z][A-Za-z0-9_-]{0,99}'),
  eksAccessPolicy: shape('EKS access policy ARN', 'arn:aws:eks::aws:cluster-access-policy/<name>', `${ARN}eks::aws:cluster-access-policy/[A-Za-z0-9_-]{1,128}`),
  ssoInstance: shape('IAM Identity Center instance ARN', 'arn:aws:sso:::instance/ssoins-...', `${ARN}sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}`),
  ssoPermissionSet: shape(
    'permission set ARN',
    'arn:aws:sso:::permissionSet/ssoins-.../ps-...',
    `${ARN}sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}`,
  ),
  ssoPrincipalType: shape('Identity Center principal type', 'USER or GROUP', 'USER|GROUP'),
  ssoPrincipal: shape(
    'Identity Center principal id',
    'letters, digits and -, 1-47 characters',
    '([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}',
  ),
  identityStore: shape('identity store id', 'd- and 10 letters or digits', 'd-[0-9a-f]{10}|[0-9a-f-]{1,36}'),
} satisfies Record<string, Shape>;
export type ArgKind = keyof typeof ARG_KINDS;

interface TypeSpec {
  /** What the id is, its shape, for undo templates (the id of a failed call may be a name instead). */
  readonly id: Shape;
  /** Charged while it exists or runs (compute, storage, addresses, sending, invocations). */
  readonly billable: boolean;
}

const t = (id: Shape, billable: boolean): TypeSpec => ({ id, billable });

/** Resource types (`service:kind`, lower case), each with the shape of its id and whether it costs money. */
export const RESOURCE_TYPES = {
  'ec2:instance': t(shell('instance'), true),
  'ec2:spot-request': t(shell('spotRequest'), true),
  'ec2:spot-fleet': t(shell('spotFleet'), true),
  'ec2:fleet': t(shell('fleet'), true),
  'ec2:launch-template': t(hexId('lt', 'launch template id'), false),
  'ec2:image': t(hexId('ami', 'AMI id'), true),
  'ec2:snapshot': t(hexId('snap', 'EBS snapshot id'), true),
  'ec2:volume': t(hexId('vol', 'EBS volume id'), true),
  'ec2:elastic-ip': t(hexId('eipalloc', 'Elastic IP allocation id'), true),
  'ec2:nat-gateway': t(hexId('nat', 'NAT gateway id'), true),
  'ec2:vpc': t(hexId('vpc', 'VPC id'), false),
  'ec2:subnet': t(hexId('subnet', 'subnet id'), false),
  'ec2:internet-gateway': t(hexId('igw', 'internet gateway id'), false),
  'ec2:security-group': t(shell('securityGroup'), false),
  'ec2:key-pair': t(shell('keyPair'), false),
  'lambda:function': t(shell('function'), true),
  'lambda:function-url': t(shell('function'), false),
  'rds:db-instance': t(rdsName('DB instance identifier', 63), true),
  'rds:db-cluster': t(rdsName('DB cluster identifier', 63), true),
  'rds:db-snapshot': t(rdsName('DB snapshot identifier', 255), true),
  'rds:db-cluster-snapshot': t(rdsName('DB cluster snapshot identifier', 255), true),
  's3:bucket': t(
    shape('S3 bucket name', 'a-z, 0-9, . and -, 3-63 characters (older buckets: A-Z and _, up to 255)', '[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]'),
    true,
  ),
  's3:object': t(shape('S3 object ARN', 'arn:aws:s3:::<bucket>/<key>', `${ARN}s3:::[A-Za-z0-9._-]{3,255}/.+`), true),
  's3:account': t(ARG_KINDS.account, false),
  'iam:user': t(shell('user'), false),
  'iam:role': t(shell('role'), false),
  'iam:group': t(shell('group'), false),
  'iam:policy': t(shell('policyArn'), false),
  'iam:instance-profile': t(shape('instance profile name', '[\\w+=,.@-], 1-128 characters', '[\\w+=,.@-]{1,128}'), false),
  'iam:login-profile': t(shell('user'), false),
  'iam:access-key': t(shell('accessKey'), false),
  'iam:saml-provider': t(shape('SAML provider ARN', 'arn:aws:iam::<account>:saml-provider/<name>', `${ARN}iam::\\d{12}:saml-provider/[\\w.-]{1,128}`), false),
  'iam:oidc-provider': t(
    shape('OIDC provider ARN', 'arn:aws:iam::<account>:oidc-provider/<url>', `${ARN}iam::\\d{12}:oidc-provider/[A-Za-z0-9./_-]{1,255}`),
    false,
  ),
  'ses:identity': t(shell('sesIdentity'), true),
  'secretsmanager:secret': t(
    shape(
      'secret name or ARN',
      '[A-Za-z0-9/_+=.@-], 1-512 characters (or its ARN)',
      `[A-Za-z0-9/_+=.@-]{1,512}|${ARN}secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}`,
    ),
    true,
  ),
  'ecs:cluster': t(ARG_KINDS.ecsCluster, false),
  'ecs:service': t(
    shape(
      'ECS service name or ARN',
      'letters, digits, - and _, 1-255 characters (or its ARN)',
      `[A-Za-z0-9_-]{1,255}|${ARN}ecs:[a-z0-9-]+:\\d{12}:service/([A-Za-z0-9_-]{1,255}/)?[A-Za-z0-9_-]{1,255}`,
    ),
    true,
  ),
  'ecs:task': t(
    shape('ECS task ARN', 'arn:aws:ecs:<region>:<account>:task/<cluster>/<id>', `${ARN}ecs:[a-z0-9-]+:\\d{12}:task/([A-Za-z0-9_-]{1,255}/)?[a-f0-9]{32}`),
    true,
  ),
  'eks:cluster': t(ARG_KINDS.eksCluster, true),
  'eks:nodegroup': t(shape('EKS node group name', 'a letter or digit, then letters, digits, - and _, 1-63 characters', '[0-9A-Za-z][A-Za-z0-9_-]{0,62}'), true),
  'eks:access-entry': t(
    shape('IAM principal ARN', 'arn:aws:iam::<account>:role/<name> or user/<name>', `${ARN}iam::\\d{12}:(role|user)/[\\w+=,.@/-]{1,512}`),
    false,
  ),
  'sagemaker:notebook-instance': t(sageMakerName('SageMaker notebook instance name'), true),
  'sagemaker:training-job': t(sageMakerName('SageMaker training job name'), true),
  'sagemaker:endpoint': t(sageMakerName('SageMaker endpoint name'), true),
  'lightsail:instance': t(
    shape('Lightsail instance name', 'letters, digits, ., - and _, 2-255 characters', '[A-Za-z0-9][A-Za-z0-9._-]{0,253}[A-Za-z0-9]'),
    true,
  ),
  'bedrock:model-access': t(shape('Bedrock model id', 'a-z, 0-9, ., :, - and _, 1-140 characters', '[A-Za-z0-9.:_-]{1,140}'), true),
  'bedrock:provisioned-throughput': t(
    shape(
      'provisioned model name or ARN',
      'letters, digits, - and _, 1-63 characters (or its ARN)',
      `[A-Za-z0-9]([-_]?[A-Za-z0-9]){0,62}|${ARN}bedrock:[a-z0-9-]+:\\d{12}:provisioned-model/[a-z0-9]{12}`,
    ),
    true,
  ),
  'ssm:session': t(shape('Session Manager session id', 'letters, digits, ., @, - and _, 1-96 characters', '[A-Za-z0-9.@_-]{1,96}'), false),
  'ssm:command': t(shape('Run Command id', 'a UUID', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'), false),
  'ec2:flow-log': t(hexId('fl', 'flow log id'), false),
  'route53resolver:query-log-config': t(shape('Resolver query logging configuration id', 'rqlc- and 1-64 hex digits', 'rqlc-[0-9a-f]{1,64}'), false),
  'sso:user': t(ARG_KINDS.ssoPrincipal, false),
  'sso:group': t(ARG_KINDS.ssoPrincipal, false),
  'sso:account-assignment': t(ARG_KINDS.ssoPrincipal, false),
} satisfies Record<string, TypeSpec>;
export type ResourceType = keyof typeof RESOURCE_TYPES;

/** A value an undo template names (`{name}`), where it is, and the shape it must have. */
export interface Arg {
  readonly kind: ArgKind;
  readonly from: readonly Locator[];
}

export interface ResourceEntry {
  readonly eventSource: string;
  readonly eventName: string;
  readonly action: Action;
  readonly type: ResourceType;
  /** Where the id(s) are: the first locator that yields any value wins; each value is one row. */
  readonly ids: readonly Locator[];
  readonly details: readonly Detail[];
  readonly billable: boolean;
  /** Values the undo template names besides `{id}` and `{region}`. */
  readonly args: Readonly<Record<string, Arg>>;
  /**
   * The aws-cli command (argv) that undoes a successful call, with `{id}`, `{region}` and `{arg}`
   * placeholders; only commands that take away (delete, terminate, detach, revoke...), never one
   * that gives an identity access back. None for deletions and for changes whose before is unknown.
   */
  readonly undo: readonly string[] | null;
  /** What a responder must know before running it (order of steps, what else it leaves). */
  readonly undoNote: string | null;
}

export interface EntryOptions {
  details?: readonly Detail[];
  args?: Readonly<Record<string, Arg>>;
  undo?: readonly string[];
  undoNote?: string;
}

/** An entry for each of `eventNames` (one event, or the names one API has carried: `CreateFunction20150331`, `CreateFunction`). */
export function entries(
  eventSource: string,
  eventNames: string | readonly string[],
  action: Action,
  type: ResourceType,
  ids: readonly Locator[],
  o: EntryOptions = {},
): ResourceEntry[] {
  return (typeof eventNames === 'string' ? [eventNames] : eventNames).map((eventName) => ({
    eventSource,
    eventName,
    action,
    type,
    ids,
    details: o.details ?? [],
    billable: RESOURCE_TYPES[type].billable,
    args: o.args ?? {},
    undo: o.undo ?? null,
    undoNote: o.undoNote ?? null,
  }));
}

export const arg = (kind: ArgKind, ...from: Locator[]): Arg => ({ kind, from });

/** `aws <service> <command> ...` as argv, the region last (every undo runs in the event's region). */
export const aws = (...words: string[]): readonly string[] => ['aws', ...words, '--region', '{region}'];
