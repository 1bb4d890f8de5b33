/**
 * A Timesketch timeline: CSV with the three columns Timesketch requires (message, datetime,
 * timestamp_desc) followed by the fields an analyst filters on.
 */
import { sql } from '../store/sql.js';
import { writeRowsToFile } from './rows.js';
import type { CaseDb } from '../store/db.js';
import type { ExportResult } from './index.js';
import { principal } from '../store/vocabulary.js';

const SQL = `
  SELECT
    coalesce(${sql.text(principal())}, 'unknown principal') || ' called ' ||
      coalesce(eventSource, '?') || ':' || coalesce(eventName, '?') || ' in ' || coalesce(awsRegion, '?') ||
      CASE WHEN sourceIPAddress IS NOT NULL THEN ' from ' || sourceIPAddress ELSE '' END ||
      CASE WHEN errorCode IS NOT NULL THEN ' (' || errorCode || ')' ELSE '' END AS message,
    strftime(eventTime, '%Y-%m-%dT%H:%M:%S.%g+00:00') AS datetime,
    'Event Time' AS timestamp_desc,
    eventName, eventSource, awsRegion,
    coalesce(userIdentity.arn, userIdentity.userName) AS principal, userIdentity.type AS identity_type,
    userIdentity.accessKeyId AS access_key_id, sourceIPAddress AS source_ip, userAgent AS user_agent,
    errorCode AS error_code, readOnly AS read_only, recipientAccountId AS account_id, eventID AS event_id,
    'cloudtrail' AS data_type
  FROM events ORDER BY events.eventTime, eventID`;

export async function exportTimeline(db: CaseDb, out: string): Promise<ExportResult> {
  const { columns, rows } = await db.query(SQL);
  const events = await writeRowsToFile(rows, columns, out);
  return { events, path: out };
}
