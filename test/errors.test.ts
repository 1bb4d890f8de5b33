/** formatError: one printable line for a KeytrailError; with --debug, the SQL of a statement that failed and the stack. */
import { describe, expect, it } from 'vitest';
import { KeytrailError, formatError } from '../src/errors.js';
import { SqlError } from '../src/store/db.js';

describe('formatError', () => {
  const failed = new SqlError('Binder Error: no column x', 'SELECT x\n  FROM events\n');

  it('shows the location and message only, without --debug', () => {
    const e = new KeytrailError('INPUT', 'bad\nline', { file: 'a.yml', line: 3, ruleId: 'r1' });
    expect(formatError(e)).toBe('a.yml:3: [r1] bad\\nline');
    expect(formatError(failed)).toBe('Binder Error: no column x');
  });

  it('with --debug: the statement that failed, indented, then the frames', () => {
    const text = formatError(failed, true);
    expect(text.startsWith('Binder Error: no column x\nthe statement that failed:\n  SELECT x\n    FROM events\n    at ')).toBe(true);
  });

  it('with --debug, finds the SQL on the error a message was wrapped around', () => {
    const wrapped = new KeytrailError('QUERY', 'query stopped after 1 s (--timeout)', {}, { cause: failed });
    expect(formatError(wrapped, true)).toMatch(/^query stopped after 1 s \(--timeout\)\nthe statement that failed:\n {2}SELECT x\n/);
  });

  it('every error of the hierarchy has a code and its own name', () => {
    expect(failed).toBeInstanceOf(KeytrailError);
    expect([failed.code, failed.name]).toEqual(['QUERY', 'SqlError']);
  });
});
