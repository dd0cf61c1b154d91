// The market's contracts on a real Ethereum node (anvil from npm), through viem: one anvil for the file,
// the market deployed once, each test isolated by evm_snapshot / evm_revert. Every rule's happy path, and
// every bad input reverts with its reason (by eth_call, and mined as reverted when sent anyway) and
// changes nothing (the views read the same before and after).

import { bandPrices, deviationAmount, READING_TYPES, readingDomain } from '@gridledger/energy';
import { type Abi, type Address, type Hex, hashTypedData, hexToBigInt } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { produceDcCertificate } from '../src/certificate/produce.ts';
import {
  type ClearedOrderArgs,
  type ClearingArgs,
  chunkEnds,
  clearingArgs,
  networkPartArgs,
  orderChunks,
} from '../src/certificate/submission.ts';
import { submitClearing } from '../src/certificate/verifier-client.ts';
import { DEFAULT_EVM_PENALTY_MICROS_PER_MWH } from '../src/deploy.ts';
import { ClearingVerifierAbi } from '../src/generated/ClearingVerifier.ts';
import { CreditsAbi } from '../src/generated/Credits.ts';
import { RealtimeBookAbi } from '../src/generated/RealtimeBook.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { clearIntervalOnChain, readBook, readNetwork, verifierNetwork } from '../src/operator/operator.ts';
import { submitRealtimePrices } from '../src/operator/realtime.ts';
import { expectRevert } from './fixture.ts';
import { useWorld } from './use-world.ts';
import {
  ALICE_CASH,
  type Call,
  cashProbe,
  GATE_LEAD_MS,
  holdTime,
  INTERVAL_MS,
  METER_CAPACITY_W,
  market,
  meters,
  mineAt,
  promisesCall,
  read,
  registry,
  revertReason,
  rpc,
  SETTLEMENT_DELAY_MS,
  send,
  type World,
} from './world.ts';

let w: World;
// one anvil for the file, each test from the same snapshot; anvil's process group is gone after the file
useWorld(
  {},
  {
    setup: async (world) => {
      w = world;
    },
  },
);

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
    expect(await read(w, registry(w, 'meterOf', [1n]))).toEqual([
      w.meterKey.address,
      2n,
      w.alice.address,
      METER_CAPACITY_W,
    ]);
    expect(await read(w, registry(w, 'metersAt', [w.alice.address, 2n]))).toEqual([1n]);
    expect(await read(w, registry(w, 'capacityAt', [w.alice.address, 2n]))).toEqual([1n, METER_CAPACITY_W]);
    expect(await read(w, registry(w, 'capacityAt', [w.alice.address, 3n]))).toEqual([0n, 0n]);
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
      registry(w, 'registerMeter', [9n, w.alice.address, 2n, w.alice.address, 1n]),
      'needs GRID_OPERATOR_ROLE',
      p,
    );
    await expectRevert(
      w,
      w.operator,
      registry(w, 'registerMeter', [9n, w.alice.address, 7n, w.alice.address, 1n]),
      'unknown bus 7',
      p,
    );
    await expectRevert(
      w,
      w.operator,
      registry(w, 'registerMeter', [1n, w.alice.address, 2n, w.alice.address, 1n]),
      'meter 1 is already registered',
      p,
    );
    await expectRevert(
      w,
      w.operator,
      registry(w, 'registerMeter', [
        9n,
        '0x0000000000000000000000000000000000000000',
        2n,
        w.alice.address,
        1n,
      ]),
      'must be non-zero',
      p,
    );
    for (const cap of [0n, 10n ** 12n + 1n]) {
      await expectRevert(
        w,
        w.operator,
        registry(w, 'registerMeter', [9n, w.alice.address, 2n, w.alice.address, cap]),
        `registry: meter capacity must be 1..1000000000000 W (the connection's rating), got ${cap}`,
        p,
      );
    }
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

  it('refuses sealed bids on a market without them (sealed.test.ts has a sealed market)', async () => {
    const k = w.k0;
    const p = cashProbe(w);
    const none = 'this market has no sealed bids; place orders with placeOrder';
    const hash = `0x${'11'.repeat(32)}`;
    await expectRevert(w, w.alice, market(w, 'commitOrder', [k, hash, 1_000n]), none, p);
    await expectRevert(w, w.alice, market(w, 'revealOrder', [1n, 2n, 0, [step(1n, 1n)], hash]), none, p);
    await expectRevert(w, w.alice, market(w, 'cancelCommitment', [1n]), none, p);
    await expectRevert(w, w.alice, market(w, 'closeReveal', [k]), none, p);
    expect(await revertReason(w, w.alice, market(w, 'revealWindow', [k]))).toContain(none);
  });
});

describe('clearing seam', () => {
  const emptyHeader = (k: bigint) => ({
    interval: k,
    busIds: [1n, 2n, 3n],
    lmpMicrosPerMWh: [0n, 0n, 0n],
    lmpLowMicrosPerMWh: [0n, 0n, 0n],
    lmpHighMicrosPerMWh: [0n, 0n, 0n],
    branchFlowW: [0n, 0n],
    upstreamImportWh: 0n,
    upstreamExportWh: 0n,
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
        market(w, 'beginApplying', [emptyHeader(k), 0n, 0n, 0n, 0n]),
        'only the clearing verifier',
        p,
      );
      await expectRevert(w, who, market(w, 'applyOrders', [k, []]), 'only the clearing verifier', p);
      await expectRevert(w, who, market(w, 'finishApplying', [k]), 'only the clearing verifier', p);
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

describe('meters', () => {
  type R = { meter: bigint; interval: bigint; importedWh: bigint; exportedWh: bigint };
  // The native module's type and domain fields; only verifyingContract is this deployment's Meters.
  const domain = () => ({ ...readingDomain(31337n), verifyingContract: w.addresses.meters });
  const sign = (key: PrivateKeyAccount, r: R) =>
    key.signTypedData({ domain: domain(), types: READING_TYPES, primaryType: 'Reading', message: r });
  const probe = () => async () => ({
    r1: await read(w, meters(w, 'readingOf', [1n, w.k0])),
    r2: await read(w, meters(w, 'readingOf', [2n, w.k0])),
  });
  const endOf = (k: bigint) => (k + 1n) * INTERVAL_MS;

  it('signs over the native EIP-712 type and domain fields', async () => {
    const r = { meter: 1n, interval: w.k0, importedWh: 5n, exportedWh: 7n };
    expect(await read(w, meters(w, 'readingDigest', [r]))).toBe(
      hashTypedData({ domain: domain(), types: READING_TYPES, primaryType: 'Reading', message: r }),
    );
    const d = await read<readonly unknown[]>(w, meters(w, 'eip712Domain', []));
    expect(d.slice(1, 4)).toEqual(['gridledger-meters', '1', 31337n]);
    expect((d[4] as string).toLowerCase()).toBe(w.addresses.meters.toLowerCase());
  });

  it('accepts signed readings after the interval ends and rejects replayed, forged, tampered, unknown, early and late ones', async () => {
    const k = w.k0;
    const r1 = { meter: 1n, interval: k, importedWh: 100n, exportedWh: 2_000n };
    const r2 = { meter: 2n, interval: k, importedWh: 300n, exportedWh: 0n };
    const s1 = await sign(w.meterKey, r1);
    const s2 = await sign(w.meterKey, r2);
    const p = probe();
    await mineAt(w, endOf(k) - 1000n);
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[r1], [s1]]),
      `the interval ends at ${endOf(k)} ms`,
      p,
    );
    await mineAt(w, endOf(k));
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[r1], [await sign(w.alice, r1)]]),
      'reading 1 (meter 1, interval',
      p,
    );
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[r1], [await sign(w.alice, r1)]]),
      "not signed by the meter's key",
      p,
    );
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[{ ...r1, exportedWh: 3_000n }], [s1]]),
      "not signed by the meter's key",
      p,
    );
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[{ ...r1, meter: 9n }], [s1]]),
      'unknown meter',
      p,
    );
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [
        [r1, r1],
        [s1, s1],
      ]),
      'reading 2 (meter 1, interval',
      p,
    );
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[r1], [s1, s2]]),
      '1 readings but 2 signatures',
      p,
    );
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[r1], [s1.slice(0, 130) as Hex]]),
      'expected a 65-byte signature',
      p,
    );
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[], []]),
      'expected 1..200 readings, got 0',
      p,
    );
    // more than the meter's capacity × the interval (1 GW × 5 min = 83,333,333 Wh, imported + exported)
    const over = { ...r1, importedWh: 83_333_333n - 2_000n + 1n };
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[over], [await sign(w.meterKey, over)]]),
      `: imported 83331334 + exported 2000 Wh exceeds the meter's capacity of 1000000000 W × the interval = 83333333 Wh`,
      p,
    );
    const gas = await send(
      w,
      w.carol,
      meters(w, 'submitReadings', [
        [r1, r2],
        [s1, s2],
      ]),
    );
    expect(gas).toBeGreaterThan(0n);
    expect(await read(w, meters(w, 'readingOf', [1n, k]))).toEqual([true, 100n, 2_000n]);
    const p2 = probe();
    await expectRevert(w, w.carol, meters(w, 'submitReadings', [[r1], [s1]]), 'already reported', p2);
    // v as 0/1 is accepted as 27/28, as natively
    const r3 = { meter: 1n, interval: k + 1n, importedWh: 1n, exportedWh: 1n };
    const s3 = await sign(w.meterKey, r3);
    const v = Number.parseInt(s3.slice(130), 16) - 27;
    await mineAt(w, endOf(k + 1n) + SETTLEMENT_DELAY_MS - 1000n);
    await send(w, w.carol, meters(w, 'submitReadings', [[r3], [`${s3.slice(0, 130)}0${v}` as Hex]]));
    // at the deadline it is too late
    const r4 = { meter: 2n, interval: k + 1n, importedWh: 1n, exportedWh: 1n };
    await mineAt(w, endOf(k + 1n) + SETTLEMENT_DELAY_MS);
    const p3 = probe();
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[r4], [await sign(w.meterKey, r4)]]),
      'the settlement deadline',
      p3,
    );
  });
});

describe('clearing through the verifier, and settlement', () => {
  interface PromiseView {
    interval: bigint;
    seller: Address;
    buyer: Address;
    sellerOrder: bigint;
    buyerOrder: bigint;
    sellerBus: bigint;
    buyerBus: bigint;
    energyWh: bigint;
    sellerPriceMicrosPerMWh: bigint;
    buyerPriceMicrosPerMWh: bigint;
    settled: boolean;
    deliveredWh: bigint;
  }
  const creditsOf = (a: Address) =>
    read<bigint>(w, {
      address: w.addresses.credits,
      abi: CreditsAbi as Abi,
      functionName: 'balanceOf',
      args: [a],
    });
  const promiseOwner = (id: bigint) => read<Address>(w, promisesCall(w, 'ownerOf', [id]));
  /** Records interval k's real-time prices (the operator; its readings final), then settles it (carol). */
  const priceAndSettle = async (k: bigint) => {
    await submitRealtimePrices(await w.clients(w.operator), w.realtime, k);
    await send(w, w.carol, market(w, 'settle', [k]));
  };
  /** What the native deviationAmount gives a party at `bus` deviating `devWh` (the default δ, 5 $/MWh). */
  const nativeAmount = async (k: bigint, bus: bigint, devWh: bigint) => {
    const fwd = await read<bigint>(w, market(w, 'lmp', [k, bus]));
    const rt = await read<bigint>(w, {
      address: w.realtime.book,
      abi: RealtimeBookAbi as Abi,
      functionName: 'realtimePrice',
      args: [k, bus],
    });
    return deviationAmount(devWh, bandPrices(fwd, rt, DEFAULT_EVM_PENALTY_MICROS_PER_MWH));
  };

  /** Bob sells 60,000 Wh at 30 $/MWh at bus 3, alice buys 50,000 Wh at 80 $/MWh at bus 2; line 2-3 binds. */
  async function clearCongested(): Promise<bigint> {
    const k = w.k0;
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(50_000n, 80_000_000n)]]));
    await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 1, [step(60_000n, 30_000_000n)]]));
    await mineAt(w, gateOf(k));
    const op = await w.clients(w.operator);
    const r = await clearIntervalOnChain(op, { market: w.addresses.market, verifier: w.verifier }, k);
    expect(r?.orders).toBe(2);
    return k;
  }

  it('applies a verified clearing: prices by bus, payments, collateral, rent, promises', async () => {
    const k = await clearCongested();
    expect(await read(w, market(w, 'lmp', [k, 2n]))).toBe(80_000_000n);
    expect(await read(w, market(w, 'lmp', [k, 3n]))).toBe(30_000_000n);
    const alice = await read<OrderView>(w, market(w, 'order', [1n]));
    const bob = await read<OrderView>(w, market(w, 'order', [2n]));
    // 0.3 MW over 5 minutes = 25,000 Wh across line 2-3
    expect(alice).toMatchObject({ status: 3, clearedWh: 25_000n });
    expect(bob).toMatchObject({ status: 3, clearedWh: 25_000n });
    // alice pays 25,000 · 80 / 10^6 = 2 $; bob receives 0.75 $ and keeps 25,000 · 200 / 10^6 = 5 $ collateral
    expect(await cashOf(w.alice.address)).toBe(ALICE_CASH - 2_000_000n);
    expect(await cashOf(w.bob.address)).toBe(ALICE_CASH + 750_000n - 5_000_000n);
    expect(await cashOf(w.addresses.market)).toBe(5_000_000n);
    // rent 2 − 0.75 = 1.25 $ into the rent fund 0x…1013 (no key controls it), not to the grid operator
    expect(await read(w, market(w, 'intervalState', [k]))).toEqual([1, 1_250_000n, 2n, 1n]);
    expect(await cashOf('0x0000000000000000000000000000000000001013')).toBe(1_250_000n);
    expect(await cashOf(w.operator.address)).toBe(ALICE_CASH);
    const p = await read<PromiseView>(w, market(w, 'promiseOf', [1n]));
    expect(p).toMatchObject({
      interval: k,
      seller: w.bob.address,
      buyer: w.alice.address,
      sellerOrder: 2n,
      buyerOrder: 1n,
      sellerBus: 3n,
      buyerBus: 2n,
      energyWh: 25_000n,
      sellerPriceMicrosPerMWh: 30_000_000n,
      buyerPriceMicrosPerMWh: 80_000_000n,
      settled: false,
    });
    expect(await promiseOwner(1n)).toBe(w.alice.address);
    // a second clearing of the same interval, or the verifier's path by anyone else, is refused
    const probe = cashProbe(w);
    const again = market(w, 'failClearing', [k, 'again']);
    await expectRevert(w, w.operator, again, 'only the clearing verifier', probe);
    await expectRevert(w, w.bob, market(w, 'cancelOrder', [2n]), 'order 2 is not open', probe);
  });

  it('settles metered delivery into credits for the holder, charges the shortfall, and only once', async () => {
    const k = await clearCongested();
    // alice sells her promise to carol before settlement: the credits go to carol
    await send(w, w.alice, promisesCall(w, 'transferFrom', [w.alice.address, w.carol.address, 1n]));
    const end = (k + 1n) * INTERVAL_MS;
    await mineAt(w, end);
    const sign = (r: { meter: bigint; interval: bigint; importedWh: bigint; exportedWh: bigint }) =>
      w.meterKey.signTypedData({
        domain: { ...readingDomain(31337n), verifyingContract: w.addresses.meters },
        types: READING_TYPES,
        primaryType: 'Reading',
        message: r,
      });
    // bob's meter exported 20,000 of the 25,000 Wh sold; alice's is still missing
    const rb = { meter: 2n, interval: k, importedWh: 0n, exportedWh: 20_000n };
    await send(w, w.carol, meters(w, 'submitReadings', [[rb], [await sign(rb)]]));
    const probe = async () => ({
      cash: await cashProbe(w)(),
      state: await read(w, market(w, 'intervalState', [k])),
    });
    // the real-time prices wait for every reading (or the deadline), and settle for the prices
    const op = await w.clients(w.operator);
    await expect(submitRealtimePrices(op, w.realtime, k)).rejects.toThrow(/GateNotClosed/);
    await expectRevert(w, w.carol, market(w, 'settle', [k]), 'waits for its real-time prices', probe);
    const ra = { meter: 1n, interval: k, importedWh: 25_000n, exportedWh: 0n };
    await send(w, w.carol, meters(w, 'submitReadings', [[ra], [await sign(ra)]]));
    const bobBefore = await cashOf(w.bob.address);
    const operatorBefore = await cashOf(w.operator.address);
    await priceAndSettle(k);
    // credits: min(25,000 sold, 20,000 exported) to the promise's holder
    expect(await creditsOf(w.carol.address)).toBe(20_000n);
    expect(await creditsOf(w.alice.address)).toBe(0n);
    // bob's shortfall of 5,000 Wh costs 5,000 · (max(λ_fwd, λ_rt) + δ) / 10^6 $ from his 5 $ collateral
    // (the second settlement, docs/market-rules.md §10a); the rest comes back; alice bought what she used
    const charge = -(await nativeAmount(k, 3n, -5_000n));
    expect(charge).toBeGreaterThan(0n);
    expect(await cashOf(w.operator.address)).toBe(operatorBefore + charge);
    expect(await cashOf(w.bob.address)).toBe(bobBefore + 5_000_000n - charge);
    expect(await cashOf(w.addresses.market)).toBe(0n);
    expect(await read(w, market(w, 'intervalState', [k]))).toEqual([3, 1_250_000n, 2n, 1n]);
    expect(await read<PromiseView>(w, market(w, 'promiseOf', [1n]))).toMatchObject({
      settled: true,
      deliveredWh: 20_000n,
    });
    // the promise is burned; settling again, or a late reading, is refused and changes nothing
    expect(await revertReason(w, w.carol, promisesCall(w, 'ownerOf', [1n]))).toBeDefined();
    await expectRevert(w, w.carol, market(w, 'settle', [k]), `interval ${k} is already settled`, probe);
    const r3 = { meter: 3n, interval: k, importedWh: 0n, exportedWh: 1n };
    await send(
      w,
      w.operator,
      registry(w, 'registerMeter', [3n, w.meterKey.address, 2n, w.carol.address, 1_000n]),
    );
    await expectRevert(
      w,
      w.carol,
      meters(w, 'submitReadings', [[r3], [await sign(r3)]]),
      'or the interval is settled',
      probe,
    );
    // cash is only moved: the four accounts, the market and the rent fund hold what was minted
    const total = (
      await Promise.all(
        [w.alice, w.bob, w.carol, w.operator]
          .map((a) => a.address as Address)
          .concat(['0x0000000000000000000000000000000000001013'])
          .map((a) => cashOf(a)),
      )
    ).reduce((a, b) => a + b, 0n);
    expect(total + (await cashOf(w.addresses.market))).toBe(4n * ALICE_CASH);
  });

  // A reading missing at the deadline is estimated adversely with the non-reporting penalty
  // (realtime.test.ts); what a party cannot pay is its debt (debts.test.ts, default-settlement.test.ts).
});

describe('chunked clearing: verified in chunks, then applied in the same chunks (docs/evm.md)', () => {
  const v = (fn: string, args: readonly unknown[]): Call => ({
    address: w.verifier,
    abi: ClearingVerifierAbi as Abi,
    functionName: fn,
    args,
  });
  /** The operator's honest clearing of interval k, as the contracts hold its book now. */
  async function prepared(k: bigint) {
    const op = await w.clients(w.operator);
    const contracts = { market: w.addresses.market, verifier: w.verifier };
    const book = await readBook(op, contracts, k);
    const { network } = await readNetwork(op, w.addresses.registry);
    const net = await verifierNetwork(op, w.verifier, network, 5);
    const produced = await produceDcCertificate(network, net, book, 5);
    const clearing = clearingArgs(net, book, produced, 5);
    const sized = book.orders.map((o, i) => ({ steps: o.steps, trades: clearing.orders[i]!.trades }));
    return { op, book, net, produced, cert: produced.certificate, clearing, sized };
  }
  /** Opens an operator session for interval k (begin + orders) and returns the honest clearing. */
  async function session(k: bigint): Promise<ClearingArgs> {
    const P = await prepared(k);
    await send(w, w.operator, v('begin', [k, networkPartArgs(P.cert)]));
    for (const ch of orderChunks(P.book, P.cert, P.clearing, chunkEnds(P.sized, 10n ** 9n))) {
      await send(w, w.operator, v('submitOrders', [k, ch.first, ch.orders]));
    }
    return P.clearing;
  }
  /** Finishes the verification and applies the clearing in one chunk. */
  async function finishAndApply(c: ClearingArgs) {
    await send(w, w.operator, v('finish', [c.header]));
    await send(w, w.operator, v('applyChunk', [c.header.interval, 0n, c.orders]));
  }
  /**
   * Eight orders alternating buyer (alice, bus 2) and seller (bob, bus 3): line 2-3 congests, alice also
   * buys from the upstream; the trades cross every chunk of two orders.
   */
  async function placeBook(k: bigint) {
    const buys = [
      step(50_000n, 80_000_000n),
      step(20_000n, 120_000_000n),
      step(30_000n, 60_000_000n),
      step(10_000n, 25_000_000n),
    ];
    const sells = [
      step(10_000n, 30_000_000n),
      step(10_000n, 50_000_000n),
      step(20_000n, 20_000_000n),
      step(5_000n, 90_000_000n),
    ];
    for (let i = 0; i < 4; i++) {
      await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [buys[i]!]]));
      await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 1, [sells[i]!]]));
    }
    await mineAt(w, gateOf(k));
  }
  /** Everything a clearing of interval k changes, as the market's views show it. */
  async function outcome(k: bigint) {
    const promises = [];
    const first = (await read<bigint[]>(w, market(w, 'intervalRecord', [k])))[0]!;
    const count = (await read<bigint[]>(w, market(w, 'intervalRecord', [k])))[1]!;
    for (let id = first; id < first + count; id++) promises.push(await read(w, market(w, 'promiseOf', [id])));
    const orders = [];
    for (let id = 1n; id <= 8n; id++) orders.push(await read(w, market(w, 'order', [id])));
    return {
      state: await read(w, market(w, 'intervalState', [k])),
      record: await read(w, market(w, 'intervalRecord', [k])),
      lmp: await Promise.all([1n, 2n, 3n].map((b) => read(w, market(w, 'lmpRange', [k, b])))),
      flows: await read(w, market(w, 'flows', [k])),
      orders,
      promises,
      cash: await cashProbe(w)(),
    };
  }

  it('a book in 4 chunks clears exactly as in one; an interrupted submission resumes; blocks of 30 M gas', async () => {
    const k = w.k0;
    await placeBook(k);
    const P = await prepared(k);
    expect((await P.op.public.getBlock()).gasLimit).toBe(30_000_000n);
    // sellers 2 and 6 (chunks 1 and 3 of 4) sell to buyers 1 and 3 (chunks 1 and 2)
    expect(P.clearing.orders.filter((o) => o.trades.length > 0).map((o) => o.id)).toEqual([2n, 6n]);
    const snap = await rpc<string>(w, 'evm_snapshot');
    const one = await submitClearing(P.op, w.verifier, P.net, P.book, P.produced, 5);
    expect([one.chunks.length, one.apply.length]).toEqual([1, 1]);
    const whole = await outcome(k);
    expect((whole.state as unknown[])[0]).toBe(1);
    expect(whole.promises.length).toBeGreaterThanOrEqual(2);

    expect(await rpc<boolean>(w, 'evm_revert', [snap])).toBe(true);
    const snap2 = await rpc<string>(w, 'evm_snapshot');
    const four = await submitClearing(P.op, w.verifier, P.net, P.book, P.produced, 5, { maxOrders: 2 });
    expect([four.chunks.length, four.apply.length]).toEqual([4, 4]);
    expect(await outcome(k)).toEqual(whole);

    // Interrupted after two verified chunks: the next run continues from the verifier's progress.
    expect(await rpc<boolean>(w, 'evm_revert', [snap2])).toBe(true);
    const snap3 = await rpc<string>(w, 'evm_snapshot');
    const chunks = orderChunks(P.book, P.cert, P.clearing, [2, 4, 6, 8]);
    await send(w, w.operator, v('begin', [k, networkPartArgs(P.cert)]));
    for (const ch of chunks.slice(0, 2))
      await send(w, w.operator, v('submitOrders', [k, ch.first, ch.orders]));
    const resumed = await submitClearing(P.op, w.verifier, P.net, P.book, P.produced, 5, { maxOrders: 2 });
    expect(resumed.begin).toBe(0n);
    expect([resumed.chunks.length, resumed.apply.length]).toEqual([2, 4]);
    expect(await outcome(k)).toEqual(whole);

    // Interrupted while applying (verified, one chunk applied): anyone's next run applies the rest.
    expect(await rpc<boolean>(w, 'evm_revert', [snap3])).toBe(true);
    await send(w, w.operator, v('begin', [k, networkPartArgs(P.cert)]));
    for (const ch of chunks) await send(w, w.operator, v('submitOrders', [k, ch.first, ch.orders]));
    await send(w, w.operator, v('finish', [P.clearing.header]));
    await send(w, w.operator, v('applyChunk', [k, 0n, P.clearing.orders.slice(0, 2)]));
    const carol = await w.clients(w.carol);
    const rest = await submitClearing(carol, w.verifier, P.net, P.book, P.produced, 5);
    expect([rest.begin, rest.chunks.length, rest.finish, rest.apply.length]).toEqual([0n, 0, 0n, 3]);
    expect(await outcome(k)).toEqual(whole);
  });

  /** Mines a block at the latest block's time (a new block gas limit takes effect). */
  async function holdTimeAndMine() {
    await holdTime(w);
    await rpc(w, 'evm_mine', []);
  }

  it('cuts the chunks from the block gas limit: at 3 M gas the same book goes in several chunks', async () => {
    const k = w.k0;
    await placeBook(k);
    const P = await prepared(k);
    const snap = await rpc<string>(w, 'evm_snapshot');
    const whole = await (async () => {
      await submitClearing(P.op, w.verifier, P.net, P.book, P.produced, 5);
      return outcome(k);
    })();
    expect(await rpc<boolean>(w, 'evm_revert', [snap])).toBe(true);
    await rpc(w, 'evm_setBlockGasLimit', ['0x2dc6c0']); // 3,000,000, from the next block
    try {
      await holdTimeAndMine();
      expect((await P.op.public.getBlock()).gasLimit).toBe(3_000_000n);
      const small = await submitClearing(P.op, w.verifier, P.net, P.book, P.produced, 5);
      expect(small.chunks.length).toBeGreaterThanOrEqual(2);
      expect(small.apply.length).toBe(small.chunks.length);
      for (const g of [small.begin, small.finish, ...small.chunks, ...small.apply])
        expect(g).toBeLessThan(3_000_000n);
      expect(await outcome(k)).toEqual(whole);
    } finally {
      await rpc(w, 'evm_setBlockGasLimit', ['0x1c9c380']); // 30,000,000
      await holdTimeAndMine();
    }
  });

  it('refuses a wrong, reordered, duplicate or foreign chunk and an early finish, changing nothing', async () => {
    const k = w.k0;
    await placeBook(k);
    const P = await prepared(k);
    const chunks = orderChunks(P.book, P.cert, P.clearing, [2, 4, 6, 8]);
    const p = async () => ({
      cash: await cashProbe(w)(),
      state: await read(w, market(w, 'intervalState', [k])),
      session: await read(w, v('sessionOf', [k, w.operator.address])),
      applying: await read(w, v('applyingOf', [k])),
    });
    const submit = (kk: bigint, first: bigint, orders: ClearedOrderArgs[]) =>
      v('submitOrders', [kk, first, orders]);
    await expectRevert(w, w.operator, submit(k, 0n, chunks[0]!.orders), 'NoSession', p);
    await send(w, w.operator, v('begin', [k, networkPartArgs(P.cert)]));
    // finish before any chunk: the market's book has orders not checked
    await expectRevert(w, w.operator, v('finish', [P.clearing.header]), 'BookDiffers', p);
    // a chunk out of order, a chunk for another interval
    await expectRevert(w, w.operator, submit(k, 2n, chunks[1]!.orders), 'ChunkOutOfOrder', p);
    await expectRevert(w, w.operator, submit(k + 1n, 0n, chunks[0]!.orders), 'NoSession', p);
    // a wrong fill: the seller's Wh no longer match the trades it carries
    const sell = chunks[0]!.orders[1]!;
    expect(sell.side).toBe(1);
    expect(sell.clearedWh[0]).toBeGreaterThan(0n);
    const wrongFill = [chunks[0]!.orders[0]!, { ...sell, clearedWh: [sell.clearedWh[0]! - 1n] }];
    await expectRevert(w, w.operator, submit(k, 0n, wrongFill), 'TradesDiffer', p);
    // an order that is not the market's (another owner)
    const foreign = [{ ...chunks[0]!.orders[0]!, owner: w.carol.address }, sell];
    await expectRevert(w, w.operator, submit(k, 0n, foreign), 'BookDiffers', p);
    // a trade naming the wrong side
    const swapped = [
      chunks[0]!.orders[0]!,
      {
        ...sell,
        trades: sell.trades.map((t) => ({ ...t, sellerOrder: t.buyerOrder, buyerOrder: t.sellerOrder })),
      },
    ];
    await expectRevert(w, w.operator, submit(k, 0n, swapped), 'TradeInvalid', p);
    await send(w, w.operator, submit(k, 0n, chunks[0]!.orders));
    // the same chunk again; finish before all chunks
    await expectRevert(w, w.operator, submit(k, 0n, chunks[0]!.orders), 'ChunkOutOfOrder', p);
    await expectRevert(w, w.operator, v('finish', [P.clearing.header]), 'BookDiffers', p);
    for (const ch of chunks.slice(1)) await send(w, w.operator, submit(k, ch.first, ch.orders));
    // a header with a wrong price, flow or upstream exchange
    const h = P.clearing.header;
    const wrongPrice = { ...h, lmpMicrosPerMWh: h.lmpMicrosPerMWh.map((x, i) => (i === 1 ? x + 1n : x)) };
    await expectRevert(w, w.operator, v('finish', [wrongPrice]), 'PricesDiffer', p);
    await expectRevert(
      w,
      w.operator,
      v('finish', [{ ...h, branchFlowW: h.branchFlowW.map((f) => f + 1n) }]),
      'FlowsDiffer',
      p,
    );
    await expectRevert(
      w,
      w.operator,
      v('finish', [{ ...h, upstreamImportWh: h.upstreamImportWh + 1n }]),
      'UpstreamDiffers',
      p,
    );
    // nothing of the market changed so far
    expect(await read(w, market(w, 'intervalState', [k]))).toEqual([0, 0n, 8n, 0n]);
    await send(w, w.operator, v('finish', [h]));
    // Applying: the interval cannot expire half-applied; chunks must be the verified ones, in order.
    await expectRevert(w, w.carol, market(w, 'expireClearing', [k]), 'is being cleared', p);
    // nor can a new session restart it (that would drop the checkpoints being applied)
    await expectRevert(w, w.operator, v('begin', [k, networkPartArgs(P.cert)]), 'BeingApplied', p);
    const applied = (i: number) => P.clearing.orders.slice(2 * i, 2 * i + 2);
    await expectRevert(w, w.carol, v('applyChunk', [k, 1n, applied(1)]), 'ChunkOutOfOrder', p);
    await expectRevert(w, w.carol, v('applyChunk', [k + 1n, 0n, applied(0)]), 'NotApplying', p);
    const altered = applied(0).map((o) => ({ ...o, clearedWh: o.clearedWh + 1n }));
    await expectRevert(w, w.carol, v('applyChunk', [k, 0n, altered]), 'ChunkDiffers', p);
    await expectRevert(w, w.carol, v('applyChunk', [k, 0n, applied(1)]), 'ChunkDiffers', p);
    await expectRevert(
      w,
      w.carol,
      v('applyChunk', [k, 0n, [...applied(0), ...applied(1)]]),
      'ChunkDiffers',
      p,
    );
    for (let i = 0; i < 4; i++) await send(w, w.carol, v('applyChunk', [k, BigInt(i), applied(i)]));
    expect((await read<unknown[]>(w, market(w, 'intervalState', [k])))[0]).toBe(1);
    await expectRevert(w, w.carol, v('applyChunk', [k, 3n, applied(3)]), 'NotApplying', p);
  });

  it('refuses trades that do not add up or name the wrong side, and applies the honest one after', async () => {
    const k = w.k0;
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(50_000n, 80_000_000n)]]));
    await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 1, [step(60_000n, 30_000_000n)]]));
    await mineAt(w, gateOf(k));
    const P = await prepared(k);
    const honest = P.clearing;
    expect(honest.orders).toEqual([
      { id: 1n, clearedWh: 25_000n, trades: [] },
      { id: 2n, clearedWh: 25_000n, trades: [{ sellerOrder: 2n, buyerOrder: 1n, energyWh: 25_000n }] },
    ]);
    const p = async () => ({
      cash: await cashProbe(w)(),
      state: await read(w, market(w, 'intervalState', [k])),
    });
    const [buy, sell] = orderChunks(P.book, P.cert, honest, [2])[0]!.orders as [
      ClearedOrderArgs,
      ClearedOrderArgs,
    ];
    const t = sell.trades[0]!;
    const begin = () => send(w, w.operator, v('begin', [k, networkPartArgs(P.cert)]));
    const chunk = (trades: ClearedOrderArgs['trades']) =>
      v('submitOrders', [k, 0n, [buy, { ...sell, trades }]]);
    await begin();
    await expectRevert(w, w.operator, chunk([{ ...t, energyWh: 24_999n }]), 'TradesDiffer', p);
    await expectRevert(w, w.operator, chunk([]), 'TradesDiffer', p);
    await expectRevert(w, w.operator, chunk([{ ...t, energyWh: 0n }, t]), 'TradeInvalid', p);
    await expectRevert(w, w.operator, chunk([{ ...t, sellerOrder: 1n, buyerOrder: 2n }]), 'TradeInvalid', p);
    // a buyer carrying a trade with another seller than the upstream
    await expectRevert(
      w,
      w.operator,
      v('submitOrders', [k, 0n, [{ ...buy, trades: [t] }, sell]]),
      'TradeInvalid',
      p,
    );
    // sold to an order not in the book: buy order 1 and "order 7" stay unbalanced
    await send(w, w.operator, chunk([{ ...t, buyerOrder: 7n }]));
    await expectRevert(w, w.operator, v('finish', [honest.header]), 'BuyersUnbalanced', p);
    // sold to the upstream, which bought nothing
    await begin();
    await send(w, w.operator, chunk([{ ...t, buyerOrder: 0n }]));
    await expectRevert(w, w.operator, v('finish', [honest.header]), 'UpstreamDiffers', p);
    await begin();
    await send(w, w.operator, chunk(sell.trades));
    await finishAndApply(honest);
    expect(await read(w, market(w, 'intervalState', [k]))).toEqual([1, 1_250_000n, 2n, 1n]);
  });

  it('sells from the upstream at its import price; its promises mint no credits', async () => {
    const k = w.k0;
    // alice buys 10,000 Wh at up to 120 $/MWh: only the upstream sells (100 $/MWh at bus 1)
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(10_000n, 120_000_000n)]]));
    await mineAt(w, gateOf(k));
    const operatorBefore = await cashOf(w.operator.address);
    await finishAndApply(await session(k));
    expect(await read(w, market(w, 'lmp', [k, 2n]))).toBe(100_000_000n);
    expect(await cashOf(w.alice.address)).toBe(ALICE_CASH - 1_000_000n);
    expect(await cashOf(w.operator.address)).toBe(operatorBefore + 1_000_000n);
    expect(await read(w, market(w, 'promiseOf', [1n]))).toMatchObject({
      sellerOrder: 0n,
      seller: w.operator.address,
      energyWh: 10_000n,
    });
    // alice used the 10,000 Wh; bob's meter read nothing
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    for (const r of [
      { meter: 1n, interval: k, importedWh: 10_000n, exportedWh: 0n },
      { meter: 2n, interval: k, importedWh: 0n, exportedWh: 0n },
    ]) {
      const sig = await w.meterKey.signTypedData({
        domain: { ...readingDomain(31337n), verifyingContract: w.addresses.meters },
        types: READING_TYPES,
        primaryType: 'Reading',
        message: r,
      });
      await send(w, w.carol, meters(w, 'submitReadings', [[r], [sig]]));
    }
    await submitRealtimePrices(await w.clients(w.operator), w.realtime, k);
    await send(w, w.carol, market(w, 'settle', [k]));
    expect(
      await read(w, {
        address: w.addresses.credits,
        abi: CreditsAbi as Abi,
        functionName: 'totalSupply',
        args: [],
      }),
    ).toBe(0n);
  });
});
