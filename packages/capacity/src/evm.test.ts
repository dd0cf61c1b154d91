import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EVM_GAS,
  type Deployment,
  defaultDeployment,
  type EvmGas,
  evmCapacity,
  parseEvmGas,
} from './index.ts';

/** Round gas numbers, worked by hand in docs/capacity.md "On an EVM chain". */
const GAS: EvmGas = {
  placeOrder: 100_000,
  firstOrderExtra: 0,
  orderStep: 0,
  cancelOrder: 0,
  reading: 50_000,
  readingBatched: 25_000,
  clearingBase: 1_000_000,
  clearingPerOrder: 100_000,
  finishBase: 500_000,
  chunkBase: 300_000,
  chunkPerOrder: 150_000,
  settleChunkBase: 100_000,
  settleChunkPerMeter: 20_000,
  settleChunkPerPenalty: 30_000,
  settleChunkPerParty: 40_000,
  settleChunkPerPromise: 10_000,
  commitOrder: 80_000,
  revealOrder: 90_000,
  revealStep: 0,
  forfeitPerCommitment: 20_000,
};
/** 100 PV devices, all trading one 1-step order, half of them clearing, one reading each. */
const pv = () =>
  defaultDeployment(100, {
    devices: { pv: 100, battery: 0, ev: 0, load: 0, flex: 0 },
    tradingShare: 1,
    cancelShare: 0,
    clearedShare: 0.5,
  } as Partial<Deployment>);
const NET = { blockGas: 10_000_000, blockTimeS: 2 };

describe('EVM capacity (hand-worked example in docs/capacity.md)', () => {
  it('holds each window against the blocks; the clearing and the settlement go in chunks', () => {
    const c = evmCapacity(pv(), NET, { gas: GAS });
    const by = Object.fromEntries(c.constraints.map((x) => [x.name, x]));
    // 30 blocks of 10M in the 60 s before the gate, 100k per order
    expect(by.orders).toMatchObject({ availableGas: 300_000_000, perDeviceGas: 100_000, maxDevices: 3000 });
    expect(by.clearing?.maxDevices).toBe(2990); // (300M − 1M) / 100k
    expect(by.readings?.maxDevices).toBe(6000); // 300M / 50k
    // the clearing in chunks: (0.8 · 10M − 300k) / 150k = 51 orders per chunk; 100 orders: 2 chunks, the
    // largest transaction 300k + 51 · 150k
    expect(by['finish transaction']).toBeUndefined();
    expect(c.clearingChunks).toEqual({ ordersPerChunk: 51, chunks: 2, largestTxGas: 7_950_000 });
    // the settlement (the second settlement, in chunks; no single transaction binds): per device 20k per
    // meter + 40k per party + 0.5 · 10k per promise = 65k; 6 chunk bases (600k) fixed; the interval: 150
    // blocks, (1.5G − 1M − 600k) / (100k + 50k + 100k + 65k)
    expect(by['settle transaction']).toBeUndefined();
    expect(by.interval).toMatchObject({
      availableGas: 1_500_000_000,
      perDeviceGas: 315_000,
      fixedGas: 1_600_000,
      maxDevices: 4756,
    });
    expect(by.interval?.requiredGas).toBe(1_600_000 + 315_000 * 100);
    expect(c.maxDevices).toBe(2990);
    expect(c.binding).toBe('clearing');
    // chunks of (8M − 100k) / 40k = 197 items; 6.5M of work: one chunk per phase (5) and one more
    expect(c.settlementChunks).toEqual({ itemsPerChunk: 197, chunks: 6, largestTxGas: 6_600_000 });
    // a block that cannot carry one item is refused
    expect(() => evmCapacity(pv(), { blockGas: 150_000, blockTimeS: 2 }, { gas: GAS })).toThrow(
      /cannot carry one (clearing|settlement) chunk/,
    );
  });

  it('with sealed bids: commitments before the gate, reveals in their window, the clearing after it', () => {
    const c = evmCapacity(pv(), NET, { gas: GAS, revealWindowS: 20 });
    const by = Object.fromEntries(c.constraints.map((x) => [x.name, x]));
    expect(c.sealed).toBe(true);
    expect(by.commitments?.maxDevices).toBe(3750); // 300M / 80k
    expect(by.reveals?.maxDevices).toBe(1111); // 10 blocks: 100M / 90k
    expect(by.clearing?.maxDevices).toBe(1990); // 20 blocks: (200M − 1M) / 100k
    expect(by.orders).toBeUndefined();
  });

  it('carries more with bigger or faster blocks, and refuses a bad network or reveal window', () => {
    const d = defaultDeployment(10_000);
    const slow = evmCapacity(d, { blockGas: 30_000_000, blockTimeS: 12 });
    const fast = evmCapacity(d, { blockGas: 60_000_000, blockTimeS: 2 });
    expect(fast.maxDevices).toBeGreaterThan(slow.maxDevices);
    expect(() => evmCapacity(d, { blockGas: 0, blockTimeS: 2 })).toThrow(
      /block gas must be a whole number > 0/,
    );
    expect(() => evmCapacity(d, { blockGas: 1e7, blockTimeS: 0 })).toThrow(
      /block time must be greater than zero/,
    );
    expect(() => evmCapacity(d, NET, { revealWindowS: 60 })).toThrow(/shorter than the gate lead \(60 s\)/);
    expect(() => evmCapacity(d, { blockGas: 400_000, blockTimeS: 2 }, { gas: GAS })).toThrow(
      /a block of 400000 gas cannot carry one clearing chunk/,
    );
  });

  it("reads bench:evm's gas model and names what is missing", () => {
    const model = Object.fromEntries(Object.entries(DEFAULT_EVM_GAS).map(([k, v]) => [k, String(v)]));
    const text = `operation gas\n${JSON.stringify({ bench: 'evm-gas', gas: {}, model })}\n`;
    expect(parseEvmGas(text, 'gas.json')).toEqual(DEFAULT_EVM_GAS);
    expect(() => parseEvmGas('{"bench":"evm-gas"}', 'gas.json')).toThrow(/gas.json: no bench:evm gas model/);
    const { reading: _r, ...partial } = model;
    expect(() => parseEvmGas(JSON.stringify({ bench: 'evm-gas', model: partial }), 'g')).toThrow(
      /g: model\.reading: expected whole gas >= 0, got undefined/,
    );
  });
});
