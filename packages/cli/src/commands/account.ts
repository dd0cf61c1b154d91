// `gridledger account show ADDR`: one account's money and holdings in the market (gl_account): cash,
// escrow of open buy orders, collateral of sell orders, debt (and to whom), what it is owed, promises
// and credits held.
import { formatMicros } from '@gridledger/base';
import type { Command } from 'commander';
import { addChainOptions, ChainConnection, type ChainFlags, resolveAddress } from '../chain-client.ts';
import { parseFormat, printJson, renderTable } from '../output.ts';

const EXAMPLES = `
Examples:
  gridledger account show 0x1234...abcd
  gridledger account show participant-1 --format json`;

/** Registers `account show`. */
export function registerAccount(program: Command): void {
  const account = program
    .command('account')
    .description("an account's cash, collateral, debts, promises and credits on the energy market")
    .addHelpText('after', EXAMPLES);
  addChainOptions(
    account
      .command('show')
      .description('cash, escrow, collateral, debt and claims, dues, promises and credits of one account')
      .argument('<address>', '0x address or a development account name')
      .option('--dev-accounts <file>', 'dev-accounts.json for account names')
      .addHelpText('after', EXAMPLES),
    false,
  ).action(async (addr: string, o: ChainFlags) => {
    const format = parseFormat(o.format);
    const address = resolveAddress(addr, 'ADDRESS', o.devAccounts);
    const conn = await ChainConnection.open(o.rpc);
    await conn.market();
    const a = await conn.request('gl_account', [address]);
    if (format === 'json') return printJson(a);
    const rows: (string | number)[][] = [
      ['cash $', formatMicros(a.cashMicros)],
      ['escrow (open buy orders) $', formatMicros(a.escrowMicros)],
      ['collateral (sell orders) $', formatMicros(a.collateralMicros)],
      ['debt $', formatMicros(a.debtMicros)],
      ['owed to it $', formatMicros(a.dueMicros)],
      ['promises held', a.promises],
      ['credits Wh', a.creditsWh],
    ];
    for (const c of a.claims) rows.push([`  owes ${c.creditor} $`, formatMicros(c.amountMicros)]);
    process.stdout.write(`${address}\n${renderTable(['', 'value'], rows)}\n`);
    if (!a.complete)
      process.stdout.write(`(escrow and collateral from the latest ${a.ordersScanned} orders)\n`);
  });
}
