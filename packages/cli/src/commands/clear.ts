// `gridledger clear`: clears an order book on a MATPOWER network and settles it in integers. One-bus
// networks without generators or load take the fast single-bus auction; all others the DC-OPF clearing.
// Composes @gridledger/grid and @gridledger/market; holds no market logic.
import { formatMicros, GridledgerError } from '@gridledger/base';
import { loadMatpower, type Network } from '@gridledger/grid';
import {
  type ClearingResult,
  caseSettlementParties,
  checkOrdersAgainstNetwork,
  clearNetwork,
  clearSingleBus,
  loadOrders,
  type Settlement,
  type SettlementParty,
  settleClearing,
} from '@gridledger/market';
import type { Command } from 'commander';
import { fmt, log, type OutputFormat, parseFormat, printJson, renderTable, UsageError } from '../output.ts';
import { clearAc } from './clear-ac.ts';

interface ClearFlags {
  network: string;
  orders: string;
  format: string;
  intervalMinutes: string;
  model: string;
}

/** True when the network is a pure order book on one bus: the auction then gives the same clearing. */
function isSingleBusBook(network: Network): boolean {
  return (
    network.buses.length === 1 &&
    network.generators.every((g) => g.status <= 0) &&
    network.buses.every((b) => b.pdMw + b.gsMw === 0)
  );
}

function parseInterval(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--interval-minutes must be a positive whole number of minutes, got "${value}"`);
  }
  return Number(value);
}

/** Rows shown per table; the JSON output has everything. */
const TABLE_ROWS = 40;

function more(total: number, what: string): string[] {
  return total > TABLE_ROWS
    ? [`... and ${total - TABLE_ROWS} more ${what} (all of them with --format json)`]
    : [];
}

function printTable(result: ClearingResult, settlement: Settlement, method: string): void {
  const out: string[] = [];
  out.push(
    renderTable(
      [
        'status',
        'method',
        'welfare $/h',
        'congestion rent $/h',
        'interval min',
        'buyers pay $',
        'sellers receive $',
        'rent $',
      ],
      [
        [
          result.status,
          method,
          fmt(result.welfare, 4),
          fmt(result.congestionRent, 4),
          settlement.intervalMinutes,
          formatMicros(settlement.buyersPayMicros),
          formatMicros(settlement.sellersReceiveMicros),
          formatMicros(settlement.congestionRentMicros),
        ],
      ],
    ),
  );
  out.push(
    renderTable(
      ['bus', 'LMP $/MWh', 'low', 'high', 'energy', 'congestion'],
      result.buses
        .slice(0, TABLE_ROWS)
        .map((b) => [
          b.id,
          fmt(b.lmp, 4),
          fmt(b.lmpLow, 4),
          fmt(b.lmpHigh, 4),
          fmt(b.lmpEnergy, 4),
          fmt(b.lmpCongestion, 4),
        ]),
    ),
    ...more(result.buses.length, 'buses'),
  );
  const byId = new Map(settlement.parties.filter((p) => p.kind === 'order').map((p) => [p.id, p]));
  out.push(
    renderTable(
      ['order', 'bus', 'side', 'cleared MW', 'price $/MWh', 'energy Wh', 'pays / receives $'],
      result.orders.slice(0, TABLE_ROWS).map((o) => {
        const s = byId.get(o.id);
        return [
          o.id,
          o.bus,
          o.side,
          fmt(o.cleared, 4),
          fmt(o.price, 4),
          s ? String(s.energyWh) : '-',
          s ? formatMicros(s.amountMicros) : '-',
        ];
      }),
    ),
    ...more(result.orders.length, 'orders'),
  );
  const binding = result.branches.filter((b) => b.muFrom > 1e-9 || b.muTo > 1e-9);
  if (result.branches.length > 0) {
    out.push(
      `${result.branches.length} branches, ${binding.length} at their limit${binding.length > 0 ? ':' : ''}`,
    );
    if (binding.length > 0) {
      out.push(
        renderTable(
          ['branch', 'from', 'to', 'flow MW', 'muFrom', 'muTo'],
          binding
            .slice(0, TABLE_ROWS)
            .map((b) => [b.index, b.from, b.to, fmt(b.flowMw, 3), fmt(b.muFrom, 4), fmt(b.muTo, 4)]),
        ),
        ...more(binding.length, 'binding branches'),
      );
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function runClear(flags: ClearFlags): Promise<void> {
  const format: OutputFormat = parseFormat(flags.format);
  const intervalMinutes = parseInterval(flags.intervalMinutes);
  const network = await loadMatpower(flags.network);
  const orders = loadOrders(flags.orders);
  checkOrdersAgainstNetwork(
    orders,
    network.buses.map((b) => b.id),
  );
  if (flags.model !== 'dc' && flags.model !== 'ac') {
    throw new UsageError(`--model must be "dc" or "ac", got "${flags.model}"`);
  }
  let result: ClearingResult;
  let extraParties: SettlementParty[] = [];
  let method: string;
  let acExtra:
    | {
        lossesMw: number;
        iterations: number;
        buses: Record<string, number>[];
        surplusSplit: { energy: number; loss: number; congestion: number; voltage: number };
      }
    | undefined;
  const t0 = performance.now();
  if (flags.model === 'ac') {
    method = 'AC-OPF';
    log(
      `clear: ${network.name} has ${network.buses.length} buses: clearing with the AC-OPF (clearNetworkAc)`,
    );
    const { ac, view } = await clearAc(network, orders);
    result = view;
    extraParties = caseSettlementParties(network, ac.generatorsMw);
    acExtra = {
      lossesMw: ac.lossesMw,
      iterations: ac.iterations,
      surplusSplit: ac.surplusSplit,
      buses: ac.buses.map((b) => ({
        id: b.id,
        lmp: b.lmp,
        lmpEnergy: b.lmpEnergy,
        lmpLoss: b.lmpLoss,
        lmpCongestion: b.lmpCongestion,
        lmpVoltage: b.lmpVoltage,
        lmpQ: b.lmpQ,
        vm: b.vm,
      })),
    };
  } else if (isSingleBusBook(network)) {
    method = 'single-bus auction';
    log(
      `clear: ${network.name} is one bus without generators or load: using the single-bus auction (fast path)`,
    );
    result = clearSingleBus(orders, { bus: network.buses[0]!.id });
  } else {
    method = 'DC-OPF';
    log(`clear: ${network.name} has ${network.buses.length} buses: clearing with the DC-OPF (clearNetwork)`);
    const r = await clearNetwork(network, orders);
    result = r;
    extraParties = caseSettlementParties(network, r.generatorsMw);
  }
  log(`clear: ${orders.length} orders cleared in ${(performance.now() - t0).toFixed(1)} ms`);
  if (result.status !== 'optimal') {
    throw new GridledgerError(
      'E_NOT_CLEARED',
      `the market did not clear: ${result.status}${result.reason ? ` (${result.reason})` : ''}`,
      { details: `network ${flags.network}, orders ${flags.orders}` },
    );
  }
  const settlement = settleClearing(result, { intervalMinutes, extraParties });
  if (format === 'table') {
    printTable(result, settlement, method);
    return;
  }
  printJson({
    status: result.status,
    ...(acExtra ? { model: 'ac', lossesMw: acExtra.lossesMw, iterations: acExtra.iterations } : {}),
    welfare: result.welfare,
    buses: acExtra
      ? acExtra.buses
      : result.buses.map((b) => ({ id: b.id, lmp: b.lmp, lmpLow: b.lmpLow, lmpHigh: b.lmpHigh })),
    orders: result.orders.map((o) => ({
      id: o.id,
      bus: o.bus,
      side: o.side,
      cleared: o.cleared,
      price: o.price,
    })),
    branches: result.branches.map((b) => ({
      index: b.index,
      flowMw: b.flowMw,
      muFrom: b.muFrom,
      muTo: b.muTo,
    })),
    congestionRent: result.congestionRent,
    // AC: the rent is the merchandising surplus; its split by price component ($/h, docs/ac-opf.md).
    ...(acExtra
      ? {
          rentSplit: {
            losses: acExtra.surplusSplit.energy + acExtra.surplusSplit.loss,
            congestion: acExtra.surplusSplit.congestion,
            voltage: acExtra.surplusSplit.voltage,
          },
        }
      : {}),
    settlement: {
      intervalMinutes: settlement.intervalMinutes,
      energyUnit: 'Wh',
      moneyUnit: 'micro-USD',
      buyersPay: settlement.buyersPayMicros,
      sellersReceive: settlement.sellersReceiveMicros,
      congestionRent: settlement.congestionRentMicros,
      balanced: settlement.balanced,
      parties: settlement.parties.map((p) => ({
        id: p.id,
        kind: p.kind,
        bus: p.bus,
        side: p.side,
        energyWh: p.energyWh,
        priceMicrosPerMWh: p.priceMicrosPerMWh,
        amount: p.amountMicros,
      })),
    },
  });
}

/** Registers the `clear` command. */
export function registerClear(program: Command): void {
  program
    .command('clear')
    .description(
      'clear an order book on a network (DC-OPF, LMPs; single-bus auction on one bus) and settle it',
    )
    .requiredOption('--network <case.m>', 'MATPOWER case file (format version 2)')
    .requiredOption(
      '--orders <file>',
      'order book: .json {"orders":[{id,bus,side,steps:[{price,quantity}]}]} or .csv id,bus,side,price,quantity',
    )
    .option('--format <format>', 'output: table or json', 'table')
    .option('--interval-minutes <n>', 'length of the market interval for settlement, minutes', '60')
    .option('--model <model>', 'dc (DC-OPF, default) or ac (AC-OPF with losses and voltage limits)', 'dc')
    .addHelpText(
      'after',
      `
Prices are $/MWh, quantities MW over the interval. The case's generators take part as offers at their
cost curves and its loads as fixed demand. Settlement amounts are integers: energy in Wh, money in
micro-dollars (JSON strings). Rules: docs/market-rules.md.

Examples:
  gridledger clear --network case9_congested.m --orders orders.csv
  gridledger clear --network book.m --orders orders.json --format json --interval-minutes 15`,
    )
    .action(async (flags: ClearFlags) => {
      await runClear(flags);
    });
}
