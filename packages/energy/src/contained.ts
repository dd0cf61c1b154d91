// Containment of the market's begin-block work (issue 17, H4): each interval's clearing and each
// interval's settlement runs in a state snapshot; when it throws, every write it made is reverted and
// the interval is recorded as failed with the reason instead, so one bad interval cannot halt the chain
// (every validator would otherwise throw on the same block, and again on every retry). A failed interval
// releases what the market still holds for it: the escrow of its open orders (a clearing failure) or the
// sell collateral of its cleared orders (a settlement failure); its promises are burned without credits
// (PromiseSettled with 0 Wh). Money moved at clearing stays moved: the trades were priced and paid.
// Events: IntervalCleared with status failed (a clearing failure, as for a clearing the engine refused)
// or SettlementFailed (a settlement failure), each with the reason.

import { performance } from 'node:perf_hooks';
import {
  CASH_ADDRESS,
  CallContext,
  Erc20Module,
  Erc721Module,
  GasMeter,
  type JournaledState,
  type Log,
  type ModuleRegistry,
  PROMISES_ADDRESS,
  Revert,
} from '@gridledger/execution';
import { decodeErrorResult } from 'viem';
import { MARKET_ADDRESS } from './addresses.ts';
import { MARKET_EVENTS, marketView } from './market.ts';
import { INTERVAL_STATUS, marketKeys, ORDER_STATUS } from './market-keys.ts';

/** Which begin-block step of an interval failed. */
export type IntervalStep = 'clearing' | 'settlement';

/**
 * Told how long each interval step took and whether it failed (the node's metrics). Only measures: the
 * clock it reads never reaches the state.
 */
export type IntervalStepObserver = (step: IntervalStep, seconds: number, failed: boolean) => void;

/** Longest reason recorded in an event, characters. */
const MAX_REASON_CHARS = 300;

/** A thrown value as a short reason (a revert's Error(string) decoded). */
function errorReason(e: unknown): string {
  let text: string;
  if (e instanceof Revert && e.data.startsWith('0x08c379a0')) {
    try {
      text = decodeErrorResult({
        abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string', name: 'message' }] }],
        data: e.data,
      }).args[0] as string;
    } catch {
      text = e.message;
    }
  } else text = e instanceof Error ? e.message : String(e);
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}...` : text;
}

/**
 * Runs `step` (interval `k`'s clearing or settlement) in a snapshot of `state`; when it throws, reverts
 * its writes and records the interval as failed (see the file header). Returns the step's logs, or the
 * failure's.
 */
export async function runContained(
  state: JournaledState,
  modules: ModuleRegistry,
  env: { height: bigint; timeMs: bigint },
  k: bigint,
  which: IntervalStep,
  step: () => Log[] | Promise<Log[]>,
  observe?: IntervalStepObserver,
): Promise<Log[]> {
  const snap = state.snapshot();
  const t0 = performance.now();
  let failed = false;
  try {
    return await step();
  } catch (e) {
    failed = true;
    state.revert(snap);
    return failInterval(state, modules, env, k, which, `${which} error: ${errorReason(e)}`);
  } finally {
    observe?.(which, (performance.now() - t0) / 1000, failed);
  }
}

/** Marks interval `k` failed after a thrown step: releases its escrow, burns its promises. */
function failInterval(
  state: JournaledState,
  modules: ModuleRegistry,
  env: { height: bigint; timeMs: bigint },
  k: bigint,
  which: IntervalStep,
  reason: string,
): Log[] {
  const snap = state.snapshot();
  const ctx = new CallContext(state, new GasMeter(1n << 62n), { sender: MARKET_ADDRESS, ...env }, modules);
  try {
    const cash = modules.require(CASH_ADDRESS, Erc20Module);
    const nft = modules.require(PROMISES_ADDRESS, Erc721Module);
    let released = 0n;
    for (const o of marketView.ordersOf(state, k)) {
      const open = o.status === ORDER_STATUS.open;
      if (!open && o.escrow === 0n) continue;
      const ok = marketKeys.order(o.id);
      if (o.escrow > 0n) cash.transfer(ctx, MARKET_ADDRESS, o.owner, o.escrow);
      released += o.escrow;
      ctx.write(ok.escrow, 0n);
      if (!open) continue;
      ctx.write(ok.status, ORDER_STATUS.released);
      ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.orderCleared, {
        id: o.id,
        owner: o.owner,
        energyWh: 0n,
        priceMicrosPerMWh: 0n,
        amount: 0n,
        released: o.escrow,
      });
    }
    const promises = marketView.promisesOf(state, k);
    for (const id of promises) {
      if (state.get(marketKeys.promise(id).settled) === 1n) continue;
      const holder = nft.ownerOf(state, id);
      nft.burnInternal(ctx, id);
      ctx.write(marketKeys.promise(id).settled, 1n);
      ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.promiseSettled, { promiseId: id, holder, deliveredWh: 0n });
    }
    ctx.write(marketKeys.interval(k).status, INTERVAL_STATUS.failed);
    emitFailure(ctx, k, which, reason, released, BigInt(promises.length));
    return ctx.logs;
  } catch (e) {
    // Releasing failed too: the interval still fails, and what it holds stays recorded as escrow.
    state.revert(snap);
    const bare = new CallContext(state, new GasMeter(1n << 62n), { sender: MARKET_ADDRESS, ...env }, modules);
    bare.write(marketKeys.interval(k).status, INTERVAL_STATUS.failed);
    emitFailure(bare, k, which, `${reason}; releasing its escrow failed: ${errorReason(e)}`, 0n, 0n);
    return bare.logs;
  }
}

function emitFailure(
  ctx: CallContext,
  k: bigint,
  which: IntervalStep,
  reason: string,
  released: bigint,
  promises: bigint,
): void {
  if (which === 'clearing') {
    ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.intervalCleared, {
      interval: k,
      status: Number(INTERVAL_STATUS.failed),
      reason,
      congestionRent: 0n,
      promises: 0n,
    });
  } else {
    ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.settlementFailed, { interval: k, reason, released, promises });
  }
}
