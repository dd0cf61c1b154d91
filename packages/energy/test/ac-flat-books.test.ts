// AC clearing of books with a flat direction: nothing trades across the line, or the only trade sits at
// the reference bus. Real power and prices settle at once, but the trust region bounced the substation's
// voltage (a control that costs nothing) to the iteration limit and the interval failed ("no convergence
// in 50 iterations"), releasing every escrow. Both books now clear, priced, with a certificate that checks.
import type { Order } from '@gridledger/market';
import { describe, expect, it } from 'vitest';
import { clearIntervalAc, networkFromJson } from '../src/index.ts';
import { line, testMarketConfig } from './harness.ts';

const NET = networkFromJson({
  name: 'flat',
  baseMVA: 100,
  buses: [
    { id: 1, type: 3 },
    { id: 2, type: 1 },
  ],
  branches: [{ ...line(1, 1, 2, 0.1), rPu: 0.02 }],
});
const CONFIG = testMarketConfig('0x00000000000000000000000000000000000000a1', { pricing: 'ac' });
/** The upstream's offer (100 $/MWh) and bid (1 $/MWh) at the reference bus, as clearing adds them. */
const UPSTREAM: Order[] = [
  { id: 'up-sell', bus: 1, side: 'sell', steps: [{ price: 100, quantity: 1000 }] },
  { id: 'up-buy', bus: 1, side: 'buy', steps: [{ price: 1, quantity: 1000 }] },
];

describe('AC clearing on flat directions', () => {
  it('bids below the tariff at the far bus: nothing trades, the interval is priced', async () => {
    const bids: Order[] = [2, 2, 2, 2, 3].map((price, i) => ({
      id: `b${i}`,
      bus: 2,
      side: 'buy',
      steps: [{ price, quantity: 1 }],
    }));
    const r = await clearIntervalAc(NET, [...UPSTREAM, ...bids], CONFIG);
    expect(r.ok ? 'ok' : r.reason).toBe('ok');
    if (!r.ok) return;
    // The bid at 3 $/MWh is marginal (it sets the price) and clears nothing (to 1e-12 MW: 0 Wh on chain).
    for (const o of r.result.orders.filter((x) => x.id.startsWith('b'))) expect(o.cleared).toBeCloseTo(0, 12);
    for (const b of r.result.buses) expect(b.lmp).toBeCloseTo(3, 6);
  });

  it('a buy at the reference bus above the tariff: it trades there, no flow on the line', async () => {
    const buy: Order = { id: 'b', bus: 1, side: 'buy', steps: [{ price: 200, quantity: 1 }] };
    const r = await clearIntervalAc(NET, [...UPSTREAM, buy], CONFIG);
    expect(r.ok ? 'ok' : r.reason).toBe('ok');
    if (!r.ok) return;
    expect(r.result.orders.find((o) => o.id === 'b')!.cleared).toBeCloseTo(1, 9);
    expect(r.result.buses.find((b) => b.id === 1)!.lmp).toBeCloseTo(100, 6);
    expect(r.lossesMw).toBeCloseTo(0, 9);
  });
});
