// `npm run bench:evm`: gas of the market's contracts on anvil (deterministic: gas does not depend on the
// machine's load): deployment per contract, an order of 1 and of 5 steps, a cancellation, meter readings
// submitted 1 and 50 per transaction (per reading), the registry's transactions. Prints a table; with
// `--format json` the last line is one JSON object.

import { availableParallelism, loadavg } from 'node:os';
import { commitmentHash, READING_TYPES, readingDomain } from '@gridledger/energy';
import { keccak256, toHex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { clearIntervalOnChain } from '../src/operator/operator.ts';
import { submitRealtimePrices } from '../src/operator/realtime.ts';
import {
  GATE_LEAD_MS,
  INTERVAL_MS,
  METER_CAPACITY_W,
  market,
  meters,
  mineAt,
  read,
  registry,
  SETTLEMENT_DELAY_MS,
  send,
  setUpWorld,
} from '../test/world.ts';
import { compareTransfers } from './transfers.ts';

const json =
  process.argv.includes('--format') && process.argv[process.argv.indexOf('--format') + 1] === 'json';
/** `--transfers N`: the ERC-20 load of the chain comparison (transfers.ts; 0 skips it). */
const transfersArg = process.argv.includes('--transfers')
  ? process.argv[process.argv.indexOf('--transfers') + 1]
  : '1000';
const nTransfers = Number(transfersArg);
if (!(Number.isInteger(nTransfers) && nTransfers >= 0 && nTransfers <= 100_000)) {
  process.stderr.write(
    `bench:evm: --transfers: expected a whole number in 0..100000, got "${transfersArg}"\n`,
  );
  process.exit(2);
}

/**
 * Gas of sealed bids (a second anvil with a sealed market: 30 s reveal window, 10 % forfeit): commit,
 * reveal (the order enters the book), cancel, and the forfeit of unrevealed commitments at the close.
 */
async function sealedGas(): Promise<[string, bigint][]> {
  const sw = await setUpWorld({ sealed: { revealWindowMs: 30_000n, forfeitBps: 1000 } });
  try {
    const rows: [string, bigint][] = [];
    const k = sw.k0;
    const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
    const sealed = (
      who: PrivateKeyAccount,
      bus: bigint,
      side: number,
      steps: ReturnType<typeof step>[],
      tag: string,
    ) => {
      const salt = keccak256(toHex(tag));
      return {
        args: [bus, side, steps, salt] as const,
        hash: commitmentHash({ owner: who.address, interval: k, bus, side, steps, salt }),
      };
    };
    const first = sealed(sw.alice, 2n, 0, [step(1_000n, 40_000_000n)], 'first');
    const second = sealed(sw.alice, 2n, 0, [step(1_000n, 30_000_000n)], 'second');
    const five = sealed(
      sw.bob,
      3n,
      1,
      [1n, 2n, 3n, 4n, 5n].map((i) => step(1_000n * i, 10_000_000n * i)),
      'five',
    );
    const dep = 10_000_000n;
    rows.push([
      'commitOrder (first of the interval)',
      await send(sw, sw.alice, market(sw, 'commitOrder', [k, first.hash, dep])),
    ]);
    rows.push(['commitOrder', await send(sw, sw.alice, market(sw, 'commitOrder', [k, second.hash, dep]))]);
    await send(sw, sw.bob, market(sw, 'commitOrder', [k, five.hash, dep]));
    rows.push(['cancelCommitment', await send(sw, sw.alice, market(sw, 'cancelCommitment', [2n]))]);
    // 8 commitments of the next interval that nobody reveals (4 each: the live-commitment limit)
    for (let i = 0; i < 8; i++) {
      const who = i % 2 === 0 ? sw.alice : sw.bob;
      const salt = keccak256(toHex(`unrevealed ${i}`));
      const steps = [step(1n, 1n)];
      const bus = i % 2 === 0 ? 2n : 3n;
      const hash = commitmentHash({ owner: who.address, interval: k + 1n, bus, side: 0, steps, salt });
      await send(sw, who, market(sw, 'commitOrder', [k + 1n, hash, 1_000n]));
    }
    await mineAt(sw, k * INTERVAL_MS - GATE_LEAD_MS);
    rows.push([
      'revealOrder, 1 step (first order of the interval)',
      await send(sw, sw.alice, market(sw, 'revealOrder', [1n, ...first.args])),
    ]);
    rows.push([
      'revealOrder, 5 steps',
      await send(sw, sw.bob, market(sw, 'revealOrder', [3n, ...five.args])),
    ]);
    await mineAt(sw, (k + 1n) * INTERVAL_MS - GATE_LEAD_MS + 30_000n);
    const close = await send(sw, sw.carol, market(sw, 'closeReveal', [k + 1n]));
    rows.push(['closeReveal, 8 unrevealed commitments (each forfeits)', close]);
    await mineAt(sw, (k + 2n) * INTERVAL_MS - GATE_LEAD_MS + 30_000n);
    rows.push(['closeReveal, no commitment', await send(sw, sw.carol, market(sw, 'closeReveal', [k + 2n]))]);
    return rows;
  } finally {
    await sw.anvil.close();
  }
}
/**
 * Gas of the second settlement (a third anvil, a market with `realtime`): the real-time pricing of a
 * cleared interval (the operator's certificate through the real-time verifier into the RealtimeBook) and
 * settle(k) in the penalty band. 2 cleared parties and a party by its meter only, 3 meters.
 */
async function realtimeGas(): Promise<[string, bigint][]> {
  const rw = await setUpWorld({
    realtime: {
      penaltyMicrosPerMWh: 5_000_000n,
      priceCapMicrosPerMWh: 195_000_000n,
      priceFloorMicrosPerMWh: 1_000_000n,
      nonReportingPenaltyMicros: 1_000_000n,
      liquidatedDamagesMicrosPerMWh: 2_000_000n,
    },
  });
  try {
    const rows: [string, bigint][] = [];
    const k = rw.k0;
    const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
    await send(
      rw,
      rw.operator,
      registry(rw, 'registerMeter', [3n, rw.meterKey.address, 2n, rw.carol.address, 12_000n]),
    );
    await send(rw, rw.alice, market(rw, 'placeOrder', [k, 2n, 0, [step(25_000n, 80_000_000n)]]));
    await send(rw, rw.bob, market(rw, 'placeOrder', [k, 3n, 1, [step(25_000n, 30_000_000n)]]));
    await mineAt(rw, k * INTERVAL_MS - GATE_LEAD_MS);
    const op = await rw.clients(rw.operator);
    await clearIntervalOnChain(op, { market: rw.addresses.market, verifier: rw.verifier }, k);
    await mineAt(rw, (k + 1n) * INTERVAL_MS);
    const domain = { ...readingDomain(31337n), verifyingContract: rw.addresses.meters };
    const rs = [
      { meter: 1n, interval: k, importedWh: 24_000n, exportedWh: 0n },
      { meter: 2n, interval: k, importedWh: 0n, exportedWh: 20_000n },
      { meter: 3n, interval: k, importedWh: 0n, exportedWh: 500n },
    ];
    const sigs = await Promise.all(
      rs.map((r) =>
        rw.meterKey.signTypedData({ domain, types: READING_TYPES, primaryType: 'Reading', message: r }),
      ),
    );
    await send(rw, rw.carol, meters(rw, 'submitReadings', [rs, sigs]));
    const priced = await submitRealtimePrices(op, rw.realtime!, k);
    rows.push([
      `real-time pricing, ${priced.orders} injections (begin + submitOrders + finish)`,
      priced.gas.total,
    ]);
    rows.push([
      'settle, second settlement (3 parties, 3 meters, 1 promise)',
      await send(rw, rw.carol, market(rw, 'settle', [k])),
    ]);
    return rows;
  } finally {
    await rw.anvil.close();
  }
}

/**
 * Gas of the second settlement in chunks (docs/evm.md "Settlement in chunks"; a fourth anvil, a market
 * with `realtime`): 60 parties by meters only (one meter each, 10 readings missing) beside alice's buy and
 * bob's sell (one promise). Each phase is measured with two chunks of different sizes inside it (the
 * difference over the items is the gas per item, the rest the chunk's base).
 */
async function settleChunkGas(): Promise<[string, bigint][]> {
  const rw = await setUpWorld({
    realtime: {
      penaltyMicrosPerMWh: 5_000_000n,
      priceCapMicrosPerMWh: 195_000_000n,
      priceFloorMicrosPerMWh: 1_000_000n,
      nonReportingPenaltyMicros: 1_000_000n,
      liquidatedDamagesMicrosPerMWh: 2_000_000n,
    },
  });
  try {
    const rows: [string, bigint][] = [];
    const k = rw.k0;
    const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
    const n = 60;
    for (let i = 0; i < n; i++) {
      const owner = `0x${keccak256(toHex(`bench owner ${i}`)).slice(26)}` as const;
      await send(
        rw,
        rw.operator,
        registry(rw, 'registerMeter', [
          100n + BigInt(i),
          rw.meterKey.address,
          2n + BigInt(i % 2),
          owner,
          12_000n,
        ]),
      );
    }
    await send(rw, rw.alice, market(rw, 'placeOrder', [k, 2n, 0, [step(25_000n, 80_000_000n)]]));
    await send(rw, rw.bob, market(rw, 'placeOrder', [k, 3n, 1, [step(25_000n, 30_000_000n)]]));
    await mineAt(rw, k * INTERVAL_MS - GATE_LEAD_MS);
    const op = await rw.clients(rw.operator);
    await clearIntervalOnChain(op, { market: rw.addresses.market, verifier: rw.verifier }, k);
    await mineAt(rw, (k + 1n) * INTERVAL_MS);
    const domain = { ...readingDomain(31337n), verifyingContract: rw.addresses.meters };
    const rs = [
      { meter: 1n, interval: k, importedWh: 24_000n, exportedWh: 0n },
      { meter: 2n, interval: k, importedWh: 0n, exportedWh: 20_000n },
      ...Array.from({ length: n }, (_, i) => ({
        meter: 100n + BigInt(i),
        interval: k,
        importedWh: BigInt((i * 37) % 500),
        exportedWh: BigInt((i * 53) % 450),
      })).filter((_, i) => i % 6 !== 5),
    ];
    const sigs = await Promise.all(
      rs.map((r) =>
        rw.meterKey.signTypedData({ domain, types: READING_TYPES, primaryType: 'Reading', message: r }),
      ),
    );
    await send(rw, rw.carol, meters(rw, 'submitReadings', [rs, sigs]));
    await mineAt(rw, (k + 1n) * INTERVAL_MS + SETTLEMENT_DELAY_MS);
    await submitRealtimePrices(op, rw.realtime!, k);
    const chunk = (items: bigint, keys: bigint[] = []) =>
      send(rw, rw.carol, market(rw, 'settleChunk', [k, items, keys]));
    const progress = () => read<[number, bigint, bigint, bigint, bigint]>(rw, market(rw, 'settlingOf', [k]));
    /** Two chunks of a and b items in the phase, then the rest; the per-item and base gas. */
    const measure = async (name: string, a: number, b: number, keys?: bigint[]) => {
      const [, done] = await progress();
      const at = Number(done);
      const g1 = await chunk(BigInt(a), keys?.slice(at, at + a));
      const g2 = await chunk(BigInt(b), keys?.slice(at + a, at + a + b));
      const per = (g2 - g1) / BigInt(b - a);
      rows.push([`settleChunk, ${name}: per item`, per]);
      rows.push([`settleChunk, ${name}: base`, g1 - per * BigInt(a)]);
      const [, rest, total] = await progress();
      if (total > rest) await chunk(total - rest, keys?.slice(Number(rest)));
    };
    rows.push(['beginSettle', await send(rw, rw.carol, market(rw, 'beginSettle', [k]))]);
    await measure('meters phase (a meter read and summed per party)', 5, 25);
    await measure('penalties phase (a missing reading charged)', 2, 6);
    const keys = (await read<bigint[]>(rw, market(rw, 'settlementParties', [k, 0n, 1000n]))).sort((x, y) =>
      x < y ? -1 : x > y ? 1 : 0,
    );
    await measure('credits phase (a party without sales)', 5, 25, keys);
    rows.push(['settleChunk, promises phase (1 promise burned)', await chunk(1n)]);
    await measure('deviations phase (a party paid at its band price)', 5, 25, keys);
    const [phase] = await progress();
    if (phase !== 6) throw new Error(`bench: the chunked settlement ended in phase ${phase}`);
    return rows;
  } finally {
    await rw.anvil.close();
  }
}

const w = await setUpWorld();
try {
  const rows: [string, bigint][] = [];
  for (const [name, gas] of Object.entries(w.deployGas)) rows.push([`deploy ${name}`, gas]);
  const k = w.k0;
  const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
  rows.push([
    'placeOrder, 1 step (first of the interval)',
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(1_000n, 40_000_000n)]])),
  ]);
  rows.push([
    'placeOrder, 1 step',
    await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(1_000n, 30_000_000n)]])),
  ]);
  const five = [1n, 2n, 3n, 4n, 5n].map((i) => step(1_000n * i, 10_000_000n * i));
  rows.push(['placeOrder, 5 steps', await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 1, five]))]);
  rows.push(['cancelOrder', await send(w, w.alice, market(w, 'cancelOrder', [2n]))]);
  // readings of many meters: register 50 more at alice's bus
  const n = 50;
  for (let i = 0; i < n; i++) {
    await send(
      w,
      w.operator,
      registry(w, 'registerMeter', [
        100n + BigInt(i),
        w.meterKey.address,
        2n,
        w.alice.address,
        METER_CAPACITY_W,
      ]),
    );
  }
  rows.push([
    'registerMeter',
    await send(
      w,
      w.operator,
      registry(w, 'registerMeter', [99n, w.meterKey.address, 2n, w.alice.address, METER_CAPACITY_W]),
    ),
  ]);
  // the clearing through the verifier (every transaction of the operator's submission)
  await mineAt(w, k * INTERVAL_MS - GATE_LEAD_MS);
  const op = await w.clients(w.operator);
  const cleared = await clearIntervalOnChain(op, { market: w.addresses.market, verifier: w.verifier }, k);
  if (cleared === undefined) throw new Error('bench: nothing cleared');
  rows.push([
    `clearing of ${cleared.orders} orders, ${cleared.transactions} transactions (verifier + market)`,
    cleared.gas.total,
  ]);
  rows.push([
    '  of which finish (verified; the market records prices, pays the upstream)',
    cleared.gas.finish,
  ]);
  rows.push([
    '  of which applyChunk (the market applies the orders)',
    cleared.gas.apply.reduce((a, b) => a + b, 0n),
  ]);
  await mineAt(w, (k + 1n) * INTERVAL_MS);
  const domain = { ...readingDomain(31337n), verifyingContract: w.addresses.meters };
  const signed = async (key: PrivateKeyAccount, meter: bigint) => {
    const r = { meter, interval: k, importedWh: 10n, exportedWh: 20n };
    return {
      r,
      s: await key.signTypedData({ domain, types: READING_TYPES, primaryType: 'Reading', message: r }),
    };
  };
  const one = await signed(w.meterKey, 1n);
  rows.push([
    'submitReadings, 1 reading',
    await send(w, w.carol, meters(w, 'submitReadings', [[one.r], [one.s]])),
  ]);
  const batch = await Promise.all(Array.from({ length: n }, (_, i) => signed(w.meterKey, 100n + BigInt(i))));
  const gasBatch = await send(
    w,
    w.carol,
    meters(w, 'submitReadings', [batch.map((b) => b.r), batch.map((b) => b.s)]),
  );
  rows.push([`submitReadings, ${n} readings: per reading`, gasBatch / BigInt(n)]);
  // bob's meter and meter 99 read too (an estimated 1 GW meter would put its owner in default)
  const rest = [await signed(w.meterKey, 2n), await signed(w.meterKey, 99n)];
  await send(w, w.carol, meters(w, 'submitReadings', [rest.map((b) => b.r), rest.map((b) => b.s)]));
  await mineAt(w, (k + 1n) * INTERVAL_MS + SETTLEMENT_DELAY_MS);
  const [, , nOrders, nPromises] = await read<[number, bigint, bigint, bigint]>(
    w,
    market(w, 'intervalState', [k]),
  );
  // every market runs the second settlement: its real-time prices first (anyone; the operator here)
  await submitRealtimePrices(op, w.realtime, k);
  rows.push([
    `settle in one transaction (${nOrders} orders, ${nPromises} promises, 53 meters)`,
    await send(w, w.carol, market(w, 'settle', [k])),
  ]);
  const gasA = { clearing: cleared.gas.total, orders: cleared.orders };

  // Clearing by book size. B: 8 orders (alice's 4 buys at bus 2, bob's 4 sells at bus 3); C: 2 orders.
  // B − C gives the gas per order (the settlement's model: settleChunkGas).
  const book = async (kx: bigint, n: number) => {
    for (let i = 0; i < n; i++) {
      await send(
        w,
        w.alice,
        market(w, 'placeOrder', [kx, 2n, 0, [step(10_000n, BigInt(80 - 5 * i) * 1_000_000n)]]),
      );
      await send(
        w,
        w.bob,
        market(w, 'placeOrder', [kx, 3n, 1, [step(10_000n, BigInt(20 + 5 * i) * 1_000_000n)]]),
      );
    }
  };
  const clearAt = async (kx: bigint) => {
    await mineAt(w, kx * INTERVAL_MS - GATE_LEAD_MS);
    const r = await clearIntervalOnChain(op, { market: w.addresses.market, verifier: w.verifier }, kx);
    if (r === undefined) throw new Error(`bench: interval ${kx} cleared nothing`);
    const [, , , promisesX] = await read<[number, bigint, bigint, bigint]>(
      w,
      market(w, 'intervalState', [kx]),
    );
    if (r.gas.chunks.length !== 1 || r.gas.apply.length !== 1) throw new Error('bench: expected one chunk');
    return {
      orders: r.orders,
      total: r.gas.total,
      finish: r.gas.finish,
      verify: r.gas.chunks[0]!,
      apply: r.gas.apply[0]!,
      promises: Number(promisesX),
    };
  };
  const kB = k + 5n;
  const kC = k + 6n;
  await book(kB, 4);
  await book(kC, 1);
  const B = await clearAt(kB);
  const C = await clearAt(kC);
  for (const X of [B, C]) {
    rows.push([`clearing of ${X.orders} orders (${X.promises} promises)`, X.total]);
    rows.push([`  of which submitOrders (one chunk of ${X.orders})`, X.verify]);
    rows.push([`  of which finish`, X.finish]);
    rows.push([`  of which applyChunk (one chunk of ${X.orders})`, X.apply]);
  }
  const sealedRows = await sealedGas();
  const realtimeRows = await realtimeGas();
  const chunkRows = await settleChunkGas();
  rows.push(...sealedRows);
  rows.push(...realtimeRows);
  rows.push(...chunkRows);
  const get = (label: string) => {
    const r = rows.find(([name]) => name === label);
    if (r === undefined) throw new Error(`bench: no row "${label}"`);
    return r[1];
  };
  const per = (a: bigint, b: bigint, n: number) => (a - b) / BigInt(n);
  // The gas model the capacity planner takes (gridledger capacity --chain evm --measured FILE).
  const dOrders = B.orders - C.orders;
  const applyPer = per(B.apply, C.apply, dOrders);
  const verifyPer = per(B.verify, C.verify, dOrders);
  const chunkPerOrder = applyPer > verifyPer ? applyPer : verifyPer;
  const applyBase = C.apply - applyPer * BigInt(C.orders);
  const verifyBase = C.verify - verifyPer * BigInt(C.orders);
  const chunkBase = applyBase > verifyBase ? applyBase : verifyBase;
  const model = {
    placeOrder: get('placeOrder, 1 step'),
    /** An interval's first order also creates its lists: once per interval. */
    firstOrderExtra: get('placeOrder, 1 step (first of the interval)') - get('placeOrder, 1 step'),
    orderStep: per(get('placeOrder, 5 steps'), get('placeOrder, 1 step'), 4),
    cancelOrder: get('cancelOrder'),
    reading: get('submitReadings, 1 reading'),
    readingBatched: get('submitReadings, 50 readings: per reading'),
    clearingBase: C.total - per(B.total, C.total, dOrders) * BigInt(C.orders),
    clearingPerOrder: per(B.total, C.total, dOrders),
    /** The finish transaction: the header only (prices, flows, upstream), not the orders. */
    finishBase: B.finish > C.finish ? B.finish : C.finish,
    /** The heavier chunk transaction (applyChunk or submitOrders): base + per order. */
    chunkBase: chunkBase,
    chunkPerOrder: chunkPerOrder,
    commitOrder: get('commitOrder'),
    revealOrder:
      get('revealOrder, 1 step (first order of the interval)') -
      (get('placeOrder, 1 step (first of the interval)') - get('placeOrder, 1 step')),
    revealStep: per(get('revealOrder, 5 steps'), get('revealOrder, 1 step (first order of the interval)'), 4),
    /**
     * The second settlement in chunks: a chunk's base (the largest measured), per meter, per missing
     * reading, per party (both passes), per promise (its whole one-promise chunk: an upper bound).
     */
    settleChunkBase: [
      'meters phase (a meter read and summed per party)',
      'credits phase (a party without sales)',
      'deviations phase (a party paid at its band price)',
    ].reduce((m, p) => {
      const b = get(`settleChunk, ${p}: base`);
      return b > m ? b : m;
    }, 0n),
    settleChunkPerMeter: get('settleChunk, meters phase (a meter read and summed per party): per item'),
    settleChunkPerPenalty: get('settleChunk, penalties phase (a missing reading charged): per item'),
    settleChunkPerParty:
      get('settleChunk, credits phase (a party without sales): per item') +
      get('settleChunk, deviations phase (a party paid at its band price): per item'),
    settleChunkPerPromise: get('settleChunk, promises phase (1 promise burned)'),
    forfeitPerCommitment: per(
      get('closeReveal, 8 unrevealed commitments (each forfeits)'),
      get('closeReveal, no commitment'),
      8,
    ),
  };
  void gasA;
  await w.anvil.close();
  const transfers =
    nTransfers > 0 ? await compareTransfers(nTransfers, (m) => process.stderr.write(`${m}\n`)) : [];
  const anvilCpu = transfers[0]?.cpuMsPerTransfer;
  const cmp = transfers.map((t) => ({
    ...t,
    cpuS: Number(t.cpuS.toFixed(2)),
    cpuMsPerTransfer: Number(t.cpuMsPerTransfer.toFixed(3)),
    wallS: Number(t.wallS.toFixed(2)),
    cpuRatioToAnvil: anvilCpu ? Number((t.cpuMsPerTransfer / anvilCpu).toFixed(2)) : null,
  }));
  if (json) {
    console.log(
      JSON.stringify({
        bench: 'evm-gas',
        gas: Object.fromEntries(rows.map(([k2, v]) => [k2, v.toString()])),
        model: Object.fromEntries(Object.entries(model).map(([k2, v]) => [k2, v.toString()])),
        transfers: cmp,
        cores: availableParallelism(),
        loadAvg1m: Number(loadavg()[0]!.toFixed(1)),
      }),
    );
  } else {
    if (cmp.length > 0) {
      const head = ['chain', 'transfers', 'CPU s', 'CPU ms/transfer', 'CPU vs anvil', 'wall s'];
      const body = cmp.map((t) => [
        t.chain,
        String(t.transfers),
        t.cpuS.toFixed(2),
        t.cpuMsPerTransfer.toFixed(3),
        t.cpuRatioToAnvil === null ? '-' : `${t.cpuRatioToAnvil}x`,
        t.wallS.toFixed(2),
      ]);
      const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
      for (const r of [head, ...body]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
      console.log(
        `(node processes' CPU, user + system, all threads; ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)}: CPU, loaded machine)\n`,
      );
    }
    for (const [name, gas] of Object.entries(model)) rows.push([`model: ${name}`, gas]);
    const width = Math.max(...rows.map(([name]) => name.length));
    console.log(`${'operation'.padEnd(width)}  gas`);
    for (const [name, gas] of rows) console.log(`${name.padEnd(width)}  ${gas.toLocaleString('en-US')}`);
  }
} finally {
  await w.anvil.close().catch(() => undefined);
}
