// The upstream's unpaid export is its debt on the contracts (docs/market-rules.md §10b "The upstream bid is
// not capped by its account's cash", docs/evm.md "The upstream's debt"; native clearing.ts and
// upstream-rent.test.ts). Written first as the exploit: an upstream account that ran dry curtailed the
// local sellers (the verifier capped its bid by its cash: nothing cleared), and one that revoked its
// allowance made the clearing revert. Now the upstream buys at its full capacity; what its cash does not
// cover is owed to the interval's sellers in proportion to what they are owed (each paid that much less now,
// shareInOrder: the same integers natively), any part beyond all sellers' receipts to the rent fund, and its
// next receipt pays them, oldest claim first.

import { RENT_FUND_ADDRESS, shareInOrder } from '@gridledger/energy';
import type { Abi, Address } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { clearIntervalOnChain } from '../src/operator/operator.ts';
import { useWorld } from './use-world.ts';
import {
  ALICE_CASH,
  type Call,
  GATE_LEAD_MS,
  INTERVAL_MS,
  market,
  mineAt,
  read,
  send,
  WORLD_REALTIME,
  type World,
} from './world.ts';

let w: World;

useWorld(
  { realtime: WORLD_REALTIME },
  {
    setup: async (world) => {
      w = world;
    },
  },
);

const USD = 1_000_000n;
const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
const cashCall = (functionName: string, args: readonly unknown[]): Call => ({
  address: w.addresses.cash,
  abi: TestStablecoinAbi as Abi,
  functionName,
  args,
});
const cashOf = (a: Address) => read<bigint>(w, cashCall('balanceOf', [a]));
const debtOf = (a: Address) => read<[bigint, bigint]>(w, market(w, 'debtOf', [a]));
const claimsOf = async (a: Address) => {
  const [creditors, amounts] = await read<[Address[], bigint[]]>(w, market(w, 'claimsOf', [a]));
  return creditors.map((c, i) => ({ creditor: c.toLowerCase(), amount: amounts[i]! }));
};
interface OrderView {
  clearedWh: bigint;
  amount: bigint;
}
const order = (id: bigint) => read<OrderView>(w, market(w, 'order', [id]));
/** The upstream account (the world's grid operator) keeps `keep` µ$ of its cash and gives the rest away. */
async function upstreamKeeps(keep: bigint): Promise<void> {
  await send(w, w.operator, cashCall('transfer', [w.deployer.address, ALICE_CASH - keep]));
}
const place = (who: PrivateKeyAccount, k: bigint, bus: bigint, side: 0 | 1, wh: bigint, price: bigint) =>
  send(w, who, market(w, 'placeOrder', [k, bus, side, [step(wh, price)]]));
async function clear(k: bigint): Promise<void> {
  await mineAt(w, k * INTERVAL_MS - GATE_LEAD_MS);
  const op = await w.clients(w.operator);
  const done = await clearIntervalOnChain(op, { market: w.addresses.market, verifier: w.verifier }, k);
  expect(done).toBeDefined();
  expect((await intervalState(k))[0]).toBe(1);
}
const intervalState = (k: bigint) =>
  read<[number, bigint, bigint, bigint]>(w, market(w, 'intervalState', [k]));
const lower = (a: Address) => a.toLowerCase();

describe("the upstream's unpaid export is its debt", () => {
  it('an upstream without cash still buys: the seller clears and is owed, and is paid from the next receipt', async () => {
    const k = w.k0;
    await upstreamKeeps(0n);
    // alice offers 30,000 Wh at 2 $/MWh at bus 2; the upstream bids 20 $/MWh at bus 1 and holds no cash.
    await place(w.alice, k, 2n, 1, 30_000n, 2n * USD);
    const alice0 = await cashOf(w.alice.address);
    await clear(k);
    // Before: the bid was capped at 0 Wh and alice's energy curtailed.
    const o = await order(1n);
    expect(o.clearedWh).toBe(30_000n);
    expect(o.amount).toBe(600_000n); // 30,000 Wh at the upstream's 20 $/MWh
    expect(await debtOf(w.operator.address)).toEqual([600_000n, 0n]);
    expect(await debtOf(w.alice.address)).toEqual([0n, 600_000n]);
    expect(await claimsOf(w.operator.address)).toEqual([
      { creditor: lower(w.alice.address), amount: 600_000n },
    ]);
    // alice was paid nothing now (her escrow is the collateral the settlement keeps).
    expect(await cashOf(w.alice.address)).toBe(alice0);
    // The next interval the upstream sells 20,000 Wh to bob at 100 $/MWh: alice is paid first from it.
    await place(w.bob, k + 1n, 3n, 0, 20_000n, 150n * USD);
    await clear(k + 1n);
    expect(await debtOf(w.operator.address)).toEqual([0n, 0n]);
    expect(await cashOf(w.operator.address)).toBe(2_000_000n - 600_000n);
  });

  it('an upstream that revoked its allowance does not make the clearing revert: it owes its export', async () => {
    const k = w.k0;
    await send(w, w.operator, cashCall('approve', [w.addresses.market, 0n]));
    await place(w.alice, k, 2n, 1, 30_000n, 2n * USD);
    await clear(k);
    expect((await order(1n)).clearedWh).toBe(30_000n);
    expect(await debtOf(w.operator.address)).toEqual([600_000n, 0n]);
    expect(await cashOf(w.operator.address)).toBe(ALICE_CASH);
  });

  it("the shortfall is shared in proportion to the sellers' receipts, in the native integers", async () => {
    const k = w.k0;
    // The upstream can pay 700,001 µ$ of the 1,100,000 it owes for 55,000 Wh at 20 $/MWh.
    await upstreamKeeps(700_001n);
    await place(w.alice, k, 2n, 1, 30_000n, 2n * USD); // 600,000 µ$ at bus 2's 20 $/MWh
    await place(w.bob, k, 3n, 1, 40_000n, 1n * USD); // 25,000 Wh over the line 2-3 at bus 3's 1 $/MWh
    const fund0 = await cashOf(RENT_FUND_ADDRESS);
    await clear(k);
    const [a, b] = [await order(1n), await order(2n)];
    expect([a.clearedWh, a.amount, b.clearedWh, b.amount]).toEqual([30_000n, 600_000n, 25_000n, 25_000n]);
    const cuts = shareInOrder(1_100_000n - 700_001n, [600_000n, 25_000n]);
    expect(cuts).toEqual([383_999n, 16_000n]);
    expect(await claimsOf(w.operator.address)).toEqual([
      { creditor: lower(w.alice.address), amount: cuts[0]! },
      { creditor: lower(w.bob.address), amount: cuts[1]! },
    ]);
    // The rent (1,100,000 − 625,000) reaches the fund whole: the sellers carried the whole shortfall.
    expect(await cashOf(RENT_FUND_ADDRESS)).toBe(fund0 + 475_000n);
    expect((await intervalState(k))[1]).toBe(475_000n);
    expect(await cashOf(w.operator.address)).toBe(0n);
  });

  it("what exceeds every seller's receipt is owed to the rent fund, and paid to it after the sellers", async () => {
    const k = w.k0;
    await upstreamKeeps(0n);
    // bob's 25,000 Wh over the congested line: he is owed 25,000 µ$, the upstream owes 500,000.
    await place(w.bob, k, 3n, 1, 40_000n, 1n * USD);
    const fund0 = await cashOf(RENT_FUND_ADDRESS);
    await clear(k);
    expect((await order(1n)).amount).toBe(25_000n);
    expect(await claimsOf(w.operator.address)).toEqual([
      { creditor: lower(w.bob.address), amount: 25_000n },
      { creditor: lower(RENT_FUND_ADDRESS), amount: 475_000n },
    ]);
    // The rent is recorded whole; the fund holds nothing of it yet but is owed all of it.
    expect((await intervalState(k))[1]).toBe(475_000n);
    expect(await cashOf(RENT_FUND_ADDRESS)).toBe(fund0);
    expect(await debtOf(RENT_FUND_ADDRESS)).toEqual([0n, 475_000n]);
    // Only bob's collateral (25,000 Wh at the 200 $/MWh shortfall price) stays in the market.
    expect(await cashOf(w.addresses.market)).toBe(5_000_000n);
    // The upstream's next sale (alice buys 10,000 Wh at 100 $/MWh: 1,000,000 µ$) pays bob, then the fund.
    await place(w.alice, k + 1n, 2n, 0, 10_000n, 150n * USD);
    await clear(k + 1n);
    expect(await debtOf(w.operator.address)).toEqual([0n, 0n]);
    expect(await cashOf(RENT_FUND_ADDRESS)).toBe(fund0 + 475_000n);
    expect(await cashOf(w.operator.address)).toBe(1_000_000n - 500_000n);
  });
});
