#!/usr/bin/env node
// Writes samples/leaked-key/: a small, deterministic evidence set of a leaked-access-key incident in
// account 111122223333 (October 2026), in the shapes a responder is handed (ARCHITECTURE.md section 2):
// S3 delivery files + digest files, a paged `aws cloudtrail lookup-events` dump that overlaps them,
// and the ground truth (SCENARIO.md, truth.json) computed from what was written.
//
// Run: node scripts/generate-samples.mjs  (rewrites the folder; two runs give byte-identical files).
// Everything random comes from one seeded PRNG; the cast (users, keys, roles) is drawn first so that
// editing the timeline does not change the identities tests refer to. The checks at the end re-read
// the written files and fail loudly if an edit broke an invariant.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'samples', 'leaked-key');
// The evidence a customer would send, apart from the ground truth, so that it can be ingested as a whole.
const EVIDENCE = path.join(OUT, 'evidence');

// ---------------------------------------------------------------- deterministic randomness
let state = 0x4b545231; // "KTR1"
function rnd() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const ri = (a, b) => a + Math.floor(rnd() * (b - a + 1));
const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
const fromSet = (set, n) => Array.from({ length: n }, () => set[Math.floor(rnd() * set.length)]).join('');
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const HEX = '0123456789abcdef';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const hex = (n) => fromSet(HEX, n);
const bytes = (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
function uuid() {
  const h = hex(32).split('');
  h[12] = '4';
  h[16] = '89ab'[Math.floor(rnd() * 4)];
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
function base32(buf) {
  let bits = 0,
    value = 0,
    out = '';
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}
// Modern AWS key and principal ids embed the owning account: bytes 0-5 of the base32 body, masked
// with 0x7fffffffff80 and shifted right by 7, give the account id. Doing the same keeps the sample
// consistent with tools that decode an AKIA/ASIA id to its account.
function awsId(prefix, account = ACCT, len = 16) {
  const z = (BigInt(account) << 7n) | BigInt(ri(0, 127));
  const head = Buffer.alloc(6);
  head.writeUIntBE(Number(z), 0, 6);
  return prefix + (base32(Buffer.concat([head, bytes(4)])) + fromSet(B32, 4)).slice(0, len);
}

// ---------------------------------------------------------------- time
const T = (s) => Date.parse(s);
const MIN = 60_000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const pad = (n) => String(n).padStart(2, '0');
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function clock12(d) {
  const h = d.getUTCHours();
  return `${h % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h >= 12 ? 'PM' : 'AM'}`;
}
// IAM writes "Oct 14, 2026 3:11:42 AM", STS "Oct 14, 2026, 4:20:40 AM".
const iamDate = (ms) => {
  const d = new Date(ms);
  return `${MON[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${clock12(d)}`;
};
const stsDate = (ms) => {
  const d = new Date(ms);
  return `${MON[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${clock12(d)}`;
};
const compact = (ms) => iso(ms).replace(/[-:]/g, '');

// ---------------------------------------------------------------- the case
const ACCT = '111122223333';
const EXT_ACCT = '999988887777';
const TRAIL = 'management-events';
const TRAIL_ARN = `arn:aws:cloudtrail:us-east-1:${ACCT}:trail/${TRAIL}`;
const BUCKET = `aws-cloudtrail-logs-${ACCT}-7c1e2a9f`;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'sa-east-1'];
const WINDOW_START = T('2026-10-11T00:00:00Z');
const S3_EXPORT = T('2026-10-14T09:30:00Z'); // the responder copied the bucket at this time
const LOOKUP_START = T('2026-10-14T03:00:00Z'); // lookup-events --start-time
const LOOKUP_RUN = T('2026-10-14T10:15:00Z'); // when lookup-events ran
const WINDOW_END = LOOKUP_RUN;

const IP = {
  ci: '192.0.2.50',
  alice: '192.0.2.10',
  bob: '192.0.2.11',
  leak: '203.0.113.77',
  cli: '198.51.100.23',
  console: '203.0.113.199',
};
const ATTACKER_IPS = [IP.leak, IP.cli, IP.console];

const kebab = (s) =>
  s
    .replace(/\d{8}(v\d)?$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
const svcOf = (source) => source.split('.')[0];
const UA = {
  terraform: (src) =>
    `APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/${svcOf(src)}#1.40.1`,
  ciBoto:
    'Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.8.0-1014-azure md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36',
  requests: 'python-requests/2.31.0',
  atkBoto:
    'Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0',
  atkCli: (src, name) =>
    `aws-cli/2.15.0 md/awscrt#0.19.17 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#kali.2023 md/prompt#off md/command#${svcOf(src)}.${kebab(name)}`,
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:143.0) Gecko/20100101 Firefox/143.0',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  ssmAgent: 'aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-ssm-agent/3.3.987.0',
  javaApp:
    'aws-sdk-java/2.28.16 Linux/6.1.112-122.189.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy',
};
// What the console sends as userAgent depends on the service's console.
const consoleUA = (browser) => (src) => (svcOf(src) === 'ec2' ? 'console.ec2.amazonaws.com' : svcOf(src) === 'signin' ? browser : 'AWS Internal');
const TLS13 = ['TLSv1.3', 'TLS_AES_128_GCM_SHA256'];
const TLS12 = ['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256'];

// ---- cast: drawn first, in a fixed order
const user = (name) => ({ name, id: awsId('AIDA', ACCT, 17), arn: `arn:aws:iam::${ACCT}:user/${name}` });
const role = (name, p = '/') => ({ name, id: awsId('AROA', ACCT, 17), arn: `arn:aws:iam::${ACCT}:role${p}${name}` });
const U = { ci: user('ci-deploy'), alice: user('alice'), bob: user('bob'), svc: user('svc-backup') };
const R = {
  app: role('app-server-role'),
  lambdaExec: role('lambda-basic-exec'),
  config: role('AWSServiceRoleForConfig', '/aws-service-role/config.amazonaws.com/'),
  asg: role('AWSServiceRoleForAutoScaling', '/aws-service-role/autoscaling.amazonaws.com/'),
  ops: role('ops-maintenance'),
};
const KEY = {
  leaked: awsId('AKIA'),
  svc: awsId('AKIA'),
  maint: awsId('ASIA'),
  ext: awsId('ASIA'),
  gst: awsId('ASIA'),
  svcConsole: awsId('ASIA'),
};
const EXT_PRINCIPAL = awsId('AIDA', EXT_ACCT, 17);
const APP_INSTANCE = `i-0${hex(16)}`;
const NET = Object.fromEntries(REGIONS.map((r) => [r, { vpc: `vpc-0${hex(16)}`, subnet: `subnet-0${hex(16)}`, sg: `sg-0${hex(16)}` }]));
const AMI = { dl: Object.fromEntries(REGIONS.map((r) => [r, `ami-0${hex(16)}`])), al: `ami-0${hex(16)}` };
const VPCE = { ssm: `vpce-0${hex(16)}`, secrets: `vpce-0${hex(16)}` };

// ---------------------------------------------------------------- record builder
const all = []; // {t, r, tag}
const VERSION = { ec2: '1.09', iam: '1.09', signin: '1.09', s3: '1.09', cloudtrail: '1.09' };
const READ = /^(Describe|List|Get|Lookup|BatchGet|Search|AssumeRole)/;

function host(source, region) {
  const svc = svcOf(source);
  if (svc === 'iam') return 'iam.amazonaws.com';
  if (svc === 'sts') return region === 'us-east-1' ? 'sts.amazonaws.com' : `sts.${region}.amazonaws.com`;
  if (svc === 's3') return 's3.amazonaws.com';
  if (svc === 'signin') return 'signin.aws.amazon.com';
  if (svc === 'ses') return `email.${region}.amazonaws.com`;
  if (svc === 'ecr') return `api.ecr.${region}.amazonaws.com`;
  return `${svc}.${region}.amazonaws.com`;
}

/** One CloudTrail record, fields in the order CloudTrail writes them. `a` is the actor. */
function rec(a, t, region, source, name, o = {}) {
  const r = {};
  r.eventVersion = VERSION[svcOf(source)] ?? '1.08';
  r.userIdentity = o.identity ?? a.identity(t);
  r.eventTime = iso(t);
  r.eventSource = source;
  r.eventName = name;
  r.awsRegion = region;
  r.sourceIPAddress = o.ip ?? a.ip;
  r.userAgent = o.ua ?? (typeof a.ua === 'function' ? a.ua(source, name) : a.ua);
  if (o.error) [r.errorCode, r.errorMessage] = o.error;
  r.requestParameters = o.req ?? null;
  r.responseElements = o.error ? null : (o.resp ?? null);
  if (o.additional) r.additionalEventData = o.additional;
  if (!o.noRequestID) r.requestID = o.requestID ?? uuid();
  r.eventID = uuid();
  r.readOnly = o.readOnly ?? READ.test(name);
  if (o.resources) r.resources = o.resources;
  r.eventType = o.eventType ?? 'AwsApiCall';
  if (svcOf(source) === 'lambda') r.apiVersion = '2015-03-31';
  r.managementEvent = true;
  r.recipientAccountId = ACCT;
  if (o.sharedEventID) r.sharedEventID = o.sharedEventID;
  if (o.vpce) r.vpcEndpointId = o.vpce;
  r.eventCategory = 'Management';
  if (a.tls) r.tlsDetails = { tlsVersion: a.tls[0], cipherSuite: a.tls[1], clientProvidedHostHeader: o.hostHeader ?? host(source, region) };
  if (a.console && source !== 'signin.amazonaws.com') r.sessionCredentialFromConsole = 'true';
  all.push({ t, r, tag: a.tag });
  return r;
}

// ---- identities
const idKey = (u, key) => () => ({ type: 'IAMUser', principalId: u.id, arn: u.arn, accountId: ACCT, accessKeyId: key, userName: u.name });
const idUserSession = (u, key, created, mfa) => () => ({
  ...idKey(u, key)(),
  sessionContext: { sessionIssuer: {}, webIdFederationData: {}, attributes: { creationDate: iso(created), mfaAuthenticated: String(mfa) } },
});
const idLogin = (u) => ({ type: 'IAMUser', principalId: u.id, arn: u.arn, accountId: ACCT, userName: u.name });
const idRole =
  (r, session, key, created, extra = {}) =>
  () => ({
    type: 'AssumedRole',
    principalId: `${r.id}:${session}`,
    arn: `arn:aws:sts::${ACCT}:assumed-role/${r.name}/${session}`,
    accountId: ACCT,
    accessKeyId: key,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: r.id, arn: r.arn, accountId: ACCT, userName: r.name },
      webIdFederationData: {},
      attributes: { creationDate: iso(created), mfaAuthenticated: 'false' },
      ...(extra.ec2RoleDelivery ? { ec2RoleDelivery: extra.ec2RoleDelivery } : {}),
    },
    ...(extra.invokedBy ? { invokedBy: extra.invokedBy } : {}),
  });
const idService = (svc) => () => ({ type: 'AWSService', invokedBy: svc });

const actor = (tag, identity, ip, ua, extra = {}) => ({ tag, identity, ip, ua, tls: TLS13, ...extra });

// ---- ground-truth bookkeeping (attacker-created things)
const truth = {
  createdUsers: [],
  createdAccessKeys: [],
  createdRoles: [],
  assumedRoleSessions: [],
  sessionTokens: [],
  loginProfiles: [],
  consoleLogins: [],
  attackerResources: [],
};
const own = (r, t, resourceType, resourceId) =>
  truth.attackerResources.push({
    region: r.awsRegion,
    service: svcOf(r.eventSource),
    eventName: r.eventName,
    resourceType,
    resourceId,
    eventID: r.eventID,
    eventTime: iso(t),
  });

// ---------------------------------------------------------------- reusable call shapes
const sessionToken = () => `IQoJb3JpZ2luX2VjE${base32(bytes(12)).toLowerCase()}${bytes(96).toString('base64')}`;
const roleResource = (r) => [{ accountId: ACCT, type: 'AWS::IAM::Role', ARN: r.arn }];
const denied = (who, action, how = `because no identity-based policy allows the ${action} action`) =>
  `User: ${who} is not authorized to perform: ${action} ${how}`;

function assumeRole(a, t, region, r, session, newKey, o = {}) {
  const ttl = o.durationSeconds ?? 3600;
  return rec(a, t, region, 'sts.amazonaws.com', 'AssumeRole', {
    req: { roleArn: r.arn, roleSessionName: session, ...(o.durationSeconds ? { durationSeconds: o.durationSeconds } : {}) },
    resp: {
      credentials: { accessKeyId: newKey, sessionToken: sessionToken(), expiration: stsDate(t + ttl * 1000) },
      assumedRoleUser: { assumedRoleId: `${r.id}:${session}`, arn: `arn:aws:sts::${ACCT}:assumed-role/${r.name}/${session}` },
    },
    resources: roleResource(r),
    sharedEventID: o.shared ? uuid() : undefined,
    identity: o.identity,
    ip: o.ip,
    ua: o.ua,
  });
}

function consoleLogin(tag, u, t, ip, browser, mfa) {
  return rec({ tag, identity: () => idLogin(u), ip, ua: browser, tls: TLS13 }, t, 'us-east-1', 'signin.amazonaws.com', 'ConsoleLogin', {
    resp: { ConsoleLogin: 'Success' },
    additional: {
      LoginTo: `https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_${hex(16)}`,
      MobileVersion: 'No',
      ...(mfa ? { MFAIdentifier: `arn:aws:iam::${ACCT}:mfa/${u.name}`, MFAUsed: 'Yes' } : { MFAUsed: 'No' }),
    },
    noRequestID: true,
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
  });
}

function describeInstances(a, t, region, o = {}) {
  return rec(a, t, region, 'ec2.amazonaws.com', 'DescribeInstances', { req: { instancesSet: {}, filterSet: o.filterSet ?? {} }, ...o });
}

function runInstances(a, t, region, { type, count, keyName, sg, sgName, error, attacker = true, ami, profile }) {
  const net = NET[region];
  const req = {
    instancesSet: { items: [{ imageId: ami ?? AMI.dl[region], minCount: count, maxCount: count, ...(keyName ? { keyName } : {}) }] },
    userData: '<sensitiveDataRemoved>',
    instanceType: type,
    blockDeviceMapping: { items: [{ deviceName: '/dev/sda1', ebs: { volumeSize: 200, deleteOnTermination: true, volumeType: 'gp3' } }] },
    monitoring: { enabled: false },
    disableApiTermination: false,
    disableApiStop: false,
    clientToken: uuid(),
    networkInterfaceSet: { items: [{ deviceIndex: 0, subnetId: net.subnet, associatePublicIpAddress: true, groupSet: { items: [{ groupId: sg }] } }] },
    ...(profile ? { iamInstanceProfile: { name: profile } } : {}),
  };
  if (error) return rec(a, t, region, 'ec2.amazonaws.com', 'RunInstances', { req, error });
  const reservation = `r-0${hex(16)}`;
  const items = Array.from({ length: count }, (_, i) => ({
    instanceId: `i-0${hex(16)}`,
    imageId: req.instancesSet.items[0].imageId,
    currentInstanceBootMode: 'legacy-bios',
    instanceState: { code: 0, name: 'pending' },
    privateDnsName: `ip-172-31-${ri(0, 63)}-${ri(2, 254)}.${region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`}`,
    ...(keyName ? { keyName } : {}),
    amiLaunchIndex: i,
    productCodes: {},
    instanceType: type,
    launchTime: t,
    placement: { availabilityZone: `${region}${pick(['a', 'b', 'c'])}`, tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: net.subnet,
    vpcId: net.vpc,
    privateIpAddress: `172.31.${ri(0, 63)}.${ri(2, 254)}`,
    stateReason: { code: 'pending', message: 'pending' },
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/sda1',
    blockDeviceMapping: {},
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    groupSet: { items: [{ groupId: sg, groupName: sgName }] },
    sourceDestCheck: true,
    ebsOptimized: true,
    enaSupport: true,
    metadataOptions: {
      state: 'pending',
      httpTokens: 'required',
      httpPutResponseHopLimit: 2,
      httpEndpoint: 'enabled',
      httpProtocolIpv4: 'enabled',
      httpProtocolIpv6: 'disabled',
      instanceMetadataTags: 'disabled',
    },
  }));
  const r = rec(a, t, region, 'ec2.amazonaws.com', 'RunInstances', {
    req,
    resp: { requestId: uuid(), reservationId: reservation, ownerId: ACCT, groupSet: {}, instancesSet: { items } },
  });
  if (attacker) for (const it of items) own(r, t, 'AWS::EC2::Instance', it.instanceId);
  return r;
}

/** ImportKeyPair → CreateSecurityGroup → AuthorizeSecurityGroupIngress 22 from anywhere; returns what was made. */
function prepareRegion(a, t0, region, keyName, sgName) {
  let t = t0;
  const step = (lo, hi) => (t += ri(lo, hi) * 1000);
  const keyPairId = `key-0${hex(16)}`;
  const kp = rec(a, step(2, 9), region, 'ec2.amazonaws.com', 'ImportKeyPair', {
    req: { keyName, publicKeyMaterial: '<sensitiveDataRemoved>' },
    resp: { requestId: uuid(), keyName, keyFingerprint: Array.from({ length: 16 }, () => hex(2)).join(':'), keyPairId },
  });
  own(kp, t, 'AWS::EC2::KeyPair', keyName);
  const sg = `sg-0${hex(16)}`;
  const sgr = rec(a, step(3, 12), region, 'ec2.amazonaws.com', 'CreateSecurityGroup', {
    req: {
      groupName: sgName,
      groupDescription: sgName === 'launch-wizard-1' ? `launch-wizard-1 created ${iso(t).slice(0, -1)}.${ri(100, 999)}Z` : 'ssh access',
      vpcId: NET[region].vpc,
    },
    resp: { requestId: uuid(), _return: true, groupId: sg, securityGroupArn: `arn:aws:ec2:${region}:${ACCT}:security-group/${sg}` },
  });
  own(sgr, t, 'AWS::EC2::SecurityGroup', sg);
  rec(a, step(2, 8), region, 'ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', {
    req: {
      groupId: sg,
      ipPermissions: {
        items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, groups: {}, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, ipv6Ranges: {}, prefixListIds: {} }],
      },
    },
    resp: {
      requestId: uuid(),
      _return: true,
      securityGroupRuleSet: {
        items: [
          {
            groupOwnerId: ACCT,
            groupId: sg,
            securityGroupRuleId: `sgr-0${hex(16)}`,
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            cidrIpv4: '0.0.0.0/0',
          },
        ],
      },
    },
  });
  return { t, sg, sgName, keyName };
}

function requestSpot(a, t, region, { type, count, price, sg, sgName, keyName }) {
  const items = Array.from({ length: count }, () => ({
    spotInstanceRequestId: `sir-${fromSet('abcdefghijklmnopqrstuvwxyz0123456789', 8)}`,
    spotPrice: price,
    type: 'one-time',
    state: 'open',
    status: { code: 'pending-evaluation', updateTime: t, message: 'Your Spot request has been submitted for review, and is pending evaluation.' },
    launchSpecification: {
      imageId: AMI.dl[region],
      keyName,
      groupSet: { items: [{ groupId: sg, groupName: sgName }] },
      instanceType: type,
      blockDeviceMapping: {},
      monitoring: { enabled: false },
      subnetId: NET[region].subnet,
    },
    createTime: t,
    productDescription: 'Linux/UNIX',
    instanceInterruptionBehavior: 'terminate',
  }));
  const r = rec(a, t, region, 'ec2.amazonaws.com', 'RequestSpotInstances', {
    req: {
      spotPrice: price,
      instanceCount: count,
      type: 'one-time',
      launchSpecification: {
        imageId: AMI.dl[region],
        keyName,
        userData: '<sensitiveDataRemoved>',
        groupSet: { items: [{ groupId: sg }] },
        instanceType: type,
        monitoring: { enabled: false },
        subnetId: NET[region].subnet,
      },
    },
    resp: { requestId: uuid(), spotInstanceRequestSet: { items } },
  });
  for (const it of items) own(r, t, 'AWS::EC2::SpotInstanceRequest', it.spotInstanceRequestId);
  return r;
}

function createFunction(a, t, region, name) {
  const arn = `arn:aws:lambda:${region}:${ACCT}:function:${name}`;
  const common = {
    functionName: name,
    runtime: 'python3.12',
    role: R.lambdaExec.arn,
    handler: 'lambda_function.lambda_handler',
    timeout: 900,
    memorySize: 128,
  };
  const r = rec(a, t, region, 'lambda.amazonaws.com', 'CreateFunction20150331', {
    req: { ...common, code: {}, publish: false, environment: {}, architectures: ['x86_64'] },
    resp: {
      ...common,
      functionArn: arn,
      codeSize: 1342,
      description: '',
      lastModified: `${iso(t).slice(0, -1)}.${ri(100, 999)}+0000`,
      codeSha256: bytes(32).toString('base64'),
      version: '$LATEST',
      tracingConfig: { mode: 'PassThrough' },
      revisionId: uuid(),
      state: 'Pending',
      stateReason: 'The function is being created.',
      stateReasonCode: 'Creating',
      packageType: 'Zip',
      architectures: ['x86_64'],
      ephemeralStorage: { size: 512 },
      snapStart: { applyOn: 'None', optimizationStatus: 'Off' },
    },
  });
  own(r, t, 'AWS::Lambda::Function', arn);
  return r;
}

// ---------------------------------------------------------------- background (legitimate) activity
const ci = actor('ci', idKey(U.ci, KEY.leaked), IP.ci, UA.terraform, { tls: TLS13 });
const ciBoto = actor('ci', idKey(U.ci, KEY.leaked), IP.ci, UA.ciBoto, { tls: TLS12 });

/** A pipeline run: Terraform plan + a Lambda deploy in each target region, an ECR login in us-east-1. */
function ciDeploy(t0, regions) {
  let t = t0;
  const step = (lo, hi) => (t += ri(lo, hi) * 1000);
  rec(ci, t, 'us-east-1', 'sts.amazonaws.com', 'GetCallerIdentity');
  rec(ciBoto, step(4, 12), 'us-east-1', 'ecr.amazonaws.com', 'GetAuthorizationToken', { req: { registryIds: [ACCT] } });
  rec(ci, step(3, 9), 'us-east-1', 'iam.amazonaws.com', 'GetRole', { req: { roleName: R.app.name } });
  rec(ci, step(1, 4), 'us-east-1', 'iam.amazonaws.com', 'ListAttachedRolePolicies', { req: { roleName: R.app.name } });
  for (const region of regions) {
    rec(ci, step(2, 8), region, 'cloudformation.amazonaws.com', 'DescribeStacks', { req: { stackName: 'orders-prod' } });
    describeInstances(ci, step(1, 5), region, { filterSet: { items: [{ name: 'tag:app', valueSet: { items: [{ value: 'orders' }] } }] } });
    rec(ci, step(1, 4), region, 'ec2.amazonaws.com', 'DescribeSecurityGroups', {
      req: { securityGroupIdSet: { items: [{ groupId: NET[region].sg }] }, filterSet: {} },
    });
    rec(ci, step(2, 6), region, 'lambda.amazonaws.com', 'GetFunction20150331v2', { req: { functionName: 'orders-api' } });
    const sha = hex(40);
    rec(ci, step(20, 60), region, 'lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', {
      req: { functionName: 'orders-api', s3Bucket: `orders-artifacts-${ACCT}`, s3Key: `orders-api/${sha}.zip`, publish: true, dryRun: false },
      resp: {
        functionName: 'orders-api',
        functionArn: `arn:aws:lambda:${region}:${ACCT}:function:orders-api`,
        runtime: 'java21',
        role: R.lambdaExec.arn,
        handler: 'orders.Handler::handleRequest',
        codeSize: ri(18_000_000, 19_000_000),
        timeout: 30,
        memorySize: 1024,
        lastModified: `${iso(t).slice(0, -1)}.${ri(100, 999)}+0000`,
        codeSha256: bytes(32).toString('base64'),
        version: String(ri(40, 90)),
        revisionId: uuid(),
        state: 'Active',
        lastUpdateStatus: 'InProgress',
        lastUpdateStatusReason: 'The function is being created.',
        lastUpdateStatusReasonCode: 'Creating',
        packageType: 'Zip',
        architectures: ['arm64'],
      },
    });
    rec(ci, step(5, 15), region, 'lambda.amazonaws.com', 'GetFunction20150331v2', { req: { functionName: 'orders-api' } });
  }
}

/** The app server's instance-profile credentials are refreshed by EC2, then used through VPC endpoints. */
function instanceProfileRefresh(t0) {
  let t = t0;
  const step = (lo, hi) => (t += ri(lo, hi) * 1000);
  const key = awsId('ASIA');
  const svc = actor('aws', idService('ec2.amazonaws.com'), 'ec2.amazonaws.com', 'ec2.amazonaws.com', { tls: null });
  assumeRole(svc, t, 'us-east-1', R.app, APP_INSTANCE, key, { durationSeconds: 21600 });
  const created = t;
  const app = actor('aws', idRole(R.app, APP_INSTANCE, key, created, { ec2RoleDelivery: '2.0' }), '10.0.3.71', UA.ssmAgent);
  rec(app, step(20, 60), 'us-east-1', 'ssm.amazonaws.com', 'UpdateInstanceInformation', {
    req: {
      instanceId: APP_INSTANCE,
      agentVersion: '3.3.987.0',
      agentStatus: 'Active',
      platformType: 'Linux',
      platformName: 'Amazon Linux',
      platformVersion: '2023',
      iPAddress: app.ip,
      computerName: `ip-10-0-3-${app.ip.split('.')[3]}.ec2.internal`,
      agentName: 'amazon-ssm-agent',
      availabilityZone: 'us-east-1b',
      availabilityZoneId: 'use1-az4',
    },
    vpce: VPCE.ssm,
  });
  rec(app, step(1, 3), 'us-east-1', 'ssm.amazonaws.com', 'ListInstanceAssociations', { req: { instanceId: APP_INSTANCE, maxResults: 50 }, vpce: VPCE.ssm });
  const javaApp = { ...app, ua: UA.javaApp };
  rec(javaApp, step(5, 30), 'us-east-1', 'secretsmanager.amazonaws.com', 'GetSecretValue', { req: { secretId: 'prod/orders/db' }, vpce: VPCE.secrets });
  rec(javaApp, step(1, 5), 'us-east-1', 'ssm.amazonaws.com', 'GetParameters', {
    req: { names: ['/orders/prod/feature-flags', '/orders/prod/queue-url'], withDecryption: true },
    vpce: VPCE.ssm,
  });
}

/** AWS Config's recorder: the service assumes its service-linked role, then describes the region. */
function configSweep(t0, region) {
  let t = t0;
  const step = (lo, hi) => (t += ri(lo, hi) * 1000);
  const key = awsId('ASIA');
  const svc = actor('aws', idService('config.amazonaws.com'), 'config.amazonaws.com', 'config.amazonaws.com', { tls: null });
  assumeRole(svc, t, region, R.config, 'AWSConfig-Describe', key, { durationSeconds: 900 });
  const cfg = actor(
    'aws',
    idRole(R.config, 'AWSConfig-Describe', key, t, { invokedBy: 'config.amazonaws.com' }),
    'config.amazonaws.com',
    'config.amazonaws.com',
    { tls: null },
  );
  const vpcFilter = { filterSet: { items: [{ name: 'vpc-id', valueSet: { items: [{ value: NET[region].vpc }] } }] } };
  rec(cfg, step(2, 10), region, 'ec2.amazonaws.com', 'DescribeSecurityGroups', { req: { securityGroupSet: {}, securityGroupIdSet: {}, ...vpcFilter } });
  rec(cfg, step(1, 6), region, 'ec2.amazonaws.com', 'DescribeVpcs', { req: { vpcSet: {}, filterSet: {} } });
  rec(cfg, step(1, 6), region, 'ec2.amazonaws.com', 'DescribeSubnets', { req: { subnetSet: {}, ...vpcFilter } });
  rec(cfg, step(1, 6), region, 'ec2.amazonaws.com', 'DescribeRouteTables', { req: { routeTableIdSet: {}, ...vpcFilter } });
  if (region === 'us-east-1') rec(cfg, step(2, 8), region, 'iam.amazonaws.com', 'GetAccountAuthorizationDetails', { req: { filter: ['Role'] } });
  else rec(cfg, step(2, 8), region, 'lambda.amazonaws.com', 'ListFunctions20150331', { req: { maxItems: 50 } });
}

/** Instance refresh after a deploy in eu-west-1, run by the Auto Scaling service-linked role. */
function autoscalingRefresh(t0) {
  const key = awsId('ASIA');
  const asg = actor(
    'aws',
    idRole(R.asg, 'AutoScaling', key, t0 - ri(30, 300) * 1000, { invokedBy: 'autoscaling.amazonaws.com' }),
    'autoscaling.amazonaws.com',
    'autoscaling.amazonaws.com',
    { tls: null },
  );
  runInstances(asg, t0, 'eu-west-1', {
    type: 't3.medium',
    count: 1,
    sg: NET['eu-west-1'].sg,
    sgName: 'orders-app',
    attacker: false,
    ami: AMI.al,
    profile: 'app-server-role',
  });
  const old = `i-0${hex(16)}`;
  rec(asg, t0 + ri(60, 120) * 1000, 'eu-west-1', 'ec2.amazonaws.com', 'TerminateInstances', {
    req: { instancesSet: { items: [{ instanceId: old }] } },
    resp: {
      requestId: uuid(),
      instancesSet: { items: [{ instanceId: old, currentState: { code: 32, name: 'shutting-down' }, previousState: { code: 16, name: 'running' } }] },
    },
  });
}

function aliceSession(t0, plan) {
  const key = awsId('ASIA');
  consoleLogin('bg', U.alice, t0, IP.alice, UA.chrome, true);
  const a = actor('bg', idUserSession(U.alice, key, t0, true), IP.alice, consoleUA(UA.chrome), { console: true });
  let t = t0;
  for (const [gapLo, gapHi, region, source, name, opts = {}] of plan) {
    t += ri(gapLo, gapHi) * 1000;
    rec(a, t, region, source, name, opts);
  }
  return a;
}

function background() {
  const days = ['2026-10-11', '2026-10-12', '2026-10-13', '2026-10-14'];
  for (const day of days) {
    for (const hhmm of ['01:55', '07:55', '13:55', '19:55']) {
      const t = T(`${day}T${hhmm}:00Z`) + ri(0, 240) * 1000;
      if (t < T('2026-10-14T09:20:00Z')) instanceProfileRefresh(t);
    }
    REGIONS.forEach((region, i) => {
      const t = T(`${day}T02:${pad(10 + i * 9)}:00Z`) + ri(0, 300) * 1000;
      configSweep(t, region);
    });
  }
  // Pipeline: business-hours deploys on Monday and Tuesday; the nightly job on Wednesday is the key's
  // last legitimate use before the attacker's first call.
  for (const [when, regions] of [
    ['2026-10-12T10:14:07Z', ['us-east-1', 'eu-west-1']],
    ['2026-10-12T15:32:40Z', ['us-east-1']],
    ['2026-10-13T11:05:12Z', ['us-east-1', 'eu-west-1']],
    ['2026-10-13T16:48:55Z', ['us-east-1', 'us-west-2']],
    ['2026-10-14T02:31:48Z', ['us-east-1', 'eu-west-1']],
  ])
    ciDeploy(T(when), regions);
  autoscalingRefresh(T('2026-10-12T10:21:33Z'));
  autoscalingRefresh(T('2026-10-13T11:12:02Z'));

  const cf = ['cloudformation.amazonaws.com', 'DescribeStacks', { req: { stackName: 'orders-prod' } }];
  aliceSession(T('2026-10-12T14:05:31Z'), [
    [
      20,
      60,
      'us-east-1',
      'health.amazonaws.com',
      'DescribeEventAggregates',
      { req: { aggregateField: 'eventTypeCategory', filter: { eventStatusCodes: ['open', 'upcoming'] } } },
    ],
    [10, 40, 'us-east-1', ...cf],
    [10, 40, 'us-east-1', 'ec2.amazonaws.com', 'DescribeInstances', { req: { instancesSet: {}, filterSet: {} } }],
    [
      30,
      90,
      'us-east-1',
      'ce.amazonaws.com',
      'GetCostAndUsage',
      {
        req: { timePeriod: { start: '2026-10-01', end: '2026-10-12' }, granularity: 'DAILY', metrics: ['UnblendedCost'] },
        hostHeader: 'ce.us-east-1.amazonaws.com',
      },
    ],
    [20, 60, 'us-east-1', 'iam.amazonaws.com', 'ListUsers', { req: { maxItems: 1000 } }],
    [5, 20, 'us-east-1', 'iam.amazonaws.com', 'GetUser', { req: { userName: 'ci-deploy' } }],
    [5, 20, 'us-east-1', 'iam.amazonaws.com', 'ListAccessKeys', { req: { userName: 'ci-deploy' } }],
    [40, 120, 'eu-west-1', ...cf],
    [10, 30, 'eu-west-1', 'cloudformation.amazonaws.com', 'DescribeStackEvents', { req: { stackName: 'orders-prod' } }],
    [10, 40, 'eu-west-1', 'ec2.amazonaws.com', 'DescribeInstances', { req: { instancesSet: {}, filterSet: {} } }],
    [10, 30, 'eu-west-1', 'autoscaling.amazonaws.com', 'DescribeAutoScalingGroups', { req: { autoScalingGroupNames: ['orders-prod-asg'] } }],
    [10, 30, 'eu-west-1', 'autoscaling.amazonaws.com', 'DescribeScalingActivities', { req: { autoScalingGroupName: 'orders-prod-asg' } }],
  ]);
  aliceSession(T('2026-10-13T10:20:09Z'), [
    [20, 60, 'us-east-1', ...cf],
    [10, 30, 'us-east-1', 'cloudformation.amazonaws.com', 'DescribeStackEvents', { req: { stackName: 'orders-prod' } }],
    [10, 30, 'us-east-1', 'lambda.amazonaws.com', 'ListFunctions20150331', { req: { maxItems: 50 } }],
    [10, 30, 'us-east-1', 'ec2.amazonaws.com', 'DescribeInstances', { req: { instancesSet: {}, filterSet: {} } }],
    [10, 30, 'us-east-1', 'ec2.amazonaws.com', 'DescribeSecurityGroups', { req: { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} } }],
  ]);
  // bob works in us-west-2 from the office.
  const tb = T('2026-10-12T16:40:12Z');
  consoleLogin('bg', U.bob, tb, IP.bob, UA.firefoxMac, true);
  const bob = actor('bg', idUserSession(U.bob, awsId('ASIA'), tb, true), IP.bob, consoleUA(UA.firefoxMac), { console: true });
  // The console home page widgets, then the EC2 console in Oregon.
  rec(bob, tb + 6_000, 'us-east-1', 'health.amazonaws.com', 'DescribeEventAggregates', {
    req: { aggregateField: 'eventTypeCategory', filter: { eventStatusCodes: ['open', 'upcoming'] } },
  });
  rec(bob, tb + 7_000, 'us-east-1', 'ce.amazonaws.com', 'GetCostAndUsage', {
    req: { timePeriod: { start: '2026-10-01', end: '2026-10-12' }, granularity: 'MONTHLY', metrics: ['UnblendedCost'] },
  });
  rec(bob, tb + 19_000, 'us-east-1', 'iam.amazonaws.com', 'GetAccountSummary');
  rec(bob, tb + 24_000, 'us-east-1', 'iam.amazonaws.com', 'ListMFADevices', { req: { userName: U.bob.name } });
  describeInstances(bob, tb + 41_000, 'us-west-2');
  rec(bob, tb + 44_000, 'us-west-2', 'ec2.amazonaws.com', 'DescribeInstanceStatus', { req: { instancesSet: {}, filterSet: {}, includeAllInstances: true } });
  rec(bob, tb + 63_000, 'us-west-2', 'ec2.amazonaws.com', 'DescribeVolumes', { req: { volumeSet: {}, filterSet: {} } });
  rec(bob, tb + 95_000, 'us-west-2', 'ec2.amazonaws.com', 'DescribeSnapshots', {
    req: { snapshotSet: {}, ownersSet: { items: [{ owner: 'self' }] }, filterSet: {} },
  });
  rec(bob, tb + 132_000, 'us-west-2', 'ec2.amazonaws.com', 'CreateSnapshot', {
    req: { volumeId: `vol-0${hex(16)}`, description: 'before kernel upgrade' },
    resp: {
      requestId: uuid(),
      snapshotId: `snap-0${hex(16)}`,
      status: 'pending',
      startTime: tb + 132_000,
      progress: '',
      ownerId: ACCT,
      volumeSize: 100,
      encrypted: true,
    },
  });
}

// ---------------------------------------------------------------- the incident
function incident() {
  let t = T('2026-10-14T03:02:11Z');
  const step = (lo, hi) => (t += ri(lo, hi) * 1000);
  const ciArn = U.ci.arn;

  // 1. The key, found in a public repository, is checked and used for discovery.
  const probe = actor('attacker', idKey(U.ci, KEY.leaked), IP.leak, UA.requests);
  rec(probe, t, 'us-east-1', 'sts.amazonaws.com', 'GetCallerIdentity');
  const leak = { ...probe, ua: UA.atkBoto };
  step(120, 180);
  rec(leak, t, 'us-east-1', 'iam.amazonaws.com', 'GetUser');
  rec(leak, step(1, 3), 'us-east-1', 'iam.amazonaws.com', 'ListAttachedUserPolicies', { req: { userName: U.ci.name } });
  rec(leak, step(1, 3), 'us-east-1', 'iam.amazonaws.com', 'ListUserPolicies', { req: { userName: U.ci.name } });
  rec(leak, step(1, 3), 'us-east-1', 'iam.amazonaws.com', 'ListGroupsForUser', { req: { userName: U.ci.name } });
  rec(leak, step(2, 5), 'us-east-1', 'iam.amazonaws.com', 'ListUsers');
  rec(leak, step(1, 4), 'us-east-1', 'iam.amazonaws.com', 'ListRoles');
  rec(leak, step(1, 4), 'us-east-1', 'iam.amazonaws.com', 'ListGroups');
  rec(leak, step(2, 6), 'us-east-1', 'iam.amazonaws.com', 'GetAccountAuthorizationDetails');
  rec(leak, step(1, 3), 'us-east-1', 'iam.amazonaws.com', 'ListAccessKeys', { req: { userName: 'alice' } });
  rec(leak, step(1, 3), 'us-east-1', 'iam.amazonaws.com', 'ListAccessKeys', { req: { userName: 'bob' } });
  rec(leak, step(2, 5), 'us-east-1', 'organizations.amazonaws.com', 'DescribeOrganization', {
    error: ['AccessDeniedException', "You don't have permissions to access this resource."],
  });
  rec(leak, step(2, 5), 'us-east-1', 's3.amazonaws.com', 'ListBuckets', {
    req: { Host: 's3.amazonaws.com' },
    additional: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': bytes(56).toString('base64'),
      bytesTransferredOut: 1274,
    },
    requestID: fromSet('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 16),
  });
  rec(leak, step(2, 5), 'us-east-1', 'secretsmanager.amazonaws.com', 'ListSecrets', {
    req: { maxResults: 100 },
    error: ['AccessDenied', denied(ciArn, 'secretsmanager:ListSecrets')],
  });
  rec(leak, step(2, 5), 'us-east-1', 'guardduty.amazonaws.com', 'ListDetectors', {
    error: ['AccessDeniedException', denied(ciArn, 'guardduty:ListDetectors')],
  });
  rec(leak, step(2, 5), 'us-east-1', 'ec2.amazonaws.com', 'DescribeRegions', { req: { regionSet: {}, allRegions: true } });
  // A recon script's sweep of each region.
  for (const region of REGIONS) {
    describeInstances(leak, step(1, 3), region);
    rec(leak, step(1, 2), region, 'ec2.amazonaws.com', 'DescribeVpcs', { req: { vpcSet: {}, filterSet: {} } });
    rec(leak, step(1, 2), region, 'ec2.amazonaws.com', 'DescribeSecurityGroups', { req: { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} } });
    rec(leak, step(1, 2), region, 'ec2.amazonaws.com', 'DescribeKeyPairs', { req: { keySet: {}, keyPairIdSet: {}, filterSet: {} } });
    rec(leak, step(1, 2), region, 'lambda.amazonaws.com', 'ListFunctions20150331', { req: { maxItems: 50 } });
  }
  rec(leak, step(2, 6), 'us-east-1', 'ec2.amazonaws.com', 'DescribeAccountAttributes', {
    req: { accountAttributeNameSet: { items: [{ attributeName: 'max-instances' }] }, filterSet: {} },
  });

  // 2. Persistence with the leaked key: a new admin user with a key and a console password.
  t = T('2026-10-14T03:11:42Z');
  const mk = rec(leak, t, 'us-east-1', 'iam.amazonaws.com', 'CreateUser', {
    req: { userName: U.svc.name },
    resp: { user: { path: '/', userName: U.svc.name, userId: U.svc.id, arn: U.svc.arn, createDate: iamDate(t) } },
  });
  truth.createdUsers.push({ userName: U.svc.name, userId: U.svc.id, arn: U.svc.arn, eventID: mk.eventID, eventTime: mk.eventTime, createdWith: KEY.leaked });
  const dup = rec(leak, step(5, 8), 'us-east-1', 'iam.amazonaws.com', 'CreateUser', {
    req: { userName: U.svc.name },
    error: ['EntityAlreadyExists', `User with name ${U.svc.name} already exists.`],
  });
  const ck = rec(leak, step(10, 20), 'us-east-1', 'iam.amazonaws.com', 'CreateAccessKey', {
    req: { userName: U.svc.name },
    resp: { accessKey: { userName: U.svc.name, accessKeyId: KEY.svc, status: 'Active', createDate: iamDate(t) } },
  });
  truth.createdAccessKeys.push({ accessKeyId: KEY.svc, userName: U.svc.name, eventID: ck.eventID, eventTime: ck.eventTime, createdWith: KEY.leaked });
  own(ck, t, 'AWS::IAM::AccessKey', KEY.svc);
  rec(leak, step(8, 20), 'us-east-1', 'iam.amazonaws.com', 'AttachUserPolicy', {
    req: { userName: U.svc.name, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
  });
  const lp = rec(leak, step(10, 25), 'us-east-1', 'iam.amazonaws.com', 'CreateLoginProfile', {
    req: { userName: U.svc.name, passwordResetRequired: false },
    resp: { loginProfile: { userName: U.svc.name, createDate: iamDate(t), passwordResetRequired: false } },
  });
  truth.loginProfiles.push({ userName: U.svc.name, eventName: 'CreateLoginProfile', eventID: lp.eventID, eventTime: lp.eventTime });
  rec(leak, step(15, 30), 'us-east-1', 'iam.amazonaws.com', 'GetLoginProfile', { req: { userName: U.bob.name } });
  const dl = rec(leak, step(2, 6), 'us-east-1', 'iam.amazonaws.com', 'DeleteLoginProfile', { req: { userName: U.bob.name } });
  truth.loginProfiles.push({ userName: U.bob.name, eventName: 'DeleteLoginProfile', eventID: dl.eventID, eventTime: dl.eventTime });

  // 3. The new user's key, from another address with the AWS CLI: a role with a door from outside.
  t = T('2026-10-14T03:18:09Z');
  const svc = actor('attacker', idKey(U.svc, KEY.svc), IP.cli, UA.atkCli);
  rec(svc, t, 'us-east-1', 'sts.amazonaws.com', 'GetCallerIdentity');
  const trust = JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${EXT_ACCT}:root`, U.svc.arn] }, Action: 'sts:AssumeRole' }],
    },
    null,
    2,
  );
  step(70, 100);
  const cr = rec(svc, t, 'us-east-1', 'iam.amazonaws.com', 'CreateRole', {
    req: { roleName: R.ops.name, assumeRolePolicyDocument: trust, maxSessionDuration: 43200, description: 'Ops maintenance automation' },
    resp: {
      role: {
        path: '/',
        roleName: R.ops.name,
        roleId: R.ops.id,
        arn: R.ops.arn,
        createDate: iamDate(t),
        assumeRolePolicyDocument: encodeURIComponent(JSON.stringify(JSON.parse(trust))),
        description: 'Ops maintenance automation',
        maxSessionDuration: 43200,
      },
    },
  });
  truth.createdRoles.push({
    roleName: R.ops.name,
    roleId: R.ops.id,
    arn: R.ops.arn,
    trustedPrincipals: [`arn:aws:iam::${EXT_ACCT}:root`, U.svc.arn],
    eventID: cr.eventID,
    eventTime: cr.eventTime,
    createdWith: KEY.svc,
  });
  own(cr, t, 'AWS::IAM::Role', R.ops.arn);
  rec(svc, step(15, 25), 'us-east-1', 'iam.amazonaws.com', 'AttachRolePolicy', {
    req: { roleName: R.ops.name, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
  });
  const ar = assumeRole(svc, step(40, 60), 'us-east-1', R.ops, 'maint', KEY.maint);
  truth.assumedRoleSessions.push({
    roleArn: R.ops.arn,
    sessionName: 'maint',
    accessKeyId: KEY.maint,
    assumedBy: U.svc.arn,
    assumedWith: KEY.svc,
    sourceIPAddress: IP.cli,
    eventID: ar.eventID,
    eventTime: ar.eventTime,
  });
  const maintCreated = t;
  const gs = rec(svc, step(25, 40), 'us-east-1', 'sts.amazonaws.com', 'GetSessionToken', {
    req: { durationSeconds: 43200 },
    resp: { credentials: { accessKeyId: KEY.gst, sessionToken: sessionToken(), expiration: stsDate(t + 43200_000) } },
  });
  truth.sessionTokens.push({ accessKeyId: KEY.gst, userName: U.svc.name, obtainedWith: KEY.svc, eventID: gs.eventID, eventTime: gs.eventTime });
  const gstCreated = t;
  rec(svc, step(30, 60), 'us-east-1', 'cloudtrail.amazonaws.com', 'DescribeTrails', { req: { trailNameList: [], includeShadowTrails: true } });
  rec(svc, step(5, 15), 'us-east-1', 'cloudtrail.amazonaws.com', 'GetTrailStatus', { req: { name: TRAIL_ARN } });
  const stop = rec(svc, step(10, 20), 'us-east-1', 'cloudtrail.amazonaws.com', 'StopLogging', {
    req: { name: TRAIL_ARN },
    error: ['AccessDenied', denied(U.svc.arn, 'cloudtrail:StopLogging', `on resource: ${TRAIL_ARN} with an explicit deny in a service control policy`)],
  });

  // 4. Compute abuse, several regions within minutes.
  t = T('2026-10-14T03:25:40Z');
  let p = prepareRegion(svc, t, 'us-east-1', 'ops', 'ops-ssh');
  const p3east = runInstances(svc, p.t + ri(5, 15) * 1000, 'us-east-1', { type: 'p3.16xlarge', count: 2, keyName: 'ops', sg: p.sg, sgName: p.sgName });
  p = prepareRegion(svc, T('2026-10-14T03:28:52Z'), 'us-west-2', 'ops', 'ops-ssh');
  t = p.t + ri(5, 15) * 1000;
  runInstances(svc, t, 'us-west-2', {
    type: 'p3.16xlarge',
    count: 2,
    keyName: 'ops',
    sg: p.sg,
    sgName: p.sgName,
    error: [
      'Client.VcpuLimitExceeded',
      'You have requested more vCPU capacity than your current vCPU limit of 64 allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.',
    ],
  });
  runInstances(svc, t + ri(20, 40) * 1000, 'us-west-2', { type: 'g5.12xlarge', count: 1, keyName: 'ops', sg: p.sg, sgName: p.sgName });
  p = prepareRegion(svc, T('2026-10-14T03:32:15Z'), 'eu-west-1', 'ops', 'ops-ssh');
  runInstances(svc, p.t + ri(5, 15) * 1000, 'eu-west-1', { type: 'g5.12xlarge', count: 2, keyName: 'ops', sg: p.sg, sgName: p.sgName });
  createFunction(svc, T('2026-10-14T03:36:44Z'), 'us-east-1', 'sys-healthcheck');

  // 5. svc-backup in the console (no MFA), Spot capacity in São Paulo.
  t = T('2026-10-14T03:30:26Z');
  const login = consoleLogin('attacker', U.svc, t, IP.console, UA.firefoxLinux, false);
  truth.consoleLogins.push({ userName: U.svc.name, mfaUsed: false, sourceIPAddress: IP.console, eventID: login.eventID, eventTime: login.eventTime });
  const web = actor('attacker', idUserSession(U.svc, KEY.svcConsole, t, false), IP.console, consoleUA(UA.firefoxLinux), { console: true });
  rec(web, step(25, 40), 'us-east-1', 'iam.amazonaws.com', 'GetAccountSummary');
  describeInstances(web, step(30, 50), 'sa-east-1');
  rec(web, step(20, 40), 'sa-east-1', 'ec2.amazonaws.com', 'DescribeSpotPriceHistory', {
    req: {
      instanceTypeSet: { items: [{ instanceType: 'g5.12xlarge' }] },
      productDescriptionSet: { items: [{ productDescription: 'Linux/UNIX' }] },
      startTime: t,
      filterSet: {},
      availabilityZone: 'sa-east-1a',
    },
  });
  p = prepareRegion(web, step(20, 30), 'sa-east-1', 'laptop', 'launch-wizard-1');
  requestSpot(web, p.t + ri(30, 50) * 1000, 'sa-east-1', { type: 'g5.12xlarge', count: 3, price: '9.500000', sg: p.sg, sgName: p.sgName, keyName: 'laptop' });
  rec(web, p.t + ri(60, 90) * 1000, 'sa-east-1', 'ec2.amazonaws.com', 'DescribeSpotInstanceRequests', { req: { spotInstanceRequestIdSet: {}, filterSet: {} } });

  // 6. The role session: GPU capacity in Singapore.
  t = T('2026-10-14T03:40:03Z');
  const maint = actor('attacker', idRole(R.ops, 'maint', KEY.maint, maintCreated), IP.cli, UA.atkCli);
  rec(maint, t, 'us-east-1', 'sts.amazonaws.com', 'GetCallerIdentity');
  p = prepareRegion(maint, step(10, 20), 'ap-southeast-1', 'ops', 'ops-ssh');
  runInstances(maint, p.t + ri(5, 15) * 1000, 'ap-southeast-1', { type: 'g5.12xlarge', count: 3, keyName: 'ops', sg: p.sg, sgName: p.sgName });
  requestSpot(maint, p.t + ri(40, 70) * 1000, 'ap-southeast-1', {
    type: 'p3.16xlarge',
    count: 2,
    price: '26.100000',
    sg: p.sg,
    sgName: p.sgName,
    keyName: 'ops',
  });
  describeInstances(maint, p.t + ri(90, 120) * 1000, 'ap-southeast-1');

  // 7. Session-token credentials: checking and preparing SES for sending.
  t = T('2026-10-14T03:51:17Z');
  const gst = actor('attacker', idUserSession(U.svc, KEY.gst, gstCreated, false), IP.cli, UA.atkCli);
  for (const region of ['us-east-1', 'eu-west-1']) {
    rec(gst, step(5, 20), region, 'ses.amazonaws.com', 'GetSendQuota');
    rec(gst, step(3, 10), region, 'ses.amazonaws.com', 'ListIdentities', { req: { identityType: 'EmailAddress', maxItems: 100 } });
    const v = rec(gst, step(5, 15), region, 'ses.amazonaws.com', 'VerifyEmailIdentity', { req: { emailAddress: 'billing-notice@example.net' } });
    own(v, t, 'AWS::SES::EmailIdentity', 'billing-notice@example.net');
    rec(gst, step(5, 15), region, 'ses.amazonaws.com', 'GetSendStatistics');
    rec(gst, step(3, 10), region, 'ses.amazonaws.com', 'GetAccountSendingEnabled');
  }

  // 8. The door is used from the attacker's own account; the session outlives the key.
  t = T('2026-10-14T05:10:44Z');
  const outside = actor('attacker', () => ({ type: 'AWSAccount', principalId: EXT_PRINCIPAL, accountId: EXT_ACCT }), IP.cli, UA.atkCli);
  const xr = assumeRole(outside, t, 'us-east-1', R.ops, 'backup-sync', KEY.ext, { durationSeconds: 43200, shared: true });
  truth.assumedRoleSessions.push({
    roleArn: R.ops.arn,
    sessionName: 'backup-sync',
    accessKeyId: KEY.ext,
    assumedBy: `arn:aws:iam::${EXT_ACCT}:root`,
    assumedWith: null,
    sourceIPAddress: IP.cli,
    eventID: xr.eventID,
    eventTime: xr.eventTime,
  });
  const ext = actor('attacker', idRole(R.ops, 'backup-sync', KEY.ext, t), IP.cli, UA.atkCli);
  rec(ext, step(20, 40), 'us-east-1', 'sts.amazonaws.com', 'GetCallerIdentity');
  rec(ext, step(5, 15), 'us-east-1', 'iam.amazonaws.com', 'GetRole', { req: { roleName: R.ops.name } });
  rec(ext, step(2, 6), 'us-east-1', 'iam.amazonaws.com', 'ListAttachedRolePolicies', { req: { roleName: R.ops.name } });
  describeInstances(ext, step(5, 15), 'us-east-1');
  // A second function in eu-west-1, reachable from the internet through a public function URL.
  rec(ext, step(20, 40), 'eu-west-1', 'lambda.amazonaws.com', 'ListFunctions20150331', { req: { maxItems: 50 } });
  const fn = createFunction(ext, step(20, 40), 'eu-west-1', 'sys-healthcheck');
  const fnArn = fn.responseElements.functionArn;
  const url = `https://${base32(bytes(20)).toLowerCase().slice(0, 32)}.lambda-url.eu-west-1.on.aws/`;
  const cu = rec(ext, step(10, 20), 'eu-west-1', 'lambda.amazonaws.com', 'CreateFunctionUrlConfig20211031', {
    req: { functionName: 'sys-healthcheck', authType: 'NONE' },
    resp: { functionUrl: url, functionArn: fnArn, authType: 'NONE', creationTime: `${iso(t).slice(0, -1)}.${ri(100, 999)}Z`, invokeMode: 'BUFFERED' },
  });
  own(cu, t, 'AWS::Lambda::Url', url);
  rec(ext, step(5, 10), 'eu-west-1', 'lambda.amazonaws.com', 'AddPermission20150707', {
    req: {
      functionName: 'sys-healthcheck',
      statementId: 'FunctionURLAllowPublicAccess',
      action: 'lambda:InvokeFunctionUrl',
      principal: '*',
      functionUrlAuthType: 'NONE',
    },
    resp: {
      statement: JSON.stringify({
        Sid: 'FunctionURLAllowPublicAccess',
        Effect: 'Allow',
        Principal: '*',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: fnArn,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } },
      }),
    },
  });
  rec(ext, step(10, 20), 'eu-west-1', 'lambda.amazonaws.com', 'GetFunction20150331v2', { req: { functionName: 'sys-healthcheck' } });

  // 9. The responder (alice, console with MFA) after a billing alarm.
  const ta = T('2026-10-14T08:58:41Z');
  const aliceLogin = consoleLogin('responder', U.alice, ta, IP.alice, UA.chrome, true);
  const aliceKey = awsId('ASIA');
  const al = actor('responder', idUserSession(U.alice, aliceKey, ta, true), IP.alice, consoleUA(UA.chrome), { console: true });
  const lookup = (attr, value) => ({ lookupAttributes: [{ attributeKey: attr, attributeValue: value }], maxResults: 50 });
  rec(al, T('2026-10-14T09:00:05Z'), 'us-east-1', 'ce.amazonaws.com', 'GetCostAndUsage', {
    req: {
      timePeriod: { start: '2026-10-13', end: '2026-10-15' },
      granularity: 'HOURLY',
      metrics: ['UnblendedCost'],
      groupBy: [{ type: 'DIMENSION', key: 'REGION' }],
    },
  });
  rec(al, T('2026-10-14T09:01:37Z'), 'us-east-1', 'cloudtrail.amazonaws.com', 'LookupEvents', { req: lookup('EventName', 'RunInstances') });
  rec(al, T('2026-10-14T09:03:12Z'), 'us-east-1', 'cloudtrail.amazonaws.com', 'LookupEvents', { req: lookup('AccessKeyId', KEY.leaked) });
  rec(al, T('2026-10-14T09:05:48Z'), 'us-east-1', 'iam.amazonaws.com', 'GetUser', { req: { userName: U.ci.name } });
  rec(al, T('2026-10-14T09:06:20Z'), 'us-east-1', 'iam.amazonaws.com', 'ListAccessKeys', { req: { userName: U.ci.name } });
  describeInstances(al, T('2026-10-14T09:08:02Z'), 'us-east-1');
  describeInstances(al, T('2026-10-14T09:09:30Z'), 'us-west-2');
  rec(al, T('2026-10-14T09:09:44Z'), 'us-west-2', 'ec2.amazonaws.com', 'DescribeInstanceStatus', {
    req: { instancesSet: {}, filterSet: {}, includeAllInstances: true },
  });
  rec(al, T('2026-10-14T09:09:58Z'), 'us-west-2', 'ec2.amazonaws.com', 'DescribeKeyPairs', { req: { keySet: {}, keyPairIdSet: {}, filterSet: {} } });
  rec(al, T('2026-10-14T09:10:15Z'), 'us-west-2', 'ec2.amazonaws.com', 'DescribeSecurityGroups', {
    req: { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} },
  });
  rec(al, T('2026-10-14T09:10:41Z'), 'us-west-2', 'ec2.amazonaws.com', 'DescribeSpotInstanceRequests', {
    req: { spotInstanceRequestIdSet: {}, filterSet: {} },
  });
  const deact = rec(al, T('2026-10-14T09:12:03Z'), 'us-east-1', 'iam.amazonaws.com', 'UpdateAccessKey', {
    req: { userName: U.ci.name, accessKeyId: KEY.leaked, status: 'Inactive' },
  });
  rec(al, T('2026-10-14T09:13:10Z'), 'us-east-1', 'iam.amazonaws.com', 'ListAccessKeys', { req: { userName: U.svc.name } });
  const del = rec(al, T('2026-10-14T09:14:27Z'), 'us-east-1', 'iam.amazonaws.com', 'DeleteAccessKey', { req: { userName: U.svc.name, accessKeyId: KEY.svc } });
  rec(al, T('2026-10-14T09:16:51Z'), 'us-east-1', 'iam.amazonaws.com', 'GetRole', { req: { roleName: R.ops.name } });

  // 10. After the S3 copy was taken: only the lookup-events dump has these.
  rec(al, T('2026-10-14T09:41:10Z'), 'us-east-1', 'iam.amazonaws.com', 'DetachUserPolicy', {
    req: { userName: U.svc.name, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
  });
  rec(al, T('2026-10-14T09:42:02Z'), 'us-east-1', 'iam.amazonaws.com', 'DeleteLoginProfile', { req: { userName: U.svc.name } });
  rec(ext, T('2026-10-14T09:47:33Z'), 'us-east-1', 'sts.amazonaws.com', 'GetCallerIdentity');
  describeInstances(ext, T('2026-10-14T09:52:10Z'), 'us-east-1');
  const revokeAt = T('2026-10-14T10:02:37Z');
  rec(al, revokeAt, 'us-east-1', 'iam.amazonaws.com', 'PutRolePolicy', {
    req: {
      roleName: R.ops.name,
      policyName: 'AWSRevokeOlderSessions',
      policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { DateLessThan: { 'aws:TokenIssueTime': `${iso(revokeAt).slice(0, -1)}.000Z` } } },
        ],
      }),
    },
  });
  describeInstances(ext, T('2026-10-14T10:05:51Z'), 'us-east-1', {
    error: [
      'Client.UnauthorizedOperation',
      `You are not authorized to perform this operation. User: arn:aws:sts::${ACCT}:assumed-role/${R.ops.name}/backup-sync is not authorized to perform: ec2:DescribeInstances with an explicit deny in an identity-based policy`,
    ],
  });
  const ids = p3east.responseElements.instancesSet.items.map((i) => ({ instanceId: i.instanceId }));
  rec(al, T('2026-10-14T10:08:19Z'), 'us-east-1', 'ec2.amazonaws.com', 'TerminateInstances', {
    req: { instancesSet: { items: ids } },
    resp: {
      requestId: uuid(),
      instancesSet: { items: ids.map((i) => ({ ...i, currentState: { code: 32, name: 'shutting-down' }, previousState: { code: 16, name: 'running' } })) },
    },
  });

  return { failedCreateUser: dup.eventID, stopLogging: stop.eventID, deactivate: deact.eventID, deleteSvcKey: del.eventID, aliceLogin: aliceLogin.eventID };
}

// ---------------------------------------------------------------- S3 delivery files
const gz = (s) => zlib.gzipSync(Buffer.from(s), { level: 9 });
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/** CloudTrail publishes about every 5 minutes per region; quiet regions get fewer, fuller files. */
function groupForDelivery(evs) {
  const groups = [];
  let cur = null,
    cap = 0;
  for (const e of evs) {
    const last = cur?.[cur.length - 1];
    if (!cur || e.t - last.t > 8 * MIN || e.t - cur[0].t > 15 * MIN || cur.length >= cap) {
      cur = [];
      cap = ri(25, 60);
      groups.push(cur);
    }
    cur.push(e);
  }
  // A file holds 5..60 records here: fold a short burst into its nearer neighbour.
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < groups.length && !merged; i++) {
      const g = groups[i],
        prev = groups[i - 1],
        next = groups[i + 1];
      if (g.length >= 5) continue;
      const gapPrev = prev && prev.length + g.length <= 60 ? g[0].t - prev[prev.length - 1].t : Infinity;
      const gapNext = next && next.length + g.length <= 60 ? next[0].t - g[g.length - 1].t : Infinity;
      if (gapPrev === Infinity && gapNext === Infinity) continue;
      if (gapPrev <= gapNext) prev.push(...g);
      else next.unshift(...g);
      groups.splice(i, 1);
      merged = true;
    }
  }
  return groups;
}

function writeFile(rel, buf) {
  const full = path.join(EVIDENCE, rel);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, buf);
}

const datePath = (ms) => iso(ms).slice(0, 10).replace(/-/g, '/');

function writeEventFiles(s3Events) {
  const files = [];
  for (const region of REGIONS) {
    const evs = s3Events.filter((e) => e.r.awsRegion === region);
    for (const g of groupForDelivery(evs)) {
      const records = g.map((e) => e.r);
      // Records inside a file are only roughly in time order.
      for (let i = 0; i + 1 < records.length; i++) if (rnd() < 0.15) [records[i], records[i + 1]] = [records[i + 1], records[i]];
      const delivered = Math.floor((g[g.length - 1].t + ri(3, 7) * MIN + ri(0, 59) * 1000) / 1000) * 1000;
      const name = `${ACCT}_CloudTrail_${region}_${compact(delivered).slice(0, 13)}Z_${fromSet(ALNUM, 16)}.json.gz`;
      const rel = `s3/AWSLogs/${ACCT}/CloudTrail/${region}/${datePath(delivered)}/${name}`;
      const body = JSON.stringify({ Records: records });
      writeFile(rel, gz(body));
      files.push({ rel, region, delivered, records, hash: sha256(body), oldest: g[0].t, newest: g[g.length - 1].t });
    }
  }
  return files;
}

// The key the sample's digests are signed with: made for the sample (scripts/sample-digest-key.pem,
// a test key that signs nothing else), standing in for CloudTrail's regional key. Its public half is
// samples/leaked-key/public-keys.json, in the shape `aws cloudtrail list-public-keys` prints.
const SIGNING_KEY = crypto.createPrivateKey(fs.readFileSync(path.join(ROOT, 'scripts', 'sample-digest-key.pem')));
const PUBLIC_DER = crypto.createPublicKey(SIGNING_KEY).export({ format: 'der', type: 'pkcs1' });
const FINGERPRINT = crypto.createHash('md5').update(PUBLIC_DER).digest('hex');

/** A digest's signature as CloudTrail makes it: RSA PKCS#1 v1.5 with SHA-256 over AWS's documented signing string. */
const signDigest = (d, body) =>
  crypto
    .sign(
      'sha256',
      Buffer.from(`${d.digestEndTime}\n${d.digestS3Bucket}/${d.digestS3Object}\n${sha256(body)}\n${d.previousDigestSignature ?? 'null'}`),
      SIGNING_KEY,
    )
    .toString('hex');

/**
 * Hourly digest chains; only a few hours are part of the copy handed over. Real ones: each lists its
 * log files' content hashes, names the previous digest's content hash and signature, and is signed;
 * the signature (the S3 object's x-amz-meta-signature) goes beside it as <digest>.sig.
 */
function writeDigests(eventFiles) {
  const chains = [
    { region: 'us-east-1', ends: ['03:47:22', '04:47:22', '05:47:22', '06:47:22', '07:47:22', '08:47:22'] },
    { region: 'eu-west-1', ends: ['04:31:05', '05:31:05', '06:31:05'] },
  ];
  hex(32); // drawn as before, so that everything generated after the digests stays the same
  const fingerprint = FINGERPRINT;
  const written = [];
  for (const { region, ends } of chains) {
    const digestKey = (end) =>
      `AWSLogs/${ACCT}/CloudTrail-Digest/${region}/${datePath(end)}/${ACCT}_CloudTrail-Digest_${region}_${TRAIL}_${region}_${compact(end)}.json.gz`;
    // The first digest's previous one is not part of the copy: its hash and signature are made up.
    let prevHash = hex(64);
    let prevSignature = null;
    for (const hhmmss of ends) {
      const end = T(`2026-10-14T${hhmmss}Z`),
        start = end - 60 * MIN;
      const logs = eventFiles.filter((f) => f.region === region && f.delivered >= start && f.delivered < end);
      const digest = {
        awsAccountId: ACCT,
        digestStartTime: iso(start),
        digestEndTime: iso(end),
        digestS3Bucket: BUCKET,
        digestS3Object: digestKey(end),
        digestPublicKeyFingerprint: fingerprint,
        digestSignatureAlgorithm: 'SHA256withRSA',
        newestEventTime: logs.length ? iso(Math.max(...logs.map((f) => f.newest))) : null,
        oldestEventTime: logs.length ? iso(Math.min(...logs.map((f) => f.oldest))) : null,
        previousDigestS3Bucket: BUCKET,
        previousDigestS3Object: digestKey(start),
        previousDigestHashValue: prevHash,
        previousDigestHashAlgorithm: 'SHA-256',
        previousDigestSignature: ((made) => prevSignature ?? made)(hex(512)),
        logFiles: logs.map((f) => ({
          s3Bucket: BUCKET,
          s3Object: f.rel.replace(/^s3\//, ''),
          hashValue: f.hash,
          hashAlgorithm: 'SHA-256',
          newestEventTime: iso(f.newest),
          oldestEventTime: iso(f.oldest),
        })),
      };
      const body = JSON.stringify(digest);
      const signature = signDigest(digest, body);
      writeFile(`s3/${digest.digestS3Object}`, gz(body));
      writeFile(`s3/${digest.digestS3Object}.sig`, `${signature}\n`);
      written.push({ rel: `s3/${digest.digestS3Object}`, logFiles: logs.length });
      prevHash = sha256(body);
      prevSignature = signature;
    }
  }
  return written;
}

// ---------------------------------------------------------------- lookup-events dump
function lookupResources(r) {
  const q = r.requestParameters ?? {},
    s = r.responseElements ?? {};
  const out = [];
  const add = (ResourceType, ResourceName) => ResourceName && out.push({ ResourceType, ResourceName });
  if (r.eventSource === 'iam.amazonaws.com') {
    add('AWS::IAM::AccessKey', s.accessKey?.accessKeyId ?? q.accessKeyId);
    add('AWS::IAM::User', q.userName);
    add('AWS::IAM::Role', q.roleName);
    add('AWS::IAM::Policy', q.policyArn ?? q.policyName);
  } else if (r.eventName === 'AssumeRole' && s.credentials) {
    add('AWS::IAM::AccessKey', s.credentials.accessKeyId);
    add('AWS::STS::AssumedRole', q.roleSessionName);
    add('AWS::STS::AssumedRole', s.assumedRoleUser.assumedRoleId);
    add('AWS::IAM::Role', q.roleArn);
  } else if (r.eventSource === 'ec2.amazonaws.com') {
    for (const i of s.instancesSet?.items ?? q.instancesSet?.items ?? []) add('AWS::EC2::Instance', i.instanceId);
    add('AWS::EC2::KeyPair', q.keyName);
    add('AWS::EC2::SecurityGroup', s.groupId ?? q.groupId);
  } else if (r.eventSource === 'lambda.amazonaws.com') {
    add('AWS::Lambda::Function', q.functionName);
  } else if (r.eventSource === 'cloudtrail.amazonaws.com') {
    add('AWS::CloudTrail::Trail', q.name);
  }
  return out;
}

function lookupUsername(ui) {
  if (ui.type === 'IAMUser') return ui.userName;
  if (ui.type === 'AssumedRole') return ui.arn.split('/').pop();
  return undefined;
}

function lookupEntry(r) {
  const e = { EventId: r.eventID, EventName: r.eventName, ReadOnly: String(r.readOnly) };
  if (r.userIdentity.accessKeyId) e.AccessKeyId = r.userIdentity.accessKeyId;
  e.EventTime = r.eventTime.replace('Z', '+00:00');
  e.EventSource = r.eventSource;
  const name = lookupUsername(r.userIdentity);
  if (name) e.Username = name;
  e.Resources = lookupResources(r);
  e.CloudTrailEvent = JSON.stringify(r);
  return e;
}

function writeLookup(events) {
  const newestFirst = [...events].sort((a, b) => b.t - a.t || (a.r.eventID < b.r.eventID ? -1 : 1));
  const entries = newestFirst.map((e) => lookupEntry(e.r));
  const token = Buffer.from(JSON.stringify({ NextToken: bytes(72).toString('base64'), boto_truncate_amount: 0 })).toString('base64');
  const page1 = { Events: entries.slice(0, 50), NextToken: token };
  const page2 = { Events: entries.slice(50) };
  // The AWS CLI prints JSON with 4-space indentation; two runs were appended to one file.
  const text = `${JSON.stringify(page1, null, 4)}\n${JSON.stringify(page2, null, 4)}\n`;
  writeFile('console/lookup-events-us-east-1.json', text);
  return { pages: [page1.Events.length, page2.Events.length] };
}

// ---------------------------------------------------------------- ground truth docs
function writeScenario(t, ev, m) {
  const c = t.counts;
  const row = (...cells) => `| ${cells.join(' | ')} |`;
  const regionRows = REGIONS.map((region) => {
    const inRegion = ev.attacker.filter((e) => e.r.awsRegion === region);
    const names = [...new Set(inRegion.map((e) => e.r.eventName))].sort();
    return row(region, inRegion.length, names.join(', '));
  });
  const md = `# Scenario: leaked CI access key (account ${ACCT}, October 2026)

Generated by \`scripts/generate-samples.mjs\`; do not edit by hand (rerun the script). Every number and id
below is computed from the files written next to this one; \`truth.json\` holds the same facts for tests.

## Story
- **Before** (from ${iso(WINDOW_START)}): normal life. The pipeline user \`ci-deploy\` (key \`${t.leakedKey}\`)
  deploys with Terraform and boto3 from the CI runner ${IP.ci}; \`alice\` (${IP.alice}) and \`bob\` (${IP.bob}) sign in to
  the console with MFA; EC2 refreshes the \`app-server-role\` instance-profile session of ${APP_INSTANCE}; AWS Config and
  Auto Scaling act through their service-linked roles in every region.
- **2026-10-14 02:31**: the nightly pipeline run from ${IP.ci}, the key's last legitimate use.
- **03:02:11Z**: \`ci-deploy\`'s key, pushed to a public repository, is tested from ${IP.leak}
  (\`python-requests\`, \`sts:GetCallerIdentity\`), then used with boto3 to enumerate IAM and S3, and EC2 and Lambda in all five regions.
  ${ev.attacker
    .filter((e) => e.r.errorCode && e.t < T('2026-10-14T03:11:00Z'))
    .map((e) => `\`${e.r.eventName}\``)
    .join(', ')} are denied.
- **03:11**: persistence with the leaked key: \`CreateUser svc-backup\` (a retry fails with \`EntityAlreadyExists\`),
  \`CreateAccessKey\` (\`${KEY.svc}\`), \`AttachUserPolicy AdministratorAccess\`, \`CreateLoginProfile\`; bob's console
  password is removed (\`DeleteLoginProfile bob\`).
- **03:18**: the new key, from ${IP.cli} with the AWS CLI: \`CreateRole ops-maintenance\` trusting account ${EXT_ACCT}
  (and svc-backup), \`AttachRolePolicy AdministratorAccess\`, \`AssumeRole\` (session \`maint\`, \`${KEY.maint}\`),
  \`GetSessionToken\` (\`${KEY.gst}\`), and a \`StopLogging\` attempt that an SCP denies.
- **03:25-03:45**: GPU instances in us-east-1 (p3.16xlarge), us-west-2 (p3.16xlarge refused by the vCPU quota,
  then g5.12xlarge), eu-west-1 and ap-southeast-1 (g5.12xlarge), Spot requests in sa-east-1 and ap-southeast-1,
  each after \`ImportKeyPair\` and SSH open to 0.0.0.0/0; a Lambda function \`sys-healthcheck\` in us-east-1.
  svc-backup signs in to the console without MFA from ${IP.console} (console session key \`${KEY.svcConsole}\`).
- **03:51**: the session-token credentials check SES quotas and verify a sender address in us-east-1 and eu-west-1.
- **05:10**: account ${EXT_ACCT} assumes \`ops-maintenance\` through the door (\`AWSAccount\` caller, session
  \`backup-sync\`, 12 h, \`${KEY.ext}\`) and creates \`sys-healthcheck\` in eu-west-1 behind a public function URL.
- **08:58-09:16**: alice responds: \`UpdateAccessKey ${KEY.leaked} Inactive\` at 09:12:03, \`DeleteAccessKey ${KEY.svc}\` at 09:14:27.
- **${iso(S3_EXPORT)}**: the trail bucket is copied (\`evidence/s3/\`). Later events exist only in the lookup-events dump:
  alice detaches svc-backup's policy and removes its password, the \`backup-sync\` session is still working
  (it outlives the deleted keys) until alice revokes older sessions of the role (\`AWSRevokeOlderSessions\`) at 10:02:37
  and terminates the us-east-1 instances.
- **${iso(LOOKUP_RUN)}**: \`aws cloudtrail lookup-events --region us-east-1 --start-time ${iso(LOOKUP_START)}\` is run
  in two pages, appended to one file (\`evidence/console/\`).

## Identities and credentials the attacker created or obtained
| what | id | by (credential) | eventID | time |
|---|---|---|---|---|
${t.createdUsers.map((u) => row('user', `\`${u.userName}\` (${u.userId})`, `\`${u.createdWith}\``, u.eventID, u.eventTime)).join('\n')}
${t.createdAccessKeys.map((k) => row('access key', `\`${k.accessKeyId}\` (${k.userName})`, `\`${k.createdWith}\``, k.eventID, k.eventTime)).join('\n')}
${t.loginProfiles.map((l) => row(l.eventName, `\`${l.userName}\``, `\`${t.leakedKey}\``, l.eventID, l.eventTime)).join('\n')}
${t.createdRoles.map((r) => row('role', `\`${r.roleName}\` (${r.roleId}), trusts ${r.trustedPrincipals.join(', ')}`, `\`${r.createdWith}\``, r.eventID, r.eventTime)).join('\n')}
${t.assumedRoleSessions.map((s) => row('role session', `\`${s.accessKeyId}\` (${s.sessionName})`, s.assumedWith ? `\`${s.assumedWith}\`` : s.assumedBy, s.eventID, s.eventTime)).join('\n')}
${t.sessionTokens.map((s) => row('session token', `\`${s.accessKeyId}\` (${s.userName})`, `\`${s.obtainedWith}\``, s.eventID, s.eventTime)).join('\n')}
${t.consoleLogins.map((l) => row('console login (no MFA)', `\`${l.userName}\` → \`${KEY.svcConsole}\``, l.sourceIPAddress, l.eventID, l.eventTime)).join('\n')}

Attacker source IPs: ${t.attackerIps.join(', ')}. Failed attempts: ${t.failedAttempts.length} (${[...new Set(t.failedAttempts.map((f) => f.errorCode))].join(', ')}).
Key events: failed \`CreateUser\` ${m.failedCreateUser}; \`StopLogging\` ${m.stopLogging}; leaked key deactivated ${m.deactivate};
svc-backup key deleted ${m.deleteSvcKey}.

## What ran where (attacker events, S3 copy and lookup dump together)
| region | events | event names |
|---|---|---|
${regionRows.join('\n')}

Resources the attacker created: ${t.attackerResources.length} (${Object.entries(
    t.attackerResources.reduce((acc, r) => {
      acc[r.resourceType] = (acc[r.resourceType] ?? 0) + 1;
      return acc;
    }, {}),
  )
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')}); each is listed in \`truth.json\` with its eventID.

## Counts
| measure | value |
|---|---|
| distinct events (by eventID) | ${c.distinctEvents} |
| events in S3 event files | ${c.s3Events} |
| events in the lookup-events file | ${c.lookupEvents} (pages of ${m.pages.join(' + ')}) |
| overlap (same eventID in both) | ${c.overlap} |
| lookup-only events (after the S3 copy) | ${c.lookupEvents - c.overlap} |
| S3 event files | ${c.eventFiles} |
| digest files | ${c.digestFiles} |
| signature files beside the digests | ${c.signatureFiles} |
| regions | ${c.regions.join(', ')} |
| attacker events | ${t.attackerEventIDs.length} |

## Notes
- The digests are real ones, signed by a key made for the sample (\`scripts/sample-digest-key.pem\`, standing in for
  CloudTrail's): each lists its log files' SHA-256 (of the uncompressed content), names the previous digest's SHA-256 and
  signature, and has its signature (the S3 object's \`x-amz-meta-signature\`) beside it as \`<digest>.sig\`. The public key
  is \`public-keys.json\` beside this file, as \`aws cloudtrail list-public-keys\` prints it:
  \`keytrail verify evidence/ --public-keys public-keys.json\` checks all of it. The first digest of each chain points to an
  earlier digest that is not part of the copy (its hash and signature are made up).
- The CloudTrail events in the lookup dump are byte-identical to the S3 records with the same eventID.
- IPs are documentation ranges: ${IP.alice}/${IP.bob}/${IP.ci} corporate, ${ATTACKER_IPS.join(', ')} attacker.
`;
  fs.writeFileSync(path.join(OUT, 'SCENARIO.md'), md);
}

// ---------------------------------------------------------------- main
// expected.yaml beside them is written by hand (what the rules must flag): it stays.
fs.rmSync(EVIDENCE, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });

background();
const marks = incident();
all.sort((a, b) => a.t - b.t);

const s3Events = all.filter((e) => e.t < S3_EXPORT);
const lookupEvents = all.filter((e) => e.r.awsRegion === 'us-east-1' && e.t >= LOOKUP_START && e.t <= LOOKUP_RUN);
const eventFiles = writeEventFiles(s3Events);
const digests = writeDigests(eventFiles);
fs.writeFileSync(
  path.join(OUT, 'public-keys.json'),
  `${JSON.stringify(
    {
      PublicKeyList: [
        { Value: PUBLIC_DER.toString('base64'), ValidityStartTime: '2026-01-01T00:00:00Z', ValidityEndTime: '2027-01-01T00:00:00Z', Fingerprint: FINGERPRINT },
      ],
    },
    null,
    2,
  )}\n`,
);
const lookupInfo = writeLookup(lookupEvents);

const s3Ids = new Set(s3Events.map((e) => e.r.eventID));
const lookupIds = new Set(lookupEvents.map((e) => e.r.eventID));
const overlap = [...lookupIds].filter((id) => s3Ids.has(id)).length;
const attacker = all.filter((e) => e.tag === 'attacker');
const truthDoc = {
  scenario: 'leaked-key',
  accountId: ACCT,
  leakedKey: KEY.leaked,
  leakedKeyUser: U.ci.name,
  attackerIps: ATTACKER_IPS,
  attackerExternalAccount: EXT_ACCT,
  corporateIps: [IP.alice, IP.bob, IP.ci],
  window: { start: iso(WINDOW_START), end: iso(WINDOW_END), s3Export: iso(S3_EXPORT), lookupStart: iso(LOOKUP_START) },
  counts: {
    distinctEvents: new Set([...s3Ids, ...lookupIds]).size,
    s3Events: s3Events.length,
    lookupEvents: lookupEvents.length,
    overlap,
    eventFiles: eventFiles.length,
    digestFiles: digests.length,
    signatureFiles: digests.length,
    regions: REGIONS.filter((r) => all.some((e) => e.r.awsRegion === r && (s3Ids.has(e.r.eventID) || lookupIds.has(e.r.eventID)))),
  },
  createdUsers: truth.createdUsers,
  createdAccessKeys: truth.createdAccessKeys,
  createdRoles: truth.createdRoles,
  assumedRoleSessions: truth.assumedRoleSessions,
  sessionTokens: truth.sessionTokens,
  loginProfiles: truth.loginProfiles,
  consoleLogins: truth.consoleLogins,
  attackerAccessKeys: [KEY.leaked, KEY.svc, KEY.maint, KEY.gst, KEY.svcConsole, KEY.ext],
  failedAttempts: attacker
    .filter((e) => e.r.errorCode)
    .map((e) => ({ eventID: e.r.eventID, eventName: e.r.eventName, errorCode: e.r.errorCode, eventTime: e.r.eventTime })),
  attackerResources: truth.attackerResources,
  responder: { deactivateLeakedKey: marks.deactivate, deleteCreatedKey: marks.deleteSvcKey },
  attackerEventIDs: attacker.map((e) => e.r.eventID),
  lookupOnlyEventIDs: lookupEvents.filter((e) => !s3Ids.has(e.r.eventID)).map((e) => e.r.eventID),
};
fs.writeFileSync(path.join(OUT, 'truth.json'), `${JSON.stringify(truthDoc, null, 2)}\n`);
writeScenario(truthDoc, { attacker }, { ...marks, ...lookupInfo });

// ---------------------------------------------------------------- checks: re-read what was written
{
  const walk = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
  const files = walk(EVIDENCE)
    .map((f) => path.relative(EVIDENCE, f).split(path.sep).join('/'))
    .sort();
  const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const KEYID = /^(AKIA|ASIA)[A-Z2-7]{16}$/;
  const s3Records = new Map();
  const rawByHash = new Map();
  let eventFileCount = 0,
    digestCount = 0,
    signatureCount = 0,
    totalBytes = 0;
  for (const rel of files) {
    const buf = fs.readFileSync(path.join(EVIDENCE, rel));
    totalBytes += buf.length;
    if (rel.endsWith('.json.gz.sig')) {
      signatureCount++;
      continue;
    }
    if (!rel.endsWith('.json.gz')) continue;
    const text = zlib.gunzipSync(buf).toString('utf8');
    const doc = JSON.parse(text);
    let m;
    if (
      (m = rel.match(/^s3\/AWSLogs\/(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_CloudTrail_\2_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$/))
    ) {
      eventFileCount++;
      rawByHash.set(sha256(text), rel);
      assert.equal(m[6].slice(0, 8), m[3] + m[4] + m[5], `${rel}: folder date is the delivery date`);
      assert.ok(Array.isArray(doc.Records) && doc.Records.length >= 5 && doc.Records.length <= 60, `${rel}: 5..60 records`);
      for (const r of doc.Records) {
        assert.ok(UUID4.test(r.eventID), `${rel}: eventID ${r.eventID}`);
        assert.ok(!s3Records.has(r.eventID), `duplicate eventID ${r.eventID} in S3 files`);
        s3Records.set(r.eventID, r);
        assert.equal(r.awsRegion, m[2], `${rel}: record region`);
        assert.match(r.eventTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        const t = T(r.eventTime);
        assert.ok(t >= WINDOW_START && t < S3_EXPORT, `${rel}: eventTime ${r.eventTime} outside the S3 window`);
        const delivered = T(m[6].replace(/(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z/, '$1-$2-$3T$4:$5:00Z'));
        assert.ok(delivered + MIN > t, `${rel}: delivered before its events`);
        assert.ok(delivered <= S3_EXPORT, `${rel}: delivered after the bucket was copied`);
        for (const f of [
          'eventVersion',
          'userIdentity',
          'eventTime',
          'eventSource',
          'eventName',
          'awsRegion',
          'sourceIPAddress',
          'userAgent',
          'eventID',
          'eventType',
          'recipientAccountId',
          'eventCategory',
        ])
          assert.ok(r[f] !== undefined, `${r.eventID}: missing ${f}`);
        assert.equal(typeof r.readOnly, 'boolean');
        assert.equal(r.managementEvent, true);
        assert.ok(['1.08', '1.09'].includes(r.eventVersion));
        assert.equal(r.eventType, r.eventName === 'ConsoleLogin' ? 'AwsConsoleSignIn' : 'AwsApiCall');
        if (r.userIdentity.accessKeyId) assert.ok(KEYID.test(r.userIdentity.accessKeyId), `${r.eventID}: key id ${r.userIdentity.accessKeyId}`);
        if (r.errorCode) assert.equal(r.responseElements, null, `${r.eventID}: failed call with a response`);
      }
    } else if (
      /^s3\/AWSLogs\/\d{12}\/CloudTrail-Digest\/([a-z0-9-]+)\/\d{4}\/\d{2}\/\d{2}\/\d{12}_CloudTrail-Digest_\1_[\w-]+_\1_\d{8}T\d{6}Z\.json\.gz$/.test(rel)
    ) {
      digestCount++;
      assert.equal(`s3/${doc.digestS3Object}`, rel);
      for (const k of [
        'awsAccountId',
        'digestStartTime',
        'digestEndTime',
        'digestS3Bucket',
        'digestPublicKeyFingerprint',
        'digestSignatureAlgorithm',
        'newestEventTime',
        'oldestEventTime',
        'previousDigestS3Bucket',
        'previousDigestS3Object',
        'previousDigestHashValue',
        'previousDigestHashAlgorithm',
        'previousDigestSignature',
        'logFiles',
      ])
        assert.ok(k in doc, `${rel}: ${k}`);
    } else {
      assert.fail(`unexpected file ${rel}`);
    }
  }
  // Digests: every listed log file exists with that hash.
  // Digests: every listed log file exists with that hash; each is signed, and names the one before it by its hash and signature.
  const publicKey = crypto.createPublicKey({ key: PUBLIC_DER, format: 'der', type: 'pkcs1' });
  const bodies = new Map();
  for (const rel of files.filter((f) => f.includes('CloudTrail-Digest') && f.endsWith('.json.gz'))) {
    const body = zlib.gunzipSync(fs.readFileSync(path.join(EVIDENCE, rel))).toString('utf8');
    const doc = JSON.parse(body);
    bodies.set(doc.digestS3Object, { body, signature: fs.readFileSync(path.join(EVIDENCE, `${rel}.sig`), 'utf8').trim() });
    for (const lf of doc.logFiles) assert.equal(rawByHash.get(lf.hashValue), `s3/${lf.s3Object}`, `${rel}: log file hash`);
    const signed = `${doc.digestEndTime}\n${doc.digestS3Bucket}/${doc.digestS3Object}\n${sha256(body)}\n${doc.previousDigestSignature}`;
    assert.ok(crypto.verify('sha256', Buffer.from(signed), publicKey, Buffer.from(bodies.get(doc.digestS3Object).signature, 'hex')), `${rel}: signature`);
  }
  for (const { body } of bodies.values()) {
    const doc = JSON.parse(body);
    const prev = bodies.get(doc.previousDigestS3Object);
    if (prev) assert.deepEqual([doc.previousDigestHashValue, doc.previousDigestSignature], [sha256(prev.body), prev.signature], `${doc.digestS3Object}: chain`);
  }
  assert.equal(signatureCount, digestCount);
  assert.ok(digestCount > 0);
  // lookup-events: exactly two JSON objects, newest first, CloudTrailEvent identical to the S3 record.
  const text = fs.readFileSync(path.join(EVIDENCE, 'console/lookup-events-us-east-1.json'), 'utf8');
  const objs = [];
  let depth = 0,
    inStr = false,
    esc = false,
    begin = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inStr) {
      if (esc) esc = false;
      else if (ch === '\\') esc = true;
      else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === '"') inStr = true;
    else if (ch === '{') {
      if (depth++ === 0) begin = i;
    } else if (ch === '}' && --depth === 0) objs.push(JSON.parse(text.slice(begin, i + 1)));
    else if (depth === 0 && !/\s/.test(ch)) assert.fail(`lookup file: stray ${ch} at ${i}`);
  }
  assert.equal(objs.length, 2, 'lookup file holds two pages');
  assert.ok(objs[0].NextToken && !('NextToken' in objs[1]));
  const lk = objs.flatMap((o) => o.Events);
  const lkIds = new Set(lk.map((e) => e.EventId));
  assert.equal(lkIds.size, lk.length, 'lookup eventIDs unique');
  let lkOverlap = 0,
    prevTime = Infinity;
  for (const e of lk) {
    const r = JSON.parse(e.CloudTrailEvent);
    assert.equal(r.eventID, e.EventId);
    assert.equal(r.eventName, e.EventName);
    assert.equal(r.eventSource, e.EventSource);
    assert.equal(String(r.readOnly), e.ReadOnly);
    assert.equal(r.awsRegion, 'us-east-1');
    assert.equal(e.EventTime, r.eventTime.replace('Z', '+00:00'));
    assert.equal(e.AccessKeyId, r.userIdentity.accessKeyId);
    const t = T(r.eventTime);
    assert.ok(t <= prevTime, 'lookup events newest first');
    prevTime = t;
    assert.ok(t >= LOOKUP_START && t <= WINDOW_END);
    if (s3Records.has(e.EventId)) {
      lkOverlap++;
      assert.deepEqual(r, s3Records.get(e.EventId), `${e.EventId}: lookup and S3 differ`);
      assert.equal(e.CloudTrailEvent, JSON.stringify(s3Records.get(e.EventId)));
    } else {
      assert.ok(t >= S3_EXPORT, `${e.EventId}: lookup-only event from before the S3 copy`);
    }
  }
  const lookupOnly = lk.length - lkOverlap;
  assert.ok(lookupOnly >= 3 && lookupOnly <= 10, `lookup-only events: ${lookupOnly}`);
  assert.ok(lkOverlap > lookupOnly, 'most lookup events are also in S3');
  // truth.json agrees with the files.
  const tr = JSON.parse(fs.readFileSync(path.join(OUT, 'truth.json'), 'utf8'));
  assert.deepEqual(tr.counts, {
    distinctEvents: new Set([...s3Records.keys(), ...lkIds]).size,
    s3Events: s3Records.size,
    lookupEvents: lk.length,
    overlap: lkOverlap,
    eventFiles: eventFileCount,
    digestFiles: digestCount,
    signatureFiles: signatureCount,
    regions: REGIONS.filter((r) => [...s3Records.values()].some((x) => x.awsRegion === r)),
  });
  assert.equal(tr.counts.distinctEvents, tr.counts.s3Events + tr.counts.lookupEvents - tr.counts.overlap);
  assert.ok(tr.counts.distinctEvents >= 300 && tr.counts.distinctEvents <= 600, `distinct events ${tr.counts.distinctEvents}`);
  const byId = new Map([...s3Records, ...lk.map((e) => [e.EventId, JSON.parse(e.CloudTrailEvent)])]);
  for (const u of tr.createdUsers) assert.equal(byId.get(u.eventID)?.responseElements.user.userName, u.userName);
  for (const k of tr.createdAccessKeys) assert.equal(byId.get(k.eventID)?.responseElements.accessKey.accessKeyId, k.accessKeyId);
  for (const r of tr.createdRoles) assert.equal(byId.get(r.eventID)?.responseElements.role.roleName, r.roleName);
  for (const s of tr.assumedRoleSessions) assert.equal(byId.get(s.eventID)?.responseElements.credentials.accessKeyId, s.accessKeyId);
  for (const id of tr.attackerEventIDs) assert.ok(byId.has(id), `attacker event ${id} missing from the evidence`);
  for (const k of tr.attackerAccessKeys) assert.ok(KEYID.test(k));
  const acctOf = (id) => {
    const body = id.slice(4, 20);
    let bits = 0n;
    for (const ch of body) bits = (bits << 5n) | BigInt(B32.indexOf(ch));
    return String(((bits >> 32n) & 0x7fffffffff80n) >> 7n);
  };
  for (const k of tr.attackerAccessKeys) assert.equal(acctOf(k), ACCT, `${k} decodes to the account`);
  const scenario = fs.readFileSync(path.join(OUT, 'SCENARIO.md'), 'utf8');
  for (const [k, v] of Object.entries(tr.counts)) if (typeof v === 'number') assert.ok(scenario.includes(`| ${v}`), `SCENARIO.md lacks ${k}=${v}`);
  assert.ok(totalBytes < 300 * 1024, `evidence set is ${totalBytes} bytes`);
  process.stderr.write(`samples/leaked-key: ${files.length} files, ${totalBytes} bytes; ${JSON.stringify(tr.counts)}\n`);
}
