/** The Findings handle detect returns: count, all, touching, query, store, drop, and a run that fails part-way. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ingest } from '../../src/ingest/ingest.js';
import { compileDetection } from '../../src/rules/compile-detection.js';
import { detect, RulesFailedError } from '../../src/rules/detect.js';
import type { LoadedRule } from '../../src/rules/load-rules.js';
import { CaseDb } from '../../src/store/db.js';
import { sql } from '../../src/store/sql.js';
import { record, tmpDir, write } from '../helpers.js';

const at = (hms: string) => `2026-10-14T${hms}Z`;
const EVENTS = [
  record({ eventID: 'cu-1', eventTime: at('10:00:00'), eventName: 'CreateUser' }),
  record({ eventID: 'cak-1', eventTime: at('10:05:00'), eventName: 'CreateAccessKey' }),
  record({ eventID: 'cu-2', eventTime: at('11:00:00'), eventName: 'CreateUser' }),
  record({ eventID: 'other', eventTime: at('12:00:00'), eventName: 'ListUsers' }),
];

const rule = (id: string, detection: Record<string, unknown>): LoadedRule => ({
  rule: { title: `rule ${id}`, id, logsource: { product: 'aws', service: 'cloudtrail' }, detection, level: 'high' },
  file: '/pack/rules.yml',
  line: 1,
  compiled: compileDetection(detection),
});
const createUser = rule('create-user', { sel: { eventName: 'CreateUser' }, condition: 'sel' });
const createKey = rule('create-key', { sel: { eventName: 'CreateAccessKey' }, condition: 'sel' });

let db: CaseDb;
beforeAll(async () => {
  const d = tmpDir();
  write(path.join(d, 'e.json'), JSON.stringify({ Records: EVENTS }));
  await ingest([path.join(d, 'e.json')], { db: path.join(d, 'case.duckdb') });
  db = await CaseDb.open(path.join(d, 'case.duckdb'));
});
afterAll(() => db?.close());

const ids = (fs: { eventIDs: string[] }[]) => fs.map((f) => f.eventIDs[0]);

describe('Findings', () => {
  it('counts and reads the findings in time order, in the shape of ARCHITECTURE.md section 6', async () => {
    const findings = await detect(db, [createKey, createUser]);
    expect(findings.count).toBe(3);
    const all = await findings.all();
    expect(ids(all)).toEqual(['cu-1', 'cak-1', 'cu-2']);
    expect(all[0]).toEqual({
      rule: { id: 'create-user', title: 'rule create-user', level: 'high', tags: [], author: null },
      eventIDs: ['cu-1'],
      eventTime: '2026-10-14T10:00:00Z',
      eventName: 'CreateUser',
      eventSource: 'iam.amazonaws.com',
      awsRegion: expect.any(String),
      principal: expect.any(String),
      accessKeyId: expect.any(String),
      sourceIPAddress: expect.any(String),
      summary: 'rule create-user',
    });
    await findings.drop();
  });

  it('no rules: no findings (the empty lists bind as typed lists)', async () => {
    const findings = await detect(db, []);
    expect(findings.count).toBe(0);
    expect(await findings.all()).toEqual([]);
    await findings.drop();
  });

  it('touching: the findings any of whose events a statement selects', async () => {
    const findings = await detect(db, [createKey, createUser]);
    expect(ids(await findings.touching(sql`SELECT unnest(${sql.list(['cu-2', 'cak-1', 'other'])})`))).toEqual(['cak-1', 'cu-2']);
    expect(await findings.touching(sql`SELECT eventID FROM events WHERE eventName = ${'ListUsers'}`)).toEqual([]);
    await findings.drop();
  });

  it('query: a statement to stream or select from; two runs keep their own findings', async () => {
    const users = await detect(db, [createUser]);
    const keys = await detect(db, [createKey]);
    const { rows } = await db.query(users.query());
    const streamed = [];
    for await (const chunk of rows) streamed.push(...chunk);
    expect(streamed.map((r) => r.eventIDs)).toEqual([['cu-1'], ['cu-2']]);
    const n = await db.one(sql`SELECT count(*) AS n FROM (${keys.query()}) WHERE rule.id = ${'create-key'}`, z.object({ n: z.number() }));
    expect(n).toEqual({ n: 1 });
    await users.drop();
    await keys.drop();
  });

  it("store: the case's findings table holds the run's findings, replacing the previous run's; drop lets the run go", async () => {
    const first = await detect(db, [createUser, createKey]);
    await first.store();
    const second = await detect(db, [createKey]);
    await second.store();
    const Row = z.object({ rule_id: z.string(), event_ids: z.array(z.string()) });
    expect(await db.rows(sql`SELECT rule_id, event_ids FROM findings ORDER BY eventTime`, Row)).toEqual([{ rule_id: 'create-key', event_ids: ['cak-1'] }]);
    await first.drop();
    await expect(first.all()).rejects.toThrow(/run_findings_\d+/);
    expect(await second.all()).toHaveLength(1);
    await second.drop();
  });

  it('a run where a rule cannot run: the error carries the handle to the findings of the others', async () => {
    const bad = rule('bad', { sel: { 'userAgent|re': '(a{1000}){1000}' }, condition: 'sel' });
    const err = await detect(db, [createUser, bad]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RulesFailedError);
    const findings = (err as RulesFailedError).findings;
    expect(findings.count).toBe(2);
    expect(ids(await findings.all())).toEqual(['cu-1', 'cu-2']);
    await findings.drop();
  });
});
