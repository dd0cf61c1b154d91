// `gridledger start --chain anvil | rpc`: the platform on an EVM chain (docs/evm.md "On an EVM chain").
// With anvil: a local anvil node as a child process on a free port, the market's contracts deployed on it
// for the scenario (deployPlatform), then interval mining (a block a second: the market's clock is
// block.timestamp); the chain is saved in `<dir>/evm/anvil-state.json` and the next start on that
// directory resumes it (same flags required; --reset starts a new one). With rpc: an existing deployment (--contracts addresses.json) on any endpoint (--rpc),
// the deployer's key from --key-file. Then, on both: the clearing operator (runOperator), the scenario's
// devices (runScenarioOnEvm) and the dashboard reading the market through the contracts' views
// (evmContracts). One line per settled interval, as `start` prints on gridledger's own chain. Ctrl-C
// stops the simulator, the operator, the dashboard and anvil, in that order.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GridledgerError, InputError } from '@gridledger/base';
import { startDashboard } from '@gridledger/dashboard';
import {
  type Anvil,
  deployPlatform,
  devAccount,
  type EvmAddresses,
  type EvmClients,
  evmClients,
  runOperator,
  startAnvil,
} from '@gridledger/evm';
import {
  DEFAULT_SCENARIO_PATH,
  EVM_DEVICES_PER_SECOND,
  evmDeployConfig,
  type IntervalReport,
  loadScenario,
  pacedForEvm,
  runScenarioOnEvm,
  type Scenario,
  withDevices,
} from '@gridledger/simulator';
import { pino } from 'pino';
import type { LocalAccount } from 'viem/accounts';
import { readEvmAddresses, resolveSigner } from '../chain-client.ts';
import { log, UsageError } from '../output.ts';

/** The flags `start` takes on an EVM chain. */
export interface EvmStartFlags {
  chain: 'anvil' | 'rpc';
  dir: string;
  reset?: boolean;
  scenario?: string;
  devices?: number;
  port: number;
  rpc?: string;
  contracts?: string;
  keyFile?: string;
  /** With rpc: the operator's key (another account than the deployer's); absent: no operator runs here. */
  operatorKeyFile?: string;
}

/** A running platform on an EVM chain (what {@link startOnEvm} returns). */
export interface EvmPlatform {
  rpcUrl: string;
  dashboardUrl: string;
  addresses: EvmAddresses;
  /** Resolves when the platform has stopped (after `stop()` or a failure of a part). */
  stopped: Promise<void>;
  /** Stops the simulator, the operator, the dashboard and anvil; resolves when all have. */
  stop(why?: string): Promise<void>;
}

/** anvil's saved chain, in `<dir>/evm`. */
const STATE_FILE = 'anvil-state.json';
/** The flags the saved chain was started with, in `<dir>/evm`. */
const RUN_FILE = 'run.json';

/** What a resumed `start --chain anvil` must be given again: the scenario file and the device count. */
interface SavedRun {
  scenario: string;
  devices: number | null;
}

function readSavedRun(file: string): SavedRun | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedRun>;
    if (typeof j.scenario !== 'string' || !(j.devices === null || typeof j.devices === 'number'))
      return undefined;
    return { scenario: j.scenario, devices: j.devices };
  } catch {
    return undefined;
  }
}

/**
 * Starts the platform on an EVM chain and returns once the dashboard listens and the devices are set up
 * to order; `log` gets the progress and the settled intervals' lines.
 * @throws UsageError / InputError for bad flags, a missing or wrong addresses.json or an unreachable node.
 */
export async function startOnEvm(
  o: EvmStartFlags,
  intervalLine: (r: IntervalReport) => string,
): Promise<EvmPlatform> {
  if (o.chain === 'rpc' && (o.rpc === undefined || o.contracts === undefined || o.keyFile === undefined))
    throw new UsageError(
      'start --chain rpc needs --rpc URL, --contracts FILE (addresses.json) and --key-file F (the deployer key)',
    );
  if (o.chain === 'anvil' && (o.rpc !== undefined || o.contracts !== undefined))
    throw new UsageError(
      'start --chain anvil starts its own node and deployment: leave out --rpc and --contracts',
    );
  const dir = resolve(o.dir, 'evm');
  if (o.reset) {
    rmSync(dir, { recursive: true, force: true });
    log(`start: --reset: removed ${dir}`);
  }
  mkdirSync(dir, { recursive: true });
  // anvil keeps its chain in `evm/anvil-state.json` (written every few seconds and at the stop); with the
  // deployment's addresses.json and run.json (the flags it was started with) beside it, the next start
  // resumes that chain instead of deploying afresh.
  const statePath = join(dir, STATE_FILE);
  const run: SavedRun = {
    scenario: resolve(o.scenario ?? DEFAULT_SCENARIO_PATH),
    devices: o.devices ?? null,
  };
  let resume = false;
  if (o.chain === 'anvil' && existsSync(statePath)) {
    const saved = readSavedRun(join(dir, RUN_FILE));
    if (saved === undefined || !existsSync(join(dir, 'addresses.json'))) {
      log(`start: ${statePath} has no finished deployment beside it: starting a new chain`);
      rmSync(statePath, { force: true });
    } else if (saved.scenario !== run.scenario || saved.devices !== run.devices)
      throw new UsageError(
        `start: ${dir} holds a chain started with --scenario ${saved.scenario}${saved.devices === null ? '' : ` --devices ${saved.devices}`}: pass the same flags to resume it, or --reset to start a new one`,
      );
    else resume = true;
  }
  const loaded = await loadScenario(resolve(o.scenario ?? DEFAULT_SCENARIO_PATH));
  const sized: Scenario = o.devices === undefined ? loaded : withDevices(loaded, o.devices);
  // EVM deployments price DC (the contracts check the DC certificate; docs/evm.md): a scenario priced AC,
  // such as the default one, runs priced DC there, and says so.
  const dcSized: Scenario = sized.pricing === 'dc' ? sized : { ...sized, pricing: 'dc' };
  if (dcSized !== sized)
    log(
      `start: ${sized.source} is priced ${sized.pricing}; an EVM chain prices DC (the contracts check the DC-OPF certificate), so this run clears with DC prices`,
    );
  const scenario = pacedForEvm(dcSized);
  if (scenario !== dcSized)
    log(
      `start: one ${scenario.intervalMinutes}-minute interval every ${scenario.wallSecondsPerInterval} s of wall time instead of ${dcSized.wallSecondsPerInterval} s, so that the devices keep up on an EVM chain (at most ${EVM_DEVICES_PER_SECOND} devices per second)`,
    );

  const ac = new AbortController();
  let anvil: Anvil | undefined;
  let dashboard: Awaited<ReturnType<typeof startDashboard>> | undefined;
  const parts: Promise<unknown>[] = [];
  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  const stop = (why?: string) =>
    (stopping ??= (async () => {
      if (why)
        log(`start: ${why}: stopping the simulator, the operator, the dashboard${anvil ? ' and anvil' : ''}`);
      ac.abort();
      await Promise.allSettled(parts);
      await dashboard?.close();
      await anvil?.close();
      if (why !== undefined || dashboard !== undefined) log('start: stopped');
      resolveStopped();
    })());
  try {
    let url: string;
    let deployer: LocalAccount;
    let operator: LocalAccount | undefined;
    let addresses: EvmAddresses;
    if (o.chain === 'anvil') {
      // anvil's default block gas limit, 30 M as a public network's: the clearing and the settlement go in
      // chunks sized to the block, the setup in block-sized batches (docs/evm.md)
      anvil = await startAnvil({ statePath });
      url = anvil.url;
      deployer = devAccount(0);
      operator = devAccount(1);
      const clients = await evmClients(url, deployer, { pollingIntervalMs: 250 });
      const block = await clients.public.getBlock({ blockTag: 'latest' });
      if (resume) {
        addresses = readEvmAddresses(join(dir, 'addresses.json'));
        const code = await clients.public.getCode({ address: addresses.market });
        if (code === undefined || code === '0x')
          throw new InputError(
            `start: the chain saved in ${statePath} has no market contract at ${addresses.market} (addresses.json): run with --reset to start a new one`,
          );
        log(
          `start: resuming the chain saved in ${statePath} at block ${block.number} (contracts in ${join(dir, 'addresses.json')}; --reset starts a new one)`,
        );
      } else {
        if (existsSync(join(dir, 'addresses.json')))
          log(
            'start: no saved chain in this directory: deploying afresh (the previous addresses.json is replaced)',
          );
        log(`start: deploying the market's contracts on anvil ${url} for "${scenario.name}"`);
        const cfg = evmDeployConfig(scenario, deployer.address, block.timestamp * 1000n);
        addresses = (await deployPlatform(clients, cfg)).addresses;
        writeFileSync(join(dir, 'addresses.json'), `${JSON.stringify(addresses, null, 2)}\n`);
        writeFileSync(join(dir, RUN_FILE), `${JSON.stringify(run, null, 2)}\n`);
      }
      // From now on a block every second, transactions or not: the market's clock is block.timestamp.
      await clients.public.request({ method: 'evm_setIntervalMining' as never, params: [1] as never });
    } else {
      url = o.rpc!;
      addresses = readEvmAddresses(o.contracts!);
      deployer = resolveSigner({ rpc: url, format: 'table', keyFile: o.keyFile! }, 'start --chain rpc');
      if (o.operatorKeyFile !== undefined) {
        operator = resolveSigner(
          { rpc: url, format: 'table', keyFile: o.operatorKeyFile },
          'start --chain rpc',
        );
        if (operator.address.toLowerCase() === deployer.address.toLowerCase())
          throw new UsageError(
            '--operator-key-file must be another account than --key-file (each sends its own transactions)',
          );
      } else
        log(
          'start: no --operator-key-file: nothing clears here (run `gridledger operator` with another key)',
        );
    }
    let operatorClients: EvmClients | undefined;
    try {
      if (operator !== undefined)
        operatorClients = await evmClients(url, operator, {
          pollingIntervalMs: o.chain === 'anvil' ? 250 : 1000,
        });
      else await evmClients(url, deployer);
    } catch (e) {
      throw new InputError(`cannot reach ${url}: ${(e as Error).message.split('\n')[0]}`);
    }
    dashboard = await startDashboard({
      rpcUrls: [url],
      port: o.port,
      logger: pino({ level: 'warn', base: { component: 'dashboard' } }, pino.destination(2)),
      addressesPath: o.chain === 'anvil' ? join(dir, 'addresses.json') : resolve(o.contracts!),
      evmContracts: addresses,
    });
    process.stdout.write(
      `gridledger is running on ${o.chain === 'anvil' ? 'anvil' : url}: ${scenario.name}\n` +
        `  dashboard   ${dashboard.url}\n` +
        `  JSON-RPC    ${url}${o.chain === 'anvil' ? '  (anvil: HTTP and WebSocket; viem, ethers and cast work)' : ''}\n` +
        `  contracts   ${o.chain === 'anvil' ? join(dir, 'addresses.json') : resolve(o.contracts!)}\n` +
        (o.chain === 'anvil'
          ? "  dev keys    anvil's mnemonic: 'test test ... junk' (account 0 deploys, account 1 clears; DEVELOPMENT ONLY)\n"
          : '') +
        'Ctrl-C stops everything.\n',
    );
    const failed = (what: string) => (err: unknown) => {
      if (ac.signal.aborted) return;
      log(`start: the ${what} stopped: ${err instanceof Error ? err.message : String(err)}`);
      void stop(`the ${what} failed`);
    };
    if (operatorClients !== undefined)
      parts.push(
        runOperator(operatorClients, {
          contracts: addresses,
          // The second settlement's real-time prices (every deployment's).
          realtime: { book: addresses.realtimeBook, verifier: addresses.realtimeVerifier },
          // The digital twin's metered flows (a deployment before it has none).
          ...(addresses.digitalTwin === undefined ? {} : { twin: addresses.digitalTwin }),
          pollMs: 500,
          signal: ac.signal,
          onOutcome: (r) => {
            if (r.kind === 'error') log(`operator: interval ${r.interval} NOT cleared: ${r.reason}`);
          },
        }).catch(failed('operator')),
      );
    parts.push(
      runScenarioOnEvm({
        rpcUrl: url,
        contracts: addresses,
        scenario,
        deployer,
        signal: ac.signal,
        onInterval: (r) => {
          log(intervalLine(r));
          // The market's invariants, checked on the contracts as the native simulator checks the modules.
          for (const f of r.invariantFailures) log(`simulator: invariant broken: ${f}`);
        },
        onEvent: (e) => {
          if (e.type === 'setup') log(`simulator: setup ${e.step}${e.detail ? `: ${e.detail}` : ''}`);
          else if (e.type === 'warning') log(`simulator: ${e.message}`);
        },
      }).catch(failed('simulator')),
    );
    return { rpcUrl: url, dashboardUrl: dashboard.url, addresses, stopped, stop };
  } catch (err) {
    await stop();
    throw err instanceof GridledgerError || err instanceof UsageError
      ? err
      : new GridledgerError('E_START', `start: ${(err as Error).message}`);
  }
}
