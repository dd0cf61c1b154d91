// `gridledger start` (`npm start`): runs the platform on its embedded default. Today that is a local
// 4-validator network running the execution app with development accounts, in a data folder that a
// second start resumes (or wipes with --reset); the device simulator and the dashboard arrive with the
// platform issue, and start says so.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { log } from '../output.ts';
import { parseIntFlag } from './init.ts';
import { registerTestnet } from './testnet.ts';

/** Registers the `start` command. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the platform on its embedded default: a local 4-validator chain with dev accounts')
    .option('--dir <dir>', 'data folder (resumed on the next start)', '.gridledger')
    .option('--reset', 'wipe the data folder and start a fresh chain')
    .option('--validators <n>', 'validators', '4')
    .option(
      '--base-port <p>',
      'first port when the chain is created (node k: p2p P+2k, JSON-RPC P+2k+1)',
      '26600',
    )
    .action(async (o: { dir: string; reset?: boolean; validators: string; basePort: string }) => {
      const n = parseIntFlag('--validators', o.validators, 1, 100);
      const dir = resolve(o.dir, 'testnet');
      if (o.reset) {
        rmSync(dir, { recursive: true, force: true });
        log(`start: --reset: removed ${dir}`);
      }
      log('gridledger start: a local chain of validator processes running the execution app');
      log(`  data folder ${dir} (kept between starts; --reset wipes it)`);
      log(
        `  development accounts: ${resolve(dir, 'dev-accounts.json')}, token addresses: ${resolve(dir, 'addresses.json')}`,
      );
      log('  not built yet: the device simulator and the dashboard (the platform issue).');
      log(
        '  meanwhile: npx gridledger opf ../shared/grid-cases/case9_congested.m, npx gridledger clear --help',
      );
      log('  Ctrl-C stops every validator cleanly.');
      const inner = new Command('gridledger').exitOverride();
      registerTestnet(inner);
      await inner.parseAsync(
        ['testnet', '--validators', String(n), '--dir', dir, '--dev', '--base-port', o.basePort],
        { from: 'user' },
      );
    });
}
