// `gridledger verify --home DIR [--state]`: re-checks a stopped node's stored chain and names the first
// bad height; with --state it also replays every block and compares app hashes and the stored state.
// Exit code 0 when the chain is sound, 1 when a height fails.
import { GridledgerError } from '@gridledger/base';
import { loadHome, verifyStoredChain } from '@gridledger/node';
import type { Command } from 'commander';
import { log, parseFormat, printJson } from '../output.ts';

/** Registers the `verify` command. */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      "re-check a stopped node's stored chain (hash links, tx roots, certificates > 2/3 power; with --state, app hashes and state by replay); name the first bad height",
    )
    .requiredOption('--home <dir>', 'node home folder')
    .option(
      '--state',
      "also re-execute every block from genesis: each header's app hash and the stored state must match the replay",
    )
    .option('--format <format>', 'table or json', 'table')
    .action(async (o: { home: string; format: string; state?: boolean }) => {
      const format = parseFormat(o.format);
      const home = loadHome(o.home);
      const r = await verifyStoredChain(home, {
        state: o.state === true,
        onProgress: (h) => {
          if (format === 'table') log(`verified up to height ${h}`);
        },
      });
      if (format === 'json') printJson(r);
      else if (r.ok)
        process.stdout.write(
          `ok: ${r.height} blocks verified${r.stateChecked ? ', state replayed and equal' : ''}, latest hash ${r.latestHash ?? '-'}\n`,
        );
      else process.stdout.write(`FAILED at height ${r.badHeight} (of ${r.latestHeight}): ${r.reason}\n`);
      // Exit code 1 through the CLI's error path (the result itself is already on stdout).
      if (!r.ok) throw new GridledgerError('E_VERIFY', `chain verification failed at height ${r.badHeight}`);
    });
}
