// The grid operator's line controls, in process: an on-chain limit of 0 closes a line (it used to open
// it: the engine reads a rate of 0 as unlimited), including a branch inside a loop; line status is
// separate from limits, and an out-of-service branch is removed from the network the clearing and the
// digital twin use, the island it leaves clearing on its own; bad calls revert and change nothing.
import { CASH_ADDRESS, ERC20_ABI } from '@gridledger/execution';
import { describe, expect, it } from 'vitest';
import {
  MARKET_ABI,
  MARKET_ADDRESS,
  marketKeys,
  type NetworkJson,
  networkFromJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  registryView,
  ZERO_LIMIT_MW,
} from '../src/index.ts';
import { decodeSigned } from '../src/words.ts';
import { account, buildGenesis, Chain, HOUR, line, testMarketConfig } from './harness.ts';

const MWH = 1_000_000n;
const USD = 1_000_000n;
const K = 5n;

const admin = account('g admin');
const operator = account('g operator');
const seller = account('g seller');
const buyer = account('g buyer');

/** Buses 1 (reference, upstream), 2, 3; a line 1-2 and a line 2-3, and with `loop` a line 1-3. */
function net(loop: boolean): NetworkJson {
  return {
    name: loop ? 'loop' : 'radial',
    baseMVA: 100,
    buses: [
      { id: 1, type: 3 },
      { id: 2, type: 1 },
      { id: 3, type: 1 },
    ],
    branches: [line(1, 1, 2, 0.1), line(2, 2, 3, 0.1), ...(loop ? [line(3, 1, 3, 0.1)] : [])],
  };
}

async function start(network: NetworkJson) {
  const chain = await Chain.start(
    buildGenesis(admin, [
      { who: operator, roles: ['GRID_OPERATOR_ROLE'], cash: 100_000n * USD },
      { who: seller, roles: ['PARTICIPANT_ROLE'], cash: 100_000n * USD },
      { who: buyer, roles: ['PARTICIPANT_ROLE'], cash: 100_000n * USD },
    ]),
    testMarketConfig(operator.addr, { firstInterval: K, upstream: { capacityWh: 100n * MWH } }),
  );
  const txs = [
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(network)]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [seller.addr, [3n]]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [buyer.addr, [2n, 3n]]),
  ];
  const b = await chain.block(1_000n, txs);
  expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(txs.map(() => 'ok'));
  return chain;
}

/** The buyer bids 30 MWh at 150 $/MWh at bus 3 in interval k (upstream sells at 100 $/MWh at bus 1). */
const buy = (chain: Chain, k: bigint) =>
  chain.tx(buyer, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
    k,
    3n,
    0,
    [{ energyWh: 30n * MWH, priceMicrosPerMWh: 150n * USD }],
  ]);
const flowW = (chain: Chain, k: bigint, branch: number) =>
  decodeSigned(chain.state.get(marketKeys.interval(k).flowW(branch)));
const clearedWh = (chain: Chain, id: bigint) =>
  chain.view<{ clearedWh: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [id]).clearedWh;
const abs = (x: bigint) => (x < 0n ? -x : x);

describe('line limits: an on-chain 0 means 0 MW', () => {
  it('setLineLimit(b, 0) closes a radial line instead of opening it', async () => {
    const chain = await start(net(false));
    const lim = await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineLimit', [2n, 0n]);
    const b = await chain.block(2_000n, [lim, await buy(chain, K)]);
    expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok']);
    expect(chain.view<[boolean, bigint]>(REGISTRY_ADDRESS, REGISTRY_ABI, 'lineLimit', [2n])).toEqual([
      true,
      0n,
    ]);
    await chain.block(K * HOUR);
    // The old code cleared all 30 MWh across the "closed" line; now at most the 1 W stand-in for 0
    // (ZERO_LIMIT_MW) over the hour.
    expect(clearedWh(chain, 1n)).toBeLessThanOrEqual(1n);
    expect(abs(flowW(chain, K, 2))).toBeLessThanOrEqual(1n);
    // Cleared again (no override): the registered rateA of 0 is unlimited, all 30 MWh flow.
    const clr = await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'clearLineLimit', [2n]);
    await chain.block(K * HOUR + 1n, [clr, await buy(chain, K + 1n)]);
    await chain.block((K + 1n) * HOUR);
    expect(clearedWh(chain, 2n)).toBe(30n * MWH);
    expect(flowW(chain, K + 1n, 2)).toBe(30_000_000n);
    expect(chain.invariantFailures).toEqual([]);
  });

  it('a limit of 0 on a branch of a loop is a closed line carrying 0 MW, not an open one', async () => {
    const chain = await start(net(true));
    const lim = await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineLimit', [2n, 0n]);
    await chain.block(2_000n, [lim, await buy(chain, K)]);
    await chain.block(K * HOUR);
    // Closed with 0 flow: θ2 = θ3, and bus 2 injects nothing, so θ1 = θ3 and the loop carries nothing
    // (the engine's 1 W stand-in for 0 lets a few Wh through).
    expect(clearedWh(chain, 1n)).toBeLessThanOrEqual(3n);
    expect(abs(flowW(chain, K, 2))).toBeLessThanOrEqual(1n);
    // Out of service instead (limit override cleared): the line is open, path 1-3 carries all 30 MWh.
    const txs = [
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'clearLineLimit', [2n]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineStatus', [2n, false]),
      await buy(chain, K + 1n),
    ];
    await chain.block(K * HOUR + 1n, txs);
    await chain.block((K + 1n) * HOUR);
    expect(clearedWh(chain, 2n)).toBe(30n * MWH);
    expect(flowW(chain, K + 1n, 2)).toBe(0n);
    expect(flowW(chain, K + 1n, 3)).toBe(30_000_000n);
    expect(chain.invariantFailures).toEqual([]);
  });

  it('a MATPOWER-style rateAMw of 0 in the registered network is still unlimited', () => {
    const n = networkFromJson(net(true));
    expect(n.branches.map((b) => b.rateAMw)).toEqual([0, 0, 0]);
    const o = networkFromJson(net(true), new Map([[2, 0]]));
    expect(o.branches.map((b) => b.rateAMw)).toEqual([0, ZERO_LIMIT_MW, 0]);
  });
});

describe('line status, separate from limits', () => {
  it('an out-of-service branch leaves the network; its island clears alone; back in service it carries again', async () => {
    const chain = await start(net(false));
    const out = await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineStatus', [2n, false]);
    const sell = await chain.tx(seller, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      3n,
      1,
      [{ energyWh: 10n * MWH, priceMicrosPerMWh: 10n * USD }],
    ]);
    const b = await chain.block(2_000n, [out, await buy(chain, K), sell]);
    expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
    expect(chain.view<[boolean, boolean]>(REGISTRY_ADDRESS, REGISTRY_ABI, 'lineStatus', [2n])).toEqual([
      false,
      true,
    ]);
    // The limit is untouched: status is its own setting.
    expect(chain.view<[boolean, bigint]>(REGISTRY_ADDRESS, REGISTRY_ABI, 'lineLimit', [2n])).toEqual([
      false,
      0n,
    ]);
    // The network the clearing and the twin use has branch 2 out.
    const json = registryView.network(chain.state)!;
    expect(registryView.engineNetwork(chain.state, json).branches.map((x) => x.status)).toEqual([1, 0]);
    await chain.block(K * HOUR);
    expect(chain.view<[number]>(MARKET_ADDRESS, MARKET_ABI, 'intervalState', [K])[0]).toBe(1);
    // Island {3}: the buyer gets only the local seller's 10 MWh; nothing crosses branch 2.
    expect(clearedWh(chain, 1n)).toBe(10n * MWH);
    expect(clearedWh(chain, 2n)).toBe(10n * MWH);
    expect(flowW(chain, K, 2)).toBe(0n);
    // Back in service (and then the override cleared): the line carries again.
    const back = await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineStatus', [2n, true]);
    await chain.block(K * HOUR + 1n, [back, await buy(chain, K + 1n)]);
    expect(chain.view<[boolean, boolean]>(REGISTRY_ADDRESS, REGISTRY_ABI, 'lineStatus', [2n])).toEqual([
      true,
      true,
    ]);
    await chain.block((K + 1n) * HOUR);
    expect(clearedWh(chain, 3n)).toBe(30n * MWH);
    const clr = await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'clearLineStatus', [2n]);
    await chain.block((K + 1n) * HOUR + 1n, [clr]);
    expect(chain.view<[boolean, boolean]>(REGISTRY_ADDRESS, REGISTRY_ABI, 'lineStatus', [2n])).toEqual([
      true,
      false,
    ]);
    expect(chain.invariantFailures).toEqual([]);
  });

  it('bad calls revert with a reason and change nothing', async () => {
    const chain = await start(net(false));
    const before = chain.snapshotExceptNonces();
    const cashBefore = chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [operator.addr]);
    const txs = [
      await chain.tx(seller, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineStatus', [1n, false]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineStatus', [9n, false]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'clearLineStatus', [0n]),
      await chain.tx(seller, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineLimit', [1n, 0n]),
    ];
    const b = await chain.block(2_000n, txs);
    expect(b.outcomes.map((o) => o.reason)).toEqual([
      expect.stringContaining('setLineStatus needs GRID_OPERATOR_ROLE'),
      'registry: unknown branch 9 (the network has 2)',
      'registry: unknown branch 0 (the network has 2)',
      expect.stringContaining('setLineLimit needs GRID_OPERATOR_ROLE'),
    ]);
    expect(chain.snapshotExceptNonces()).toBe(before);
    expect(chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [operator.addr])).toBe(cashBefore);
  });
});
