// `gridledger init`: writes a new local network: DIR/genesis.json and one validator home per node.
import {
  DEFAULT_BASE_PORT,
  DEFAULT_CHAIN_ID,
  type InitResult,
  initDevNetwork,
  initNetwork,
} from '@gridledger/node';
import type { Command } from 'commander';
import { parseFormat, printJson, renderTable, UsageError } from '../output.ts';

/** Parses a positive integer flag or throws a usage error naming it. */
export function parseIntFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`${name} must be an integer in ${min}..${max}, got "${value}"`);
  return n;
}

/** Parses `--eth-chain-id` (a decimal integer in 1..2^53-1) or throws a usage error naming it. */
export function parseChainIdFlag(value: string): bigint {
  if (!/^[1-9][0-9]{0,15}$/.test(value) || BigInt(value) > 9_007_199_254_740_991n)
    throw new UsageError(`--eth-chain-id must be an integer in 1..9007199254740991, got "${value}"`);
  return BigInt(value);
}

/** Registers the `init` command. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description(
      'write DIR/genesis.json and validator homes DIR/node0..node{N-1} (keys, config) for a local network',
    )
    .requiredOption('--validators <n>', 'number of validators')
    .requiredOption('--out <dir>', 'output folder (must be empty or absent)')
    .option('--chain-id <id>', 'chain id', DEFAULT_CHAIN_ID)
    .option(
      '--eth-chain-id <n>',
      'Ethereum chain id (EIP-155, eth_chainId); default: --chain-id when it is a number, else random',
    )
    .option(
      '--base-port <p>',
      'node k listens for peers on P+2k and serves JSON-RPC on P+2k+1',
      String(DEFAULT_BASE_PORT),
    )
    .option('--format <format>', 'table or json', 'table')
    .option('--dev', 'execution app with development accounts (DIR/dev-accounts.json, DIR/addresses.json)')
    .action(
      (o: {
        validators: string;
        out: string;
        chainId: string;
        ethChainId?: string;
        basePort: string;
        format: string;
        dev?: boolean;
      }) => {
        const format = parseFormat(o.format);
        const opts = {
          validators: parseIntFlag('--validators', o.validators, 1, 100),
          outDir: o.out,
          chainId: o.chainId,
          ...(o.ethChainId === undefined ? {} : { ethChainId: parseChainIdFlag(o.ethChainId) }),
          basePort: parseIntFlag('--base-port', o.basePort, 1, 65535),
        };
        const r: InitResult & { devAccountsPath?: string; addressesPath?: string } = o.dev
          ? initDevNetwork(opts)
          : initNetwork(opts);
        if (format === 'json') {
          printJson(r);
          return;
        }
        process.stdout.write(
          `genesis: ${r.genesisPath}\nchain id: ${r.chainId}, Ethereum chain id: ${r.ethChainId}\n`,
        );
        if (r.devAccountsPath !== undefined)
          process.stdout.write(
            `dev accounts (DEVELOPMENT ONLY): ${r.devAccountsPath}\naddresses: ${r.addressesPath}\n`,
          );
        process.stdout.write(
          `${renderTable(
            ['home', 'p2p', 'json-rpc', 'validator key'],
            r.homes.map((h) => [
              h.dir,
              `127.0.0.1:${h.p2pPort}`,
              `http://127.0.0.1:${h.rpcPort}`,
              `${h.publicKey.slice(0, 18)}…`,
            ]),
          )}\n`,
        );
      },
    );
}
