// `gridledger start` (`npm start`): the platform on its embedded default, on one machine: a 4-validator
// network as separate processes whose genesis holds the scenario's market and device accounts, the
// device simulator (runScenario: every device bids each interval, meters report after it) and the live
// dashboard, whose URL it prints. The data folder keeps the chain and the scenario it was made for: a
// second start resumes both; --reset starts fresh. Ctrl-C stops the simulator, the dashboard and every
// validator, in that order.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GridledgerError } from '@gridledger/base';
import { startDashboard } from '@gridledger/dashboard';
import { DEFAULT_CHAIN_ID, initDevNetwork, isEmptyDir, loadGenesis } from '@gridledger/node';
import {
  DEFAULT_SCENARIO_PATH,
  type IntervalReport,
  loadScenario,
  pacedForChain,
  pacingNote,
  runScenario,
  type Scenario,
  scenarioGenesis,
  withDevices,
  withPacing,
} from '@gridledger/simulator';
import type { Command } from 'commander';
import { pino } from 'pino';
import { log, UsageError } from '../output.ts';
import { Validators, validatorHomes } from '../validators.ts';
import { parseIntFlag } from './init.ts';

/** What the data folder remembers of the scenario it was made for (DIR/testnet/scenario.json). */
interface ScenarioRecord {
  path: string;
  devices: number;
  /** The pacing the chain's genesis clock was made with (older records: the scenario's own). */
  wallSecondsPerInterval?: number;
}

interface StartFlags {
  dir: string;
  reset?: boolean;
  scenario?: string;
  devices?: string;
  port: string;
  basePort: string;
  chain: string;
  rpc?: string;
  contracts?: string;
  keyFile?: string;
  operatorKeyFile?: string;
}

/** Registers the `start` command. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description(
      'run the platform: 4 validator processes, the device simulator on the default scenario, and the dashboard',
    )
    .option(
      '--dir <dir>',
      'data folder (the chain and its scenario; resumed on the next start)',
      '.gridledger',
    )
    .option('--reset', 'wipe the data folder and start a fresh chain')
    .option('--scenario <file>', 'scenario file, JSON or YAML (default: the built-in community feeder)')
    .option('--devices <n>', "scale the scenario's number of prosumers")
    .option('--port <p>', 'dashboard port on 127.0.0.1', '8080')
    .option(
      '--base-port <p>',
      'first port when the chain is created (node k: p2p P+2k, JSON-RPC P+2k+1)',
      '26600',
    )
    .option(
      '--chain <chain>',
      "gridledger (its own 4-validator chain), anvil (a local EVM node, the market's Solidity contracts) or rpc (a deployment on another EVM endpoint)",
      'gridledger',
    )
    .option('--rpc <url>', 'with --chain rpc: the EVM JSON-RPC endpoint')
    .option('--contracts <file>', 'with --chain rpc: the addresses.json of `gridledger deploy`')
    .option(
      '--key-file <file>',
      "with --chain rpc: the deployer's key (registers the devices, mints test cash)",
    )
    .option('--operator-key-file <file>', "with --chain rpc: the clearing operator's key (another account)")
    .addHelpText(
      'after',
      '\nExamples:\n  gridledger start                     # http://127.0.0.1:8080\n  gridledger start --reset --devices 500\n  gridledger start --scenario my-feeder.yaml --port 9000\n  gridledger start --chain anvil --devices 20   # on a local EVM node (docs/evm.md)',
    )
    .action(async (o: StartFlags) => {
      const port = parseIntFlag('--port', o.port, 0, 65535);
      const basePort = parseIntFlag('--base-port', o.basePort, 1, 65535);
      const devicesFlag =
        o.devices === undefined ? undefined : parseIntFlag('--devices', o.devices, 1, 100_000);
      if (o.chain === 'anvil' || o.chain === 'rpc') {
        const { startOnEvm } = await import('./start-evm.ts');
        const platform = await startOnEvm(
          {
            chain: o.chain,
            dir: o.dir,
            port,
            ...(o.reset ? { reset: true } : {}),
            ...(o.scenario === undefined ? {} : { scenario: o.scenario }),
            ...(devicesFlag === undefined ? {} : { devices: devicesFlag }),
            ...(o.rpc === undefined ? {} : { rpc: o.rpc }),
            ...(o.contracts === undefined ? {} : { contracts: o.contracts }),
            ...(o.keyFile === undefined ? {} : { keyFile: o.keyFile }),
            ...(o.operatorKeyFile === undefined ? {} : { operatorKeyFile: o.operatorKeyFile }),
          },
          intervalLine,
        );
        // anvil runs in its own process group (a terminal's Ctrl-C does not reach it): the first signal
        // stops everything in order; a second one exits at once, and the exit handler still kills anvil.
        let signals = 0;
        const onSignal = (sig: NodeJS.Signals) => {
          if (++signals > 1) {
            log(`start: ${sig} again: exiting now`);
            process.exit(130);
          }
          void platform.stop(sig);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        await platform.stopped;
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        return;
      }
      if (o.chain !== 'gridledger')
        throw new UsageError(`--chain: expected gridledger, anvil or rpc, got "${o.chain}"`);
      if ([o.rpc, o.contracts, o.keyFile, o.operatorKeyFile].some((x) => x !== undefined))
        throw new UsageError('--rpc, --contracts, --key-file and --operator-key-file go with --chain rpc');
      const dir = resolve(o.dir, 'testnet');
      if (o.reset) {
        rmSync(dir, { recursive: true, force: true });
        log(`start: --reset: removed ${dir}`);
      }
      const recordPath = join(dir, 'scenario.json');
      let scenario: Scenario;
      if (isEmptyDir(dir)) {
        const path = resolve(o.scenario ?? DEFAULT_SCENARIO_PATH);
        const loaded = await loadScenario(path);
        scenario = devicesFlag === undefined ? loaded : withDevices(loaded, devicesFlag);
        const paced = pacedForChain(scenario);
        if (paced !== scenario) log(`start: ${pacingNote(scenario, paced)}`);
        scenario = paced;
        const genesisTime = new Date();
        const g = scenarioGenesis(scenario, {
          genesisTimeMs: BigInt(genesisTime.getTime()),
        });
        mkdirSync(dir, { recursive: true });
        initDevNetwork({
          validators: scenario.validators,
          outDir: dir,
          chainId: DEFAULT_CHAIN_ID,
          basePort,
          genesisTime,
          energy: g.energy,
          extraAccounts: g.extraAccounts,
          logLevel: 'warn',
          mempool: { maxTxs: Math.max(10_000, 3 * g.devices.length) },
        });
        const record: ScenarioRecord = {
          path,
          devices: g.devices.length,
          wallSecondsPerInterval: scenario.wallSecondsPerInterval,
        };
        writeFileSync(recordPath, `${JSON.stringify(record, null, 2)}\n`);
        log(`start: new chain for "${scenario.name}" (${g.devices.length} devices) in ${dir}`);
      } else {
        if (!existsSync(recordPath)) {
          throw new UsageError(
            `${dir} holds a chain made without a scenario (an older layout or \`testnet --dev\`): run \`gridledger start --reset\``,
          );
        }
        const record = JSON.parse(readFileSync(recordPath, 'utf8')) as ScenarioRecord;
        if (o.scenario !== undefined && resolve(o.scenario) !== record.path)
          throw new UsageError(
            `${dir} was made for ${record.path}: add --reset to start fresh with ${o.scenario}`,
          );
        if (devicesFlag !== undefined && devicesFlag !== record.devices)
          throw new UsageError(`${dir} was made for ${record.devices} devices: add --reset to change it`);
        scenario = withDevices(await loadScenario(record.path), record.devices);
        // The genesis clock's speed is fixed: resume at the pacing the chain was made with.
        scenario = withPacing(scenario, record.wallSecondsPerInterval ?? scenario.wallSecondsPerInterval);
        log(`start: resuming "${scenario.name}" (${record.devices} devices) from ${dir}`);
      }
      if (validatorHomes(dir).length === 0)
        throw new UsageError(`${dir} holds no validator homes: use --reset`);
      // A chain made before genesis carried its Ethereum chain id cannot be resumed.
      try {
        loadGenesis(join(dir, 'genesis.json'));
      } catch (err) {
        throw new UsageError(`${(err as Error).message}: run \`gridledger start --reset\``);
      }

      const validators = Validators.start(dir);
      const ac = new AbortController();
      let stopping = false;
      const stopped = new Promise<void>((resolveStopped) => {
        const stop = (why: string) => {
          if (stopping) return;
          stopping = true;
          log(
            `start: ${why}: stopping the simulator, the dashboard and ${validators.children.length} validators`,
          );
          ac.abort();
          resolveStopped();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
        for (const c of validators.children)
          void c.exited.then((code) => {
            if (!stopping) {
              log(`start: ${c.name} exited with code ${code} (see ${join(dir, c.name, 'node.log')})`);
              stop('a validator stopped');
            }
          });
      });
      let dashboard: Awaited<ReturnType<typeof startDashboard>> | undefined;
      let simulation: Promise<unknown> | undefined;
      try {
        await validators.waitUntilProducing(120_000);
        dashboard = await startDashboard({
          rpcUrls: validators.rpcUrls,
          port,
          logger: pino({ level: 'warn', base: { component: 'dashboard' } }, pino.destination(2)),
          devAccountsPath: join(dir, 'dev-accounts.json'),
          addressesPath: join(dir, 'addresses.json'),
        });
        process.stdout.write(
          `gridledger is running: ${scenario.name}\n` +
            `  dashboard   ${dashboard.url}\n` +
            `  JSON-RPC    ${validators.rpcUrls.join('  ')}  (HTTP and WebSocket; viem and ethers work)\n` +
            `  dev keys    ${join(dir, 'dev-accounts.json')} (DEVELOPMENT ONLY)\n` +
            `  data        ${dir} (resumed next time; --reset starts fresh)\n` +
            'Ctrl-C stops everything.\n',
        );
        const dev = JSON.parse(readFileSync(join(dir, 'dev-accounts.json'), 'utf8')) as {
          accounts: { role: string; address: `0x${string}`; privateKey: `0x${string}` }[];
        };
        const keyOf = (role: string) => dev.accounts.find((a) => a.role === role)!.privateKey;
        simulation = runScenario({
          rpcUrls: validators.rpcUrls,
          scenario,
          keys: { admin: keyOf('admin'), gridOperator: keyOf('grid-operator'), submitter: keyOf('meter') },
          signal: ac.signal,
          knownAccounts: dev.accounts.map((a) => a.address),
          onInterval: (r) => log(intervalLine(r)),
          onEvent: (e) => {
            if (e.type === 'setup') log(`simulator: setup ${e.step}${e.detail ? `: ${e.detail}` : ''}`);
            else if (e.type === 'warning' && e.message) log(`simulator: ${e.message}`);
          },
        }).catch((err: unknown) => {
          if (!ac.signal.aborted) {
            log(`start: the simulator stopped: ${err instanceof Error ? err.message : String(err)}`);
            log('start: the chain and the dashboard keep running; Ctrl-C stops them');
          }
        });
        await stopped;
      } catch (err) {
        ac.abort();
        throw err instanceof GridledgerError || err instanceof UsageError
          ? err
          : new GridledgerError('E_START', `start: ${(err as Error).message}`);
      } finally {
        ac.abort();
        await simulation;
        await dashboard?.close();
        await validators.stop();
        log('start: stopped');
      }
    });
}

/** One log line per settled interval. */
export function intervalLine(r: IntervalReport): string {
  const kwh = (wh: number) => `${(wh / 1000).toFixed(1)} kWh`;
  return (
    `interval ${r.interval} (${r.startIso.slice(11, 16)}): ${r.status}, ${r.ordersPlaced} orders, ` +
    `${kwh(r.clearedWh)} cleared, LMP ${r.lmpMin.toFixed(2)}..${r.lmpMax.toFixed(2)} $/MWh, ` +
    `${r.promisesMinted} promises, ${r.readingsAccepted} readings (${r.readingsRejected} rejected), ` +
    `${kwh(r.creditsMintedWh)} credited`
  );
}
