// `npm run bench:simulator [-- --devices N]`: the driver's own cost per interval for N devices, without a
// chain: planning every device's orders, ABI-encoding and signing them as raw transactions, delivering
// and signing every meter reading (EIP-712), and encoding the readings into submitReadings transactions.
// Prints a table, then one JSON object as the last line of stdout.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MARKET_ADDRESS, METERS_ADDRESS } from '@gridledger/energy';
import { encodePlaceOrder, encodeSubmitReadings } from '../src/encode.ts';
import {
  buildPopulation,
  deliver,
  initialState,
  loadScenario,
  planOrders,
  READINGS_PER_TX,
  signReading,
  signTransaction,
  withDevices,
} from '../src/index.ts';

const { values } = parseArgs({ options: { devices: { type: 'string', default: '10000' } } });
const n = Number(values.devices);
const t = () => performance.now();
const s = withDevices(await loadScenario(), n);
let t0 = t();
const devices = buildPopulation(s);
const tPopulation = t() - t0;
const L = 300_000;
const k = BigInt(Math.floor(s.startMs / L)) + 2n;
const ctx = { seed: s.seed, interval: k, startMs: Number(k) * L, minutes: 5 };
const states = devices.map((d) => initialState(d.spec, 75e6));
t0 = t();
const plans = devices.map((d, i) => planOrders(d.spec, states[i]!, ctx));
const tPlan = t() - t0;
t0 = t();
let orders = 0;
let bytes = 0;
devices.forEach((d, i) => {
  for (const o of plans[i]!) {
    const { raw } = signTransaction(
      d.account.privateKey,
      {
        type: 'eip1559',
        chainId: 1337,
        nonce: 0,
        gas: 200_000n,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
        to: MARKET_ADDRESS,
        data: encodePlaceOrder(k, d.spec.bus, o.side === 'buy' ? 0 : 1, o.steps),
      },
      false,
    );
    orders++;
    bytes += raw.length / 2 - 1;
  }
});
const tOrders = t() - t0;
t0 = t();
const readings = devices.map((d, i) => {
  const m = deliver(d.spec, states[i]!, ctx, { boughtWh: 0n, soldWh: 0n }).metered;
  const r = { meter: d.meterId, interval: k, ...m };
  return { r, sig: signReading(d.meterKey.privateKey, 1337n, r) };
});
const tReadings = t() - t0;
t0 = t();
let readingTxBytes = 0;
for (let j = 0; j < readings.length; j += READINGS_PER_TX) {
  const b = readings.slice(j, j + READINGS_PER_TX);
  const { raw } = signTransaction(devices[0]!.account.privateKey, {
    type: 'eip1559',
    chainId: 1337,
    nonce: j,
    gas: 25_000_000n,
    maxFeePerGas: 0n,
    maxPriorityFeePerGas: 0n,
    to: METERS_ADDRESS,
    data: encodeSubmitReadings(
      b.map((x) => x.r),
      b.map((x) => x.sig),
    ),
  });
  readingTxBytes += raw.length / 2 - 1;
}
const tReadingTxs = t() - t0;
const rows: [string, string][] = [
  ['devices', String(devices.length)],
  ['build population (keys, meters)', `${tPopulation.toFixed(0)} ms`],
  ['plan orders', `${tPlan.toFixed(0)} ms`],
  [
    `encode + sign ${orders} orders`,
    `${tOrders.toFixed(0)} ms (${((tOrders / orders) * 1000).toFixed(0)} µs each, ${bytes} bytes)`,
  ],
  [
    `deliver + sign ${readings.length} readings`,
    `${tReadings.toFixed(0)} ms (${((tReadings / readings.length) * 1000).toFixed(0)} µs each)`,
  ],
  [`encode + sign reading transactions`, `${tReadingTxs.toFixed(0)} ms (${readingTxBytes} bytes)`],
];
for (const [a, b] of rows) process.stdout.write(`${a.padEnd(40)} ${b}\n`);
process.stdout.write(
  `${JSON.stringify({ devices: devices.length, populationMs: tPopulation, planMs: tPlan, orders, ordersMs: tOrders, orderBytes: bytes, readings: readings.length, readingsMs: tReadings, readingTxMs: tReadingTxs, readingTxBytes })}\n`,
);
