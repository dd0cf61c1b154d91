// The `gridledger` program: registers the command that runs (each command's module is imported only
// when that command runs, so `--help` loads no solver, chain or Ethereum library) and turns expected
// errors into a clear message and an exit code instead of a stack trace.
import { GridledgerError } from '@gridledger/base';
import { Command, CommanderError, Help } from 'commander';
import { COMMANDS, commandOf } from './command-table.ts';
import { UsageError } from './output.ts';

function programRoot(): Command {
  return new Command('gridledger')
    .description('transactive energy: grid-aware market clearing settled on a permissioned BFT chain')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
}

/** Builds the whole command tree (imports every command's module). */
export async function buildProgram(): Promise<Command> {
  const program = programRoot();
  const registers = await Promise.all(COMMANDS.map((c) => c.load()));
  for (const register of registers) register(program);
  return program;
}

/**
 * The program for one argv: the command that runs, registered from its module; or, when none of the
 * table's commands runs (`--help`, `--version`, an unknown name), every command as the table describes
 * it, which is what the top-level help and commander's unknown-command message need.
 */
export async function programFor(argv: readonly string[]): Promise<Command> {
  const program = programRoot();
  const entry = commandOf(argv);
  if (entry !== undefined) {
    (await entry.load())(program);
    return program;
  }
  const terms = new Map(COMMANDS.map((c) => [c.name, c.term]));
  for (const c of COMMANDS) program.command(c.name).description(c.description);
  return program.configureHelp({
    subcommandTerm(this: Help, cmd: Command): string {
      return terms.get(cmd.name()) ?? Help.prototype.subcommandTerm.call(this, cmd);
    },
  });
}

/** Runs the CLI with the given argv and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = await programFor(argv);
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
