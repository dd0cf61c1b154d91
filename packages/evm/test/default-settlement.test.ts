// A market deployed without `realtime` in its configuration (the default of `gridledger deploy` and of the
// test world) settles as every market does: by the second settlement, with the debt ledger (issue 16,
// docs/evm.md "The second settlement"). Written first as the exploit: such a market used to settle at flat prices
// (MarketSettlement.sol), where a buyer that revoked its allowance before settlement escaped its
// imbalance charge (a PaymentFailed event, no debt) and kept placing orders.

import { bandPrices, deviationAmount } from '@gridledger/energy';
import type { Abi } from 'viem';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVM_PENALTY_MICROS_PER_MWH, deployMarket } from '../src/deploy.ts';
import { RealtimeBookAbi } from '../src/generated/RealtimeBook.ts';
import { putBuyerInDebt } from './debt-scenario.ts';
import { expectRevert } from './fixture.ts';
import { useWorld } from './use-world.ts';
import { cashProbe, market, read, type World } from './world.ts';

let w: World;
useWorld(
  {},
  {
    setup: async (world) => {
      w = world;
    },
    isolate: false,
  },
);

const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });

describe('a market deployed without `realtime`', () => {
  it('records what a buyer without allowance cannot pay as its debt and refuses its orders', async () => {
    expect(w.config.realtime).toBeUndefined();
    // alice buys 25,000 Wh at bus 2 from bob, consumes 45,000 (20,000 short; a buyer posts no margin)
    // with her allowance to the market revoked; the interval is priced and settled (debt-scenario.ts)
    const { k } = await putBuyerInDebt(w);
    // the charge, 20,000 Wh · (max(λ_fwd, λ_rt) + δ) at the default δ (as the native deviationAmount), is
    // her debt to the grid operator
    const rt = await read<bigint>(w, {
      address: w.realtime.book,
      abi: RealtimeBookAbi as Abi,
      functionName: 'realtimePrice',
      args: [k, 2n],
    });
    const fwd = await read<bigint>(w, market(w, 'lmp', [k, 2n]));
    const debt = -deviationAmount(-20_000n, bandPrices(fwd, rt, DEFAULT_EVM_PENALTY_MICROS_PER_MWH));
    expect(debt).toBe(2_100_000n); // 20,000 Wh · (max(80, 100) + 5) $/MWh
    expect(await read(w, market(w, 'debtOf', [w.alice.address]))).toEqual([debt, 0n]);
    expect(await read(w, market(w, 'debtOf', [w.operator.address]))).toEqual([0n, debt]);
    // in default: her next order is refused with the native reason, changing nothing
    await expectRevert(
      w,
      w.alice,
      market(w, 'placeOrder', [k + 3n, 2n, 0, [step(1_000n, 80_000_000n)]]),
      `is in default, owing ${debt} µ$: pay it with payDebts() first`,
      cashProbe(w),
    );
  });

  it('cannot be deployed with the second settlement switched off (δ 0) or without room for its default cap', async () => {
    const d = await w.clients(w.deployer);
    const off = {
      penaltyMicrosPerMWh: 0n,
      priceCapMicrosPerMWh: 0n,
      priceFloorMicrosPerMWh: 0n,
      nonReportingPenaltyMicros: 0n,
      liquidatedDamagesMicrosPerMWh: 0n,
    };
    await expect(deployMarket(d, { config: { ...w.config, realtime: off } })).rejects.toThrow(
      /expected realtime\.penaltyMicrosPerMWh > 0 \(every market runs the second settlement\)/,
    );
    // without `realtime` the default cap is the shortfall price − δ: a shortfall price of δ or less is
    // refused before any transaction
    const nonce = await d.public.getTransactionCount({ address: w.deployer.address });
    await expect(
      deployMarket(d, { config: { ...w.config, shortfallPriceMicrosPerMWh: 5_000_000n } }),
    ).rejects.toThrow(/expected shortfallPriceMicrosPerMWh > 5000000/);
    expect(await d.public.getTransactionCount({ address: w.deployer.address })).toBe(nonce);
  });
});
