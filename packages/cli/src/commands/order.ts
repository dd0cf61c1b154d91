// `gridledger order place|reveal|cancel|list`: a participant's orders on the energy market of a running
// chain. On a market with sealed bids `place` commits and reveals (order-sealed.ts).
// place and cancel sign a market-module transaction with viem and wait for its receipt (a call the
// chain would refuse is refused before anything is sent, with the chain's reason); list reads gl_orders.
import { formatMicros } from '@gridledger/base';
import { MARKET_ABI } from '@gridledger/energy';
import type { GlCommitment, GlOrder } from '@gridledger/rpc';
import type { Command } from 'commander';
import { parseEventLogs } from 'viem';
import {
  addChainOptions,
  addContractsOption,
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
import {
  DEFAULT_STATE_DIR,
  findStored,
  placeSealed,
  revealSealed,
  type SealedResult,
} from './order-sealed.ts';

/**
 * The book of an interval as gl_orders gives it, shared with `interval show`: its orders, or on a market
 * with sealed bids before the reveal window closes, its commitments (owner, deposit, status; no order).
 */
export function ordersTable(entries: readonly (GlOrder | GlCommitment)[]): string {
  const commitments = entries.filter((e): e is GlCommitment => e.kind === 'commitment');
  const orders = entries.filter((e): e is GlOrder => e.kind !== 'commitment');
  const parts: string[] = [];
  if (commitments.length > 0) {
    parts.push(
      renderTable(
        ['commitment', 'owner', 'deposit $', 'status', 'order', 'hash'],
        commitments.map((c) => [
          c.id,
          c.owner,
          formatMicros(c.deposit),
          c.status,
          c.order ?? '-',
          c.commitment,
        ]),
      ),
    );
  }
  if (orders.length > 0 || commitments.length === 0) parts.push(plainOrdersTable(orders));
  return parts.join('\n');
}

function plainOrdersTable(orders: readonly GlOrder[]): string {
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
With sealed bids (the default of init --dev and start; §6b) place commits the order with that escrow as
its deposit, keeps the salt in .gridledger/sealed-orders.json (--state-dir), waits for the gate and
reveals; --no-reveal stops after the commitment, and order reveal <commitment> reveals it later (before
the reveal window closes: an unrevealed commitment forfeits part of its deposit).

Examples:
  gridledger order place --account participant-1 --interval next --bus 5 --side buy --step 2000@45.5
  gridledger order place --key-file alice.key --interval 1234 --bus 2 --side sell \\
      --step 60000000@20 --step 40000000@21 --format json
  gridledger order place --account participant-1 --interval next --bus 5 --side buy --step 2000@45.5 --no-reveal
  gridledger order reveal 3 --account participant-1
  gridledger order cancel 17 --account participant-1
  gridledger order list --interval next --owner participant-1
  gridledger order list --interval 1234 --owner 0x1234...abcd --format json`;

type PlaceFlags = ChainFlags & {
  interval: string;
  bus: string;
  side: string;
  step?: string[];
  reveal?: boolean;
  stateDir: string;
};
type ListFlags = ChainFlags & { interval: string; owner?: string };

/** Registers `order place|cancel|list`. */
export function registerOrder(program: Command): void {
  const order = program
    .command('order')
    .description(
      'place (sealed: commit and reveal), reveal, cancel and list orders on the energy market of a running chain',
    )
    .addHelpText('after', EXAMPLES);

  addContractsOption(
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
        .option('--no-reveal', 'sealed bids: commit only; reveal later with `order reveal <commitment>`')
        .option(
          '--state-dir <dir>',
          'sealed bids: where the salts are kept (FILE sealed-orders.json)',
          DEFAULT_STATE_DIR,
        )
        .addHelpText('after', EXAMPLES),
      true,
    ),
  ).action(async (o: PlaceFlags) => {
    const format = parseFormat(o.format);
    if (o.side !== 'buy' && o.side !== 'sell')
      throw new UsageError(`--side must be "buy" or "sell", got "${o.side}"`);
    const bus = parseUintFlag(o.bus, '--bus', 2n ** 32n);
    const steps = parseSteps(o.step);
    const spec = parseIntervalFlag(o.interval, '--interval');
    const account = resolveSigner(o, 'order place');
    const conn = await ChainConnection.open(o.rpc, o.contracts);
    const interval = await conn.resolveInterval(spec, '--interval');
    if ((await conn.market()).config.sealed !== undefined) {
      const side = o.side === 'buy' ? 0 : 1;
      const r = await placeSealed(
        conn,
        account,
        { interval, bus, side, steps },
        {
          stateDir: o.stateDir,
          noReveal: o.reveal === false,
        },
      );
      return printSealed(format, {
        ...r,
        owner: account.address.toLowerCase(),
        interval: interval.toString(),
        bus: bus.toString(),
        side: o.side,
        steps,
      });
    }
    const out = await sendCall(conn, account, {
      to: conn.marketAddress,
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

  addContractsOption(
    addChainOptions(
      order
        .command('reveal')
        .description('reveal a sealed order committed by `order place --no-reveal` (waits for the gate)')
        .argument('<commitment>', 'commitment id')
        .option(
          '--state-dir <dir>',
          'where `order place` kept the salt (FILE sealed-orders.json)',
          DEFAULT_STATE_DIR,
        )
        .addHelpText('after', EXAMPLES),
      true,
    ),
  ).action(async (idText: string, o: ChainFlags & { stateDir: string }) => {
    const format = parseFormat(o.format);
    const id = parseUintFlag(idText, 'commitment id');
    const account = resolveSigner(o, 'order reveal');
    const stored = findStored(o.stateDir, account.address, id);
    const conn = await ChainConnection.open(o.rpc, o.contracts);
    const r = await revealSealed(conn, account, stored, o.stateDir);
    return printSealed(format, {
      ...r,
      owner: account.address.toLowerCase(),
      steps: stored.steps.map((s) => ({
        energyWh: BigInt(s.energyWh),
        priceMicrosPerMWh: BigInt(s.priceMicrosPerMWh),
      })),
    });
  });

  addContractsOption(
    addChainOptions(
      order
        .command('cancel')
        .description('cancel one of your open orders before its gate closes; its escrow is returned')
        .argument('<id>', 'order id (with --commitment: commitment id)')
        .option(
          '--commitment',
          'sealed bids: cancel a commitment before the gate (its whole deposit is returned)',
        )
        .addHelpText('after', EXAMPLES),
      true,
    ),
  ).action(async (idText: string, o: ChainFlags & { commitment?: boolean }) => {
    const format = parseFormat(o.format);
    const what = o.commitment === true ? 'commitment' : 'order';
    const id = parseUintFlag(idText, `${what} id`);
    const account = resolveSigner(o, 'order cancel');
    const conn = await ChainConnection.open(o.rpc, o.contracts);
    const out = await sendCall(conn, account, {
      to: conn.marketAddress,
      abi: MARKET_ABI,
      functionName: what === 'commitment' ? 'cancelCommitment' : 'cancelOrder',
      args: [id],
    });
    if (!out.ok) throw rejected(`cancel of ${what} ${id}`, out);
    const ev = parseEventLogs({
      abi: MARKET_ABI,
      logs: out.logs,
      eventName: what === 'commitment' ? 'CommitmentCancelled' : 'OrderCancelled',
    })[0];
    const result = {
      ...(what === 'commitment' ? { commitment: true } : {}),
      id: id.toString(),
      released: (ev?.args.released ?? 0n).toString(),
      transaction: out.hash,
      blockNumber: out.blockNumber.toString(),
    };
    if (format === 'json') return printJson(result);
    process.stdout.write(
      `${renderTable([what, 'released $', 'block', 'transaction'], [[result.id, formatMicros(result.released), result.blockNumber, result.transaction]])}\n`,
    );
  });

  addContractsOption(
    addChainOptions(
      order
        .command('list')
        .description("an interval's orders (any status), optionally of one owner (gl_orders)")
        .requiredOption('--interval <k>', 'interval: a number, "next" or "last" (the latest cleared)')
        .option('--owner <address>', 'only this owner: a 0x address or a dev account name')
        .option('--dev-accounts <file>', 'dev-accounts.json to resolve an --owner name')
        .addHelpText('after', EXAMPLES),
      false,
    ),
  ).action(async (o: ListFlags) => {
    const format = parseFormat(o.format);
    const spec = parseIntervalFlag(o.interval, '--interval');
    const owner = o.owner === undefined ? undefined : resolveAddress(o.owner, '--owner', o.devAccounts);
    const conn = await ChainConnection.open(o.rpc, o.contracts);
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

/** Prints a sealed placement or reveal: JSON, or a table of the commitment and the revealed order. */
function printSealed(
  format: string,
  r: SealedResult & {
    owner: string;
    interval: string;
    bus: string;
    side: string;
    steps: readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[];
  },
): void {
  const result = {
    ...r,
    steps: r.steps.map((s) => ({
      energyWh: s.energyWh.toString(),
      priceMicrosPerMWh: s.priceMicrosPerMWh.toString(),
    })),
  };
  if (format === 'json') {
    printJson(result);
    return;
  }
  const rows: string[][] = [];
  if (r.commitment !== null) {
    rows.push([
      'commitment',
      r.commitment.id,
      formatMicros(r.commitment.deposit),
      r.commitment.blockNumber,
      r.commitment.transaction,
    ]);
  }
  if (r.id !== null) {
    rows.push(['order', r.id, formatMicros(r.escrow ?? '0'), r.blockNumber ?? '-', r.transaction ?? '-']);
  }
  process.stdout.write(
    `interval ${r.interval}, bus ${r.bus}, ${r.side}: ${r.steps.map(formatStep).join(', ')}\n${renderTable(
      ['', 'id', 'deposit / escrow $', 'block', 'transaction'],
      rows,
    )}\n${r.id === null ? `salt kept in ${r.stateFile}\n` : ''}`,
  );
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
