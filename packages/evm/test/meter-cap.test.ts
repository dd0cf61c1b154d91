// Orders capped by the registered meters on an EVM chain (docs/market-rules.md §10 "Orders", the native
// ordersCappedByMeters; docs/evm.md): a market deployed with the switch on, on its own anvil. The exploit
// first: an account with a small meter offers far more than its connection carries (an uncapped market,
// contracts.test.ts's, accepts it). Then the rule as native: per owner, bus, interval and side, open orders
// with the new one <= floor(Σ capacityW × intervalMs / 3.6·10^6) Wh; no meter there: refused; a
// cancellation frees its Wh; the two sides are counted apart. Reasons as the native module's text.
// (sealed.test.ts checks the cap at a sealed bid's reveal.)

import type { Address } from 'viem';
import { describe, expect, it } from 'vitest';
import { expectRevert } from './fixture.ts';
import { useWorld } from './use-world.ts';
import { cashProbe, market, read, registry, send, type World } from './world.ts';

let w: World;

useWorld(
  { ordersCappedByMeters: true },
  {
    setup: async (world) => {
      w = world;
      // carol trades at bus 2 but has no meter yet
      await send(w, w.deployer, registry(w, 'registerParticipant', [w.carol.address, [2n]]));
    },
  },
);

const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
const place = (k: bigint, side: number, steps: ReturnType<typeof step>[]) =>
  market(w, 'placeOrder', [k, 2n, side, steps]);
const lower = (a: Address) => a.toLowerCase();

describe('orders capped by the registered meters', () => {
  it('is switched on by the deployment config', async () => {
    const c = await read<{ ordersCappedByMeters: boolean }>(w, market(w, 'config', []));
    expect(c.ordersCappedByMeters).toBe(true);
  });

  it('refuses a phantom offer far beyond a small meter (the exploit), and any order without a meter', async () => {
    const k = w.k0;
    const p = cashProbe(w);
    const carol = lower(w.carol.address);
    await expectRevert(
      w,
      w.carol,
      place(k, 1, [step(1_000_000n, 10_000_000n)]),
      `market: ${carol} has no meter registered at bus 2: orders are capped by the registered meters' capacity (ask the grid operator to register one)`,
      p,
    );
    // a 12 kW connection carries 1,000 Wh in 5 minutes; carol offers a thousand times that
    await send(
      w,
      w.operator,
      registry(w, 'registerMeter', [3n, w.meterKey.address, 2n, w.carol.address, 12_000n]),
    );
    const p2 = cashProbe(w);
    await expectRevert(
      w,
      w.carol,
      place(k, 1, [step(999_000n, 10_000_000n), step(1_000n, 20_000_000n)]),
      `market: the order's 1000000 Wh plus 0 Wh already offered by ${carol} at bus 2 in interval ${k} exceed its meters' capacity of 1000 Wh per interval (12000 W registered there): order less`,
      p2,
    );
    await expectRevert(
      w,
      w.carol,
      place(k, 1, [step(1_001n, 10_000_000n)]),
      'capacity of 1000 Wh per interval',
      p2,
    );
    await send(w, w.carol, place(k, 1, [step(1_000n, 10_000_000n)]));
  });

  it('counts the open orders of one side, frees a cancelled one, and adds the meters at the bus', async () => {
    const k = w.k0;
    const carol = lower(w.carol.address);
    await send(
      w,
      w.operator,
      registry(w, 'registerMeter', [3n, w.meterKey.address, 2n, w.carol.address, 12_000n]),
    );
    await send(w, w.carol, place(k, 1, [step(600n, 10_000_000n)]));
    const firstId = (await read<bigint>(w, market(w, 'nextOrderId', []))) - 1n;
    let p = cashProbe(w);
    await expectRevert(
      w,
      w.carol,
      place(k, 1, [step(300n, 10_000_000n), step(101n, 11_000_000n)]),
      `market: the order's 401 Wh plus 600 Wh already offered by ${carol} at bus 2 in interval ${k} exceed its meters' capacity of 1000 Wh per interval (12000 W registered there): order less`,
      p,
    );
    await send(w, w.carol, place(k, 1, [step(300n, 10_000_000n), step(100n, 11_000_000n)]));
    // the buy side has its own 1,000 Wh (below the offers: no self-trade)
    p = cashProbe(w);
    await expectRevert(
      w,
      w.carol,
      place(k, 0, [step(1_001n, 1_000_000n)]),
      `market: the order's 1001 Wh plus 0 Wh already bid by ${carol} at bus 2`,
      p,
    );
    await send(w, w.carol, place(k, 0, [step(1_000n, 1_000_000n)]));
    // another interval starts from zero
    await send(w, w.carol, place(k + 1n, 1, [step(1_000n, 10_000_000n)]));
    // a cancelled order frees its Wh
    p = cashProbe(w);
    await expectRevert(w, w.carol, place(k, 1, [step(600n, 10_000_000n)]), 'plus 1000 Wh already offered', p);
    await send(w, w.carol, market(w, 'cancelOrder', [firstId]));
    await send(w, w.carol, place(k, 1, [step(600n, 10_000_000n)]));
    // a second meter at the bus adds its capacity: 12 kW + 6 kW carry 1,500 Wh
    await send(
      w,
      w.operator,
      registry(w, 'registerMeter', [4n, w.meterKey.address, 2n, w.carol.address, 6_000n]),
    );
    p = cashProbe(w);
    await expectRevert(
      w,
      w.carol,
      place(k, 1, [step(501n, 10_000_000n)]),
      `market: the order's 501 Wh plus 1000 Wh already offered by ${carol} at bus 2 in interval ${k} exceed its meters' capacity of 1500 Wh per interval (18000 W registered there): order less`,
      p,
    );
    await send(w, w.carol, place(k, 1, [step(500n, 10_000_000n)]));
  });
});
