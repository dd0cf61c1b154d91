// Sealed bids for the devices (docs/market-rules.md §6b): the commitment transactions of their planned
// orders (hash, salt and deposit; orders.ts sends them before the gate) and the reveals, sent once the
// chain's market time has passed the gate and before the reveal window closes. The salts stay in the
// driver's memory (IntervalRun.sealed) until the reveal. The driver runs revealLoop beside its main loop.
import { randomBytes } from 'node:crypto';
import {
  buyEscrow,
  clearingMs,
  commitmentHash,
  gateMs,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  sellCollateral,
} from '@gridledger/energy';
import type { Address } from '@gridledger/execution';
import { bytesToHex, encodeFunctionData, type Hex, parseEventLogs } from 'viem';
import { type MarketClockView, sleep } from './chain.ts';
import type { SealedOrderEntry } from './interval-run.ts';
import type { KeyPair } from './signer.ts';
import type { Simulation } from './simulation.ts';

/** Gas of a commitment (measured ~80k) and of a reveal (placeOrder's plus the deposit's return). */
export const COMMIT_GAS = 150_000n;
const REVEAL_GAS = (steps: number) => 200_000n + 20_000n * BigInt(steps);

type Steps = readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[];

/** The deposit of a sealed order: the escrow its reveal will need (at least 1 µ$). */
function sealedDeposit(config: MarketConfig, side: 0 | 1, steps: Steps): bigint {
  const e =
    side === 0
      ? buyEscrow(steps)
      : sellCollateral(
          config,
          steps.reduce((a, s) => a + s.energyWh, 0n),
        );
  return e > 0n ? e : 1n;
}

/** The commitOrder call of `owner`'s order for interval `k`, with a fresh random salt. */
export function commitCall(
  config: MarketConfig,
  owner: Address,
  k: bigint,
  order: { bus: number; side: 0 | 1; steps: Steps },
): { data: Hex; salt: Hex } {
  const salt = bytesToHex(randomBytes(32));
  const hash = commitmentHash({
    owner,
    interval: k,
    bus: BigInt(order.bus),
    side: order.side,
    steps: order.steps,
    salt,
  });
  const deposit = sealedDeposit(config, order.side, order.steps);
  return {
    data: encodeFunctionData({ abi: MARKET_ABI, functionName: 'commitOrder', args: [k, hash, deposit] }),
    salt,
  };
}

/** Sends the reveals of every interval whose gate the chain has passed and whose window is open. */
async function revealOrders(sim: Simulation, clock: MarketClockView): Promise<void> {
  for (const run of sim.runs.values()) {
    if (run.sealed === undefined || run.revealed) continue;
    if (clock.marketTimeMs < gateMs(sim.config, run.k)) continue;
    run.revealed = true;
    if (clock.marketTimeMs >= clearingMs(sim.config, run.k) || clock.clearNext > run.k) {
      sim.emit({
        type: 'warning',
        message: `interval ${run.k}: its reveal window (to market time ${clearingMs(sim.config, run.k)} ms) closed before the devices could reveal (market time ${clock.marketTimeMs} ms at block ${clock.blockNumber})`,
      });
      continue;
    }
    const entries = run.sealed.filter((e) => e.commit.rejected === undefined);
    const receipts = await sim.chain.receipts(entries.map((e) => e.commit.hash));
    const txs: { key: KeyPair; call: { to: Address; data: Hex }; gas: bigint }[] = [];
    const failed: string[] = [];
    entries.forEach((e, j) => {
      const r = receipts[j];
      if (r === undefined || r.status !== 'success') {
        failed.push(r === undefined ? 'commitment not in a block' : (r.reason ?? 'reverted'));
        return;
      }
      const ev = parseEventLogs({
        abi: MARKET_ABI,
        eventName: 'OrderCommitted',
        logs: r.logs.map((l) => ({ ...l, address: l.address as Address })) as never,
      })[0];
      if (ev === undefined) return;
      txs.push({
        key: sim.devices[e.device]!.account,
        call: {
          to: MARKET_ADDRESS,
          data: encodeFunctionData({
            abi: MARKET_ABI,
            functionName: 'revealOrder',
            args: [ev.args.id, BigInt(e.bus), e.side, e.steps, e.salt],
          }),
        },
        gas: REVEAL_GAS(e.steps.length),
      });
    });
    if (failed.length > 0)
      sim.emit({
        type: 'warning',
        message: `interval ${run.k}: ${failed.length} commitments failed (${failed[0]})`,
      });
    const sent = await sim.chain.send(txs, (a) => sim.byAddress.get(a) ?? 0);
    // Why an order is missing is now the reveal's (or the commitment's) story.
    run.orderTxs = [...run.sealed.map((e) => e.commit).filter((t) => t.rejected !== undefined), ...sent];
    sim.emit({ type: 'reveals', interval: run.k.toString(), reveals: txs.length });
  }
}

/** The sealed entries of one device's planned orders, once their commit transactions are sent. */
export const sealedEntry = (
  device: number,
  order: { bus: number; side: 0 | 1; steps: Steps },
  salt: Hex,
  commit: SealedOrderEntry['commit'],
): SealedOrderEntry => ({ device, ...order, salt, commit });

/**
 * Whether reveals are next: an interval with unrevealed commitments whose predecessor has cleared (so its
 * gate, and its reveal window, come next). The driver defers reading clearings meanwhile.
 */
export function revealsDue(sim: Simulation, clock: MarketClockView): boolean {
  for (const run of sim.runs.values())
    if (run.sealed !== undefined && !run.revealed && clock.clearNext >= run.k) return true;
  return false;
}

/**
 * Reveals in a loop of its own until `stopped()`: the reveal window (the gate lead, a few seconds of wall
 * time in a fast simulation) must not wait behind the main loop's slower phases (verifying a
 * clearing, metering).
 */
export async function revealLoop(sim: Simulation, pollMs: number, stopped: () => boolean): Promise<void> {
  if (sim.config.sealed === undefined) return;
  while (!stopped() && !sim.signal?.aborted) {
    try {
      await revealOrders(sim, await sim.chain.clock());
    } catch (err) {
      if (sim.signal?.aborted) return;
      sim.emit({ type: 'warning', message: `reveals: ${(err as Error).message}` });
    }
    await sleep(pollMs, sim.signal);
  }
}
