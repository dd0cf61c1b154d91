// `gridledger grid register|line|tariff`: the grid operator's transactions on a running chain. register
// reads a MATPOWER case (or a network JSON file) and registers its buses and branches (generators and
// loads dropped; RATE_A = 0 stays unlimited); line overrides one branch's limit (kW; 0 closes it) or its
// status (in or out of service); tariff schedules the upstream's import and export prices by time of day
// (applied after the chain's notice period). Each signs with the grid operator's key, is refused before
// sending when the chain would revert (with the chain's reason), and prints what it did.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatMicros, InputError } from '@gridledger/base';
import {
  MAX_NETWORK_JSON_BYTES,
  MAX_TARIFF_PERIODS,
  type NetworkJson,
  networkToJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  TARIFFS_ABI,
  TARIFFS_ADDRESS,
} from '@gridledger/energy';
import { MarketAbi } from '@gridledger/evm';
import type { Command } from 'commander';
import { parseEventLogs } from 'viem';
import {
  addChainOptions,
  addContractsOption,
  ChainConnection,
  type ChainFlags,
  rejected,
  resolveSigner,
  sendCall,
} from '../chain-client.ts';
import { parseDollarsToMicros, parseUintFlag } from '../market-units.ts';
import { parseFormat, printJson, renderTable, UsageError } from '../output.ts';

const EXAMPLES = `
Signed with the grid operator's key (GRID_OPERATOR_ROLE). Limits and status apply from the next gate on;
a tariff applies to intervals whose gate is at least the chain's notice (upstream.tariffLeadMs) after it
(docs/market-rules.md §10a).

Examples:
  gridledger grid register --case ../shared/grid-cases/case9_congested.m --account grid-operator
  gridledger grid line --branch 3 --limit-kw 2500 --account grid-operator
  gridledger grid line --branch 3 --limit-kw 0 --account grid-operator      # the line carries nothing
  gridledger grid line --branch 3 --out-of-service --account grid-operator  # removed from the network
  gridledger grid line --branch 3 --in-service --account grid-operator
  gridledger grid line --branch 3 --clear-limit --account grid-operator     # back to the case's limit
  gridledger grid tariff --from 00:00,07:00,22:00 --import 80,120,80 --export 5,10,5 --account grid-operator`;

type RegisterFlags = ChainFlags & { case: string };
type LineFlags = ChainFlags & {
  branch: string;
  limitKw?: string;
  clearLimit?: boolean;
  outOfService?: boolean;
  inService?: boolean;
  registeredStatus?: boolean;
};
type TariffFlags = ChainFlags & { from: string; import: string; export: string };

/** Reads a network file: a MATPOWER case (.m) or the registry's JSON form (.json). */
async function readNetwork(path: string): Promise<NetworkJson> {
  const file = resolve(path);
  if (!existsSync(file)) throw new InputError(`--case: no file at ${file}`);
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as NetworkJson;
    } catch (err) {
      throw new InputError(`--case: ${file} is not valid JSON (${(err as Error).message})`);
    }
  }
  const { loadMatpower } = await import('@gridledger/grid');
  return networkToJson(await loadMatpower(file));
}

/**
 * A power in kW (up to 3 decimals) as whole W.
 * @example parseKwToW('2.5', '--limit-kw') === 2500n
 */
export function parseKwToW(text: string, flag: string): bigint {
  const m = /^(\d{1,15})(?:\.(\d{1,3}))?$/.exec(text);
  if (m === null)
    throw new InputError(
      `${flag}: expected kW such as 2500 or 0.5 (at most 3 decimals, not negative), got "${text}"`,
    );
  return BigInt(m[1]!) * 1000n + BigInt((m[2] ?? '').padEnd(3, '0'));
}

/**
 * A time of day `HH:MM` as minutes after midnight.
 * @example parseTimeOfDay('07:30', '--from') === 450
 */
export function parseTimeOfDay(text: string, flag: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (m === null || Number(m[1]) > 23 || Number(m[2]) > 59)
    throw new InputError(`${flag}: expected a time of day HH:MM (00:00..23:59), got "${text}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const list = (text: string) => text.split(',').map((x) => x.trim());
const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** Registers `grid register|line|tariff`. */
export function registerGrid(program: Command): void {
  const grid = program
    .command('grid')
    .description(
      "the grid operator's network, line limits and status, and upstream tariffs on a running chain",
    )
    .addHelpText('after', EXAMPLES);

  addChainOptions(
    grid
      .command('register')
      .description(
        'register the network of a MATPOWER case (.m) or network JSON file (replaces any earlier one)',
      )
      .requiredOption('--case <file>', 'MATPOWER case (.m) or network JSON (.json)')
      .addHelpText('after', EXAMPLES),
    true,
  ).action(async (o: RegisterFlags) => {
    const format = parseFormat(o.format);
    const account = resolveSigner(o, 'grid register');
    const network = await readNetwork(o.case);
    const text = JSON.stringify(network);
    if (text.length > MAX_NETWORK_JSON_BYTES)
      throw new InputError(
        `--case: the network is ${text.length} bytes as JSON, the registry takes at most ${MAX_NETWORK_JSON_BYTES}`,
        { details: 'register a smaller network (fewer buses and branches)' },
      );
    const conn = await ChainConnection.open(o.rpc);
    const out = await sendCall(conn, account, {
      to: REGISTRY_ADDRESS,
      abi: REGISTRY_ABI,
      functionName: 'registerNetwork',
      args: [text],
    });
    if (!out.ok) throw rejected(`network ${network.name ?? ''}`.trim(), out);
    const ev = parseEventLogs({ abi: REGISTRY_ABI, logs: out.logs, eventName: 'NetworkRegistered' })[0];
    const result = {
      name: network.name,
      version: ev?.args.version.toString() ?? null,
      buses: network.buses.length,
      branches: network.branches.length,
      transaction: out.hash,
      blockNumber: out.blockNumber.toString(),
    };
    if (format === 'json') return printJson(result);
    process.stdout.write(
      `${renderTable(
        ['network', 'version', 'buses', 'branches', 'block'],
        [[result.name, result.version ?? '-', result.buses, result.branches, result.blockNumber]],
      )}\n`,
    );
  });

  addChainOptions(
    grid
      .command('line')
      .description(
        "set one branch's limit (kW, 0 = carries nothing) or status (in or out of service), or clear either override",
      )
      .requiredOption('--branch <k>', 'branch number (1-based row of the case)')
      .option('--limit-kw <kW>', 'limit in both directions, kW (0 closes the line)')
      .option('--clear-limit', "back to the registered case's limit")
      .option('--out-of-service', 'take the branch out of the network')
      .option('--in-service', 'put the branch in service')
      .option('--registered-status', "back to the registered case's status")
      .addHelpText('after', EXAMPLES),
    true,
  ).action(async (o: LineFlags) => {
    const format = parseFormat(o.format);
    const branch = parseUintFlag(o.branch, '--branch', 2n ** 32n);
    const chosen = [
      o.limitKw !== undefined && '--limit-kw',
      o.clearLimit && '--clear-limit',
      o.outOfService && '--out-of-service',
      o.inService && '--in-service',
      o.registeredStatus && '--registered-status',
    ].filter((x): x is string => typeof x === 'string');
    if (chosen.length !== 1)
      throw new UsageError(
        `give exactly one of --limit-kw X, --clear-limit, --out-of-service, --in-service, --registered-status${
          chosen.length > 1 ? ` (got ${chosen.join(', ')})` : ''
        }`,
      );
    const limitW = o.limitKw === undefined ? undefined : parseKwToW(o.limitKw, '--limit-kw');
    const account = resolveSigner(o, 'grid line');
    const conn = await ChainConnection.open(o.rpc);
    const call =
      limitW !== undefined
        ? { functionName: 'setLineLimit', args: [branch, limitW] }
        : o.clearLimit
          ? { functionName: 'clearLineLimit', args: [branch] }
          : o.registeredStatus
            ? { functionName: 'clearLineStatus', args: [branch] }
            : { functionName: 'setLineStatus', args: [branch, o.inService === true] };
    const out = await sendCall(conn, account, { to: REGISTRY_ADDRESS, abi: REGISTRY_ABI, ...call });
    if (!out.ok) throw rejected(`branch ${branch}`, out);
    const [overridden, w] = await conn.client.readContract({
      address: REGISTRY_ADDRESS,
      abi: REGISTRY_ABI,
      functionName: 'lineLimit',
      args: [branch],
    });
    const [inService, statusOverridden] = await conn.client.readContract({
      address: REGISTRY_ADDRESS,
      abi: REGISTRY_ABI,
      functionName: 'lineStatus',
      args: [branch],
    });
    const result = {
      branch: branch.toString(),
      limitW: overridden ? w.toString() : null,
      inService,
      statusOverridden,
      transaction: out.hash,
      blockNumber: out.blockNumber.toString(),
    };
    if (format === 'json') return printJson(result);
    process.stdout.write(
      `${renderTable(
        ['branch', 'limit', 'status', 'block'],
        [
          [
            result.branch,
            overridden ? `${w} W (override)` : "case's",
            `${inService ? 'in service' : 'out of service'}${statusOverridden ? ' (override)' : ''}`,
            result.blockNumber,
          ],
        ],
      )}\n`,
    );
  });

  addChainOptions(
    addContractsOption(grid.command('tariff'))
      .description(
        "schedule the upstream's import and export prices by time of day (applies after the chain's notice period)",
      )
      .requiredOption(
        '--from <times>',
        'period starts, HH:MM comma-separated, the first 00:00 (market time, UTC)',
      )
      .requiredOption('--import <prices>', 'import price of each period, $/MWh, comma-separated')
      .requiredOption(
        '--export <prices>',
        'export price of each period, $/MWh, comma-separated (below import)',
      )
      .addHelpText('after', EXAMPLES),
    true,
  ).action(async (o: TariffFlags) => {
    const format = parseFormat(o.format);
    const from = list(o.from).map((t) => parseTimeOfDay(t, '--from'));
    const imp = list(o.import).map((p, i) => parseDollarsToMicros(p, `--import ${i + 1}`));
    const exp = list(o.export).map((p, i) => parseDollarsToMicros(p, `--export ${i + 1}`));
    if (imp.length !== from.length || exp.length !== from.length)
      throw new InputError(
        `--from, --import and --export must list as many values, got ${from.length}, ${imp.length}, ${exp.length}`,
      );
    if (from.length > MAX_TARIFF_PERIODS)
      throw new InputError(`--from: at most ${MAX_TARIFF_PERIODS} periods, got ${from.length}`);
    if (from[0] !== 0)
      throw new InputError(`--from: the first period must start at 00:00, got ${o.from.split(',')[0]}`);
    for (let i = 1; i < from.length; i++)
      if (from[i]! <= from[i - 1]!)
        throw new InputError(`--from: expected increasing times, got "${o.from}"`);
    for (let i = 0; i < from.length; i++)
      if (exp[i]! >= imp[i]!)
        throw new InputError(
          `period ${i + 1} (${hhmm(from[i]!)}): the export price must be below the import price`,
        );
    const account = resolveSigner(o, 'grid tariff');
    const conn = await ChainConnection.open(o.rpc, o.contracts);
    // On an EVM chain the market names its Tariffs contract (same ABI and event as the native module).
    const to =
      conn.evm === undefined
        ? TARIFFS_ADDRESS
        : await conn.client.readContract({
            address: conn.evm.market,
            abi: MarketAbi,
            functionName: 'tariffs',
          });
    const out = await sendCall(conn, account, {
      to,
      abi: TARIFFS_ABI,
      functionName: 'setTariff',
      args: [from.map(BigInt), imp, exp],
    });
    if (!out.ok) throw rejected('tariff', out);
    const ev = parseEventLogs({ abi: TARIFFS_ABI, logs: out.logs, eventName: 'TariffScheduled' })[0];
    const periods = from.map((m, i) => ({
      from: hhmm(m),
      importPriceMicrosPerMWh: imp[i]!.toString(),
      exportPriceMicrosPerMWh: exp[i]!.toString(),
    }));
    const result = {
      version: ev?.args.version.toString() ?? null,
      fromInterval: ev?.args.fromInterval.toString() ?? null,
      periods,
      transaction: out.hash,
      blockNumber: out.blockNumber.toString(),
    };
    if (format === 'json') return printJson(result);
    process.stdout.write(
      `tariff version ${result.version} applies from interval ${result.fromInterval}\n${renderTable(
        ['from', 'import $/MWh', 'export $/MWh'],
        from.map((m, i) => [hhmm(m), formatMicros(imp[i]!), formatMicros(exp[i]!)]),
      )}\n`,
    );
  });
}
