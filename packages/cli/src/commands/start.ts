// `gridledger start`: runs the platform on its embedded default. Until the platform issue lands it says
// what exists and how to try it.
import type { Command } from 'commander';
import { log } from '../output.ts';

/** Registers the `start` command. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the platform on its embedded default (validators, scenario, dashboard)')
    .action(() => {
      log('gridledger start: the full platform (validators, device simulator, dashboard) is not built yet.');
      log('What runs today:');
      log('  npx gridledger --help          list the commands');
    });
}
