// default-and-run's move: once one of its purchases has cleared, the strategic device sends its whole cash
// balance to the second account it controls (stashOf) and places no more orders (strategicOrders). One
// move for both drivers (moveCashAway); the chain-specific part is a CashMover: where the cash token is,
// how its balances are read and how the devices' transfers are sent (runAway: the native driver's; the EVM
// driver's in evm-run.ts).
import { type Address, CASH_ADDRESS, ERC20_ABI } from '@gridledger/execution';
import type { Call } from './chain.ts';
import type { Cleared } from './devices.ts';
import type { SimDevice } from './population.ts';
import type { SimEvent } from './report.ts';
import type { KeyPair } from './signer.ts';
import type { Simulation } from './simulation.ts';
import { stashOf } from './strategies.ts';

/** Gas limit of the cash transfer (an ERC-20 transfer uses far less). */
const TRANSFER_GAS = 100_000n;

/** The chain-specific part of the move: the cash token, its balances, and sending the transfers. */
export interface CashMover {
  /** The cash token (an ERC-20). */
  cash: Address;
  /** Views through eth_call (ChainClient.views). */
  views: (calls: readonly Call[]) => Promise<(bigint | undefined)[]>;
  /** Sends the devices' transfers, each from its device's key. */
  send: (txs: readonly { device: number; key: KeyPair; call: Call; gas: bigint }[]) => Promise<void>;
}

/** What the move reads of a run: the devices, the seed, who moved already, and what cleared. */
export interface RunAwayState {
  devices: readonly SimDevice[];
  seed: string;
  /** Devices that have moved their cash (the move adds to it). */
  ranAway: Set<number>;
  /** The intervals in flight: what each device bought and sold in those that have cleared. */
  cleared: () => Iterable<ReadonlyMap<number, Cleared> | undefined>;
  emit: (e: SimEvent) => void;
}

/**
 * default-and-run: once one of its purchases has cleared, the strategic device moves its whole cash
 * balance to its stash account (and places no more orders). Returns the devices that moved.
 * @example await moveCashAway(state, { cash, views: (c) => chain.views(c), send })
 */
export async function moveCashAway(s: RunAwayState, mover: CashMover): Promise<number[]> {
  const movers: { i: number; d: SimDevice; stash: KeyPair }[] = [];
  s.devices.forEach((d, i) => {
    const stash = stashOf(s.seed, d);
    if (stash === undefined || s.ranAway.has(i)) return;
    const bought = [...s.cleared()].some((c) => (c?.get(i)?.boughtWh ?? 0n) > 0n);
    if (bought) movers.push({ i, d, stash });
  });
  if (movers.length === 0) return [];
  const balances = await mover.views(
    movers.map((m) => ({
      to: mover.cash,
      abi: ERC20_ABI,
      functionName: 'balanceOf',
      args: [m.d.account.address],
    })),
  );
  await mover.send(
    movers
      .map((m, j) => ({ m, amount: balances[j] ?? 0n }))
      .filter((x) => x.amount > 0n)
      .map(({ m, amount }) => ({
        device: m.i,
        key: m.d.account,
        call: {
          to: mover.cash,
          abi: ERC20_ABI,
          functionName: 'transfer',
          args: [m.stash.address, amount],
        },
        gas: TRANSFER_GAS,
      })),
  );
  for (const m of movers) {
    s.ranAway.add(m.i);
    s.emit({
      type: 'warning',
      message: `strategy ${m.d.strategy!.spec.name}: moved its cash to ${m.stash.address} after its purchase cleared`,
    });
  }
  return movers.map((m) => m.i);
}

/** The native driver's move: the cash module, each transfer through the device's own node. */
export async function runAway(sim: Simulation): Promise<void> {
  await moveCashAway(
    {
      devices: sim.devices,
      seed: sim.opts.scenario.seed,
      ranAway: sim.ranAway,
      cleared: () => [...sim.runs.values()].map((r) => r.cleared),
      emit: (e) => sim.emit(e),
    },
    {
      cash: CASH_ADDRESS,
      views: (calls) => sim.chain.views<bigint>(calls),
      send: async (txs) => {
        await sim.chain.send(txs, (a) => sim.byAddress.get(a) ?? 0);
      },
    },
  );
}
