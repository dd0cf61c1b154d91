// `gridledger order place|cancel|list`: a participant's orders on the energy market of a running chain.
// place and cancel sign a market-module transaction with viem and wait for its receipt (a call the
// chain would refuse is refused before anything is sent, with the chain's reason); list reads gl_orders.
import { formatMicros } from '@gridledger/base';
import { MARKET_ABI, MARKET_ADDRESS } from '@gridledger/energy';
import type { GlOrder } from '@gridledger/rpc';
import type { Command } from 'commander';
import { parseEventLogs } from 'viem';
import {
  addChainOptions,
  ChainConnection,
  type ChainFlags,
  parseIntervalFlag,
  rejected,
  resolveAddress,
  resolveSigner,
  sendCall,
} from '../chain-client.ts';
import { formatStep, parseSteps, parseUintFlag } from '../market-units.ts';
import { log, parseFormat, printJson, renderTable, UsageError } from '../output.ts';

/** The orders table shared with `interval show`. */
export function ordersTable(orders: readonly GlOrder[]): string {
  return renderTable(
    [
      'id',
      'owner',
      'bus',
      'side',
      'steps (Wh @ $/MWh)',
      'status',
      'escrow $',
      'cleared Wh',
      'LMP $/MWh',
      'amount $',
    ],
    orders.map((o) => [
      o.id,
      o.owner,
      o.bus,
      o.side,
      o.steps.map(formatStep).join('\n'),
      o.status,
      formatMicros(o.escrow),
      o.clearedWh,
      o.status === 'cleared' || o.status === 'released' ? formatMicros(o.priceMicrosPerMWh) : '-',
      o.status === 'cleared' || o.status === 'released' ? formatMicros(o.amount) : '-',
    ]),
  );
}

const EXAMPLES = `
Steps are WH@PRICE: energy in Wh (whole number) @ limit price in $/MWh (up to 6 decimals); a buy step
buys up to WH at any price up to PRICE, a sell step sells down to PRICE. A buy order escrows its most
expensive outcome, a sell order collateral at the shortfall price (docs/market-rules.md §10).

Examples:
  gridledger order place --account participant-1 --interval next --bus 5 --side buy --step 2000@45.5
  gridledger order place --key-file alice.key --interval 1234 --bus 2 --side sell \\
      --step 60000000@20 --step 40000000@21 --format json
  gridledger order cancel 17 --account participant-1
  gridledger order list --interval next --owner participant-1
  gridledger order list --interval 1234 --owner 0x1234...abcd --format json`;

type PlaceFlags = ChainFlags & { interval: string; bus: string; side: string; step?: string[] };
type ListFlags = ChainFlags & { interval: string; owner?: string };

/** Registers `order place|cancel|list`. */
export function registerOrder(program: Command): void {
  const order = program
    .command('order')
    .description('place, cancel and list orders on the energy market of a running chain')
    .addHelpText('after', EXAMPLES);

  addChainOptions(
    order
      .command('place')
      .description('place a buy or sell order for one interval at one bus; prints its id and escrow')
      .requiredOption(
        '--interval <k>',
        'delivery interval: a number, or "next" (the first whose gate is open)',
      )
      .requiredOption('--bus <bus>', 'bus number the order is at (the account must be registered there)')
      .requiredOption('--side <side>', 'buy or sell')
      .option('--step <WH@PRICE>', 'a step: Wh @ $/MWh (repeat for more steps)', collect)
      .addHelpText('after', EXAMPLES),
    true,
  ).action(async (o: PlaceFlags) => {
    const format = parseFormat(o.format);
    if (o.side !== 'buy' && o.side !== 'sell')
      throw new UsageError(`--side must be "buy" or "sell", got "${o.side}"`);
    const bus = parseUintFlag(o.bus, '--bus', 2n ** 32n);
    const steps = parseSteps(o.step);
    const spec = parseIntervalFlag(o.interval, '--interval');
    const account = resolveSigner(o, 'order place');
    const conn = await ChainConnection.open(o.rpc);
    const interval = await conn.resolveInterval(spec, '--interval');
    const out = await sendCall(conn, account, {
      to: MARKET_ADDRESS,
      abi: MARKET_ABI,
      functionName: 'placeOrder',
      args: [interval, bus, o.side === 'buy' ? 0 : 1, steps],
    });
    if (!out.ok) throw rejected(`order (interval ${interval}, bus ${bus}, ${o.side})`, out);
    const placed = parseEventLogs({ abi: MARKET_ABI, logs: out.logs, eventName: 'OrderPlaced' })[0];
    if (placed === undefined)
      throw new UsageError(`transaction ${out.hash} succeeded but logged no OrderPlaced`);
    const result = {
      id: placed.args.id.toString(),
      owner: account.address.toLowerCase(),
      interval: interval.toString(),
      bus: bus.toString(),
      side: o.side,
      steps: steps.map((s) => ({
        energyWh: s.energyWh.toString(),
        priceMicrosPerMWh: s.priceMicrosPerMWh.toString(),
      })),
      escrow: placed.args.escrow.toString(),
      transaction: out.hash,
      blockNumber: out.blockNumber.toString(),
      gasUsed: out.gasUsed.toString(),
    };
    if (format === 'json') return printJson(result);
    process.stdout.write(
      `${renderTable(
        ['order', 'interval', 'bus', 'side', 'steps (Wh @ $/MWh)', 'escrow $', 'block', 'transaction'],
        [
          [
            result.id,
            result.interval,
            result.bus,
            result.side,
            steps.map(formatStep).join('\n'),
            formatMicros(result.escrow),
            result.blockNumber,
            result.transaction,
          ],
        ],
      )}\n`,
    );
  });

  addChainOptions(
    order
      .command('cancel')
      .description('cancel one of your open orders before its gate closes; its escrow is returned')
      .argument('<id>', 'order id')
      .addHelpText('after', EXAMPLES),
    true,
  ).action(async (idText: string, o: ChainFlags) => {
    const format = parseFormat(o.format);
    const id = parseUintFlag(idText, 'order id');
    const account = resolveSigner(o, 'order cancel');
    const conn = await ChainConnection.open(o.rpc);
    const out = await sendCall(conn, account, {
      to: MARKET_ADDRESS,
      abi: MARKET_ABI,
      functionName: 'cancelOrder',
      args: [id],
    });
    if (!out.ok) throw rejected(`cancel of order ${id}`, out);
    const ev = parseEventLogs({ abi: MARKET_ABI, logs: out.logs, eventName: 'OrderCancelled' })[0];
    const result = {
      id: id.toString(),
      released: (ev?.args.released ?? 0n).toString(),
      transaction: out.hash,
      blockNumber: out.blockNumber.toString(),
    };
    if (format === 'json') return printJson(result);
    process.stdout.write(
      `${renderTable(['order', 'released $', 'block', 'transaction'], [[result.id, formatMicros(result.released), result.blockNumber, result.transaction]])}\n`,
    );
  });

  addChainOptions(
    order
      .command('list')
      .description("an interval's orders (any status), optionally of one owner (gl_orders)")
      .requiredOption('--interval <k>', 'interval: a number, "next" or "last" (the latest cleared)')
      .option('--owner <address>', 'only this owner: a 0x address or a dev account name')
      .option('--dev-accounts <file>', 'dev-accounts.json to resolve an --owner name')
      .addHelpText('after', EXAMPLES),
    false,
  ).action(async (o: ListFlags) => {
    const format = parseFormat(o.format);
    const spec = parseIntervalFlag(o.interval, '--interval');
    const owner = o.owner === undefined ? undefined : resolveAddress(o.owner, '--owner', o.devAccounts);
    const conn = await ChainConnection.open(o.rpc);
    const interval = await conn.resolveInterval(spec, '--interval');
    const orders = await conn.request(
      'gl_orders',
      owner ? [interval.toString(), owner] : [interval.toString()],
    );
    if (format === 'json')
      return printJson({ interval: interval.toString(), ...(owner ? { owner } : {}), orders });
    if (orders.length === 0) {
      log(`no orders in interval ${interval}${owner ? ` from ${owner}` : ''}`);
      return;
    }
    process.stdout.write(`interval ${interval}: ${orders.length} order(s)\n${ordersTable(orders)}\n`);
  });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
