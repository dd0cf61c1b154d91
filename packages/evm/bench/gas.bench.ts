// `npm run bench:evm`: gas of the market's contracts on anvil (deterministic: gas does not depend on the
// machine's load): deployment per contract, an order of 1 and of 5 steps, a cancellation, meter readings
// submitted 1 and 50 per transaction (per reading), the registry's transactions. Prints a table; with
// `--format json` the last line is one JSON object.

import { commitmentHash, READING_TYPES, readingDomain } from '@gridledger/energy';
import { keccak256, toHex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { clearIntervalOnChain } from '../src/operator/operator.ts';
import {
  GATE_LEAD_MS,
  INTERVAL_MS,
  market,
  meters,
  mineAt,
  read,
  registry,
  SETTLEMENT_DELAY_MS,
  send,
  setUpWorld,
} from '../test/world.ts';

const json =
  process.argv.includes('--format') && process.argv[process.argv.indexOf('--format') + 1] === 'json';

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
      registry(w, 'registerMeter', [100n + BigInt(i), w.meterKey.address, 2n, w.alice.address]),
    );
  }
  rows.push([
    'registerMeter',
    await send(w, w.operator, registry(w, 'registerMeter', [99n, w.meterKey.address, 2n, w.alice.address])),
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
  rows.push(['  of which finish (the market applies it)', cleared.gas.finish]);
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
  await mineAt(w, (k + 1n) * INTERVAL_MS + SETTLEMENT_DELAY_MS);
  const [, , nOrders, nPromises] = await read<[number, bigint, bigint, bigint]>(
    w,
    market(w, 'intervalState', [k]),
  );
  rows.push([
    `settle (${nOrders} orders, ${nPromises} promises, 53 meters)`,
    await send(w, w.carol, market(w, 'settle', [k])),
  ]);
  rows.push(...(await sealedGas()));
  if (json) {
    console.log(
      JSON.stringify({
        bench: 'evm-gas',
        gas: Object.fromEntries(rows.map(([k2, v]) => [k2, v.toString()])),
      }),
    );
  } else {
    const width = Math.max(...rows.map(([name]) => name.length));
    console.log(`${'operation'.padEnd(width)}  gas`);
    for (const [name, gas] of rows) console.log(`${name.padEnd(width)}  ${gas.toLocaleString('en-US')}`);
  }
} finally {
  await w.anvil.close();
}
