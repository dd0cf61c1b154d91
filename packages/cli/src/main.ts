// The `gridledger` program: registers each command module and turns expected errors into a clear
// message and an exit code instead of a stack trace.
import { GridledgerError } from '@gridledger/base';
import { Command, CommanderError } from 'commander';
import { registerCapacity } from './commands/capacity.ts';
import { registerClear } from './commands/clear.ts';
import { registerInit } from './commands/init.ts';
import { registerInterval } from './commands/interval.ts';
import { registerMeter } from './commands/meter.ts';
import { registerNode } from './commands/node.ts';
import { registerOpf } from './commands/opf.ts';
import { registerOrder } from './commands/order.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerStart } from './commands/start.ts';
import { registerTestnet } from './commands/testnet.ts';
import { registerVerify } from './commands/verify.ts';
import { UsageError } from './output.ts';

/** Builds the command tree. */
export function buildProgram(): Command {
  const program = new Command('gridledger')
    .description('transactive energy: grid-aware market clearing settled on a permissioned BFT chain')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerStart(program);
  registerOpf(program);
  registerClear(program);
  registerCapacity(program);
  registerInit(program);
  registerNode(program);
  registerTestnet(program);
  registerSimulate(program);
  registerVerify(program);
  registerOrder(program);
  registerMeter(program);
  registerInterval(program);
  return program;
}

/** Runs the CLI with the given argv and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n(run with --help for usage)\n`);
      return 2;
    }
    if (err instanceof GridledgerError) {
      process.stderr.write(`error: ${err.message}\n${err.details ? `${err.details}\n` : ''}`);
      return 1;
    }
    throw err;
  }
}
