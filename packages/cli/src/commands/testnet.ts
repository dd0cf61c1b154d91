// `gridledger testnet`: initialises DIR when it is empty, then runs one `gridledger node` child process
// per validator home in it, prints their JSON-RPC URLs, and on Ctrl-C / SIGTERM stops every child
// (SIGTERM, then SIGKILL after a grace period) before exiting. Each child's log goes to DIR/nodeK/node.log.
import { join, resolve } from 'node:path';
import {
  DEFAULT_BASE_PORT,
  DEFAULT_CHAIN_ID,
  initDevNetwork,
  initNetwork,
  isEmptyDir,
} from '@gridledger/node';
import type { Command } from 'commander';
import { log, parseFormat, printJson, renderTable, UsageError } from '../output.ts';
import { GRIDLEDGER_BIN, Validators, validatorHomes } from '../validators.ts';
import { parseChainIdFlag, parseIntFlag } from './init.ts';

export { GRIDLEDGER_BIN };

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
    .option(
      '--eth-chain-id <n>',
      'Ethereum chain id (EIP-155, eth_chainId) when initialising; default: --chain-id when it is a number, else random',
    )
    .option('--base-port <p>', 'first port when initialising', String(DEFAULT_BASE_PORT))
    .option('--format <format>', 'table or json (the list of nodes)', 'table')
    .option('--dev', 'when initialising: execution app with development accounts (see init --dev)')
    .action(
      async (o: {
        validators: string;
        dir: string;
        chainId: string;
        ethChainId?: string;
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
            ...(o.ethChainId === undefined ? {} : { ethChainId: parseChainIdFlag(o.ethChainId) }),
            basePort: parseIntFlag('--base-port', o.basePort, 1, 65535),
          };
          if (o.dev) initDevNetwork(opts);
          else initNetwork(opts);
          log(`initialised ${n} validators in ${dir}`);
        }
        const homes = validatorHomes(dir);
        if (homes.length !== n) {
          throw new UsageError(`${dir} holds ${homes.length} node homes, but --validators is ${n}`);
        }
        const validators = Validators.start(dir);
        const children = validators.children;
        const done = new Promise<void>((resolveDone) => {
          const on = (sig: NodeJS.Signals) => () => {
            log(`testnet: ${sig}: stopping ${children.length} nodes`);
            void validators.stop().then(() => {
              log('testnet: all nodes stopped');
              resolveDone();
            });
          };
          process.once('SIGINT', on('SIGINT'));
          process.once('SIGTERM', on('SIGTERM'));
          // If every child exits on its own, the testnet is over too.
          void validators.allExited().then(() => {
            if (!validators.isStopping) {
              log('testnet: every node exited');
              resolveDone();
            }
          });
        });
        for (const c of children) {
          void c.exited.then((code) => {
            if (!validators.isStopping)
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
