/**
 * Summaries that read as sentences: `rules test` renders each rule's summary on its positive tests
 * through detect's SQL and fails on `?`, `{}`, `()`, raw JSON and doubled separators; the
 * formatters render objects as words; a value is data, never a placeholder or SQL.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testRules } from '../../src/harness/rule-tests.js';
import { formatProblem, isError, loadRules } from '../../src/rules/load-rules.js';
import { summaryDebris } from '../../src/rules/summary-sql.js';
import { tmpDir, write } from '../helpers.js';

const dir = tmpDir('kt-summary-');
let n = 0;

/** One single-event rule on CreateUser with this summary and these positive test events (flow YAML). */
function ruleText(summary: string, events: string[]): string {
  return `title: summary check ${n}
id: summary-check-${n}
logsource: {product: aws, service: cloudtrail}
detection:
    selection: {eventName: CreateUser}
    condition: selection
output:
    summary: ${JSON.stringify(summary)}
tests:
${events.map((e, i) => `    - name: case ${i}\n      match: true\n      event: ${e}\n`).join('')}    - name: other
      match: false
      event: {eventName: ListUsers}
`;
}

async function load(summary: string, events: string[]) {
  const d = path.join(dir, `r${++n}`);
  write(path.join(d, 'r.yml'), ruleText(summary, events));
  return loadRules([d]);
}

async function check(summary: string, ...events: string[]) {
  const { rules, problems } = await load(summary, events);
  expect(problems.filter(isError).map(formatProblem)).toEqual([]);
  return (await testRules(rules)).failures;
}

const EVENT =
  "{eventName: CreateUser, userIdentity: {arn: 'arn:aws:iam::111122223333:user/ci'}, sourceIPAddress: 203.0.113.10, requestParameters: {userName: svc}}";

describe('rules test checks summaries', () => {
  it('passes a summary that reads as a sentence', async () => {
    expect(await check('{userIdentity.arn} created {requestParameters.userName} from {sourceIPAddress}', EVENT)).toEqual([]);
  });

  it('fails an absent placeholder, naming the rule, the test and the rendered text', async () => {
    const failures = await check('{userIdentity.arn} created {requestParameters.name} ({errorCode})', EVENT);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ ruleId: `summary-check-${n}`, test: 'case 0' });
    expect(failures[0]!.message).toContain('"arn:aws:iam::111122223333:user/ci created ? (?)"');
    expect(failures[0]!.message).toContain('{requestParameters.name} is absent');
    expect(failures[0]!.message).toContain('{errorCode} is absent');
  });

  it('fails concatenated alternatives that should be {a|b}', async () => {
    const failures = await check('read {requestParameters.secretId}{requestParameters.userName}', EVENT);
    expect(failures[0]!.message).toContain('"read ?svc"');
  });

  it('fails a JSON object printed raw, and an empty one', async () => {
    const raw = await check('created {requestParameters}', EVENT);
    expect(raw[0]!.message).toContain('prints a JSON value raw');
    const empty = await check('created {requestParameters.tags}', '{eventName: CreateUser, requestParameters: {tags: {}}}');
    expect(empty[0]!.message).toMatch(/empty \{\} or \[\]/);
  });

  it('fails the debris of an optional value left empty', async () => {
    const failures = await check('created {requestParameters.userName} ({errorCode|}) in {awsRegion} {errorMessage|}', EVENT);
    expect(failures[0]!.message).toContain('empty pair of parentheses');
    expect(failures[0]!.message).toContain('trailing space');
  });

  it('checks only what a case renders, and every case', async () => {
    const failures = await check('{userIdentity.arn} created {requestParameters.userName}', EVENT, '{eventName: CreateUser, requestParameters: {userName: x}}');
    expect(failures.map((f) => f.test)).toEqual(['case 1']);
  });

  it('refuses an unknown formatter when the rule loads', async () => {
    const { rules, problems } = await load('opened {requestParameters.ipPermissions:rules}', [EVENT]);
    expect(rules).toEqual([]);
    expect(problems.filter(isError).map(formatProblem).join('\n')).toContain('not field:formatter');
  });
});

describe('summary formatters', () => {
  /** The summary detect renders for one event, through the tester (a rendering that fails shows itself). */
  async function render(summary: string, event: string): Promise<string> {
    const failures = await check(`${summary} {nothing.here}`, event);
    const m = /summary "(.*)": /.exec(failures[0]!.message);
    return JSON.parse(`"${m![1]!}"`).replace(/ \?$/, '');
  }

  it('permissions: protocol, ports and sources of EC2 ipPermissions', async () => {
    const event =
      "{eventName: CreateUser, requestParameters: {ipPermissions: {items: [{ipProtocol: tcp, fromPort: 22, toPort: 22, groups: {}, ipRanges: {items: [{cidrIp: 0.0.0.0/0}]}, ipv6Ranges: {items: [{cidrIpv6: '::/0'}]}, prefixListIds: {}}, {ipProtocol: '-1', groups: {items: [{groupId: sg-1}]}}, {ipProtocol: udp, fromPort: 1000, toPort: 2000, prefixListIds: {items: [{prefixListId: pl-1}]}}]}}}";
    expect(await render('{requestParameters.ipPermissions:permissions}', event)).toBe(
      'tcp/22 from 0.0.0.0/0, ::/0; all traffic from sg-1; udp/1000-2000 from pl-1',
    );
  });

  it('list: an array, or the items of an object', async () => {
    expect(await render('{requestParameters.names:list}', '{eventName: CreateUser, requestParameters: {names: [/a, /b]}}')).toBe('/a, /b');
    expect(
      await render(
        '{requestParameters.p.add:list}',
        "{eventName: CreateUser, requestParameters: {p: {add: {items: [{userId: '444455556666'}, {group: all}]}}}}",
      ),
    ).toBe('444455556666, all');
  });

  it('principals: of a policy document held in a string', async () => {
    const doc = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::999988887777:root', 'arn:aws:iam::444455556666:role/x'], Service: 'ec2.amazonaws.com' } },
        { Effect: 'Allow', Principal: '*' },
      ],
    });
    expect(await render('{requestParameters.doc:principals}', `{eventName: CreateUser, requestParameters: {doc: ${JSON.stringify(doc)}}}`)).toBe(
      '*, arn:aws:iam::444455556666:role/x, arn:aws:iam::999988887777:root, ec2.amazonaws.com',
    );
  });

  it('for and failed print nothing when absent with a trailing |', async () => {
    const s = 'created{requestParameters.userName:for|}{errorCode:failed|}';
    expect(await render(s, '{eventName: CreateUser, requestParameters: {userName: svc}, errorCode: AccessDenied}')).toBe(
      'created for svc (failed: AccessDenied)',
    );
    expect(await render(s, '{eventName: CreateUser}')).toBe('created');
  });

  it('a hostile value is data: no placeholder, no SQL', async () => {
    const event = `{eventName: CreateUser, requestParameters: {userName: ${JSON.stringify("{sourceIPAddress}'); DROP TABLE events; --")}, names: [${JSON.stringify("x'), ('y")}]}}`;
    expect(await render('{requestParameters.userName} / {requestParameters.names:list}', event)).toBe("{sourceIPAddress}'); DROP TABLE events; -- / x'), ('y");
  });
});

describe('summary debris', () => {
  it('spares ARNs, IPv6 and times', () => {
    expect(summaryDebris('arn:aws:iam::111122223333:user/ci opened sg-1: tcp/22 from 0.0.0.0/0, ::/0 at 2026-01-01T00:00:00Z')).toEqual([]);
  });
  it('finds doubled separators', () => {
    expect(summaryDebris('read a, , b')).not.toEqual([]);
    expect(summaryDebris('called X on  in us-east-1')).not.toEqual([]);
    expect(summaryDebris('shared ? with all')).not.toEqual([]);
  });
});
