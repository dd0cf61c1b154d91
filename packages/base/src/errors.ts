// The one error base class of gridledger. Misuse and I/O failures throw a subclass with a stable `code`
// and a message a user can act on; expected outcomes (infeasible market, reverted call) are values instead.

/** Options for {@link GridledgerError}. */
export interface GridledgerErrorOptions {
  /** Extra lines shown under the message (what was expected, what to do). */
  details?: string;
  cause?: unknown;
}

/**
 * Base of every error gridledger throws on purpose.
 * @example
 * throw new GridledgerError('E_INPUT', 'orders.csv line 3: expected a number for price, got "abc"');
 */
export class GridledgerError extends Error {
  readonly code: string;
  readonly details: string | undefined;
  constructor(code: string, message: string, options: GridledgerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GridledgerError';
    this.code = code;
    this.details = options.details;
  }
}

/** Bad user input (a file, a flag, a request): the message says where and what was expected. */
export class InputError extends GridledgerError {
  constructor(message: string, options: GridledgerErrorOptions = {}) {
    super('E_INPUT', message, options);
    this.name = 'InputError';
  }
}

/**
 * A broken invariant inside gridledger (code `E_INTERNAL`): not the user's doing, a bug. The message says
 * which invariant broke; report it with the message and what was running.
 * @example
 * throw new InternalError('rlpEncode: wrote 10 of 12 bytes');
 */
export class InternalError extends GridledgerError {
  constructor(message: string, options: GridledgerErrorOptions = {}) {
    super('E_INTERNAL', `${message} (a bug in gridledger: please report it with this message)`, options);
    this.name = 'InternalError';
  }
}

/** Asserts a condition, throwing {@link InputError} with the given message when it fails. */
export function ensure(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InputError(typeof message === 'function' ? message() : message);
}
