/**
 * CSV that spreadsheets open safely: a text cell that begins with `=`, `+`, `-`, `@`, tab or CR is
 * a formula to Excel, LibreOffice and Google Sheets. Every CSV keytrail writes gives such a cell
 * OWASP's prefix (a single quote), the rest of the value unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvCell } from '../../src/escape.js';
import { FORMULAS, LEAKED, writeFormulaEvidence } from '../fixtures/hostile.js';
import { cli, tmpDir } from '../helpers.js';

let d: string;
let db: string;
let out: string;

beforeAll(() => {
  d = tmpDir();
  writeFormulaEvidence(path.join(d, 'ev'));
  out = path.join(d, 'case');
  const r = cli(['investigate', path.join(d, 'ev'), '--key', LEAKED, '--out', out]);
  expect(r.status, r.stderr).toBe(0);
  db = path.join(out, 'keytrail.duckdb');
}, 120_000);

/** Every cell of a CSV text, and the check that none would run as a formula. */
function cells(csv: string): string[] {
  return (parse(csv, { relax_column_count: false }) as string[][]).flat();
}
const formulaCells = (csv: string) => cells(csv).filter((c) => /^[=+\-@\t\r]/.test(c));

describe('every CSV keytrail writes, over values that begin with a formula', () => {
  const files = () => {
    const exp = (format: string) => {
      const f = path.join(d, `export-${format}.csv`);
      const r = cli(['export', '--format', format, '-o', f, '--db', db]);
      expect(r.status, r.stderr).toBe(0);
      return fs.readFileSync(f, 'utf8');
    };
    const stdout = (args: string[]) => {
      const r = cli([...args, '--db', db]);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    return {
      'timeline.csv': fs.readFileSync(path.join(out, 'timeline.csv'), 'utf8'),
      'findings.csv': fs.readFileSync(path.join(out, 'findings.csv'), 'utf8'),
      'export --format csv': exp('csv'),
      'export --format timeline': exp('timeline'),
      'events --format csv': stdout(['events', '--format', 'csv']),
      'query --format csv': stdout([
        'query',
        'SELECT eventID, userAgent, userIdentity.userName AS u, sourceIPAddress, errorCode FROM events',
        '--format',
        'csv',
      ]),
      'detect --format csv': stdout(['detect', '--format', 'csv']),
      'files --format csv': stdout(['files', '--format', 'csv']),
    };
  };

  it('no cell begins with = + - @ tab or CR; each such value is there with its prefix', () => {
    for (const [name, csv] of Object.entries(files())) {
      expect(formulaCells(csv), name).toEqual([]);
    }
    const all = files();
    const timeline = cells(all['timeline.csv']);
    for (const f of FORMULAS) expect(timeline, f).toContain(`'${f}`);
    const exported = cells(all['export --format csv']);
    expect(exported).toContain(`'${FORMULAS[0]}-0`);
    // findings.csv: an eventIDs cell that begins with a forged eventID.
    expect(cells(all['findings.csv']).some((c) => c.startsWith("'=HYPERLINK"))).toBe(true);
  });

  it('numbers stay numbers and ordinary text is unchanged', () => {
    const csv = cli(['query', "SELECT -5 AS n, 'ok' AS s, '-5' AS t, ' =1' AS u", '--format', 'csv', '--db', db]).stdout;
    expect(parse(csv)).toEqual([
      ['n', 's', 't', 'u'],
      ['-5', 'ok', "'-5", ' =1'],
    ]);
    // No rows: the header once.
    expect(cli(['query', 'SELECT 1 AS a WHERE false', '--format', 'csv', '--db', db]).stdout).toBe('"a"\n');
  });

  it('csvCell(): the OWASP prefix for exactly the six leading characters', () => {
    expect(['=1', '+1', '-1', '@x', '\t=1', '\r=1'].map(csvCell)).toEqual(["'=1", "'+1", "'-1", "'@x", "'\t=1", "'\r=1"]);
    expect(['1', 'a=b', '', ' -1', "'x"].map(csvCell)).toEqual(['1', 'a=b', '', ' -1', "'x"]);
  });
});
