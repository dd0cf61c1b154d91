// Validator child processes for the commands that run a local network (testnet, start, simulate): one
// `gridledger node` process per validator home of a network folder, each logging to DIR/nodeK/node.log;
// waiting until their JSON-RPC answers; stopping them all (SIGTERM, then SIGKILL after a grace period).
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GridledgerError } from '@gridledger/base';
import { RpcClient } from '@gridledger/client';
import { loadHome } from '@gridledger/node';

/** Path of the `gridledger` executable script, for spawning child nodes. */
export const GRIDLEDGER_BIN = fileURLToPath(new URL('../bin/gridledger.mjs', import.meta.url));

/** Grace period between SIGTERM and SIGKILL when stopping validators. */
export const STOP_GRACE_MS = 10_000;

/** One running validator process. */
export interface ValidatorProcess {
  name: string;
  proc: ChildProcess;
  rpcUrl: string;
  /** Resolves with the exit code (128 when killed by a signal). */
  exited: Promise<number | null>;
}

/** The validator homes (node0, node1, ...) of a network folder, in index order. */
export function validatorHomes(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => /^node\d+$/.test(d) && existsSync(join(dir, d, 'config.json')))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
}

/** Validator processes of one network folder. */
export class Validators {
  readonly children: ValidatorProcess[];
  private stopping: Promise<void> | undefined;

  private constructor(children: ValidatorProcess[]) {
    this.children = children;
  }

  /** Starts one node process per validator home in `dir`. */
  static start(dir: string): Validators {
    return new Validators(validatorHomes(dir).map((name) => startValidator(dir, name)));
  }

  get rpcUrls(): string[] {
    return this.children.map((c) => c.rpcUrl);
  }

  /** True once stop() was called. */
  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Resolves when every process has exited. */
  allExited(): Promise<void> {
    return Promise.all(this.children.map((c) => c.exited)).then(() => {});
  }

  /**
   * Waits until every node answers `eth_blockNumber` with a block after genesis (or `timeoutMs` passes).
   * @throws GridledgerError naming the nodes that did not answer and where their logs are.
   */
  async waitUntilProducing(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(this.children);
    while (pending.size > 0 && Date.now() < deadline) {
      for (const c of [...pending]) {
        if (c.proc.exitCode !== null)
          throw new GridledgerError(
            'E_NODE',
            `${c.name} exited with code ${c.proc.exitCode} (see its node.log)`,
          );
        try {
          const head = await new RpcClient(c.rpcUrl, { timeoutMs: 2_000, attempts: 1 }).request(
            'eth_blockNumber',
            [],
          );
          if (BigInt(head) > 0n) pending.delete(c);
        } catch {
          // not up yet
        }
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 250));
    }
    if (pending.size > 0) {
      throw new GridledgerError(
        'E_NODE',
        `no blocks from ${[...pending].map((c) => c.name).join(', ')} after ${timeoutMs / 1000} s (see their node.log)`,
      );
    }
  }

  /** Stops every process: SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const c of this.children) if (c.proc.exitCode === null) c.proc.kill('SIGTERM');
      const killer = setTimeout(() => {
        for (const c of this.children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
      }, STOP_GRACE_MS);
      await this.allExited();
      clearTimeout(killer);
    })();
    return this.stopping;
  }
}

function startValidator(dir: string, name: string): ValidatorProcess {
  const home = join(dir, name);
  const cfg = loadHome(home).config;
  const logFd = openSync(join(home, 'node.log'), 'a');
  const proc = spawn(process.execPath, [GRIDLEDGER_BIN, 'node', '--home', home], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const exited = new Promise<number | null>((r) => {
    proc.once('exit', (code, signal) => r(code ?? (signal ? 128 : null)));
  });
  return { name, proc, rpcUrl: `http://${cfg.rpc.host}:${cfg.rpc.port}`, exited };
}
