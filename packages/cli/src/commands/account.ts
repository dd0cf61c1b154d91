// `gridledger account show ADDR`: one account's money and holdings in the market (gl_account): cash,
// escrow of open buy orders, collateral of sell orders, debt (and to whom), what it is owed, promises
// and credits held. `gridledger account approve AMOUNT --contracts F`: on an EVM chain, the allowance the
// market contract takes escrow and collateral from (an ERC-20 approve on the deployment's cash token; the
// native market module needs none).
import { formatMicros } from '@gridledger/base';
import type { Command } from 'commander';
import { erc20Abi, maxUint256 } from 'viem';
import {
  addChainOptions,
  addContractsOption,
  ChainConnection,
  type ChainFlags,
  rejected,
  resolveAddress,
  resolveSigner,
  sendCall,
} from '../chain-client.ts';
import { parseDollarsToMicros } from '../market-units.ts';
import { parseFormat, printJson, renderTable, UsageError } from '../output.ts';

const EXAMPLES = `
Examples:
  gridledger account show 0x1234...abcd
  gridledger account show participant-1 --format json
  gridledger account show 0x1234...abcd --rpc http://127.0.0.1:8545 --contracts .gridledger/evm/addresses.json
  gridledger account approve 500 --rpc http://127.0.0.1:8545 --contracts addresses.json --key-file me.key`;

/** Registers `account show`. */
export function registerAccount(program: Command): void {
  const account = program
    .command('account')
    .description("an account's cash, collateral, debts, promises and credits on the energy market")
    .addHelpText('after', EXAMPLES);
  addContractsOption(
    addChainOptions(
      account
        .command('show')
        .description('cash, escrow, collateral, debt and claims, dues, promises and credits of one account')
        .argument('<address>', '0x address or a development account name')
        .option('--dev-accounts <file>', 'dev-accounts.json for account names')
        .addHelpText('after', EXAMPLES),
      false,
    ),
  ).action(async (addr: string, o: ChainFlags) => {
    const format = parseFormat(o.format);
    const address = resolveAddress(addr, 'ADDRESS', o.devAccounts);
    const conn = await ChainConnection.open(o.rpc, o.contracts);
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

  addContractsOption(
    addChainOptions(
      account
        .command('approve')
        .description(
          'on an EVM chain (--contracts): let the market contract take up to AMOUNT $ of escrow and collateral from your cash',
        )
        .argument('<amount>', 'dollars (e.g. 500 or 12.5), or "max" (no limit)')
        .addHelpText('after', EXAMPLES),
      true,
    ),
  ).action(async (amountText: string, o: ChainFlags) => {
    const format = parseFormat(o.format);
    if (o.contracts === undefined)
      throw new UsageError(
        "account approve is for an EVM deployment (--contracts addresses.json): on gridledger's own chain the market module takes escrow from your cash without an allowance",
      );
    const amount = amountText === 'max' ? maxUint256 : parseDollarsToMicros(amountText, 'AMOUNT');
    const signer = resolveSigner(o, 'account approve');
    const conn = await ChainConnection.open(o.rpc, o.contracts);
    const evm = conn.evm!;
    const out = await sendCall(conn, signer, {
      to: evm.cash,
      abi: erc20Abi,
      functionName: 'approve',
      args: [evm.market, amount],
    });
    if (!out.ok) throw rejected(`approve of the market on the cash token ${evm.cash}`, out);
    const result = {
      owner: signer.address.toLowerCase(),
      spender: evm.market.toLowerCase(),
      cash: evm.cash.toLowerCase(),
      allowanceMicros: amount.toString(),
      transaction: out.hash,
      blockNumber: out.blockNumber.toString(),
    };
    if (format === 'json') return printJson(result);
    process.stdout.write(
      `${renderTable(
        ['owner', 'market (spender)', 'allowance $', 'block', 'transaction'],
        [
          [
            result.owner,
            result.spender,
            amount === maxUint256 ? 'no limit' : formatMicros(amount),
            result.blockNumber,
            result.transaction,
          ],
        ],
      )}\n`,
    );
  });
}
