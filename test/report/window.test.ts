/**
 * Issue 15 point 1: the attack window explains, it never filters. A leaked key that launches an
 * instance a minute before its first IAM change keeps the launch in Step 3; a key with a day of its
 * owner's use before the attacker's address appears keeps that use too, marked as the owner's, never
 * proposed for undoing; the report says how it decided.
 */
import { describe, expect, it } from 'vitest';
import { record } from '../helpers.js';
import { iamUser, investigateEvents } from './incident.js';

const KEY = 'AKIAWINDOWKEY0000001';
const who = iamUser('ci', KEY);
const launch = (t: string, id: string, ip: string) =>
  record({
    eventTime: t,
    userIdentity: who,
    sourceIPAddress: ip,
    eventSource: 'ec2.amazonaws.com',
    eventName: 'RunInstances',
    awsRegion: 'eu-west-1',
    readOnly: false,
    requestParameters: { instanceType: 'c5.large', instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] } },
    responseElements: { instancesSet: { items: [{ instanceId: id, instanceType: 'c5.large' }] } },
  });
const createUser = (t: string, name: string, ip: string) =>
  record({
    eventTime: t,
    userIdentity: who,
    sourceIPAddress: ip,
    eventName: 'CreateUser',
    readOnly: false,
    requestParameters: { userName: name },
    responseElements: { user: { userName: name } },
  });

const investigate = (events: Record<string, unknown>[]) => investigateEvents(events, KEY);

describe('the attack window explains, it never filters', () => {
  it('keeps a launch made a minute before the first IAM change', () => {
    const { json, sh } = investigate([
      launch('2026-10-14T10:06:00Z', 'i-0aaaaaaaaaaaaaaa1', '203.0.113.77'),
      createUser('2026-10-14T10:07:00Z', 'backdoor', '203.0.113.77'),
    ]);
    expect(json.resources.map((x: { eventName: string; resourceId: string; ownerUse: boolean }) => [x.eventName, x.resourceId, x.ownerUse])).toEqual([
      ['RunInstances', 'i-0aaaaaaaaaaaaaaa1', false],
    ]);
    expect(json.window.first).toBe('2026-10-14T10:06:00Z');
    expect(json.window.how).toMatch(/Nothing in the evidence tells AKIAWINDOWKEY0000001 apart from the attacker/);
    expect(sh).toContain('i-0aaaaaaaaaaaaaaa1');
  });

  it("lists the owner's earlier use, marked and never undone, and says how it decided", () => {
    const { json, md, sh } = investigate([
      launch('2026-10-12T09:00:00Z', 'i-0bbbbbbbbbbbbbbb1', '192.0.2.10'),
      createUser('2026-10-12T09:05:00Z', 'deploy-bot', '192.0.2.10'),
      launch('2026-10-13T12:00:00Z', 'i-0bbbbbbbbbbbbbbb2', '192.0.2.10'),
      launch('2026-10-14T03:00:00Z', 'i-0ccccccccccccccc1', '203.0.113.77'),
      createUser('2026-10-14T03:01:00Z', 'backdoor', '203.0.113.77'),
    ]);
    expect(json.window).toMatchObject({ first: '2026-10-14T03:00:00Z', ownerUntil: '2026-10-14T03:00:00Z' });
    expect(json.window.how).toMatch(/from 203\.0\.113\.77, an address new to it: its events before 2026-10-14T03:00:00Z are marked as its owner's use/);
    const rows = json.resources.map((x: { resourceId: string; ownerUse: boolean }) => [x.resourceId, x.ownerUse]);
    expect(rows).toEqual([
      ['i-0bbbbbbbbbbbbbbb1', true],
      ['i-0bbbbbbbbbbbbbbb2', true],
      ['i-0ccccccccccccccc1', false],
    ]);
    expect(json.iamChanges.map((c: { target: string; ownerUse: boolean; undo: string | null }) => [c.target, c.ownerUse, c.undo !== null])).toEqual([
      ['deploy-bot', true, false],
      ['backdoor', false, true],
    ]);
    expect(md).toContain("done (owner's use, before the attack)");
    expect(md).toContain("(owner's use, before the attack)");
    expect(sh).toContain('i-0ccccccccccccccc1');
    expect(sh).not.toContain('i-0bbbbbbbbbbbbbbb');
    expect(sh).not.toContain('deploy-bot');
    expect(json.summary.join(' ')).toMatch(/3 change\(s\) by the seed key's owner before the attack, listed and marked/);
  });
});
