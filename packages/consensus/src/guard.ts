// The double-sign guard: a Signer wrapper that remembers the last (height, round, step) it signed and
// refuses anything at or below it, except re-signing the very same bytes (it returns the saved
// signature). Its state travels in the machine's `persist` action (WalState.signState) and must be
// durable before any message signed under it is sent; a node restarted from that state cannot sign
// a vote or proposal conflicting with one it signed before the crash.
import { equalBytes } from '@gridledger/base';
import type { Signer, SignRequest } from './ed25519.ts';

/** Steps in signing order within one round. */
export const SIGN_STEP = { proposal: 1, prevote: 2, precommit: 3 } as const;

/** The guard's durable state: the last thing signed. */
export interface SignState {
  height: bigint;
  round: number;
  /** 1 proposal, 2 prevote, 3 precommit (see {@link SIGN_STEP}). */
  step: number;
  signBytes: Uint8Array;
  signature: Uint8Array;
}

/**
 * Wraps a signer so that it never signs two different messages at one (height, round, step), nor goes
 * back to an earlier one.
 * @example
 * const guard = new SignGuard(keySigner(seed), loadedState ?? null);
 * const machine = new ConsensusMachine({ ..., signer: guard });
 */
export class SignGuard implements Signer {
  readonly publicKey: Uint8Array;
  readonly #inner: Signer;
  #state: SignState | null;
  readonly #save: ((s: SignState) => void) | undefined;
  /** Requests refused so far (for tests and metrics). */
  refused = 0;

  /** `save`, when given, is called synchronously with the new state before a signature is returned. */
  constructor(inner: Signer, state: SignState | null, save?: (s: SignState) => void) {
    this.publicKey = inner.publicKey;
    this.#inner = inner;
    this.#state = state;
    this.#save = save;
  }

  /** The last signed (height, round, step) and its signature, or null before the first signature. */
  get state(): SignState | null {
    return this.#state;
  }

  sign(request: SignRequest): Uint8Array | null {
    const step = SIGN_STEP[request.step];
    const s = this.#state;
    if (s !== null) {
      const cmp =
        request.height !== s.height
          ? request.height < s.height
            ? -1
            : 1
          : request.round !== s.round
            ? request.round < s.round
              ? -1
              : 1
            : Math.sign(step - s.step);
      if (cmp === 0 && equalBytes(request.signBytes, s.signBytes)) return s.signature;
      if (cmp <= 0) {
        this.refused++;
        return null;
      }
    }
    const signature = this.#inner.sign(request);
    if (signature === null) return null;
    const next: SignState = {
      height: request.height,
      round: request.round,
      step,
      signBytes: request.signBytes,
      signature,
    };
    this.#save?.(next);
    this.#state = next;
    return signature;
  }
}
