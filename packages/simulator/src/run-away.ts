// default-and-run's move: once one of its purchases has cleared, the strategic device sends its whole cash
// balance to the second account it controls (stashOf) and places no more orders (strategicOrders).
import { CASH_ADDRESS, ERC20_ABI } from '@gridledger/execution';
import type { SimDevice } from './population.ts';
import type { KeyPair } from './signer.ts';
import type { Simulation } from './simulation.ts';
import { stashOf } from './strategies.ts';

/** Gas limit of the cash transfer (an ERC-20 transfer uses far less). */
const TRANSFER_GAS = 100_000n;

/**
 * default-and-run: once one of its purchases has cleared, the strategic device moves its whole cash
 * balance to its stash account (and places no more orders).
 */
export async function runAway(sim: Simulation): Promise<void> {
  const seed = sim.opts.scenario.seed;
  const movers: { i: number; d: SimDevice; stash: KeyPair }[] = [];
  sim.devices.forEach((d, i) => {
    const stash = stashOf(seed, d);
    if (stash === undefined || sim.ranAway.has(i)) return;
    const cleared = [...sim.runs.values()].some((r) => (r.cleared?.get(i)?.boughtWh ?? 0n) > 0n);
    if (cleared) movers.push({ i, d, stash });
  });
  if (movers.length === 0) return;
  const balances = await sim.chain.views<bigint>(
    movers.map((m) => ({
      to: CASH_ADDRESS,
      abi: ERC20_ABI,
      functionName: 'balanceOf',
      args: [m.d.account.address],
    })),
  );
  const txs = movers
    .map((m, j) => ({ m, amount: balances[j] ?? 0n }))
    .filter((x) => x.amount > 0n)
    .map(({ m, amount }) => ({
      key: m.d.account,
      call: {
        to: CASH_ADDRESS,
        abi: ERC20_ABI,
        functionName: 'transfer',
        args: [m.stash.address, amount],
      },
      gas: TRANSFER_GAS,
    }));
  await sim.chain.send(txs, (a) => sim.byAddress.get(a) ?? 0);
  for (const m of movers) {
    sim.ranAway.add(m.i);
    sim.emit({
      type: 'warning',
      message: `strategy ${m.d.strategy!.spec.name}: moved its cash to ${m.stash.address} after its purchase cleared`,
    });
  }
}
