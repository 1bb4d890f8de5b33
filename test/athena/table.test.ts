/**
 * Issue 18, first part, without Java (test/trino runs the same on a real Trino): the literal and
 * name escaping, Athena's table DDL in both layouts, and the column catalog's expressions.
 */
import { describe, expect, it } from 'vitest';
import { athenaDdl, resolveAthenaField } from '../../src/athena/table.js';
import { jsonPath, trinoIdent, trinoString } from '../../src/athena/trino-sql.js';

describe('Trino SQL text', () => {
  it('writes printable ASCII as a plain literal and anything else as Unicode escapes', () => {
    expect(trinoString("it's")).toBe("'it''s'");
    expect(trinoString("'; DROP TABLE x; --")).toBe("'''; DROP TABLE x; --'");
    expect(trinoString('café')).toBe("U&'caf\\00E9'");
    expect(trinoString('a\\b\n')).toBe("U&'a\\005Cb\\000A'");
    expect(trinoString('😀')).toBe("U&'\\+01F600'");
    expect(() => trinoString('a\0b')).toThrow('NUL');
    expect(trinoIdent('eventName')).toBe('"eventname"');
    expect(trinoIdent('a"b')).toBe('"a""b"');
    expect(jsonPath(['user.Name', 'x"y'])).toBe('$["user.Name"]["x\\"y"]');
  });
});

describe("Athena's CloudTrail table", () => {
  it('resolves Sigma field paths, any case, to struct paths and JSON paths; the rest is unknown', () => {
    expect(resolveAthenaField('userIdentity.sessionContext.sessionIssuer.arn')).toEqual({
      kind: 'column',
      sql: '"useridentity"."sessioncontext"."sessionissuer"."arn"',
      name: 'userIdentity.sessionContext.sessionIssuer.arn',
    });
    expect(resolveAthenaField('requestParameters.userName')).toMatchObject({ sql: `json_extract_scalar("requestparameters", '$["userName"]')` });
    expect(resolveAthenaField('resources')).toMatchObject({ sql: 'json_format(CAST("resources" AS JSON))' });
    expect(resolveAthenaField('resources.arn')).toMatchObject({ kind: 'unknown' });
    expect(resolveAthenaField('userIdentity.nope')).toMatchObject({ kind: 'unknown' });
    expect(resolveAthenaField('a..b')).toMatchObject({ kind: 'unknown' });
  });

  it("writes AWS's DDL with partition projection or region/year/month/day partitions", () => {
    const pp = athenaDdl({
      table: 'cloudtrail_logs_pp',
      layout: 'projection',
      location: 's3://b/AWSLogs/111122223333/CloudTrail/us-east-1',
      since: '2026/10/01',
    });
    expect(pp).toContain('CREATE EXTERNAL TABLE `cloudtrail_logs_pp` (');
    expect(pp).toContain("'projection.timestamp.range'='2026/10/01,NOW'");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's own ${timestamp} placeholder, as text
    expect(pp).toContain("'storage.location.template'='s3://b/AWSLogs/111122223333/CloudTrail/us-east-1/${timestamp}'");
    expect(pp).toContain('resources ARRAY<STRUCT<');
    const rd = athenaDdl({ table: 't', layout: 'region-date', location: "s3://b/it's/" });
    expect(rd).toContain('PARTITIONED BY (region STRING, year STRING, month STRING, day STRING)');
    expect(rd).toContain("LOCATION 's3://b/it''s/';");
    expect(() => athenaDdl({ table: 't', layout: 'projection', location: 's3://b/', since: '2026-10-01' })).toThrow('yyyy/MM/dd');
  });
});
