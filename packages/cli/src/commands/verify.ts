// `gridledger verify --home DIR`: re-checks a stopped node's stored chain and names the first bad height.
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
      "re-check a stopped node's stored chain (hash links, tx roots, certificates > 2/3 power); name the first bad height",
    )
    .requiredOption('--home <dir>', 'node home folder')
    .option('--format <format>', 'table or json', 'table')
    .action(async (o: { home: string; format: string }) => {
      const format = parseFormat(o.format);
      const home = loadHome(o.home);
      const r = await verifyStoredChain(home, (h) => {
        if (format === 'table') log(`verified up to height ${h}`);
      });
      if (format === 'json') printJson(r);
      else if (r.ok)
        process.stdout.write(`ok: ${r.height} blocks verified, latest hash ${r.latestHash ?? '-'}\n`);
      else process.stdout.write(`FAILED at height ${r.badHeight} (of ${r.latestHeight}): ${r.reason}\n`);
      // Exit code 1 through the CLI's error path (the result itself is already on stdout).
      if (!r.ok) throw new GridledgerError('E_VERIFY', `chain verification failed at height ${r.badHeight}`);
    });
}
