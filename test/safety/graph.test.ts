/**
 * Graph text over hostile names: user, role and session names that try to end a DOT or Mermaid
 * statement (newline, quote, bracket, `;`, an arrow, a Mermaid directive) stay inside their label,
 * and the graph keeps exactly the nodes and edges of the JSON.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { printable } from '../../src/escape.js';
import { ACCOUNT, LEAKED } from '../fixtures/hostile.js';
import { cli, record, s3File, tmpDir, write } from '../helpers.js';

const NAMES = [
  'a"] --> evil["x',
  'b\nclick n0 call alert()',
  'c\r\nstyle n0 fill:#f00',
  'd;e|"x"|f',
  'g}\n}\ndigraph x {',
  'h\\"i\\',
  '%%{init: {"theme":"dark"}}%%',
  'j#quot;k#35;',
  'l\u2028m\u001b[2Jn',
  'o`p`<b>q</b>',
];

let db: string;
let json: { nodes: { id: string }[]; edges: { from: string; to: string; kind: string }[] };

beforeAll(() => {
  const d = tmpDir();
  const who = {
    type: 'IAMUser',
    principalId: 'AIDAHOSTILE',
    arn: `arn:aws:iam::${ACCOUNT}:user/ci-deploy`,
    accountId: ACCOUNT,
    accessKeyId: LEAKED,
    userName: 'ci-deploy',
  };
  const recs = NAMES.flatMap((name, i) => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
    const session = `ASIAHOSTILESESSION${String(i).padStart(2, '0')}`;
    return [
      record({
        userIdentity: who,
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateUser',
        readOnly: false,
        requestParameters: { userName: name },
        responseElements: { user: { userName: name, arn: `arn:aws:iam::${ACCOUNT}:user/${name}` } },
      }),
      record({
        userIdentity: who,
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateRole',
        readOnly: false,
        requestParameters: { roleName: name },
        responseElements: { role: { roleName: name, arn: roleArn } },
      }),
      record({
        userIdentity: who,
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        readOnly: true,
        requestParameters: { roleArn, roleSessionName: name },
        responseElements: { credentials: { accessKeyId: session }, assumedRoleUser: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${name}` } },
      }),
    ];
  });
  write(path.join(d, 'ev/a.json.gz'), s3File(recs));
  db = path.join(d, 'case.duckdb');
  expect(cli(['ingest', path.join(d, 'ev'), '--db', db, '--quiet']).status).toBe(0);
  const r = cli(['lineage', '--key', LEAKED, '--db', db, '--format', 'json']);
  expect(r.status, r.stderr).toBe(0);
  json = JSON.parse(r.stdout);
}, 60_000);

const lineage = (format: string) => {
  const r = cli(['lineage', '--key', LEAKED, '--db', db, '--format', format]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};

/** A DOT double-quoted string: no raw quote, no line break, backslash only as an escape. */
const DQ = '"(?:[^"\\\\\\n\\r]|\\\\.)*"';
const unDot = (s: string) => s.slice(1, -1).replace(/\\(.)/g, '$1');

describe('lineage --format dot over hostile names', () => {
  it('every line is one statement, every string closed on its line; the nodes and edges are the JSON ones', () => {
    expect(json.nodes.length).toBeGreaterThan(NAMES.length * 2);
    const lines = lineage('dot').trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['digraph lineage {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];']);
    expect(lines.at(-1)).toBe('}');
    const node = new RegExp(`^  (${DQ}) \\[label=${DQ}(, style=filled, fillcolor="#[0-9a-f]{6}")?\\];$`);
    const edge = new RegExp(`^  (${DQ}) -> (${DQ}) \\[label=${DQ}, tooltip=${DQ}\\];$`);
    const ids: string[] = [];
    const edges: string[] = [];
    for (const l of lines.slice(3, -1)) {
      const n = node.exec(l);
      const e = edge.exec(l);
      expect(n || e, l).toBeTruthy();
      if (n) ids.push(unDot(n[1]!));
      if (e) edges.push(`${unDot(e[1]!)} -> ${unDot(e[2]!)}`);
    }
    expect(ids.sort()).toEqual(json.nodes.map((n) => printable(n.id)).sort());
    expect(edges.sort()).toEqual(json.edges.map((e) => `${printable(e.from)} -> ${printable(e.to)}`).sort());
  });
});

describe('lineage --format mermaid over hostile names', () => {
  it('every line is one statement, labels hold no quote, no line break and no raw control; the nodes and edges are the JSON ones', () => {
    const lines = lineage('mermaid').trimEnd().split('\n');
    expect(lines[0]).toBe('graph LR');
    const label = '"[^"\\n\\r\\u2028\\u2029\\u0000-\\u001f`]*"';
    const node = new RegExp(`^  (n\\d+)\\[${label}\\]$`);
    const edge = new RegExp(`^  (n\\d+) -->\\|${label}\\| (n\\d+)$`);
    const style = /^ {2}style n\d+ fill:#[0-9a-f]{6}$/;
    let nodes = 0;
    let edges = 0;
    for (const l of lines.slice(1)) {
      const ok = node.test(l) || edge.test(l) || style.test(l);
      expect(ok, l).toBe(true);
      if (node.test(l)) nodes++;
      if (edge.test(l)) edges++;
    }
    expect([nodes, edges]).toEqual([json.nodes.length, json.edges.length]);
    // Nothing a name carried became Mermaid syntax: no click handler, no directive, no extra arrow.
    const text = lines.join('\n');
    expect(text).not.toMatch(/^\s*(click|%%|style n0 fill:#f00)/m);
    expect(text.match(/-->/g)!.length).toBe(json.edges.length);
  });
});

describe('lineage tree over hostile names', () => {
  it('one line per node, names escaped', () => {
    const tree = lineage('tree');
    expect(tree).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(tree).toContain(printable('user/b\nclick n0 call alert()'));
  });
});
