// A buyer in debt on the contracts (docs/evm.md "The debt ledger"), for the tests that read the ledger
// through the clients (packages/cli/test/debts-evm.test.ts) and default-settlement.test.ts: on a world
// with the second settlement, alice buys 25,000 Wh at bus 2 and bob sells them at bus 3; alice consumes 45,000 Wh with her
// allowance to the market revoked, so her imbalance charge is her debt to the grid operator.
import { READING_TYPES, readingDomain } from '@gridledger/energy';
import type { Abi } from 'viem';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { clearIntervalOnChain } from '../src/operator/operator.ts';
import { submitRealtimePrices } from '../src/operator/realtime.ts';
import {
  GATE_LEAD_MS,
  INTERVAL_MS,
  market,
  meters,
  mineAt,
  read,
  send,
  WORLD_REALTIME,
  type World,
} from './world.ts';

/** The second settlement's parameters of the debt tests (cap + δ = the world's shortfall price). */
export const DEBT_REALTIME = WORLD_REALTIME;

/** Runs the scenario on `w` (deployed with `realtime: DEBT_REALTIME`); returns the interval and alice's debt. */
export async function putBuyerInDebt(w: World): Promise<{ k: bigint; debt: bigint }> {
  const k = w.k0;
  const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
  await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(25_000n, 80_000_000n)]]));
  await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 1, [step(25_000n, 30_000_000n)]]));
  await mineAt(w, k * INTERVAL_MS - GATE_LEAD_MS);
  const op = await w.clients(w.operator);
  await clearIntervalOnChain(op, { market: w.addresses.market, verifier: w.verifier }, k);
  await send(w, w.alice, {
    address: w.addresses.cash,
    abi: TestStablecoinAbi as Abi,
    functionName: 'approve',
    args: [w.addresses.market, 0n],
  });
  await mineAt(w, (k + 1n) * INTERVAL_MS);
  for (const [meter, importedWh, exportedWh] of [
    [1n, 45_000n, 0n],
    [2n, 0n, 25_000n],
  ] as const) {
    const r = { meter, interval: k, importedWh, exportedWh };
    const sig = await w.meterKey.signTypedData({
      domain: { ...readingDomain(31337n), verifyingContract: w.addresses.meters },
      types: READING_TYPES,
      primaryType: 'Reading',
      message: r,
    });
    await send(w, w.carol, meters(w, 'submitReadings', [[r], [sig]]));
  }
  await submitRealtimePrices(op, w.realtime!, k);
  await send(w, w.carol, market(w, 'settle', [k]));
  const [debt] = await read<[bigint, bigint]>(w, market(w, 'debtOf', [w.alice.address]));
  return { k, debt };
}
