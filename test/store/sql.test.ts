/** The sql tagged template: text, values, lists and identifiers kept apart and numbered once, in order. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CaseDb } from '../../src/store/db.js';
import { sql } from '../../src/store/sql.js';

describe('sql fragments', () => {
  it('numbers values once, in order, through nested fragments and joins', () => {
    const inner = sql`eventName = ${'CreateUser'} OR eventName = ${'CreateAccessKey'}`;
    const q = sql`SELECT * FROM events WHERE (${inner}) AND awsRegion IN (${sql.join(['us-east-1', 'eu-west-1'])}) LIMIT ${10}`;
    expect(q.build()).toEqual({
      text: 'SELECT * FROM events WHERE (eventName = $1 OR eventName = $2) AND awsRegion IN ($3, $4) LIMIT $5',
      params: [
        { kind: 'value', value: 'CreateUser' },
        { kind: 'value', value: 'CreateAccessKey' },
        { kind: 'value', value: 'us-east-1' },
        { kind: 'value', value: 'eu-west-1' },
        { kind: 'value', value: 10 },
      ],
    });
  });

  it('a value is never text: quotes, placeholders and comments in it stay a bound value', () => {
    const hostile = "x' OR 1=1 -- $1 ?";
    expect(sql`SELECT ${hostile}`.build().text).toBe('SELECT $1');
  });

  it('identifiers are quoted and their quotes doubled', () => {
    expect(sql`SELECT ${sql.id('a"b')} FROM t`.build().text).toBe('SELECT "a""b" FROM t');
  });

  it('and/or of no conditions are TRUE/FALSE; of some, each in parentheses', () => {
    expect(sql.and([]).build().text).toBe('TRUE');
    expect(sql.or([]).build().text).toBe('FALSE');
    expect(sql.and([sql`a = ${1}`, sql`b = ${2}`]).build().text).toBe('((a = $1) AND (b = $2))');
  });

  it('refuses undefined (a missing value), which would otherwise bind as NULL unnoticed', () => {
    const missing = undefined as unknown as string;
    expect(() => sql`SELECT ${missing}`).toThrow(/undefined/);
  });
});

describe('sql fragments in DuckDB', () => {
  let db: CaseDb;
  beforeAll(async () => {
    db = await CaseDb.open(':memory:', { create: true });
  });
  afterAll(() => db.close());

  it('an empty typed list binds as an empty list (no stand-in value)', async () => {
    const none = await db.all(sql`SELECT len(${sql.list([])}) AS n, 'x' IN (SELECT unnest(${sql.list([])})) AS hit`);
    expect(none).toEqual([{ n: 0, hit: false }]);
    const some = await db.all(sql`SELECT list_contains(${sql.list(['a', 'b'])}, ${'b'}) AS hit, ${sql.list([3, 4], 'INTEGER')}[2] AS second`);
    expect(some).toEqual([{ hit: true, second: 4 }]);
  });

  it('a hostile value round-trips unchanged', async () => {
    const v = "'); DROP TABLE events; --";
    expect(await db.all(sql`SELECT ${v} AS v`)).toEqual([{ v }]);
  });

  it('rows() checks each row against its schema and names the field that does not match', async () => {
    const Row = z.object({ n: z.number(), name: z.string() });
    expect(await db.rows(sql`SELECT 1 AS n, 'a' AS name`, Row)).toEqual([{ n: 1, name: 'a' }]);
    await expect(db.rows(sql`SELECT 1 AS n, 'a' AS renamed`, Row)).rejects.toThrow(/at 'name'/);
  });

  it('values convert as before: whole numbers, timestamps as ISO-8601, dates, JSON columns parsed', async () => {
    const [row] = await db.all(
      sql`SELECT 42::BIGINT AS big, 9007199254740993::BIGINT AS huge, TIMESTAMP '2026-10-14 09:00:01' AS t, DATE '2026-10-14' AS d, '{"a":[1,2]}'::JSON AS j, [1, 2] AS l, {'k': 'v'} AS s`,
    );
    expect(row).toEqual({ big: 42, huge: '9007199254740993', t: '2026-10-14T09:00:01.000Z', d: '2026-10-14', j: { a: [1, 2] }, l: [1, 2], s: { k: 'v' } });
  });
});
