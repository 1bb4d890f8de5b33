/**
 * Issue 15 point 8: `--tz ZONE` shows each time in that zone beside UTC in report.md and
 * report.html; report.json keeps UTC only; an unknown zone is one clear error before anything runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, record, s3File, tmpDir, write } from '../helpers.js';
import { iamUser } from './incident.js';

const KEY = 'AKIATIMEZONEKEY00001';
const who = iamUser('ci', KEY);

describe('--tz', () => {
  const d = tmpDir();
  write(
    path.join(d, 'ev/a.json.gz'),
    s3File([
      record({ eventTime: '2026-10-14T03:02:11Z', userIdentity: who, eventName: 'CreateUser', readOnly: false, requestParameters: { userName: 'backdoor' } }),
    ]),
  );

  it('puts the local time beside every UTC time in report.md and report.html, not in report.json', () => {
    const out = path.join(d, 'tokyo');
    const r = cli(['investigate', path.join(d, 'ev'), '--key', KEY, '--out', out, '--tz', 'Asia/Tokyo']);
    expect(r.status, r.stderr).toBe(0);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('2026-10-14T03:02:11Z (2026-10-14 12:02:11 Asia/Tokyo)');
    expect(md).not.toMatch(/\d\dZ(?! \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d Asia\/Tokyo\))[ |,.)]/);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('2026-10-14T03:02:11Z (2026-10-14 12:02:11 Asia/Tokyo)');
    const json = fs.readFileSync(path.join(out, 'report.json'), 'utf8');
    expect(json).toContain('2026-10-14T03:02:11Z');
    expect(json).not.toContain('Asia/Tokyo)');
  });

  it('refuses a zone Intl does not know: exit 2, one line naming it', () => {
    const r = cli(['investigate', path.join(d, 'ev'), '--key', KEY, '--out', path.join(d, 'nowhere'), '--tz', 'Mars/Olympus']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^(keytrail: )?(error: )?--tz Mars\/Olympus: not a time zone/m);
    expect(fs.existsSync(path.join(d, 'nowhere'))).toBe(false);
  });
});
