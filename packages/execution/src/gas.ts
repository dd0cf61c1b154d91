// The gas schedule, kept as data, and the meter that charges it. Costs follow Ethereum's where one
// exists (transaction base, calldata bytes, logs) and flat, documented prices for module storage.
// Gas is priced at zero on this chain: it bounds work, it costs nothing.

import { GridledgerError } from '@gridledger/base';

/** Gas prices of every metered action. Changing a number is a consensus change. */
export const GAS_SCHEDULE = {
  /** Every transaction (Ethereum's G_transaction). */
  txBase: 21_000n,
  /** Each zero byte of calldata (G_txdatazero). */
  calldataZeroByte: 4n,
  /** Each non-zero byte of calldata (G_txdatanonzero, EIP-2028). */
  calldataNonZeroByte: 16n,
  /** Each storage read by a module. */
  storageRead: 200n,
  /** Each storage write by a module (set, change or delete). */
  storageWrite: 5_000n,
  /** Each signature a module verifies (meter readings, permits). */
  signatureCheck: 3_000n,
  /** Each log (G_log). */
  logBase: 375n,
  /** Each log topic (G_logtopic). */
  logTopic: 375n,
  /** Each byte of log data (G_logdata). */
  logDataByte: 8n,
} as const;

/** The gas schedule's shape. */
export type GasSchedule = { readonly [K in keyof typeof GAS_SCHEDULE]: bigint };

/** Gas every transaction pays before execution: the base plus its calldata bytes. */
export function intrinsicGas(data: Uint8Array, schedule: GasSchedule = GAS_SCHEDULE): bigint {
  let zero = 0;
  for (const b of data) if (b === 0) zero++;
  return (
    schedule.txBase +
    BigInt(zero) * schedule.calldataZeroByte +
    BigInt(data.length - zero) * schedule.calldataNonZeroByte
  );
}

/** Thrown by {@link GasMeter.charge} when a call exceeds its gas limit; the call reverts. */
export class OutOfGas extends GridledgerError {
  readonly needed: bigint;
  readonly left: bigint;
  constructor(needed: bigint, left: bigint) {
    super('E_OUT_OF_GAS', `out of gas: needed ${needed}, ${left} left (raise the transaction's gas limit)`);
    this.name = 'OutOfGas';
    this.needed = needed;
    this.left = left;
  }
}

/**
 * Counts gas against a limit.
 * @example
 * const meter = new GasMeter(100_000n);
 * meter.charge(GAS_SCHEDULE.storageRead);
 */
export class GasMeter {
  readonly limit: bigint;
  #used = 0n;
  constructor(limit: bigint) {
    this.limit = limit;
  }

  /** Gas used so far. */
  get used(): bigint {
    return this.#used;
  }

  /** Gas left. */
  get left(): bigint {
    return this.limit - this.#used;
  }

  /** Charges `amount`; throws {@link OutOfGas} (charging nothing) when fewer than `amount` is left. */
  charge(amount: bigint): void {
    if (amount > this.limit - this.#used) throw new OutOfGas(amount, this.limit - this.#used);
    this.#used += amount;
  }
}
