// `gridledger node --home DIR`: runs one validator until SIGINT/SIGTERM, printing where it listens.
import { loadHome, Node } from '@gridledger/node';
import type { Command } from 'commander';
import { parseFormat, printJson } from '../output.ts';

/** Registers the `node` command. */
export function registerNode(program: Command): void {
  program
    .command('node')
    .description('run one validator from its home folder (logs to stderr, or to config.log.file)')
    .requiredOption('--home <dir>', 'node home folder (written by `gridledger init`)')
    .option('--format <format>', 'table or json (the listening addresses)', 'table')
    .action(async (o: { home: string; format: string }) => {
      const format = parseFormat(o.format);
      const home = loadHome(o.home);
      const node = await Node.create(home);
      const where = await node.start();
      const info = {
        moniker: home.config.moniker,
        chainId: home.genesis.chainId,
        validatorIndex: node.myIndex,
        height: node.tip.height.toString(),
        p2p: `${where.p2p.host}:${where.p2p.port}`,
        rpc: `http://${where.rpc.host}:${where.rpc.port}`,
        ws: `ws://${where.rpc.host}:${where.rpc.port}`,
        pid: process.pid,
      };
      if (format === 'json') printJson(info);
      else
        process.stdout.write(
          `${info.moniker} (validator ${info.validatorIndex}, chain ${info.chainId}, height ${info.height}) listening: p2p ${info.p2p}, json-rpc ${info.rpc} and ${info.ws}\n`,
        );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void node.stop().finally(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
