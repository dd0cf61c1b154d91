// `gridledger deploy --rpc URL --key-file F [--config market.json]`: deploys and configures the market's
// contracts, the clearing verifier and the real-time book of the second settlement on any EVM JSON-RPC
// endpoint and writes `addresses.json` (packages/evm: deployPlatform; the configuration's fields in
// docs/evm.md).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '@gridledger/base';
import { deployPlatform, evmClients, loadDeployConfig } from '@gridledger/evm';
import { GRID_CASES_DIR } from '@gridledger/simulator';
import type { Command } from 'commander';
import { resolveSigner } from '../chain-client.ts';
import { log, parseFormat, printJson, renderTable } from '../output.ts';

const HELP = `
The deploying key pays for the deployment, is the market's grid operator (it registers the network) and
names the clearing verifier; the digital twin (DigitalTwin, "digitalTwin") and the real-time book with its
verifier ("realtimeBook", "realtimeVerifier") are deployed beside it. Every market settles by the second
settlement (docs/market-rules.md §10a: deviations at the real-time prices in a penalty band, what a party
cannot pay recorded as its debt, orders refused while in default); market.json's "market.realtime" sets
its parameters (default: δ 5 $/MWh, real-time prices in [0, shortfall price − δ], no non-reporting
penalty, no liquidated damages). Without --config: the case33bw_congested feeder, 5-minute intervals, an
upstream connection at the reference bus. market.json's fields: docs/evm.md "Deployment".

Examples:
  gridledger deploy --rpc http://127.0.0.1:8545 --key-file deployer.key
  gridledger deploy --rpc http://127.0.0.1:8545 --key-file deployer.key --config market.json --out addresses.json --format json`;

/** Registers the `deploy` command. */
export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description(
      "deploy and configure the market's contracts, the clearing verifier and the real-time book on an EVM JSON-RPC endpoint; write addresses.json",
    )
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint of the EVM chain')
    .requiredOption('--key-file <file>', 'file holding the deploying secp256k1 private key (64 hex digits)')
    .option('--config <file>', 'the deployment configuration (market.json; pricing must be "dc")')
    .option('--out <file>', 'where to write the addresses', 'addresses.json')
    .option('--format <format>', 'table or json', 'table')
    .addHelpText('after', HELP)
    .action(async (o: { rpc: string; keyFile: string; config?: string; out: string; format: string }) => {
      const format = parseFormat(o.format);
      const account = resolveSigner({ rpc: o.rpc, format: o.format, keyFile: o.keyFile }, 'deploy');
      const cfg = await loadDeployConfig(o.config, account.address, GRID_CASES_DIR);
      let clients: Awaited<ReturnType<typeof evmClients>>;
      try {
        clients = await evmClients(o.rpc, account);
      } catch (e) {
        throw new InputError(`cannot reach --rpc ${o.rpc}: ${(e as Error).message.split('\n')[0]}`);
      }
      if (format === 'table')
        log(`deploying to ${o.rpc} (chain ${clients.public.chain.id}) from ${account.address}`);
      const { addresses, gasUsed } = await deployPlatform(clients, cfg);
      const out = resolve(o.out);
      writeFileSync(out, `${JSON.stringify(addresses, null, 2)}\n`);
      const totalGas = Object.values(gasUsed).reduce((a, b) => a + b, 0n);
      if (format === 'json') {
        printJson({ addresses, file: out, network: cfg.network.name, gasUsed, totalGas });
        return;
      }
      const rows = Object.entries(addresses).map(([k, v]) => [k, String(v)]);
      process.stdout.write(`${renderTable(['contract', 'address'], rows)}\n`);
      process.stdout.write(`network ${cfg.network.name}; ${totalGas} gas in total; wrote ${out}\n`);
    });
}
