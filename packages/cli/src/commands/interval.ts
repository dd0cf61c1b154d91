// `gridledger interval show <k>`: one market interval of a running chain: its status and clock (gate,
// start, end, settlement deadline in market time), congestion rent, upstream exchange, LMP by bus (and the
// real-time prices once settled), its orders and its promises, from gl_interval, gl_orders, gl_marketConfig and the market's promiseOf view.
import { formatMicros } from '@gridledger/base';
import { MARKET_ABI } from '@gridledger/energy';
import type { Command } from 'commander';
import {
  addChainOptions,
  addContractsOption,
  ChainConnection,
  type ChainFlags,
  parseIntervalFlag,
} from '../chain-client.ts';
import { parseFormat, printJson, renderTable } from '../output.ts';
import { ordersTable } from './order.ts';

/** Most promises read one by one for the table and the JSON (the count is always complete). */
const MAX_PROMISES_SHOWN = 200;

const EXAMPLES = `
Times are market time (block time through the market clock), in ms and as UTC; "now" is the market
time of the latest block.

Examples:
  gridledger interval show next
  gridledger interval show 1234 --rpc http://127.0.0.1:26603
  gridledger interval show last --format json`;

/** Registers `interval show`. */
export function registerInterval(program: Command): void {
  const interval = program.command('interval').description('inspect market intervals of a running chain');
  addContractsOption(
    addChainOptions(
      interval
        .command('show')
        .description('status, clock, congestion rent, prices by bus, orders and promises of one interval')
        .argument('<k>', 'interval: a number, "next" (first with an open gate) or "last" (latest cleared)')
        .addHelpText('after', EXAMPLES),
      false,
    ),
  ).action(async (kText: string, o: ChainFlags) => {
    const format = parseFormat(o.format);
    const spec = parseIntervalFlag(kText, 'interval');
    const conn = await ChainConnection.open(o.rpc, o.contracts);
    const market = await conn.market();
    const k = await conn.resolveInterval(spec, 'interval');
    const [iv, orders] = await Promise.all([
      conn.request('gl_interval', [k.toString()]),
      conn.request('gl_orders', [k.toString()]),
    ]);
    const ids = iv.promises.slice(0, MAX_PROMISES_SHOWN);
    const promises = await Promise.all(
      ids.map(async (id) => {
        const p = await conn.client.readContract({
          address: conn.marketAddress,
          abi: MARKET_ABI,
          functionName: 'promiseOf',
          args: [BigInt(id)],
        });
        return {
          id,
          seller: p.seller.toLowerCase(),
          buyer: p.buyer.toLowerCase(),
          sellerOrder: p.sellerOrder.toString(),
          buyerOrder: p.buyerOrder.toString(),
          sellerBus: p.sellerBus.toString(),
          buyerBus: p.buyerBus.toString(),
          energyWh: p.energyWh.toString(),
          sellerPriceMicrosPerMWh: p.sellerPriceMicrosPerMWh.toString(),
          buyerPriceMicrosPerMWh: p.buyerPriceMicrosPerMWh.toString(),
          settled: p.settled,
          deliveredWh: p.deliveredWh.toString(),
        };
      }),
    );
    if (format === 'json') {
      return printJson({
        ...iv,
        now: {
          blockNumber: market.blockNumber,
          blockTimeMs: market.blockTimeMs,
          marketTimeMs: market.marketTimeMs,
        },
        orderList: orders,
        promiseList: promises,
      });
    }
    const now = BigInt(market.marketTimeMs ?? 0);
    const when = (ms: string) => {
      const t = BigInt(ms);
      const d = t - now;
      const rel = d === 0n ? 'now' : d > 0n ? `in ${fmtDuration(d)}` : `${fmtDuration(-d)} ago`;
      return `${ms} (${isoOf(t)}, ${rel})`;
    };
    const out: string[] = [];
    out.push(
      renderTable(
        ['interval', 'status', 'orders', 'promises', 'congestion rent $', 'readings (reported/expected)'],
        [
          [
            iv.interval,
            iv.status,
            iv.orders,
            iv.promises.length,
            formatMicros(iv.congestionRent),
            `${iv.reportedReadings}/${iv.expectedReadings}`,
          ],
        ],
      ),
    );
    out.push(
      renderTable(
        ['clock (market time, ms)', ''],
        [
          ['now (block ' + market.blockNumber + ')', `${market.marketTimeMs} (${isoOf(now)})`],
          ['gate closes', when(iv.gateMs)],
          ['delivery starts', when(iv.startMs)],
          ['delivery ends', when(iv.endMs)],
          ['settlement deadline', when(iv.deadlineMs)],
        ],
      ),
    );
    out.push(
      renderTable(
        ['upstream sold Wh', 'upstream bought Wh', 'upstream received $', 'upstream paid $'],
        [
          [
            iv.upstream.soldWh,
            iv.upstream.boughtWh,
            formatMicros(iv.upstream.receivedMicros),
            formatMicros(iv.upstream.paidMicros),
          ],
        ],
      ),
    );
    if (iv.lmpMicrosPerMWh !== null) {
      // Forward (cleared) prices, and once settled the real-time (ex-post) prices beside them.
      const rt = iv.realtimeLmpMicrosPerMWh;
      out.push(
        renderTable(
          rt === null ? ['bus', 'LMP $/MWh'] : ['bus', 'LMP $/MWh', 'real-time $/MWh'],
          Object.entries(iv.lmpMicrosPerMWh).map(([bus, p]) =>
            rt === null ? [bus, formatMicros(p)] : [bus, formatMicros(p), formatMicros(rt[bus] ?? '0')],
          ),
        ),
      );
      if (rt !== null && !iv.realtimePriced)
        out.push('real-time prices: the forward prices stood in (the network changed or the pricer failed)');
      if (iv.energyBalance !== null)
        out.push(`energy balance: mismatch ${iv.energyBalance.mismatchWh} Wh, ${iv.energyBalance.status}`);
    } else out.push(`no prices: the interval is ${iv.status}`);
    if (orders.length > 0) out.push(ordersTable(orders));
    if (promises.length > 0) {
      out.push(
        renderTable(
          [
            'promise',
            'seller (bus)',
            'buyer (bus)',
            'Wh',
            'seller $/MWh',
            'buyer $/MWh',
            'settled',
            'delivered Wh',
          ],
          promises.map((p) => [
            p.id,
            `${p.seller} (${p.sellerBus})`,
            `${p.buyer} (${p.buyerBus})`,
            p.energyWh,
            formatMicros(p.sellerPriceMicrosPerMWh),
            formatMicros(p.buyerPriceMicrosPerMWh),
            p.settled ? 'yes' : 'no',
            p.settled ? p.deliveredWh : '-',
          ]),
        ),
      );
      if (iv.promises.length > promises.length)
        out.push(`... and ${iv.promises.length - promises.length} more promises (ids in --format json)`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
  });
}

function isoOf(ms: bigint): string {
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString();
}

function fmtDuration(ms: bigint): string {
  const s = Number(ms) / 1000;
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
