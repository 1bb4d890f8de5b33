/**
 * Issue 15 point 3: what became of what the chain made. A generated incident in which the attacker
 * cleans up part of what it made and the owner the rest: every Step 3 row has its resource id, every
 * creation a state (removed, still exists, unknown), remediation.sh proposes nothing for what is
 * gone, and never gives an attacker-created user its console password back.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { record } from '../helpers.js';
import { ACCOUNT, alice, at, iamUser, investigateEvents } from './incident.js';

const KEY = 'AKIACLEANUPLEAKED001';
const attacker = iamUser('ci', KEY);
const ec2 = (m: number, who: object, region: string, eventName: string, requestParameters: unknown, responseElements: unknown) =>
  record({
    eventTime: at(m),
    userIdentity: who,
    eventSource: 'ec2.amazonaws.com',
    eventName,
    awsRegion: region,
    readOnly: false,
    requestParameters,
    responseElements,
    sourceIPAddress: '203.0.113.77',
  });
const items = (ids: string[]) => ({ items: ids.map((instanceId) => ({ instanceId })) });
const launched = (ids: string[], type: string) => ({
  instancesSet: { items: ids.map((instanceId) => ({ instanceId, instanceType: type, currentState: { code: 0, name: 'pending' } })) },
});
const iam = (m: number, who: object, eventName: string, requestParameters: unknown, responseElements: unknown = null) =>
  record({ eventTime: at(m), userIdentity: who, eventName, readOnly: false, requestParameters, responseElements });

const EVENTS = [
  // The attacker: instances in two regions, an Elastic IP, a database, a function, a user with a console password.
  ec2(
    0,
    attacker,
    'us-east-1',
    'RunInstances',
    { instanceType: 'g5.xlarge', instancesSet: { items: [{ imageId: 'ami-0abc', minCount: 2, maxCount: 2 }] } },
    launched(['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'], 'g5.xlarge'),
  ),
  ec2(
    1,
    attacker,
    'eu-west-1',
    'RunInstances',
    { instanceType: 'c5.large', instancesSet: { items: [{ imageId: 'ami-0def', minCount: 1, maxCount: 1 }] } },
    launched(['i-0bbbbbbbbbbbbbbb1'], 'c5.large'),
  ),
  ec2(2, attacker, 'eu-west-1', 'AllocateAddress', { domain: 'vpc' }, { publicIp: '198.51.100.9', domain: 'vpc', allocationId: 'eipalloc-0c1c1c1c1c1c1c1c1' }),
  record({
    eventTime: at(3),
    userIdentity: attacker,
    eventSource: 'rds.amazonaws.com',
    eventName: 'CreateDBInstance',
    readOnly: false,
    requestParameters: { dBInstanceIdentifier: 'exfil-db', dBInstanceClass: 'db.r6g.4xlarge', engine: 'postgres', allocatedStorage: 100 },
    responseElements: { dBInstanceIdentifier: 'exfil-db', dBInstanceClass: 'db.r6g.4xlarge', engine: 'postgres', dBInstanceStatus: 'creating' },
  }),
  record({
    eventTime: at(4),
    userIdentity: attacker,
    eventSource: 'lambda.amazonaws.com',
    eventName: 'CreateFunction20150331',
    readOnly: false,
    requestParameters: { functionName: 'miner', runtime: 'python3.12', role: `arn:aws:iam::${ACCOUNT}:role/lambda-exec`, handler: 'x.h' },
    responseElements: { functionName: 'miner', functionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:miner`, runtime: 'python3.12' },
  }),
  iam(
    5,
    attacker,
    'CreateUser',
    { userName: 'backdoor' },
    { user: { userName: 'backdoor', userId: 'AIDABACKDOOR', arn: `arn:aws:iam::${ACCOUNT}:user/backdoor` } },
  ),
  iam(
    6,
    attacker,
    'CreateLoginProfile',
    { userName: 'backdoor', passwordResetRequired: false },
    { loginProfile: { userName: 'backdoor', passwordResetRequired: false } },
  ),
  // The attacker's own clean-up: one instance, the function, the console password.
  ec2(
    30,
    attacker,
    'us-east-1',
    'TerminateInstances',
    { instancesSet: items(['i-0aaaaaaaaaaaaaaa2']) },
    { instancesSet: { items: [{ instanceId: 'i-0aaaaaaaaaaaaaaa2', currentState: { code: 32, name: 'shutting-down' } }] } },
  ),
  record({
    eventTime: at(31),
    userIdentity: attacker,
    eventSource: 'lambda.amazonaws.com',
    eventName: 'DeleteFunction20150331',
    readOnly: false,
    requestParameters: { functionName: 'miner' },
  }),
  iam(32, attacker, 'DeleteLoginProfile', { userName: 'backdoor' }),
  // The owner's clean-up, outside the chain: the Elastic IP and the database.
  ec2(120, alice, 'eu-west-1', 'ReleaseAddress', { allocationId: 'eipalloc-0c1c1c1c1c1c1c1c1' }, { _return: true }),
  record({
    eventTime: at(121),
    userIdentity: alice,
    eventSource: 'rds.amazonaws.com',
    eventName: 'DeleteDBInstance',
    readOnly: false,
    requestParameters: { dBInstanceIdentifier: 'exfil-db', skipFinalSnapshot: true },
    responseElements: { dBInstanceIdentifier: 'exfil-db', dBInstanceStatus: 'deleting' },
  }),
  // The evidence goes on for hours after: what was not deleted still exists as far as it shows.
  record({ eventTime: at(600), userIdentity: alice, awsRegion: 'eu-west-1', eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances' }),
];

let json: any;
let sh: string;
beforeAll(() => {
  ({ json, sh } = investigateEvents(EVENTS, KEY));
}, 120_000);

type Row = {
  eventName: string;
  resourceId: string | null;
  action: string | null;
  lifecycle: { state: string; text: string; removedByChain: boolean | null } | null;
};

describe('the lifecycle of what the chain made', () => {
  it('every Step 3 row has its resource id; every creation a state', () => {
    const rows: Row[] = json.resources.filter((x: { failed: boolean }) => !x.failed);
    expect(rows.every((x) => x.resourceId !== null)).toBe(true);
    const state = Object.fromEntries(rows.filter((x) => x.action === 'create').map((x) => [x.resourceId, [x.lifecycle?.state, x.lifecycle?.removedByChain]]));
    expect(state).toEqual({
      'i-0aaaaaaaaaaaaaaa1': ['still exists', null],
      'i-0aaaaaaaaaaaaaaa2': ['removed', true],
      'i-0bbbbbbbbbbbbbbb1': ['still exists', null],
      'eipalloc-0c1c1c1c1c1c1c1c1': ['removed', false],
      'exfil-db': ['removed', false],
      miner: ['removed', true],
    });
    const eip = rows.find((x) => x.resourceId === 'eipalloc-0c1c1c1c1c1c1c1c1')!;
    expect(eip.lifecycle!.text).toMatch(/^removed at 2026-10-14T05:00:00Z by arn:aws:iam::111122223333:user\/alice \(outside the chain/);
  });

  it('Step 2 knows the console password is gone and the user is not', () => {
    const iamState = Object.fromEntries(
      json.iamChanges.map((c: { eventName: string; lifecycle: { state: string } | null }) => [c.eventName, c.lifecycle?.state ?? null]),
    );
    expect(iamState).toMatchObject({ CreateUser: 'still exists', CreateLoginProfile: 'removed', DeleteLoginProfile: null });
  });

  it('remediation.sh proposes nothing for what is gone, and never restores the attacker a password', () => {
    expect(sh).toContain("terminate-instances --instance-ids 'i-0aaaaaaaaaaaaaaa1'");
    expect(sh).toContain("terminate-instances --instance-ids 'i-0bbbbbbbbbbbbbbb1'");
    expect(sh).not.toContain("'i-0aaaaaaaaaaaaaaa2'");
    expect(sh).not.toMatch(/release-address|delete-db-instance|delete-function|create-login-profile|delete-login-profile/);
    expect(sh).toMatch(/# \(nothing to do\) RunInstances i-0aaaaaaaaaaaaaaa2: removed at .*\(the attacker's own clean-up/);
    expect(sh).toContain("delete-user --user-name 'backdoor'");
  });
});
