// A local Ethereum node for tests, benchmarks and `start --chain anvil`: anvil (Foundry) from the npm
// package `@foundry-rs/anvil-linux-amd64` (its binary ships inside the package: nothing is downloaded),
// started as a child process on a free 127.0.0.1 port (anvil binds port 0 and prints the port it got),
// ready once it answers `eth_chainId`, stopped with its whole process group on close.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GridledgerError, InputError } from '@gridledger/base';

const require = createRequire(import.meta.url);

/** A running anvil. */
export interface Anvil {
  /** HTTP JSON-RPC URL, `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  chainId: number;
  /** The child process (for its pid). */
  process: ChildProcess;
  /** Stops anvil and its process group; resolves when it has exited. Safe to call twice. */
  close(): Promise<void>;
}

/** Options of {@link startAnvil}. */
export interface AnvilOptions {
  /** Chain id (default 31337, anvil's). */
  chainId?: number;
  /** Seconds between blocks; absent: a block per transaction (automine). */
  blockTime?: number;
  /** Timestamp of the genesis block, seconds. */
  timestamp?: bigint;
  /** Block gas limit (default: anvil's, 30,000,000). */
  gasLimit?: bigint;
  /** Dev accounts to fund (default 10, anvil's mnemonic). */
  accounts?: number;
  /** Give up when anvil does not answer within this many ms (default 30,000). */
  startTimeoutMs?: number;
  /**
   * Keep the chain in this file (anvil's `--state`): loaded at start when it exists, written every
   * `stateIntervalS` seconds and when anvil stops, so a later start resumes the same chain.
   */
  statePath?: string;
  /** How often the state file is written, s (default 5; with statePath). */
  stateIntervalS?: number;
  /** Extra command-line arguments. */
  args?: string[];
}

/** Error: the anvil binary is missing or did not start. */
export class AnvilError extends GridledgerError {
  constructor(message: string) {
    super('E_ANVIL', message);
    this.name = 'AnvilError';
  }
}

/**
 * The anvil binary inside `@foundry-rs/anvil-linux-amd64`. npm marks package `bin` files executable when
 * it links them (install scripts are off in this repository, and none is needed); if the mode was lost
 * anyway (a copy, an unusual installer), it is set here.
 * @throws AnvilError when the package is not installed (another platform, or `--omit=optional`).
 */
export function anvilBinary(): string {
  let pkg: string;
  try {
    pkg = require.resolve('@foundry-rs/anvil-linux-amd64/package.json');
  } catch {
    throw new AnvilError(
      `anvil is not installed: the npm package @foundry-rs/anvil-linux-amd64 (an optional dependency, Linux x64 only) is missing; run npm ci on Linux x64, or start any EVM node yourself and pass its --rpc URL`,
    );
  }
  const bin = join(dirname(pkg), 'bin', 'anvil');
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    chmodSync(bin, statSync(bin).mode | 0o111);
  }
  return bin;
}

async function chainIdOf(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(2000),
    });
    const body = (await res.json()) as { result?: string };
    return body.result === undefined ? undefined : Number(BigInt(body.result));
  } catch {
    return undefined;
  }
}

/**
 * Starts anvil on a free 127.0.0.1 port and waits until it answers `eth_chainId`.
 * @example const anvil = await startAnvil(); ...; await anvil.close();
 * @throws AnvilError when it exits early or does not answer in time (the process is stopped first).
 */
export async function startAnvil(opts: AnvilOptions = {}): Promise<Anvil> {
  const chainId = opts.chainId ?? 31337;
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new InputError(`anvil: bad chain id ${chainId}`);
  const args = ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(chainId)];
  if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime));
  if (opts.timestamp !== undefined) args.push('--timestamp', String(opts.timestamp));
  if (opts.gasLimit !== undefined) args.push('--gas-limit', String(opts.gasLimit));
  if (opts.accounts !== undefined) args.push('--accounts', String(opts.accounts));
  if (opts.statePath !== undefined)
    args.push('--state', opts.statePath, '--state-interval', String(opts.stateIntervalS ?? 5));
  args.push(...(opts.args ?? []));
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  // A process that exits without close() still takes anvil with it.
  const killOnExit = () => {
    try {
      if (!exited && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  const close = async () => {
    process.off('exit', killOnExit);
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const t = setTimeout(() => {
        try {
          if (!exited && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 3000);
      await exit;
      clearTimeout(t);
    }
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new AnvilError(`anvil did not print its port within ${opts.startTimeoutMs ?? 30_000} ms`)),
      opts.startTimeoutMs ?? 30_000,
    );
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new AnvilError(`anvil exited before listening: ${output.slice(-500)}`));
    });
  }).catch(async (e: unknown) => {
    await close();
    throw e;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    const id = await chainIdOf(url);
    if (id === chainId) break;
    if (exited || Date.now() > deadline) {
      await close();
      throw new AnvilError(
        `anvil at ${url} did not answer eth_chainId (${String(id)}): ${output.slice(-500)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // Keep draining its output so a full pipe never blocks it.
  child.stdout?.on('data', () => {});
  child.stderr?.on('data', () => {});
  return { url, port, chainId, process: child, close };
}
