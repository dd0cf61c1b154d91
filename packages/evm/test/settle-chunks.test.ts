// The second settlement in chunks (docs/evm.md "Settlement in chunks") on anvil at its default block gas
// limit, 30,000,000: an interval with a cleared trade and 360 meters of 300 owners (some owners with two meters
// at a bus or meters at two buses, every tenth reading missing) whose one-transaction settle needs more
// than a block. From the same snapshot it is settled three ways: in one transaction with the block limit
// raised, in chunks sized to 80 % of the 30 M block (settleInChunks), and in chunks of at most 25 items; the
// three give the same logs in the same order (every transfer, credit, burn and market event) and the same
// balances. Bad inputs to beginSettle / settleChunk revert with their reason and change nothing.

import { READING_TYPES, readingDomain } from '@gridledger/energy';
import { type Abi, type Address, encodeFunctionData, type Hex, keccak256, toHex } from 'viem';
import { describe, expect, it } from 'vitest';
import { type EvmClients, evmClients } from '../src/deploy.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { clearIntervalOnChain } from '../src/operator/operator.ts';
import { type RealtimeContracts, submitRealtimePrices } from '../src/operator/realtime.ts';
import { type SettleSend, settleInChunks } from '../src/operator/settle.ts';
import { expectRevert } from './fixture.ts';
import { useWorld } from './use-world.ts';
import {
  cashProbe,
  GATE_LEAD_MS,
  INTERVAL_MS,
  market,
  meters,
  mineAt,
  read,
  registry,
  rpc,
  SETTLEMENT_DELAY_MS,
  send,
  WORLD_REALTIME,
  type World,
} from './world.ts';

const REALTIME = WORLD_REALTIME;
/** Meters registered beside alice's and bob's (ids 100..): one per owner, then a second for the first 60. */
const OWNERS = 300;
const METERS = 360;
const BLOCK_GAS = 30_000_000n;

let w: World;
let rt: RealtimeContracts;
let k: bigint;
let snapshot: string;
const owners: Address[] = [];
/** Parties: alice's and bob's, and one per (owner, bus) of the meters. */
let parties = 2;

const ownerOf = (i: number): Address => `0x${keccak256(toHex(`owner ${i}`)).slice(26)}` as Address;
const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });

useWorld(
  { realtime: REALTIME },
  {
    setup: async (world) => {
      w = world;
      // clients polling every 50 ms (viem's default, 4 s, made each awaited receipt cost seconds)
      const fast = new Map<string, EvmClients>();
      w.clients = async (a) => {
        let c = fast.get(a.address);
        if (c === undefined)
          fast.set(a.address, (c = await evmClients(w.anvil.url, a, { pollingIntervalMs: 50 })));
        return c;
      };
      rt = w.realtime;
      expect(
        BigInt((await rpc<{ gasLimit: Hex }>(w, 'eth_getBlockByNumber', ['latest', false])).gasLimit),
      ).toBe(BLOCK_GAS);
      // meter i: owner i % OWNERS at bus 2 or 3; a second meter at the same bus or the other one
      const op = await w.clients(w.operator);
      // signed here and sent in nonce order (no estimate per transaction): automine mines each at once
      const nonce0 = await op.public.getTransactionCount({
        address: w.operator.address,
        blockTag: 'pending',
      });
      const head = await op.public.getBlock({ blockTag: 'latest' });
      const maxFeePerGas = 2n * (head.baseFeePerGas ?? 0n) + 1_000_000_000n;
      let last: Hex = '0x';
      const partyKeys = new Set<string>();
      for (let i = 0; i < METERS; i++) {
        const owner = ownerOf(i % OWNERS);
        if (i < OWNERS) owners.push(owner);
        const bus = i < OWNERS || i % 3 === 0 ? 2n + BigInt(i % 2) : 3n - BigInt(i % 2);
        partyKeys.add(`${owner}:${bus}`);
        const raw = await w.operator.signTransaction({
          type: 'eip1559',
          chainId: 31337,
          nonce: nonce0 + i,
          to: w.addresses.registry,
          data: encodeFunctionData({
            abi: registry(w, 'registerMeter', []).abi,
            functionName: 'registerMeter',
            args: [BigInt(100 + i), w.meterKey.address, bus, owner, 12_000n],
          }),
          gas: 400_000n,
          maxFeePerGas,
          maxPriorityFeePerGas: 1_000_000_000n,
        });
        last = await op.public.request({ method: 'eth_sendRawTransaction', params: [raw] });
      }
      expect((await op.public.waitForTransactionReceipt({ hash: last })).status).toBe('success');
      parties += partyKeys.size;
      // alice buys 25,000 Wh at bus 2, bob sells at bus 3: one promise, bob's collateral
      k = w.k0;
      await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(25_000n, 80_000_000n)]]));
      await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 1, [step(25_000n, 30_000_000n)]]));
      await mineAt(w, k * INTERVAL_MS - GATE_LEAD_MS);
      expect(
        (await clearIntervalOnChain(op, { market: w.addresses.market, verifier: w.verifier }, k))?.orders,
      ).toBe(2);
      await mineAt(w, (k + 1n) * INTERVAL_MS);
      // readings: alice and bob, and every meter but each tenth
      const all = [
        { meter: 1n, importedWh: 24_000n, exportedWh: 0n },
        { meter: 2n, importedWh: 0n, exportedWh: 20_000n },
        ...Array.from({ length: METERS }, (_, i) => ({
          meter: BigInt(100 + i),
          importedWh: BigInt((i * 37) % 500),
          exportedWh: BigInt((i * 53) % 450),
        })).filter((_, i) => i % 10 !== 9),
      ].map((r) => ({ ...r, interval: k }));
      for (let i = 0; i < all.length; i += 50) {
        const batch = all.slice(i, i + 50);
        const sigs = await Promise.all(
          batch.map((r) =>
            w.meterKey.signTypedData({
              domain: { ...readingDomain(31337n), verifyingContract: w.addresses.meters },
              types: READING_TYPES,
              primaryType: 'Reading',
              message: r,
            }),
          ),
        );
        await send(w, w.carol, meters(w, 'submitReadings', [batch, sigs]));
      }
      // the deadline passes (36 readings missing: estimated); the real-time prices of the metered state
      await mineAt(w, (k + 1n) * INTERVAL_MS + SETTLEMENT_DELAY_MS);
      await submitRealtimePrices(op, rt, k);
      snapshot = await rpc<string>(w, 'evm_snapshot');
    },
    isolate: false, // restore() reverts to the settled interval's snapshot
    timeoutMs: 240_000,
  },
);

async function restore(): Promise<void> {
  expect(await rpc<boolean>(w, 'evm_revert', [snapshot])).toBe(true);
  snapshot = await rpc<string>(w, 'evm_snapshot');
  await rpc(w, 'evm_setBlockGasLimit', [toHex(BLOCK_GAS)]);
}

/** Every log (cash, credits, promises, market) of blocks after `from`, in order, without block data. */
async function logsSince(from: bigint): Promise<unknown[]> {
  const logs = await rpc<{ address: Hex; topics: Hex[]; data: Hex }[]>(w, 'eth_getLogs', [
    { fromBlock: toHex(from + 1n), toBlock: 'latest' },
  ]);
  return logs.map((l) => [l.address.toLowerCase(), l.topics, l.data]);
}

const blockNumber = async () => BigInt(await rpc<Hex>(w, 'eth_blockNumber'));
const cashOf = (a: Address) =>
  read<bigint>(w, {
    address: w.addresses.cash,
    abi: TestStablecoinAbi as Abi,
    functionName: 'balanceOf',
    args: [a],
  });

async function balances(): Promise<Record<string, bigint>> {
  const out: Record<string, bigint> = {};
  for (const a of [w.alice.address, w.bob.address, w.operator.address, w.addresses.market, ...owners])
    out[a] = await cashOf(a);
  return out;
}

/** A sender through the carol's wallet client: one transaction, its receipt. */
async function carolSend(): Promise<SettleSend> {
  const c = await w.clients(w.carol);
  return async ({ data, gas }) => {
    const hash = await c.wallet.sendTransaction({ to: w.addresses.market, data, gas } as Parameters<
      typeof c.wallet.sendTransaction
    >[0]);
    // automine: the receipt is there at once (polled briefly, not at viem's 4 s watch interval)
    let r = await c.public.getTransactionReceipt({ hash }).catch(() => undefined);
    for (let i = 0; r === undefined && i < 200; i++) {
      await new Promise((ok) => setTimeout(ok, 50));
      r = await c.public.getTransactionReceipt({ hash }).catch(() => undefined);
    }
    if (r === undefined) throw new Error(`no receipt for ${hash}`);
    return { status: r.status, logs: r.logs, gasUsed: r.gasUsed };
  };
}

describe('the second settlement in chunks under a 30 M block gas limit', () => {
  it("settles an interval whose single settle exceeds a block in chunks, with the single settle's every log and balance", async () => {
    // one transaction, the block limit raised: the reference
    await restore();
    await rpc(w, 'evm_setBlockGasLimit', [toHex(1_000_000_000n)]);
    const from1 = await blockNumber();
    const single = await send(w, w.carol, market(w, 'settle', [k]));
    const ref = { logs: await logsSince(from1), balances: await balances() };
    expect(single).toBeGreaterThan(BLOCK_GAS);
    expect((await read<unknown[]>(w, market(w, 'intervalState', [k])))[0]).toBe(3);
    // 36 readings estimated, every party's deviation paid or failed, one promise burned
    expect(ref.logs.length).toBeGreaterThan(2 * parties);

    // in chunks at 30 M: the same logs, in the same order, and the same balances
    await restore();
    const c = await w.clients(w.carol);
    // the single settle does not fit a 30 M block
    await expect(
      c.public.estimateGas({ account: w.carol.address, to: w.addresses.market, data: encode('settle', [k]) }),
    ).rejects.toThrow();
    const from2 = await blockNumber();
    const out = await settleInChunks(c.public, w.addresses.market, w.carol.address, k, await carolSend());
    expect(out.status).toBe('settled');
    if (out.status !== 'settled') return;
    for (const ch of out.chunks) expect(ch.gasUsed).toBeLessThanOrEqual((BLOCK_GAS * 8n) / 10n);
    expect(out.transactions).toBeGreaterThan(2);
    expect(await logsSince(from2)).toEqual(ref.logs);
    expect(await balances()).toEqual(ref.balances);
    expect(await read(w, market(w, 'settlingOf', [k]))).toEqual([6, 0n, 0n, 0n, 0n]);

    // in chunks of at most 25 items: the same again
    await restore();
    const from3 = await blockNumber();
    const small = await settleInChunks(c.public, w.addresses.market, w.carol.address, k, await carolSend(), {
      maxItems: 25,
    });
    expect(small.status === 'settled' && small.transactions).toBeGreaterThan(30);
    expect(await logsSince(from3)).toEqual(ref.logs);
    expect(await balances()).toEqual(ref.balances);
  }, 300_000);

  it('refuses bad chunks, each changing nothing', async () => {
    await restore();
    const progress = async () => ({
      cash: await cashProbe(w)(),
      s: await read(w, market(w, 'settlingOf', [k])),
    });
    const chunk = (kk: bigint, n: bigint, keys: bigint[]) => market(w, 'settleChunk', [kk, n, keys]);
    // before beginSettle; another interval (not cleared)
    await expectRevert(
      w,
      w.carol,
      chunk(k, 10n, []),
      'is not being settled in chunks (call beginSettle first)',
      progress,
    );
    await expectRevert(w, w.carol, chunk(k + 1n, 10n, []), `interval ${k + 1n} is not cleared`, progress);
    await expectRevert(
      w,
      w.carol,
      market(w, 'beginSettle', [k + 1n]),
      `interval ${k + 1n} is not cleared`,
      progress,
    );
    await send(w, w.carol, market(w, 'beginSettle', [k]));
    expect(await read(w, market(w, 'settlingOf', [k]))).toEqual([1, 0n, BigInt(METERS + 2), 0n, 2n]);
    // begun twice; the one-transaction settle meanwhile; keys in a counted phase; no items
    await expectRevert(
      w,
      w.carol,
      market(w, 'beginSettle', [k]),
      'is already being settled in chunks',
      progress,
    );
    await expectRevert(w, w.carol, market(w, 'settle', [k]), 'is being settled in chunks', progress);
    await expectRevert(
      w,
      w.carol,
      chunk(k, 10n, [1n]),
      'expects no party keys in settlement phase 1',
      progress,
    );
    await expectRevert(w, w.carol, chunk(k, 0n, []), 'needs maxItems > 0', progress);
    // the meters and penalties phases in chunks of 100
    while ((await read<[number]>(w, market(w, 'settlingOf', [k])))[0] < 3)
      await send(w, w.carol, chunk(k, 100n, []));
    const [ph, , total, , n] = await read<[number, bigint, bigint, bigint, bigint]>(
      w,
      market(w, 'settlingOf', [k]),
    );
    expect([ph, total, n]).toEqual([3, BigInt(parties), BigInt(parties)]);
    const keys = (await read<bigint[]>(w, market(w, 'settlementParties', [k, 0n, 1000n]))).sort((a, b) =>
      a < b ? -1 : 1,
    );
    expect(keys).toHaveLength(parties);
    // the credits phase: no keys, keys out of order, a repeated key, a key that is no party, too many keys
    await expectRevert(w, w.carol, chunk(k, 5n, []), "expects the next parties' keys", progress);
    await expectRevert(w, w.carol, chunk(k, 0n, [keys[1]!, keys[0]!]), 'party keys must ascend', progress);
    await expectRevert(w, w.carol, chunk(k, 0n, [keys[0]!, keys[0]!]), 'party keys must ascend', progress);
    const stranger = (BigInt(w.carol.address) << 96n) | 2n;
    await expectRevert(w, w.carol, chunk(k, 0n, [stranger]), 'is not a party of interval', progress);
    await expectRevert(
      w,
      w.carol,
      chunk(k, 0n, [...keys, keys.at(-1)! + 1n]),
      `has ${parties} parties left, got ${parties + 1} keys`,
      progress,
    );
    // half the parties, then a key before the last one sent
    await send(w, w.carol, chunk(k, 0n, keys.slice(0, 100)));
    await expectRevert(w, w.carol, chunk(k, 0n, [keys[99]!]), 'party keys must ascend', progress);
    // the rest, then every other phase (settleInChunks continues a settlement begun by anyone)
    const c = await w.clients(w.carol);
    const out = await settleInChunks(c.public, w.addresses.market, w.carol.address, k, await carolSend());
    expect(out.status).toBe('settled');
    // after the end: every entry point refuses
    const done = async () => ({ cash: await cashProbe(w)() });
    await expectRevert(w, w.carol, chunk(k, 10n, []), `interval ${k} is already settled`, done);
    await expectRevert(w, w.carol, chunk(k, 0n, [keys[0]!]), `interval ${k} is already settled`, done);
    await expectRevert(w, w.carol, market(w, 'beginSettle', [k]), `interval ${k} is already settled`, done);
    await expectRevert(w, w.carol, market(w, 'settle', [k]), `interval ${k} is already settled`, done);
  }, 300_000);
});

function encode(functionName: string, args: readonly unknown[]): Hex {
  const m = market(w, functionName, args);
  return encodeFunctionData({ abi: m.abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);
}
