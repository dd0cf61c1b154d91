// A buyer in debt on the contracts (docs/evm.md "The debt ledger"), for the tests that read the ledger
// through the clients (packages/cli/test/debts-evm.test.ts) and default-settlement.test.ts: on a world
// with the second settlement, alice buys 25,000 Wh at bus 2 and bob sells them at bus 3; alice consumes 45,000 Wh with her
// allowance to the market revoked, so her imbalance charge is her debt to the grid operator.
import type { Abi } from 'viem';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { submitRealtimePrices } from '../src/operator/realtime.ts';
import {
  clearForward,
  INTERVAL_MS,
  market,
  mineAt,
  read,
  send,
  submitReading,
  WORLD_REALTIME,
  type World,
} from './world.ts';

/** The second settlement's parameters of the debt tests (cap + δ = the world's shortfall price). */
export const DEBT_REALTIME = WORLD_REALTIME;

/** Runs the scenario on `w` (deployed with `realtime: DEBT_REALTIME`); returns the interval and alice's debt. */
export async function putBuyerInDebt(w: World): Promise<{ k: bigint; debt: bigint }> {
  const k = await clearForward(w);
  await send(w, w.alice, {
    address: w.addresses.cash,
    abi: TestStablecoinAbi as Abi,
    functionName: 'approve',
    args: [w.addresses.market, 0n],
  });
  await mineAt(w, (k + 1n) * INTERVAL_MS);
  await submitReading(w, 1n, k, 45_000n, 0n);
  await submitReading(w, 2n, k, 0n, 25_000n);
  await submitRealtimePrices(await w.clients(w.operator), w.realtime, k);
  await send(w, w.carol, market(w, 'settle', [k]));
  const [debt] = await read<[bigint, bigint]>(w, market(w, 'debtOf', [w.alice.address]));
  return { k, debt };
}
