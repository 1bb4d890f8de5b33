/**
 * The synthetic AWS account the export describes: its users and their keys, roles, sessions, source IPs,
 * user agents and resources. Built from the seed alone, so every worker builds the same world.
 */
import { Rng } from './rng.js';

export const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'eu-south-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'af-south-1',
] as const;
/** How busy each region is (us-east-1 also carries every global service). */
export const REGION_WEIGHTS = [30, 6, 3, 14, 3, 2, 10, 4, 2, 7, 2, 1, 3, 4, 2, 3, 3, 1];

export interface User {
  name: string;
  id: string;
  keys: string[];
  console: boolean;
}
export interface Role {
  name: string;
  id: string;
  kind: 'sso' | 'ec2' | 'lambda' | 'ci' | 'cross' | 'eks' | 'app';
}
export interface World {
  account: string;
  org: string;
  partners: string[];
  users: User[];
  roles: Role[];
  ips: string[];
  agents: string[];
  services: string[];
  buckets: string[];
  kmsKeys: string[];
  functions: string[];
  people: string[];
  paramNames: string[];
  stacks: string[];
  amis: string[];
  /** Resource ids by prefix (i, vol, sg, vpc, subnet, eni): real accounts touch the same resources again and again. */
  ids: Record<string, string[]>;
}

const FIRST = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'niaj',
  'olivia',
  'peggy',
  'rupert',
  'sybil',
  'trent',
  'victor',
  'walter',
  'yasmin',
];
const LAST = ['martin', 'nguyen', 'schmidt', 'garcia', 'kowalski', 'tanaka', 'okafor', 'dubois', 'silva', 'larsen', 'moreau', 'patel'];
const SERVICE_USERS = [
  'terraform',
  'ci-deployer',
  'backup-agent',
  'datadog-integration',
  'jenkins',
  'legacy-app',
  'sftp-sync',
  'grafana-reader',
  'splunk-forwarder',
  'billing-export',
];
const APPS = ['orders', 'payments', 'inventory', 'auth', 'search', 'notifications', 'reporting', 'ingest', 'billing', 'catalog', 'checkout', 'media'];
const ENVS = ['prod', 'staging', 'dev'];

function roles(rng: Rng): Role[] {
  const out: Role[] = [];
  const add = (name: string, kind: Role['kind']) => out.push({ name, id: `AROA${rng.b32(17)}`, kind });
  for (const p of ['AdministratorAccess', 'ReadOnlyAccess', 'PowerUserAccess', 'SecurityAudit', 'Billing']) add(`AWSReservedSSO_${p}_${rng.hex(16)}`, 'sso');
  for (const a of APPS.slice(0, 8)) add(`${a}-ec2-instance-role`, 'ec2');
  for (const a of APPS) add(`${a}-lambda-exec-${rng.pick(ENVS)}`, 'lambda');
  add('github-actions-deploy', 'ci');
  add('gitlab-runner-terraform', 'ci');
  add('OrganizationAccountAccessRole', 'cross');
  add('security-audit-crossaccount', 'cross');
  for (const a of APPS.slice(0, 4)) add(`eks-${a}-irsa`, 'eks');
  add('ecsTaskExecutionRole', 'app');
  add('AWSServiceRoleForConfig', 'app');
  return out;
}

function publicIp(rng: Rng): string {
  const first = rng.pick([3, 18, 34, 35, 44, 52, 54, 62, 77, 81, 88, 91, 98, 104, 109, 141, 151, 176, 185, 193, 203, 213]);
  return `${first}.${rng.int(256)}.${rng.int(256)}.${rng.range(1, 254)}`;
}

function agents(rng: Rng): string[] {
  const v = () => rng.range(0, 40);
  const out: string[] = [];
  for (let i = 0; i < 6; i++) {
    out.push(
      `aws-cli/2.${rng.range(9, 17)}.${v()} Python/3.11.${rng.range(4, 8)} Linux/5.10.${rng.range(100, 220)}-${rng.range(100, 220)}.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/${rng.pick(['ec2.describe-instances', 's3.ls', 'iam.list-users', 'sts.get-caller-identity', 'ssm.get-parameter', 'logs.describe-log-groups'])}`,
    );
    const bv = `1.34.${rng.range(10, 140)}`;
    out.push(
      `Boto3/${bv} md/Botocore#${bv} ua/2.0 os/linux#5.10.${rng.range(100, 220)}-${rng.range(100, 220)}.amzn2.x86_64 md/arch#x86_64 lang/python#3.${rng.range(9, 12)}.${v()} md/pyimpl#CPython cfg/retry-mode#legacy Botocore/${bv}`,
    );
    out.push(
      `aws-sdk-go-v2/1.${rng.range(20, 30)}.${v()} os/linux lang/go#1.21.${rng.range(1, 9)} md/GOOS#linux md/GOARCH#amd64 api/${rng.pick(['ec2', 'sts', 'iam', 's3', 'kms', 'ssm'])}#1.${rng.range(20, 150)}.${v()}`,
    );
  }
  out.push(
    `aws-sdk-java/1.12.${rng.range(400, 700)} Linux/5.10.${rng.range(100, 220)}-${rng.range(100, 220)}.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.${rng.range(5, 10)}+${rng.range(5, 12)}-LTS java/17.0.${rng.range(5, 10)} vendor/Amazon.com_Inc. cfg/retry-mode/standard`,
  );
  out.push(
    `APN/1.0 HashiCorp/1.0 Terraform/1.6.${rng.range(0, 6)} (+https://www.terraform.io) terraform-provider-aws/5.${rng.range(20, 40)}.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.${v()} os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/iam#1.28.${v()}`,
  );
  out.push(
    `aws-sdk-js/3.${rng.range(400, 600)}.0 ua/2.0 os/linux#5.10.${rng.range(100, 220)} lang/js md/nodejs#20.${rng.range(5, 12)}.0 api/${rng.pick(['dynamodb', 's3', 'sqs', 'secrets-manager'])}#3.${rng.range(400, 600)}.0 exec-env/AWS_Lambda_nodejs20.x`,
  );
  out.push('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36');
  out.push('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0');
  out.push('AWS Internal');
  out.push(`amazon-ssm-agent/3.3.${rng.range(40, 400)}.0`);
  return out;
}

export function makeWorld(seed: number): World {
  const rng = new Rng(seed, 0x5eed);
  const acct = () => String(rng.range(1, 9)) + String(rng.int(1e11)).padStart(11, '0');
  const people = FIRST.flatMap((f) => [`${f}.${rng.pick(LAST)}`]);
  const users: User[] = [...people.slice(0, 14), ...SERVICE_USERS].map((name, i) => ({
    name,
    id: `AIDA${rng.b32(17)}`,
    keys: Array.from({ length: rng.range(1, 2) }, () => `AKIA${rng.b32(16)}`),
    console: i < 14,
  }));
  return {
    account: acct(),
    org: `o-${rng.hex(10)}`,
    partners: [acct(), acct(), acct()],
    users,
    roles: roles(rng),
    ips: Array.from({ length: 400 }, () => publicIp(rng)),
    agents: agents(rng),
    services: [
      'lambda.amazonaws.com',
      'ec2.amazonaws.com',
      'cloudformation.amazonaws.com',
      'autoscaling.amazonaws.com',
      'config.amazonaws.com',
      'ssm.amazonaws.com',
      'elasticloadbalancing.amazonaws.com',
      'logs.amazonaws.com',
      's3.amazonaws.com',
      'ecs-tasks.amazonaws.com',
      'secretsmanager.amazonaws.com',
      'cloudtrail.amazonaws.com',
    ],
    buckets: APPS.flatMap((a) => [`${a}-${rng.pick(ENVS)}-${rng.hex(8)}`, `${a}-artifacts-${rng.hex(6)}`]).concat([
      `aws-cloudtrail-logs-${rng.hex(8)}`,
      `cf-templates-${rng.alnum(12).toLowerCase()}`,
    ]),
    kmsKeys: Array.from({ length: 24 }, () => rng.uuid()),
    functions: APPS.flatMap((a) => [`${a}-handler`, `${a}-${rng.pick(['worker', 'cron', 'api', 'stream-consumer'])}`]),
    people,
    paramNames: APPS.flatMap((a) => ENVS.map((e) => `/${e}/${a}/${rng.pick(['db-password', 'api-key', 'endpoint', 'feature-flags', 'redis-url'])}`)),
    stacks: APPS.map((a) => `${a}-${rng.pick(ENVS)}-stack`),
    amis: Array.from({ length: 16 }, () => `ami-0${rng.hex(16)}`),
    ids: Object.fromEntries(
      Object.entries({ i: 400, vol: 500, sg: 80, vpc: 6, subnet: 24, eni: 400 }).map(([p, n]) => [p, Array.from({ length: n }, () => `${p}-0${rng.hex(16)}`)]),
    ),
  };
}
