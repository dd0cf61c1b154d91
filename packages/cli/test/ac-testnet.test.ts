// An AC-priced market (genesis `pricing: "ac"`) on four validator processes (the node test harness): the
// grid operator registers case33bw with its AC data, three participants order for one interval, the gate
// closes and every validator clears the interval with the AC-OPF inside the block. Every validator's state
// root after the clearing block is bit-equal, and so are the prices each serves (gl_prices, gl_interval):
// the AC solve is a pure function of the block's input. The prices rise along the feeder (losses).
// Each participant has a meter; after the interval ends the grid operator's head-end submits their
// readings (and nothing metered for the empty intervals before it, which settle first), the interval
// settles at once (every meter reported), well before its deadline, and every validator serves the same
// real-time prices, computed with the AC model on the metered injections (rising along the feeder too),
// and the same digital-twin flows (the AC power flow of the metered injections, gl_gridState actualFlowW).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  METERS_ABI,
  METERS_ADDRESS,
  networkToJson,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  readingDomain,
} from '@gridledger/energy';
import { type Address, buildDevAccounts } from '@gridledger/execution';
import { loadMatpower } from '@gridledger/grid';
import { initDevNetwork } from '@gridledger/node';
import {
  type Abi,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  type PublicClient,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, sleep, TEST_TIMEOUTS, TestNet } from '../../node/test/harness.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
const CHAIN = 'ac-testnet';
// The network's Ethereum chain id (fixed here; `gridledger init` draws one at random).
const AC_ETH_CHAIN_ID = 5_100_003n;
const USD = 1_000_000n;
const L = 300_000n; // 5-minute intervals (market time)
const SCALE = 60n; // one interval every 5 s of wall time
const ALL = [0, 1, 2, 3];

class AcNet extends TestNet {
  config!: MarketConfig;
  initAc(gridOperator: Address, basePort: number): void {
    this.basePort = basePort;
    const now = BigInt(Date.now());
    this.config = {
      chainId: AC_ETH_CHAIN_ID,
      gridOperator,
      intervalMs: L,
      gateLeadMs: L,
      settlementDelayMs: 20n * L,
      firstInterval: 0n,
      upstream: {
        bus: 1,
        account: gridOperator,
        importPriceMicrosPerMWh: 100n * USD,
        exportPriceMicrosPerMWh: 5n * USD,
        capacityWh: 10n ** 9n,
      },
      imbalance: {
        penaltyMicrosPerMWh: 5n * USD,
        priceCapMicrosPerMWh: 200n * USD,
        priceFloorMicrosPerMWh: 0n,
        nonReportingPenaltyMicros: USD,
        trueUpDelayMs: 0n,
        liquidatedDamagesMicrosPerMWh: 20n * USD,
        balanceToleranceWh: 1_000n,
      },
      maxOrdersPerAccount: 2,
      maxStepsPerOrder: 2,
      clock: { blockOriginMs: now, marketOriginMs: 0n, scale: SCALE },
      pricing: 'ac',
    };
    initDevNetwork({
      validators: this.n,
      outDir: this.dir,
      chainId: CHAIN,
      basePort,
      timeouts: TEST_TIMEOUTS,
      logLevel: 'warn',
      participants: 3,
      genesisTime: new Date(Number(now)),
      energy: this.config,
    });
  }
}

const net = new AcNet(4);
let pub: PublicClient;
let dev: { name: string; address: Address; privateKey: Hex }[];
const acct = (name: string) => privateKeyToAccount(dev.find((d) => d.name === name)!.privateKey);

async function send(from: PrivateKeyAccount, to: Address, abi: Abi, functionName: string, args: unknown[]) {
  const wallet = createWalletClient({ account: from, transport: http(net.rpcUrl(0)) });
  const nonce = await pub.getTransactionCount({ address: from.address, blockTag: 'pending' });
  const hash = await wallet.sendTransaction({
    chain: null,
    to,
    data: encodeFunctionData({ abi, functionName, args }),
    gas: 12_000_000n,
    maxFeePerGas: 0n,
    maxPriorityFeePerGas: 0n,
    nonce,
  });
  const r = await pub.waitForTransactionReceipt({ hash, timeout: 90_000, pollingInterval: 200 });
  return r.status;
}

beforeAll(async () => {
  const operator = buildDevAccounts({ participants: 3 }).accounts.find((a) => a.role === 'grid-operator')!
    .address as Address;
  net.initAc(operator, await freePortRange(8));
  dev = JSON.parse(readFileSync(join(net.dir, 'dev-accounts.json'), 'utf8')).accounts;
  pub = createPublicClient({ transport: http(net.rpcUrl(0)), pollingInterval: 200 });
  await Promise.all(ALL.map((k) => net.start(k)));
  await net.waitHeight(ALL, 2n, 120_000);
}, 180_000);

afterAll(async () => {
  await net.destroy();
}, 60_000);

describe('AC-priced clearing on a 4-validator testnet', () => {
  it('every validator reaches the same state root and serves the same AC prices', async () => {
    const feeder = await loadMatpower(join(CASES, 'case33bw.m'));
    const op = acct('grid-operator');
    const admin = acct('admin');
    const buses: Record<string, bigint> = { 'participant-1': 18n, 'participant-2': 2n, 'participant-3': 33n };
    expect(
      await send(op, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [
        JSON.stringify(networkToJson(feeder, { ac: true })),
      ]),
    ).toBe('success');
    for (const [name, bus] of Object.entries(buses))
      expect(
        await send(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [acct(name).address, [bus]]),
      ).toBe('success');
    // One meter per participant (ids 1..3, 1 MW connections); the operator's head-end signs their readings.
    for (const [i, [name, bus]] of Object.entries(buses).entries())
      expect(
        await send(op, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
          BigInt(i + 1),
          acct(name).address,
          bus,
          acct(name).address,
          1_000_000n,
        ]),
      ).toBe('success');
    // The interval to trade: far enough ahead for the orders (15 s of wall time; they go in at once).
    const open = BigInt((await net.rpc(0, 'gl_marketConfig')).openInterval);
    const K = open + 3n;
    const orders: [string, number, bigint, bigint][] = [
      ['participant-1', 0, 50_000n, 180n * USD], // buy 0.6 MW at bus 18 over 5 minutes
      ['participant-2', 0, 33_000n, 180n * USD], // buy 0.4 MW at bus 2
      ['participant-3', 1, 25_000n, 20n * USD], // sell 0.3 MW at bus 33
    ];
    const before = BigInt((await net.rpc(0, 'gl_status')).height);
    expect(
      await Promise.all(
        orders.map(([name, side, energyWh, priceMicrosPerMWh]) =>
          send(acct(name), MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
            K,
            buses[name]!,
            side,
            [{ energyWh, priceMicrosPerMWh }],
          ]),
        ),
      ),
    ).toEqual(['success', 'success', 'success']);
    // Wait for the clearing on validator 0, then for every validator to be two blocks past it.
    const t0 = Date.now();
    let status = 'open';
    while (status === 'open') {
      if (Date.now() - t0 > 120_000) throw new Error(`interval ${K} did not clear: ${status}`);
      await sleep(300);
      status = (await net.rpc(0, 'gl_interval', [K.toString()])).status;
    }
    expect(status).toBe('cleared');
    const tip = BigInt((await net.rpc(0, 'gl_status')).height);
    await net.waitHeight(ALL, tip + 2n, 120_000);
    // State roots after each block from the orders to past the clearing: equal on all four.
    for (let h = before; h <= tip + 1n; h++) {
      const roots = await Promise.all(
        ALL.map(
          async (k) => (await net.rpc(k, 'eth_getBlockByNumber', [`0x${h.toString(16)}`, false])).stateRoot,
        ),
      );
      expect(new Set(roots).size).toBe(1);
    }
    // The prices each validator serves: equal, AC (rising along the feeder with the losses).
    const prices = await Promise.all(ALL.map((k) => net.rpc(k, 'gl_prices', [K.toString(), K.toString()])));
    for (const p of prices) expect(p).toEqual(prices[0]);
    const lmp = (bus: number) =>
      BigInt(prices[0].find((p: { bus: number }) => p.bus === bus).lmpMicrosPerMWh as string);
    expect(lmp(1)).toBe(100n * USD);
    expect(lmp(2)).toBeGreaterThan(lmp(1));
    expect(lmp(18)).toBeGreaterThan(lmp(6));
    expect(lmp(6)).toBeGreaterThan(lmp(2));
    // Each point carries the AC components (summing to the LMP) and the voltage, falling along the feeder.
    const at = (bus: number) => prices[0].find((p: { bus: number }) => p.bus === bus).ac;
    const a18 = at(18);
    const sum = ['lmpEnergy', 'lmpLoss', 'lmpCongestion', 'lmpVoltage']
      .map((c) => BigInt(a18[`${c}MicrosPerMWh`]))
      .reduce((x, y) => x + y, 0n);
    expect(sum - lmp(18) <= 3n && lmp(18) - sum <= 3n).toBe(true);
    expect(BigInt(a18.vmMicroPu)).toBeLessThan(BigInt(at(2).vmMicroPu));
    const intervals = await Promise.all(ALL.map((k) => net.rpc(k, 'gl_interval', [K.toString()])));
    for (const iv of intervals) expect(iv.lmpMicrosPerMWh).toEqual(intervals[0].lmpMicrosPerMWh);
    expect(BigInt(intervals[0].congestionRent)).toBeGreaterThan(0n);
    expect(BigInt(intervals[0].lossesW)).toBeGreaterThan(0n);

    // Second settlement: metered 0.7 MW at bus 18 (bought 0.6), 0.4 MW at bus 2, 0.3 MW exported at bus
    // 33, over the 5-minute interval; submitted by the head-end once the interval has ended.
    const endMs = BigInt(intervals[0].endMs);
    const t1 = Date.now();
    while (BigInt((await net.rpc(0, 'gl_marketConfig')).marketTimeMs) < endMs + L / 10n) {
      if (Date.now() - t1 > 120_000) throw new Error(`interval ${K} did not end`);
      await sleep(300);
    }
    // Intervals settle in order: the empty intervals before K that cleared with the meters registered
    // would hold K's settlement until their own deadlines (20 intervals), so the head-end reports them
    // too (nothing metered), and K settles as soon as its readings are in.
    const earlier: { meter: bigint; interval: bigint; importedWh: bigint; exportedWh: bigint }[] = [];
    for (let j = 0n; j < K; j++) {
      const iv = await net.rpc(0, 'gl_interval', [j.toString()]);
      for (let m = 1n; m <= BigInt(iv.expectedReadings) && iv.status === 'cleared'; m++)
        earlier.push({ meter: m, interval: j, importedWh: 0n, exportedWh: 0n });
    }
    const readings = [
      ...earlier,
      { meter: 1n, interval: K, importedWh: 58_333n, exportedWh: 0n },
      { meter: 2n, interval: K, importedWh: 33_000n, exportedWh: 0n },
      { meter: 3n, interval: K, importedWh: 0n, exportedWh: 25_000n },
    ];
    const domain = readingDomain(BigInt(await net.rpc(0, 'eth_chainId')));
    const sigs = await Promise.all(
      readings.map((message) =>
        op.signTypedData({ domain, types: READING_TYPES, primaryType: 'Reading', message }),
      ),
    );
    expect(await send(op, METERS_ADDRESS, METERS_ABI, 'submitReadings', [readings, sigs])).toBe('success');
    const t2 = Date.now();
    let st = 'cleared';
    while (st !== 'settled') {
      if (Date.now() - t2 > 120_000) throw new Error(`interval ${K} did not settle: ${st}`);
      await sleep(300);
      st = (await net.rpc(0, 'gl_interval', [K.toString()])).status;
    }
    // Settled on its readings, not at its deadline (K's end + 20 intervals).
    expect(BigInt((await net.rpc(0, 'gl_marketConfig')).marketTimeMs)).toBeLessThan(endMs + 20n * L);
    const tip2 = BigInt((await net.rpc(0, 'gl_status')).height);
    await net.waitHeight(ALL, tip2 + 1n, 120_000);
    const roots2 = await Promise.all(
      ALL.map(
        async (k) => (await net.rpc(k, 'eth_getBlockByNumber', [`0x${tip2.toString(16)}`, false])).stateRoot,
      ),
    );
    expect(new Set(roots2).size).toBe(1);
    const settled = await Promise.all(ALL.map((k) => net.rpc(k, 'gl_interval', [K.toString()])));
    for (const iv of settled) {
      expect(iv.status).toBe('settled');
      expect(iv.realtimePriced).toBe(true);
      expect(iv.realtimeLmpMicrosPerMWh).toEqual(settled[0].realtimeLmpMicrosPerMWh);
    }
    // The digital twin (the AC power flow of the metered injections): the same flows on every validator,
    // the feeder head carrying the net 0.8 MW (over 5 minutes) plus the losses.
    const grids = await Promise.all(ALL.map((k) => net.rpc(k, 'gl_gridState', [K.toString()])));
    const twin = (g: { branches: { index: number; actualFlowW?: string }[] }) =>
      g.branches.map((b) => b.actualFlowW);
    for (const g of grids) expect(twin(g)).toEqual(twin(grids[0]));
    const head = BigInt(twin(grids[0])[0]!);
    expect(head).toBeGreaterThan(((58_333n + 33_000n - 25_000n) * 3_600_000n) / L);
    const rt = (bus: number) => BigInt(settled[0].realtimeLmpMicrosPerMWh[String(bus)] as string);
    expect(rt(1)).toBe(100n * USD);
    expect(rt(2)).toBeGreaterThan(rt(1));
    expect(rt(6)).toBeGreaterThan(rt(2));
    expect(rt(18)).toBeGreaterThan(rt(6));
  });
});
