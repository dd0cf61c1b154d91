// The market's contracts on a real Ethereum node (anvil from npm), through viem: one anvil for the file,
// the market deployed once, each test isolated by evm_snapshot / evm_revert. Every rule's happy path, and
// every bad input reverts with its reason (by eth_call, and mined as reverted when sent anyway) and
// changes nothing (the views read the same before and after).
import { type Abi, type Address, hexToBigInt } from 'viem';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CreditsAbi } from '../src/generated/Credits.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import {
  ALICE_CASH,
  cashProbe,
  expectRevert,
  GATE_LEAD_MS,
  INTERVAL_MS,
  market,
  meters,
  mineAt,
  promisesCall,
  read,
  registry,
  rpc,
  SETTLEMENT_DELAY_MS,
  send,
  setUpWorld,
  type World,
} from './fixture.ts';

let w: World;
let snapshot: string;

beforeAll(async () => {
  w = await setUpWorld();
  snapshot = await rpc<string>(w, 'evm_snapshot');
});

afterAll(async () => {
  await w?.anvil.close();
});

beforeEach(async () => {
  expect(await rpc<boolean>(w, 'evm_revert', [snapshot])).toBe(true);
  snapshot = await rpc<string>(w, 'evm_snapshot');
});

const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
const gateOf = (k: bigint) => k * INTERVAL_MS - GATE_LEAD_MS;
const cashOf = (a: Address) =>
  read<bigint>(w, {
    address: w.addresses.cash,
    abi: TestStablecoinAbi as Abi,
    functionName: 'balanceOf',
    args: [a],
  });

interface OrderView {
  owner: Address;
  interval: bigint;
  bus: bigint;
  side: number;
  escrow: bigint;
  status: number;
  clearedWh: bigint;
}

describe('anvil', () => {
  it('runs from the npm package on a free port and answers eth_chainId', async () => {
    expect(w.anvil.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(hexToBigInt(await rpc<`0x${string}`>(w, 'eth_chainId'))).toBe(31337n);
  });
});

describe('registry', () => {
  const probe = () => async () => ({
    version: await read<bigint>(w, registry(w, 'networkVersion', [])),
    json: await read<string>(w, registry(w, 'networkJson', [])),
    meter9: await read<unknown>(w, registry(w, 'meterOf', [9n])),
    carol2: await read<boolean>(w, registry(w, 'canTrade', [w.carol.address, 2n])),
    limit1: await read<unknown>(w, registry(w, 'lineLimit', [1n])),
  });

  it('holds the network, meters, participants and limit overrides', async () => {
    expect(await read(w, registry(w, 'networkVersion', []))).toBe(1n);
    expect(await read(w, registry(w, 'buses', []))).toEqual([1n, 2n, 3n]);
    expect(await read(w, registry(w, 'hasBus', [2n]))).toBe(true);
    expect(await read(w, registry(w, 'hasBus', [4n]))).toBe(false);
    expect(await read(w, registry(w, 'meterOf', [1n]))).toEqual([w.meterKey.address, 2n, w.alice.address]);
    expect(await read(w, registry(w, 'metersAt', [w.alice.address, 2n]))).toEqual([1n]);
    expect(await read(w, registry(w, 'canTrade', [w.alice.address, 2n]))).toBe(true);
    expect(await read(w, registry(w, 'canTrade', [w.alice.address, 3n]))).toBe(false);
    await send(w, w.operator, registry(w, 'setLineLimit', [2n, 5_000_000n]));
    expect(await read(w, registry(w, 'lineLimit', [2n]))).toEqual([true, 5_000_000n]);
    await send(w, w.operator, registry(w, 'clearLineLimit', [2n]));
    expect(await read(w, registry(w, 'lineLimit', [2n]))).toEqual([false, 0n]);
  });

  it('refuses the wrong caller and bad input, changing nothing', async () => {
    const p = probe();
    await expectRevert(
      w,
      w.alice,
      registry(w, 'registerNetwork', ['{}', [1n], 0n]),
      'needs GRID_OPERATOR_ROLE',
      p,
    );
    await expectRevert(
      w,
      w.operator,
      registry(w, 'registerNetwork', ['{}', [2n, 1n], 0n]),
      'strictly ascending',
      p,
    );
    await expectRevert(
      w,
      w.operator,
      registry(w, 'registerNetwork', ['', [1n], 0n]),
      'network JSON of 0 bytes',
      p,
    );
    await expectRevert(
      w,
      w.alice,
      registry(w, 'registerMeter', [9n, w.alice.address, 2n, w.alice.address]),
      'needs GRID_OPERATOR_ROLE',
      p,
    );
    await expectRevert(
      w,
      w.operator,
      registry(w, 'registerMeter', [9n, w.alice.address, 7n, w.alice.address]),
      'unknown bus 7',
      p,
    );
    await expectRevert(
      w,
      w.operator,
      registry(w, 'registerMeter', [1n, w.alice.address, 2n, w.alice.address]),
      'meter 1 is already registered',
      p,
    );
    await expectRevert(
      w,
      w.operator,
      registry(w, 'registerMeter', [9n, '0x0000000000000000000000000000000000000000', 2n, w.alice.address]),
      'must be non-zero',
      p,
    );
    await expectRevert(
      w,
      w.operator,
      registry(w, 'registerParticipant', [w.carol.address, [2n]]),
      'needs the accounts admin',
      p,
    );
    await expectRevert(
      w,
      w.deployer,
      registry(w, 'registerParticipant', [w.carol.address, [2n, 8n]]),
      'unknown bus 8',
      p,
    );
    await expectRevert(w, w.operator, registry(w, 'setLineLimit', [3n, 1n]), 'unknown branch 3', p);
    await expectRevert(w, w.alice, registry(w, 'setLineLimit', [1n, 1n]), 'needs GRID_OPERATOR_ROLE', p);
  });
});

describe('orders', () => {
  it('places an order with escrow, lists it for the operator, cancels it before the gate', async () => {
    const k = w.k0;
    const gas = await send(
      w,
      w.alice,
      market(w, 'placeOrder', [k, 2n, 0, [step(2_000n, 50_000_000n), step(1_000n, 40_000_001n)]]),
    );
    expect(gas).toBeGreaterThan(0n);
    // buy escrow = ceil((2000·50e6 + 1000·40000001) / 1e6) = ceil(140000.001) = 140001
    expect(await cashOf(w.alice.address)).toBe(ALICE_CASH - 140_001n);
    expect(await cashOf(w.addresses.market)).toBe(140_001n);
    const o = await read<OrderView>(w, market(w, 'order', [1n]));
    expect(o).toMatchObject({
      owner: w.alice.address,
      interval: k,
      bus: 2n,
      side: 0,
      escrow: 140_001n,
      status: 1,
    });
    expect(await read(w, market(w, 'orderSteps', [1n]))).toEqual([
      step(2_000n, 50_000_000n),
      step(1_000n, 40_000_001n),
    ]);
    // sell collateral = ceil(3000 · 200e6 / 1e6) = 600000
    await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 1, [step(3_000n, 10_000_000n)]]));
    expect(await cashOf(w.bob.address)).toBe(ALICE_CASH - 600_000n);
    const book = await read<{ id: bigint; owner: Address; side: number }[]>(w, market(w, 'openOrders', [k]));
    expect(book.map((b) => [b.id, b.owner, b.side])).toEqual([
      [1n, w.alice.address, 0],
      [2n, w.bob.address, 1],
    ]);
    expect(await read(w, market(w, 'intervalState', [k]))).toEqual([0, 0n, 2n, 0n]);
    await send(w, w.alice, market(w, 'cancelOrder', [1n]));
    expect(await cashOf(w.alice.address)).toBe(ALICE_CASH);
    expect((await read<OrderView>(w, market(w, 'order', [1n]))).status).toBe(2);
    expect((await read<unknown[]>(w, market(w, 'openOrders', [k]))).length).toBe(1);
  });

  it('refuses every bad order with its reason and changes nothing', async () => {
    const k = w.k0;
    const p = cashProbe(w);
    const place = (interval: bigint, bus: bigint, side: number, steps: unknown[]) =>
      market(w, 'placeOrder', [interval, bus, side, steps]);
    const one = [step(1_000n, 30_000_000n)];
    await expectRevert(w, w.carol, place(k, 2n, 0, one), 'is not a registered participant', p);
    await expectRevert(w, w.alice, place(k, 3n, 0, one), 'may not trade at bus 3', p);
    await expectRevert(w, w.alice, place(k, 9n, 0, one), 'unknown bus 9', p);
    await expectRevert(w, w.alice, place(k, 2n, 2, one), 'side must be 0 (buy) or 1 (sell), got 2', p);
    await expectRevert(w, w.alice, place(k - 1n, 2n, 0, one), "before the market's first interval", p);
    await expectRevert(w, w.alice, place(k, 2n, 0, []), 'expected 1..5 steps, got 0', p);
    await expectRevert(w, w.alice, place(k, 2n, 0, Array(6).fill(one[0])), 'expected 1..5 steps, got 6', p);
    await expectRevert(w, w.alice, place(k, 2n, 0, [step(0n, 1n)]), 'step 1: energyWh must be in 1..', p);
    await expectRevert(
      w,
      w.alice,
      place(k, 2n, 0, [step(1n, 10n ** 12n + 1n)]),
      'step 1: price must be <= ',
      p,
    );
    await expectRevert(
      w,
      w.alice,
      place(k, 2n, 0, [step(50_000_001n, 1n)]),
      'exceed the cap of 50000000 Wh per order',
      p,
    );
    await expectRevert(
      w,
      w.alice,
      place(k, 2n, 0, [step(40_000_000n, 30_000_000_000n)]),
      'exceeds the cash balance',
      p,
    );
    // no allowance: alice withdraws it first
    await send(w, w.alice, {
      address: w.addresses.cash,
      abi: TestStablecoinAbi as Abi,
      functionName: 'approve',
      args: [w.addresses.market, 0n],
    });
    await expectRevert(w, w.alice, place(k, 2n, 0, one), 'exceeds the allowance 0', p);
  });

  it('refuses a late order (at the gate), a self-trade and more than the live-order limit', async () => {
    const k = w.k0;
    const p = cashProbe(w);
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 1, [step(1_000n, 40_000_000n)]]));
    await expectRevert(
      w,
      w.alice,
      market(w, 'placeOrder', [k, 2n, 0, [step(1_000n, 40_000_000n)]]),
      'self-trade',
      p,
    );
    // a buy below the sell does not cross
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(1_000n, 39_999_999n)]]));
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(1_000n, 30_000_000n)]]));
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(1_000n, 20_000_000n)]]));
    await expectRevert(
      w,
      w.alice,
      market(w, 'placeOrder', [k, 2n, 0, [step(1_000n, 10_000_000n)]]),
      'already has 4 orders in interval',
      p,
    );
    // one second before the gate is still open; at the gate it is closed
    await mineAt(w, gateOf(k) - 1000n);
    await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 0, [step(1_000n, 30_000_000n)]]));
    await mineAt(w, gateOf(k));
    await expectRevert(
      w,
      w.bob,
      market(w, 'placeOrder', [k, 3n, 0, [step(1_000n, 30_000_000n)]]),
      `gate of interval ${k} closed`,
      p,
    );
    await expectRevert(w, w.bob, market(w, 'cancelOrder', [5n]), `gate of interval ${k} has closed`, p);
  });

  it('refuses a cancellation of an unknown, foreign or closed order', async () => {
    const k = w.k0;
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(1_000n, 40_000_000n)]]));
    const p = cashProbe(w);
    await expectRevert(w, w.alice, market(w, 'cancelOrder', [7n]), 'unknown order 7', p);
    await expectRevert(w, w.bob, market(w, 'cancelOrder', [1n]), 'is not', p);
    await send(w, w.alice, market(w, 'cancelOrder', [1n]));
    const p2 = cashProbe(w);
    await expectRevert(w, w.alice, market(w, 'cancelOrder', [1n]), 'order 1 is not open', p2);
  });
});

describe('clearing seam', () => {
  const emptyClearing = (k: bigint) => ({
    interval: k,
    busIds: [1n, 2n, 3n],
    lmpMicrosPerMWh: [0n, 0n, 0n],
    lmpLowMicrosPerMWh: [0n, 0n, 0n],
    lmpHighMicrosPerMWh: [0n, 0n, 0n],
    branchFlowW: [0n, 0n],
    orderIds: [],
    clearedWh: [],
    upstreamImportWh: 0n,
    upstreamExportWh: 0n,
    trades: [],
    resultHash: `0x${'00'.repeat(32)}`,
    certificateHash: `0x${'00'.repeat(32)}`,
  });

  it('accepts a clearing only from the verifier, and the verifier only once, from the deployer', async () => {
    const k = w.k0;
    const p = cashProbe(w);
    await mineAt(w, gateOf(k));
    for (const who of [w.alice, w.operator, w.deployer]) {
      await expectRevert(
        w,
        who,
        market(w, 'applyClearing', [emptyClearing(k)]),
        'only the clearing verifier',
        p,
      );
      await expectRevert(w, who, market(w, 'failClearing', [k, 'x']), 'only the clearing verifier', p);
    }
    await expectRevert(
      w,
      w.alice,
      market(w, 'setClearingVerifier', [w.alice.address]),
      'only the deployer',
      p,
    );
    await expectRevert(w, w.deployer, market(w, 'settle', [k]), `interval ${k} is not cleared`, p);
  });

  it('expires an interval nobody cleared by its deadline, releasing every escrow', async () => {
    const k = w.k0;
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(1_000n, 40_000_000n)]]));
    await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 1, [step(1_000n, 10_000_000n)]]));
    await mineAt(w, (k + 1n) * INTERVAL_MS + SETTLEMENT_DELAY_MS - 1000n);
    const p = cashProbe(w);
    await expectRevert(w, w.carol, market(w, 'expireClearing', [k]), 'may still be cleared until', p);
    await mineAt(w, (k + 1n) * INTERVAL_MS + SETTLEMENT_DELAY_MS);
    await send(w, w.carol, market(w, 'expireClearing', [k]));
    expect(await cashOf(w.alice.address)).toBe(ALICE_CASH);
    expect(await cashOf(w.bob.address)).toBe(ALICE_CASH);
    expect(await cashOf(w.addresses.market)).toBe(0n);
    expect(await read(w, market(w, 'intervalState', [k]))).toEqual([2, 0n, 2n, 0n]);
    const p2 = cashProbe(w);
    await expectRevert(w, w.carol, market(w, 'expireClearing', [k]), 'already cleared or failed', p2);
  });
});

describe('tokens', () => {
  it('lets only the market mint promises and credits, and names the minters once', async () => {
    const p = cashProbe(w);
    await expectRevert(
      w,
      w.alice,
      promisesCall(w, 'mint', [w.alice.address, 1n]),
      'only the market mints and burns',
      p,
    );
    await expectRevert(
      w,
      w.deployer,
      promisesCall(w, 'setMinter', [w.alice.address]),
      'the minter is already set',
      p,
    );
    const credits = (fn: string, args: unknown[]) => ({
      address: w.addresses.credits,
      abi: CreditsAbi as Abi,
      functionName: fn,
      args,
    });
    await expectRevert(w, w.alice, credits('mint', [w.alice.address, 1n]), 'only the market mints', p);
    await expectRevert(
      w,
      w.deployer,
      credits('setMinter', [w.alice.address]),
      'the minter is already set',
      p,
    );
    expect(await read(w, credits('decimals', []))).toBe(0);
    expect(await read(w, credits('symbol', []))).toBe('EWH');
  });
});

export { meters };
