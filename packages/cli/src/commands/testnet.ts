// `gridledger testnet`: initialises DIR when it is empty, then runs one `gridledger node` child process
// per validator home in it, prints their JSON-RPC URLs, and on Ctrl-C / SIGTERM stops every child
// (SIGTERM, then SIGKILL after a grace period) before exiting. Each child's log goes to DIR/nodeK/node.log.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_BASE_PORT,
  DEFAULT_CHAIN_ID,
  initDevNetwork,
  initNetwork,
  isEmptyDir,
  loadHome,
} from '@gridledger/node';
import type { Command } from 'commander';
import { log, parseFormat, printJson, renderTable, UsageError } from '../output.ts';
import { parseIntFlag } from './init.ts';

/** Path of the `gridledger` executable script, for spawning child nodes. */
export const GRIDLEDGER_BIN = fileURLToPath(new URL('../../bin/gridledger.mjs', import.meta.url));

/** Grace period between SIGTERM and SIGKILL when stopping children. */
const STOP_GRACE_MS = 10_000;

/** A validator child process started by {@link startChild}. */
export interface Child {
  name: string;
  proc: ChildProcess;
  rpcUrl: string;
  exited: Promise<number | null>;
}

/** Registers the `testnet` command. */
export function registerTestnet(program: Command): void {
  program
    .command('testnet')
    .description(
      'run N local validator processes (initialising DIR first if it is empty); Ctrl-C stops them all',
    )
    .requiredOption('--validators <n>', 'number of validators')
    .requiredOption('--dir <dir>', 'network folder (created with `init` layout if empty)')
    .option('--chain-id <id>', 'chain id when initialising', DEFAULT_CHAIN_ID)
    .option('--base-port <p>', 'first port when initialising', String(DEFAULT_BASE_PORT))
    .option('--format <format>', 'table or json (the list of nodes)', 'table')
    .option('--dev', 'when initialising: execution app with development accounts (see init --dev)')
    .action(
      async (o: {
        validators: string;
        dir: string;
        chainId: string;
        basePort: string;
        format: string;
        dev?: boolean;
      }) => {
        const format = parseFormat(o.format);
        const n = parseIntFlag('--validators', o.validators, 1, 100);
        const dir = resolve(o.dir);
        if (isEmptyDir(dir)) {
          const opts = {
            validators: n,
            outDir: dir,
            chainId: o.chainId,
            basePort: parseIntFlag('--base-port', o.basePort, 1, 65535),
          };
          if (o.dev) initDevNetwork(opts);
          else initNetwork(opts);
          log(`initialised ${n} validators in ${dir}`);
        }
        const homes = readdirSync(dir)
          .filter((d) => /^node\d+$/.test(d) && existsSync(join(dir, d, 'config.json')))
          .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
        if (homes.length !== n) {
          throw new UsageError(`${dir} holds ${homes.length} node homes, but --validators is ${n}`);
        }
        const children = homes.map((name) => startChild(dir, name));
        let stopping = false;
        const stopAll = async (signal: string) => {
          if (stopping) return;
          stopping = true;
          log(`testnet: ${signal}: stopping ${children.length} nodes`);
          await stopChildren(children);
          log('testnet: all nodes stopped');
        };
        const done = new Promise<void>((resolveDone) => {
          const on = (sig: NodeJS.Signals) => () => void stopAll(sig).then(resolveDone);
          process.once('SIGINT', on('SIGINT'));
          process.once('SIGTERM', on('SIGTERM'));
          // If every child exits on its own, the testnet is over too.
          void Promise.all(children.map((c) => c.exited)).then(() => {
            if (!stopping) {
              log('testnet: every node exited');
              stopping = true;
              resolveDone();
            }
          });
        });
        for (const c of children) {
          void c.exited.then((code) => {
            if (!stopping)
              log(`testnet: ${c.name} exited with code ${code} (see ${join(dir, c.name, 'node.log')})`);
          });
        }
        if (format === 'json')
          printJson({ dir, nodes: children.map((c) => ({ name: c.name, pid: c.proc.pid, rpc: c.rpcUrl })) });
        else {
          process.stdout.write(
            `${renderTable(
              ['node', 'pid', 'json-rpc'],
              children.map((c) => [c.name, c.proc.pid ?? '-', c.rpcUrl]),
            )}\n`,
          );
          process.stdout.write('Ctrl-C stops all nodes.\n');
        }
        await done;
      },
    );
}

/**
 * Stops children: SIGTERM, then SIGKILL for any still running after the grace period; resolves when all
 * have exited.
 */
export async function stopChildren(children: readonly Child[], graceMs = STOP_GRACE_MS): Promise<void> {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  }, graceMs);
  await Promise.all(children.map((c) => c.exited));
  clearTimeout(killer);
}

/** Spawns `gridledger node --home DIR/name` with its output appended to DIR/name/node.log. */
export function startChild(dir: string, name: string): Child {
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
