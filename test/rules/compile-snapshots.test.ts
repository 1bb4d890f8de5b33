/**
 * The exact SQL each compiler writes: one snapshot per Sigma modifier and field kind the detection
 * compiler handles, per condition form, and per correlation type. Values are bound parameters
 * numbered in order of appearance; fields and keywords are text written by keytrail.
 */
import { describe, expect, it } from 'vitest';
import { compileCorrelation } from '../../src/rules/compile-correlation.js';
import { compileDetection } from '../../src/rules/compile-detection.js';
import { SigmaCorrelation } from '../../src/rules/schema.js';
import type { Sql } from '../../src/store/sql.js';

/** A fragment built: its text, and the values of $1, $2, ... (a list as { list, element }). */
const built = (fragment: Sql) => {
  const { text, params } = fragment.build();
  return { text, params: params.map((p) => (p.kind === 'value' ? p.value : { list: p.values, element: p.element })) };
};

/** One selection `sel` (a map of field tests, or a list) and the condition `sel`. */
const one = (sel: unknown) => built(compileDetection({ sel, condition: 'sel' }).where);

describe('detection: plain values', () => {
  it('a string: case-insensitive equality', () => {
    expect(one({ eventName: 'CreateUser' })).toMatchInlineSnapshot(`
      {
        "params": [
          "CreateUser",
        ],
        "text": "coalesce(lower("eventName") = lower($1), false)",
      }
    `);
  });

  it('a number and a boolean compare as text', () => {
    expect(one({ 'requestParameters.maxCount': 8, readOnly: false })).toMatchInlineSnapshot(`
      {
        "params": [
          "/maxCount",
          "8",
          "/maxCount",
          "/maxCount",
          "$."maxCount"[*]",
          "8",
          "false",
        ],
        "text": "((coalesce(lower(json_extract_string("requestParameters", $1)) = lower($2), false) OR (NOT coalesce((json_extract_string("requestParameters", $3) IS NOT NULL AND json_type("requestParameters", $4) <> 'ARRAY'), false) AND coalesce(list_bool_or(list_transform(flatten([json_extract_string("requestParameters", $5)]), x -> coalesce(lower(x) = lower($6), false))), false))) AND coalesce(lower(CAST("readOnly" AS VARCHAR)) = lower($7), false))",
      }
    `);
  });

  it('null: the field is absent', () => {
    expect(one({ errorCode: null })).toMatchInlineSnapshot(`
      {
        "params": [],
        "text": "coalesce("errorCode" IS NULL, false)",
      }
    `);
  });

  it('wildcards * and ? become ILIKE; an escaped \\* and LIKE specials stay literal', () => {
    expect(one({ userAgent: 'aws-cli/?.*', eventName: 'Get\\*_100%' })).toMatchInlineSnapshot(`
      {
        "params": [
          "aws-cli/_.%",
          "Get*_100%",
        ],
        "text": "(coalesce("userAgent" ILIKE $1 ESCAPE '\\', false) AND coalesce(lower("eventName") = lower($2), false))",
      }
    `);
  });

  it('a list of values: any of them', () => {
    expect(one({ eventName: ['StopLogging', 'DeleteTrail'] })).toMatchInlineSnapshot(`
      {
        "params": [
          "StopLogging",
          "DeleteTrail",
        ],
        "text": "(coalesce(lower("eventName") = lower($1), false) OR coalesce(lower("eventName") = lower($2), false))",
      }
    `);
  });
});

describe('detection: modifiers', () => {
  it('contains, startswith, endswith', () => {
    expect(one({ 'userAgent|contains': 'kali', 'eventSource|startswith': 'iam.', 'eventName|endswith': 'Policy' })).toMatchInlineSnapshot(`
      {
        "params": [
          "%kali%",
          "iam.%",
          "%Policy",
        ],
        "text": "(coalesce("userAgent" ILIKE $1 ESCAPE '\\', false) AND coalesce("eventSource" ILIKE $2 ESCAPE '\\', false) AND coalesce("eventName" ILIKE $3 ESCAPE '\\', false))",
      }
    `);
  });

  it('all: every value of the list', () => {
    expect(one({ 'userAgent|contains|all': ['python', 'boto'] })).toMatchInlineSnapshot(`
      {
        "params": [
          "%python%",
          "%boto%",
        ],
        "text": "(coalesce("userAgent" ILIKE $1 ESCAPE '\\', false) AND coalesce("userAgent" ILIKE $2 ESCAPE '\\', false))",
      }
    `);
  });

  it('cased: exact equality and LIKE', () => {
    expect(one({ 'eventName|cased': 'CreateUser', 'userAgent|cased|startswith': 'Boto3' })).toMatchInlineSnapshot(`
      {
        "params": [
          "CreateUser",
          "Boto3%",
        ],
        "text": "(coalesce("eventName" = $1, false) AND coalesce("userAgent" LIKE $2 ESCAPE '\\', false))",
      }
    `);
  });

  it('re, with the i, m and s flags', () => {
    expect(one({ 'userAgent|re': '^(curl|wget)/' })).toMatchInlineSnapshot(`
      {
        "params": [
          "^(curl|wget)/",
        ],
        "text": "coalesce(regexp_matches("userAgent", $1), false)",
      }
    `);
    expect(one({ 'userAgent|re|i|m|s': 'x.y' })).toMatchInlineSnapshot(`
      {
        "params": [
          "(?ims)x.y",
        ],
        "text": "coalesce(regexp_matches("userAgent", $1), false)",
      }
    `);
  });

  it('cidr over IPv4: a prefix test before the arithmetic; /32 an equality; /0 no prefix', () => {
    expect(one({ 'sourceIPAddress|cidr': '10.1.0.0/16' })).toMatchInlineSnapshot(`
      {
        "params": [
          "10.1.",
          167837696,
          167903231,
        ],
        "text": "coalesce((starts_with("sourceIPAddress", $1) AND regexp_full_match("sourceIPAddress", '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}') AND (TRY_CAST(split_part("sourceIPAddress", '.', 1) AS BIGINT) * 16777216 + TRY_CAST(split_part("sourceIPAddress", '.', 2) AS BIGINT) * 65536 + TRY_CAST(split_part("sourceIPAddress", '.', 3) AS BIGINT) * 256 + TRY_CAST(split_part("sourceIPAddress", '.', 4) AS BIGINT)) BETWEEN $2 AND $3), false)",
      }
    `);
    expect(one({ 'sourceIPAddress|cidr': '192.0.2.7/32' })).toMatchInlineSnapshot(`
      {
        "params": [
          "192.0.2.7",
        ],
        "text": "coalesce("sourceIPAddress" = $1, false)",
      }
    `);
    expect(one({ 'sourceIPAddress|cidr': '0.0.0.0/0' })).toMatchInlineSnapshot(`
      {
        "params": [
          0,
          4294967295,
        ],
        "text": "coalesce((regexp_full_match("sourceIPAddress", '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}') AND (TRY_CAST(split_part("sourceIPAddress", '.', 1) AS BIGINT) * 16777216 + TRY_CAST(split_part("sourceIPAddress", '.', 2) AS BIGINT) * 65536 + TRY_CAST(split_part("sourceIPAddress", '.', 3) AS BIGINT) * 256 + TRY_CAST(split_part("sourceIPAddress", '.', 4) AS BIGINT)) BETWEEN $1 AND $2), false)",
      }
    `);
  });

  it('cidr over IPv6: the address expanded to 32 hex digits, between the first and last of the network', () => {
    expect(one({ 'sourceIPAddress|cidr': '2001:db8::/32' })).toMatchInlineSnapshot(`
      {
        "params": [
          "20010db8000000000000000000000000",
          "20010db8ffffffffffffffffffffffff",
        ],
        "text": "coalesce((contains("sourceIPAddress", ':') AND regexp_full_match(lower("sourceIPAddress"), '[0-9a-f:]{2,39}') AND len(string_split(lower("sourceIPAddress"), '::')) <= 2 AND len((CASE WHEN contains(lower("sourceIPAddress"), '::') THEN (CASE WHEN split_part(lower("sourceIPAddress"), '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 1), ':') END) || list_transform(range(8 - len((CASE WHEN split_part(lower("sourceIPAddress"), '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 1), ':') END)) - len((CASE WHEN split_part(lower("sourceIPAddress"), '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 2), ':') END))), x -> '0') || (CASE WHEN split_part(lower("sourceIPAddress"), '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 2), ':') END) ELSE string_split(lower("sourceIPAddress"), ':') END)) = 8 AND list_bool_and(list_transform((CASE WHEN contains(lower("sourceIPAddress"), '::') THEN (CASE WHEN split_part(lower("sourceIPAddress"), '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 1), ':') END) || list_transform(range(8 - len((CASE WHEN split_part(lower("sourceIPAddress"), '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 1), ':') END)) - len((CASE WHEN split_part(lower("sourceIPAddress"), '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 2), ':') END))), x -> '0') || (CASE WHEN split_part(lower("sourceIPAddress"), '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 2), ':') END) ELSE string_split(lower("sourceIPAddress"), ':') END), g -> length(g) <= 4)) AND array_to_string(list_transform((CASE WHEN contains(lower("sourceIPAddress"), '::') THEN (CASE WHEN split_part(lower("sourceIPAddress"), '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 1), ':') END) || list_transform(range(8 - len((CASE WHEN split_part(lower("sourceIPAddress"), '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 1), ':') END)) - len((CASE WHEN split_part(lower("sourceIPAddress"), '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 2), ':') END))), x -> '0') || (CASE WHEN split_part(lower("sourceIPAddress"), '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(lower("sourceIPAddress"), '::', 2), ':') END) ELSE string_split(lower("sourceIPAddress"), ':') END), g -> lpad(g, 4, '0')), '') BETWEEN $1 AND $2), false)",
      }
    `);
  });

  it('exists true and false', () => {
    expect(one({ 'errorCode|exists': true, 'requestParameters.policyArn|exists': false })).toMatchInlineSnapshot(`
      {
        "params": [
          "/policyArn",
        ],
        "text": "(coalesce("errorCode" IS NOT NULL, false) AND coalesce(json_extract_string("requestParameters", $1) IS NULL, false))",
      }
    `);
  });

  it('fieldref, case-insensitive and cased', () => {
    expect(one({ 'userIdentity.userName|fieldref': 'requestParameters.userName' })).toMatchInlineSnapshot(`
      {
        "params": [
          "/userName",
        ],
        "text": "coalesce(lower("userIdentity"."userName") = lower(json_extract_string("requestParameters", $1)), false)",
      }
    `);
    expect(one({ 'userIdentity.userName|fieldref|cased': 'requestParameters.userName' })).toMatchInlineSnapshot(`
      {
        "params": [
          "/userName",
        ],
        "text": "coalesce("userIdentity"."userName" = json_extract_string("requestParameters", $1), false)",
      }
    `);
  });

  it('gt, gte, lt, lte: numeric comparisons', () => {
    expect(one({ 'requestParameters.maxCount|gt': 10, 'requestParameters.minCount|gte': '2' })).toMatchInlineSnapshot(`
      {
        "params": [
          "/maxCount",
          10,
          "/maxCount",
          "/maxCount",
          "$."maxCount"[*]",
          10,
          "/minCount",
          2,
          "/minCount",
          "/minCount",
          "$."minCount"[*]",
          2,
        ],
        "text": "((coalesce(TRY_CAST(json_extract_string("requestParameters", $1) AS DOUBLE) > $2, false) OR (NOT coalesce((json_extract_string("requestParameters", $3) IS NOT NULL AND json_type("requestParameters", $4) <> 'ARRAY'), false) AND coalesce(list_bool_or(list_transform(flatten([json_extract_string("requestParameters", $5)]), x -> coalesce(TRY_CAST(x AS DOUBLE) > $6, false))), false))) AND (coalesce(TRY_CAST(json_extract_string("requestParameters", $7) AS DOUBLE) >= $8, false) OR (NOT coalesce((json_extract_string("requestParameters", $9) IS NOT NULL AND json_type("requestParameters", $10) <> 'ARRAY'), false) AND coalesce(list_bool_or(list_transform(flatten([json_extract_string("requestParameters", $11)]), x -> coalesce(TRY_CAST(x AS DOUBLE) >= $12, false))), false))))",
      }
    `);
    expect(one({ 'requestParameters.maxItems|lt': 5, 'requestParameters.durationSeconds|lte': 3600 })).toMatchInlineSnapshot(`
      {
        "params": [
          "/maxItems",
          5,
          "/maxItems",
          "/maxItems",
          "$."maxItems"[*]",
          5,
          "/durationSeconds",
          3600,
          "/durationSeconds",
          "/durationSeconds",
          "$."durationSeconds"[*]",
          3600,
        ],
        "text": "((coalesce(TRY_CAST(json_extract_string("requestParameters", $1) AS DOUBLE) < $2, false) OR (NOT coalesce((json_extract_string("requestParameters", $3) IS NOT NULL AND json_type("requestParameters", $4) <> 'ARRAY'), false) AND coalesce(list_bool_or(list_transform(flatten([json_extract_string("requestParameters", $5)]), x -> coalesce(TRY_CAST(x AS DOUBLE) < $6, false))), false))) AND (coalesce(TRY_CAST(json_extract_string("requestParameters", $7) AS DOUBLE) <= $8, false) OR (NOT coalesce((json_extract_string("requestParameters", $9) IS NOT NULL AND json_type("requestParameters", $10) <> 'ARRAY'), false) AND coalesce(list_bool_or(list_transform(flatten([json_extract_string("requestParameters", $11)]), x -> coalesce(TRY_CAST(x AS DOUBLE) <= $12, false))), false))))",
      }
    `);
  });
});

describe('detection: fields', () => {
  it('a struct field, a timestamp, a non-text column, an unknown field', () => {
    expect(one({ 'userIdentity.sessionContext.sessionIssuer.type': 'Role', eventTime: '2026-10-14T09:00:00Z' })).toMatchInlineSnapshot(`
      {
        "params": [
          "Role",
          "2026-10-14T09:00:00Z",
        ],
        "text": "(coalesce(lower("userIdentity"."sessionContext"."sessionIssuer"."type") = lower($1), false) AND coalesce(lower(strftime("eventTime", '%Y-%m-%dT%H:%M:%SZ')) = lower($2), false))",
      }
    `);
    expect(one({ userIdentity: null, noSuchField: 'x' })).toMatchInlineSnapshot(`
      {
        "params": [
          "x",
        ],
        "text": "(coalesce(to_json("userIdentity")::VARCHAR IS NULL, false) AND coalesce(lower(CAST(NULL AS VARCHAR)) = lower($1), false))",
      }
    `);
  });

  it('a JSON path deeper than four steps, or with other characters, is tested as the plain path only', () => {
    expect(one({ 'requestParameters.a.b.c.d.e': 'x', 'requestParameters.key with space': 'y' })).toMatchInlineSnapshot(`
      {
        "params": [
          "/a/b/c/d/e",
          "x",
          "/key with space",
          "y",
        ],
        "text": "(coalesce(lower(json_extract_string("requestParameters", $1)) = lower($2), false) AND coalesce(lower(json_extract_string("requestParameters", $3)) = lower($4), false))",
      }
    `);
  });

  it('a JSON path with exists is not expanded through arrays', () => {
    expect(one({ 'requestParameters.containerDefinitions.command|exists': true })).toMatchInlineSnapshot(`
      {
        "params": [
          "/containerDefinitions/command",
        ],
        "text": "coalesce(json_extract_string("requestParameters", $1) IS NOT NULL, false)",
      }
    `);
  });

  it('a JSON path of two steps: the plain path, or any element through arrays', () => {
    expect(one({ 'requestParameters.containerDefinitions.command|contains': '$AWS' })).toMatchInlineSnapshot(`
      {
        "params": [
          "/containerDefinitions/command",
          "%$AWS%",
          "/containerDefinitions/command",
          "/containerDefinitions/command",
          "$."containerDefinitions"[*]."command"",
          "$."containerDefinitions"."command"[*]",
          "$."containerDefinitions"[*]."command"[*]",
          "%$AWS%",
        ],
        "text": "(coalesce(json_extract_string("requestParameters", $1) ILIKE $2 ESCAPE '\\', false) OR (NOT coalesce((json_extract_string("requestParameters", $3) IS NOT NULL AND json_type("requestParameters", $4) <> 'ARRAY'), false) AND coalesce(list_bool_or(list_transform(flatten([json_extract_string("requestParameters", $5), json_extract_string("requestParameters", $6), json_extract_string("requestParameters", $7)]), x -> coalesce(x ILIKE $8 ESCAPE '\\', false))), false)))",
      }
    `);
  });
});

describe('detection: selections and conditions', () => {
  it('keywords: a list of plain values searches the whole record', () => {
    expect(one(['mimikatz', 'sekurlsa'])).toMatchInlineSnapshot(`
      {
        "params": [
          "%mimikatz%",
          "%sekurlsa%",
        ],
        "text": "(coalesce(CAST(to_json(struct_pack("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData", "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion", "managementEvent", "recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "eventCategory", "tlsDetails", "sessionCredentialFromConsole", "edgeDeviceDetails", "insightDetails", "addendum", "extra_fields")) AS VARCHAR) ILIKE $1 ESCAPE '\\', false) OR coalesce(CAST(to_json(struct_pack("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData", "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion", "managementEvent", "recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "eventCategory", "tlsDetails", "sessionCredentialFromConsole", "edgeDeviceDetails", "insightDetails", "addendum", "extra_fields")) AS VARCHAR) ILIKE $2 ESCAPE '\\', false))",
      }
    `);
  });

  it('a list of maps: OR of ANDs', () => {
    expect(one([{ eventName: 'CreateUser', errorCode: null }, { eventName: 'DeleteUser' }])).toMatchInlineSnapshot(`
      {
        "params": [
          "CreateUser",
          "DeleteUser",
        ],
        "text": "((coalesce(lower("eventName") = lower($1), false) AND coalesce("errorCode" IS NULL, false)) OR coalesce(lower("eventName") = lower($2), false))",
      }
    `);
  });

  it('and, or, not', () => {
    const d = { a: { eventName: 'A' }, b: { eventName: 'B' }, f: { errorCode: 'AccessDenied' } };
    expect(built(compileDetection({ ...d, condition: '(a or b) and not f' }).where)).toMatchInlineSnapshot(`
      {
        "params": [
          "A",
          "B",
          "AccessDenied",
        ],
        "text": "((coalesce(lower("eventName") = lower($1), false) OR coalesce(lower("eventName") = lower($2), false)) AND (NOT coalesce(lower("errorCode") = lower($3), false)))",
      }
    `);
  });

  it('1 of, all of, them (which leaves out _-prefixed selections)', () => {
    const d = { sel_a: { eventName: 'A' }, sel_b: { eventName: 'B' }, _hidden: { eventName: 'H' } };
    expect(built(compileDetection({ ...d, condition: '1 of sel_*' }).where)).toMatchInlineSnapshot(`
      {
        "params": [
          "A",
          "B",
        ],
        "text": "(coalesce(lower("eventName") = lower($1), false) OR coalesce(lower("eventName") = lower($2), false))",
      }
    `);
    expect(built(compileDetection({ ...d, condition: 'all of them' }).where)).toMatchInlineSnapshot(`
      {
        "params": [
          "A",
          "B",
        ],
        "text": "(coalesce(lower("eventName") = lower($1), false) AND coalesce(lower("eventName") = lower($2), false))",
      }
    `);
  });

  it('a list of conditions: any of them', () => {
    const d = { a: { eventName: 'A' }, b: { eventName: 'B' } };
    expect(built(compileDetection({ ...d, condition: ['a', 'b'] }).where)).toMatchInlineSnapshot(`
      {
        "params": [
          "A",
          "B",
        ],
        "text": "(coalesce(lower("eventName") = lower($1), false) OR coalesce(lower("eventName") = lower($2), false))",
      }
    `);
  });
});

/** A correlation over base rules named r0, r1, ... */
const correlation = (c: Record<string, unknown>) => {
  const rule = SigmaCorrelation.parse({ title: 'c', correlation: c });
  const bases = rule.correlation.rules.map((name) => ({ names: [name] }));
  return built(compileCorrelation(rule, bases).query);
};

describe('correlation', () => {
  it('event_count with group-by and timespan', () => {
    expect(
      correlation({ type: 'event_count', rules: ['r0'], 'group-by': ['userIdentity.accessKeyId'], timespan: '10m', condition: { gte: 3 } }),
    ).toMatchInlineSnapshot(`
      {
        "params": [
          600,
          600,
          3,
        ],
        "text": "WITH m AS (
          SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid, CASE i.r WHEN 0 THEN "userIdentity"."accessKeyId" END AS g_0, CAST(NULL AS VARCHAR) AS v
          FROM corr_input i JOIN events e ON e.rowid = i.rid
          WHERE g_0 IS NOT NULL),
          w AS (SELECT *, count(DISTINCT rid) OVER (PARTITION BY g_0 ORDER BY t RANGE BETWEEN CURRENT ROW AND to_seconds($1) FOLLOWING) AS n FROM m),
          -- A satisfying window runs from its event to the end of the timespan; one that starts inside
          -- another shares that event with it, so they merge: one finding per burst.
          s AS (SELECT g_0, t AS ws, t + to_seconds($2) AS we FROM w WHERE n >= $3),
          s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (PARTITION BY g_0 ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
          s3 AS (SELECT *, sum(brk) OVER (PARTITION BY g_0 ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
          c AS (SELECT g_0, cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
          SELECT c.g_0, list(m.eid ORDER BY m.t, m.eid) AS event_ids, count(DISTINCT m.rid) AS n,
                 CAST(NULL AS VARCHAR[]) AS vals,
                 min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
          FROM c JOIN (SELECT DISTINCT rid, t, eid, g_0, v FROM m) m ON m.g_0 = c.g_0 AND m.t BETWEEN c.cs AND c.ce
          GROUP BY c.g_0, c.cl ORDER BY first_t, event_ids",
      }
    `);
  });

  it('event_count without group-by, two comparisons', () => {
    expect(correlation({ type: 'event_count', rules: ['r0'], timespan: '1h', condition: { gt: 2, lte: 10 } })).toMatchInlineSnapshot(`
      {
        "params": [
          3600,
          3600,
          2,
          10,
        ],
        "text": "WITH m AS (
          SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid, CAST(NULL AS VARCHAR) AS v
          FROM corr_input i JOIN events e ON e.rowid = i.rid
          ),
          w AS (SELECT *, count(DISTINCT rid) OVER (ORDER BY t RANGE BETWEEN CURRENT ROW AND to_seconds($1) FOLLOWING) AS n FROM m),
          -- A satisfying window runs from its event to the end of the timespan; one that starts inside
          -- another shares that event with it, so they merge: one finding per burst.
          s AS (SELECT t AS ws, t + to_seconds($2) AS we FROM w WHERE n > $3 AND n <= $4),
          s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
          s3 AS (SELECT *, sum(brk) OVER (ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
          c AS (SELECT cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
          SELECT list(m.eid ORDER BY m.t, m.eid) AS event_ids, count(DISTINCT m.rid) AS n,
                 CAST(NULL AS VARCHAR[]) AS vals,
                 min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
          FROM c JOIN (SELECT DISTINCT rid, t, eid, v FROM m) m ON m.t BETWEEN c.cs AND c.ce
          GROUP BY c.cl ORDER BY first_t, event_ids",
      }
    `);
  });

  it('value_count: distinct values of condition.field, with two group-by fields', () => {
    expect(
      correlation({
        type: 'value_count',
        rules: ['r0'],
        'group-by': ['userIdentity.arn', 'requestParameters.bucketName'],
        timespan: '1h',
        condition: { field: 'awsRegion', gte: 3 },
      }),
    ).toMatchInlineSnapshot(`
      {
        "params": [
          "/bucketName",
          3600,
          3600,
          3,
        ],
        "text": "WITH m AS (
          SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid, CASE i.r WHEN 0 THEN "userIdentity"."arn" END AS g_0, CASE i.r WHEN 0 THEN json_extract_string("requestParameters", $1) END AS g_1, CASE i.r WHEN 0 THEN "awsRegion" END AS v
          FROM corr_input i JOIN events e ON e.rowid = i.rid
          WHERE g_0 IS NOT NULL AND g_1 IS NOT NULL AND v IS NOT NULL),
          w AS (SELECT *, count(DISTINCT v) OVER (PARTITION BY g_0, g_1 ORDER BY t RANGE BETWEEN CURRENT ROW AND to_seconds($2) FOLLOWING) AS n FROM m),
          -- A satisfying window runs from its event to the end of the timespan; one that starts inside
          -- another shares that event with it, so they merge: one finding per burst.
          s AS (SELECT g_0, g_1, t AS ws, t + to_seconds($3) AS we FROM w WHERE n >= $4),
          s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (PARTITION BY g_0, g_1 ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
          s3 AS (SELECT *, sum(brk) OVER (PARTITION BY g_0, g_1 ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
          c AS (SELECT g_0, g_1, cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
          SELECT c.g_0, c.g_1, list(m.eid ORDER BY m.t, m.eid) AS event_ids, count(DISTINCT m.rid) AS n,
                 list(DISTINCT m.v ORDER BY m.v) AS vals,
                 min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
          FROM c JOIN (SELECT DISTINCT rid, t, eid, g_0, g_1, v FROM m) m ON m.g_0 = c.g_0 AND m.g_1 = c.g_1 AND m.t BETWEEN c.cs AND c.ce
          GROUP BY c.g_0, c.g_1, c.cl ORDER BY first_t, event_ids",
      }
    `);
  });

  it('temporal: all rules within the timespan, in any order; a group-by name aliased per rule', () => {
    expect(
      correlation({
        type: 'temporal',
        rules: ['r0', 'r1'],
        'group-by': ['who'],
        timespan: '30m',
        aliases: { who: { r0: 'userIdentity.arn', r1: 'requestParameters.userName' } },
      }),
    ).toMatchInlineSnapshot(`
      {
        "params": [
          "/userName",
          1800,
          1800,
          2,
        ],
        "text": "WITH m AS (
          SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid, CASE i.r WHEN 0 THEN "userIdentity"."arn" WHEN 1 THEN json_extract_string("requestParameters", $1) END AS g_0, CAST(NULL AS VARCHAR) AS v
          FROM corr_input i JOIN events e ON e.rowid = i.rid
          WHERE g_0 IS NOT NULL),
          w AS (SELECT *, count(DISTINCT r) OVER (PARTITION BY g_0 ORDER BY t RANGE BETWEEN CURRENT ROW AND to_seconds($2) FOLLOWING) AS n FROM m),
          -- A satisfying window runs from its event to the end of the timespan; one that starts inside
          -- another shares that event with it, so they merge: one finding per burst.
          s AS (SELECT g_0, t AS ws, t + to_seconds($3) AS we FROM w WHERE n >= $4),
          s2 AS (SELECT *, CASE WHEN ws <= max(we) OVER (PARTITION BY g_0 ORDER BY ws, we ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk FROM s),
          s3 AS (SELECT *, sum(brk) OVER (PARTITION BY g_0 ORDER BY ws, we ROWS UNBOUNDED PRECEDING) AS cl FROM s2),
          c AS (SELECT g_0, cl, min(ws) AS cs, max(we) AS ce FROM s3 GROUP BY ALL)
          SELECT c.g_0, list(m.eid ORDER BY m.t, m.eid) AS event_ids, count(DISTINCT m.rid) AS n,
                 CAST(NULL AS VARCHAR[]) AS vals,
                 min(m.t) AS first_t, max(m.t) AS last_t, arg_max(m.rid, strftime(m.t, '%Y%m%d%H%M%S') || m.eid) AS last_rid
          FROM c JOIN (SELECT DISTINCT rid, t, eid, g_0, v FROM m) m ON m.g_0 = c.g_0 AND m.t BETWEEN c.cs AND c.ce
          GROUP BY c.g_0, c.cl ORDER BY first_t, event_ids",
      }
    `);
  });

  it('temporal_ordered: three rules in order, with group-by', () => {
    expect(correlation({ type: 'temporal_ordered', rules: ['r0', 'r1', 'r2'], 'group-by': ['userIdentity.arn'], timespan: '1d' })).toMatchInlineSnapshot(`
      {
        "params": [
          86400,
          86400,
        ],
        "text": "WITH m AS (
          SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid, CASE i.r WHEN 0 THEN "userIdentity"."arn" WHEN 1 THEN "userIdentity"."arn" WHEN 2 THEN "userIdentity"."arn" END AS g_0, CAST(NULL AS VARCHAR) AS v
          FROM corr_input i JOIN events e ON e.rowid = i.rid
          WHERE g_0 IS NOT NULL), c0 AS (SELECT g_0, t AS t_0, eid AS e_0, rid AS rid_0 FROM m WHERE r = 0), c1 AS (SELECT p.*, x.t AS t_1, x.eid AS e_1, x.rid AS rid_1
              FROM c0 p ASOF JOIN (SELECT * FROM m WHERE r = 1) x ON x.g_0 = p.g_0 AND x.t >= p.t_0
              WHERE x.t <= p.t_0 + to_seconds($1)), c2 AS (SELECT p.*, x.t AS t_2, x.eid AS e_2, x.rid AS rid_2
              FROM c1 p ASOF JOIN (SELECT * FROM m WHERE r = 2) x ON x.g_0 = p.g_0 AND x.t >= p.t_1
              WHERE x.t <= p.t_0 + to_seconds($2))
            SELECT c.g_0, [e_0, e_1, e_2] AS event_ids, 3 AS n, CAST(NULL AS VARCHAR[]) AS vals,
                   c.t_0 AS first_t, c.t_2 AS last_t, c.rid_2 AS last_rid
            FROM c2 c ORDER BY first_t, event_ids",
      }
    `);
  });

  it('temporal_ordered without group-by', () => {
    expect(correlation({ type: 'temporal_ordered', rules: ['r0', 'r1'], timespan: '90s' })).toMatchInlineSnapshot(`
      {
        "params": [
          90,
        ],
        "text": "WITH m AS (
          SELECT i.rid, i.r, e.eventTime AS t, e.eventID AS eid, CAST(NULL AS VARCHAR) AS v
          FROM corr_input i JOIN events e ON e.rowid = i.rid
          ), c0 AS (SELECT t AS t_0, eid AS e_0, rid AS rid_0 FROM m WHERE r = 0), c1 AS (SELECT p.*, x.t AS t_1, x.eid AS e_1, x.rid AS rid_1
              FROM c0 p ASOF JOIN (SELECT * FROM m WHERE r = 1) x ON x.t >= p.t_0
              WHERE x.t <= p.t_0 + to_seconds($1))
            SELECT [e_0, e_1] AS event_ids, 2 AS n, CAST(NULL AS VARCHAR[]) AS vals,
                   c.t_0 AS first_t, c.t_1 AS last_t, c.rid_1 AS last_rid
            FROM c1 c ORDER BY first_t, event_ids",
      }
    `);
  });
});
