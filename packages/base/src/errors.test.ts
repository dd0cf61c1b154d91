// The error base: a stable code, details and cause kept, and InternalError marking a bug.
import { describe, expect, it } from 'vitest';
import { GridledgerError, InputError, InternalError } from './errors.ts';

describe('errors', () => {
  it('keeps code, details and cause', () => {
    const cause = new Error('disk');
    const e = new GridledgerError('E_STORE', 'cannot open', { details: 'is another node running?', cause });
    expect([e.code, e.details, e.cause, e.message]).toEqual([
      'E_STORE',
      'is another node running?',
      cause,
      'cannot open',
    ]);
    expect(new InputError('bad flag').code).toBe('E_INPUT');
  });
  it('marks a broken invariant as a bug to report', () => {
    const e = new InternalError('rlpEncode: wrote 1 of 2 bytes');
    expect(e).toBeInstanceOf(GridledgerError);
    expect(e.code).toBe('E_INTERNAL');
    expect(e.name).toBe('InternalError');
    expect(e.message).toBe(
      'rlpEncode: wrote 1 of 2 bytes (a bug in gridledger: please report it with this message)',
    );
  });
});
