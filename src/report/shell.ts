/**
 * Shell commands built from values in the logs. A value becomes an argument only when it has the
 * shape AWS allows for its kind (an IAM name is [\w+=,.@-]{1,64}, an instance id is i- and hex...),
 * and then as one single-quoted word. Anything else is never written as an argument: the command is
 * replaced by a note that withholds it, the value shown escaped. A value that AWS would have refused
 * was not made by AWS; it was written into the evidence by whoever wrote the evidence.
 */
import { excerpt } from '../escape.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PARTITION = 'aws(-[a-z]+)*';
const IAM_NAME = '[\\w+=,.@-]';

interface Kind {
  /** What it is, for the note. */
  readonly name: string;
  /** What AWS allows, for the note. */
  readonly allows: string;
  readonly shape: RegExp;
}

const kind = (name: string, allows: string, shape: string): Kind => ({ name, allows, shape: new RegExp(`^(?:${shape})$`) });

/** The kinds of value remediation.sh passes to aws-cli, each with the shape AWS documents for it. */
export const KINDS = {
  user: kind('IAM user name', '[\\w+=,.@-], 1-64 characters', `${IAM_NAME}{1,64}`),
  role: kind('IAM role name', '[\\w+=,.@-], 1-64 characters', `${IAM_NAME}{1,64}`),
  group: kind('IAM group name', '[\\w+=,.@-], 1-128 characters', `${IAM_NAME}{1,128}`),
  policyName: kind('IAM policy name', '[\\w+=,.@-], 1-128 characters', `${IAM_NAME}{1,128}`),
  policyArn: kind(
    'IAM policy ARN',
    'arn:aws:iam::<account or aws>:policy/<path><name>',
    `arn:${PARTITION}:iam::(\\d{12}|aws):policy/(${IAM_NAME}+/)*${IAM_NAME}{1,128}`,
  ),
  accessKey: kind('access key id', 'A-Z and 0-9, 16-128 characters', '[A-Z0-9]{16,128}'),
  region: kind('AWS region', 'a region name such as eu-west-1', '[a-z]{2,4}(-[a-z]+){1,3}-\\d{1,2}'),
  instance: kind('EC2 instance id', 'i- and 8 or 17 hex digits', 'i-([0-9a-f]{8}|[0-9a-f]{17})'),
  spotRequest: kind('Spot instance request id', 'sir- and 8-12 letters or digits', 'sir-[0-9a-z]{8,12}'),
  spotFleet: kind('Spot Fleet request id', 'sfr- and a UUID', `sfr-${UUID}`),
  fleet: kind('EC2 Fleet id', 'fleet- and a UUID', `fleet-${UUID}`),
  securityGroup: kind('security group id', 'sg- and 8 or 17 hex digits', 'sg-([0-9a-f]{8}|[0-9a-f]{17})'),
  securityGroupName: kind(
    'security group name',
    'a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*, 1-255 characters',
    '[A-Za-z0-9 ._\\-:/()#,@\\[\\]+=&;{}!$*]{1,255}',
  ),
  keyPair: kind('EC2 key pair name', 'printable ASCII, 1-255 characters', '[\\x20-\\x7e]{1,255}'),
  function: kind(
    'Lambda function name or ARN',
    'a-z, A-Z, 0-9, - and _, 1-64 characters (or its ARN)',
    `(arn:${PARTITION}:lambda:[a-z0-9-]+:\\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:(\\$LATEST|[A-Za-z0-9_-]{1,128}))?`,
  ),
  sesIdentity: kind('SES identity', 'an email address or a domain', '[A-Za-z0-9!#%&*+/=?^_{}~.-]{1,64}@[A-Za-z0-9.-]{1,253}|[A-Za-z0-9.-]{1,253}'),
  trail: kind(
    'CloudTrail trail name or ARN',
    'A-Z, a-z, 0-9, . _ -, 3-128 characters (or its ARN)',
    `[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]|arn:${PARTITION}:cloudtrail:[a-z0-9-]+:\\d{12}:trail/[A-Za-z0-9._-]{3,128}`,
  ),
} satisfies Record<string, Kind>;

export type KindName = keyof typeof KINDS;

/** A value from the logs to pass as one argument, and the kind it must be. */
export interface Arg {
  readonly kind: KindName;
  readonly value: string | null;
}

export const arg = (kind: KindName, value: string | null): Arg => ({ kind, value });

/** A value as one single-quoted shell word (a quote inside closed, escaped and reopened). */
export const sh = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** Why a value cannot be an argument, or null when it can. */
export function refusal(a: Arg): string | null {
  const k = KINDS[a.kind];
  if (a.value === null || a.value === '') return `the event names no ${k.name}`;
  if (k.shape.test(a.value)) return null;
  return `not a valid ${k.name} (AWS allows ${k.allows}): "${excerpt(a.value, 120)}"`;
}

/**
 * A command whose interpolations are all values from the logs (text around them is keytrail's own):
 * each becomes one quoted word, or, when any is not of its kind, the whole command is a note
 * `value withheld: ...` that no shell can run.
 */
export function command(strings: TemplateStringsArray, ...args: Arg[]): string {
  const refused = args.map(refusal).find((r) => r !== null);
  if (refused) return `value withheld: ${refused}`;
  return strings.reduce((out, s, i) => out + s + (i < args.length ? sh(args[i]!.value!) : ''), '');
}

/** True for the text `command` returns in place of a command. */
export const isWithheld = (text: string) => text.startsWith('value withheld: ');
