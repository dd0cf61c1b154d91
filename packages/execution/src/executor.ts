// Applies one call (a transaction's, or an eth_call) to the state: intrinsic gas, dispatch to the
// module at `to`, and on Revert or OutOfGas an undo of everything the call changed. A call to an
// address that holds no module succeeds and does nothing (as a call to an Ethereum account does).
import { bytesToHex, type Hex } from 'viem';
import { GAS_SCHEDULE, GasMeter, type GasSchedule, intrinsicGas, OutOfGas } from './gas.ts';
import { type Address, CallContext, type CallEnv, type Log, type ModuleRegistry, Revert } from './module.ts';
import type { JournaledState } from './state.ts';

/** What a call did. */
export interface CallOutcome {
  ok: boolean;
  gasUsed: bigint;
  /** Logs emitted (empty when the call failed). */
  logs: Log[];
  /** ABI-encoded return data ('0x' when failed). */
  returnData: Hex;
  /** Revert data when the call reverted ('0x' possible); undefined when it succeeded or ran out of gas. */
  revertData: Hex | undefined;
  /** 'execution reverted' or 'out of gas' when failed. */
  error: 'execution reverted' | 'out of gas' | undefined;
}

/** Options of {@link applyCall}. */
export interface ApplyCallOptions {
  /** Static call (eth_call): any write reverts, and every change is undone even on success. */
  isStatic?: boolean;
  schedule?: GasSchedule;
}

/**
 * Runs `data` against the module at `to` with `gasLimit` (which must cover the intrinsic gas).
 * @example
 * const out = applyCall(state, modules, { sender, height, timeMs }, CASH_ADDRESS, calldata, 100_000n);
 */
export function applyCall(
  state: JournaledState,
  modules: ModuleRegistry,
  env: CallEnv,
  to: Address,
  data: Uint8Array,
  gasLimit: bigint,
  options: ApplyCallOptions = {},
): CallOutcome {
  const schedule = options.schedule ?? GAS_SCHEDULE;
  const meter = new GasMeter(gasLimit);
  const snap = state.snapshot();
  try {
    meter.charge(intrinsicGas(data, schedule));
    const module = modules.get(to);
    if (module === undefined) {
      return {
        ok: true,
        gasUsed: meter.used,
        logs: [],
        returnData: '0x',
        revertData: undefined,
        error: undefined,
      };
    }
    const ctx = new CallContext(state, meter, env, modules, options.isStatic ?? false, schedule);
    const out = module.call(ctx, data);
    if (options.isStatic) state.revert(snap);
    return {
      ok: true,
      gasUsed: meter.used,
      logs: ctx.logs,
      returnData: bytesToHex(out),
      revertData: undefined,
      error: undefined,
    };
  } catch (err) {
    state.revert(snap);
    if (err instanceof Revert) {
      return {
        ok: false,
        gasUsed: meter.used,
        logs: [],
        returnData: '0x',
        revertData: err.data,
        error: 'execution reverted',
      };
    }
    if (err instanceof OutOfGas) {
      return {
        ok: false,
        gasUsed: gasLimit,
        logs: [],
        returnData: '0x',
        revertData: undefined,
        error: 'out of gas',
      };
    }
    throw err;
  }
}
