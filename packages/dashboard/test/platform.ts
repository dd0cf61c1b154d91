// The running platform the dashboard's browser test looks at, composed the way `gridledger start` does:
// the default scenario's chain (scenarioGenesis: case33bw_congested, market clock, device accounts) in
// a temporary folder, its validators as child processes (`gridledger testnet`), and the devices driven
// in process by `runScenario`. stop() aborts the devices, stops the validators and removes the folder.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CHAIN_ID, initDevNetwork } from '@gridledger/node';
import { loadScenario, runScenario, scenarioGenesis, withDevices } from '@gridledger/simulator';
import { rpcCall } from '../src/rpc-client.ts';

const BIN = fileURLToPath(new URL('../../cli/bin/gridledger.mjs', import.meta.url));

/** A running platform. */
export interface Platform {
  dir: string;
  rpcUrls: string[];
  devAccountsPath: string;
  addressesPath: string;
  /** The simulator's warnings and failure, if any. */
  problems: string[];
  stop(): Promise<void>;
}

/**
 * Starts the default scenario on 4 validator processes (node k: p2p base+2k, JSON-RPC base+2k+1).
 * @param devices scale the scenario's prosumers (default: the scenario's own)
 */
export async function startPlatform(basePort: number, devices?: number): Promise<Platform> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-dash-'));
  const netDir = join(dir, 'net');
  let scenario = await loadScenario();
  if (devices !== undefined) scenario = withDevices(scenario, devices);
  const genesisTime = new Date();
  const g = scenarioGenesis(scenario, {
    genesisTimeMs: BigInt(genesisTime.getTime()),
    chainId: DEFAULT_CHAIN_ID,
  });
  const init = initDevNetwork({
    validators: 4,
    outDir: netDir,
    basePort,
    genesisTime,
    energy: g.energy,
    extraAccounts: g.extraAccounts,
    mempool: { maxTxs: Math.max(10_000, 3 * g.devices.length) },
  });
  const logFd = openSync(join(dir, 'testnet.log'), 'a');
  const proc: ChildProcess = spawn(process.execPath, [BIN, 'testnet', '--validators', '4', '--dir', netDir], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const rpcUrls = [0, 1, 2, 3].map((k) => `http://127.0.0.1:${basePort + 2 * k + 1}`);
  const problems: string[] = [];
  const ac = new AbortController();

  const stop = async () => {
    ac.abort();
    await running.catch(() => {});
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
    if (process.env.GL_KEEP_TESTNET) process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  };

  // Wait for blocks, then run the devices until stopped.
  for (let i = 0; ; i++) {
    try {
      if (Number(await rpcCall<string>(rpcUrls[0]!, 'eth_blockNumber')) >= 1) break;
    } catch {
      // not up yet
    }
    if (i > 480) {
      await stop();
      throw new Error(
        `the validators did not start within 2 minutes; see ${join(dir, 'testnet.log')} and node logs`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const dev = JSON.parse(readFileSync(init.devAccountsPath, 'utf8')) as {
    accounts: { role: string; address: `0x${string}`; privateKey: `0x${string}` }[];
  };
  const keyOf = (role: string) => dev.accounts.find((a) => a.role === role)!.privateKey;
  const running = runScenario({
    rpcUrls,
    scenario,
    keys: { admin: keyOf('admin'), gridOperator: keyOf('grid-operator'), submitter: keyOf('meter') },
    signal: ac.signal,
    knownAccounts: dev.accounts.map((a) => a.address),
    onEvent: (e) => {
      if (e.type === 'warning' && e.message) problems.push(`simulator warning: ${e.message}`);
    },
  }).catch((err: Error) => {
    if (!ac.signal.aborted) problems.push(`simulator failed: ${err.message}`);
  });
  return {
    dir,
    rpcUrls,
    devAccountsPath: init.devAccountsPath,
    addressesPath: init.addressesPath,
    problems,
    stop,
  };
}
