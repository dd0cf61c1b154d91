// `gridledger operator --rpc URL --contracts FILE --key-file F`: the clearing operator of an EVM
// deployment (packages/evm: runOperator). Reads each interval's book from the contracts after its gate,
// solves it with the engine, builds the integer certificate and submits it to the ClearingVerifier in
// chunks, and each interval's real-time prices for the second settlement once its readings are final; its output
// is a pure function of the on-chain book. Runs until Ctrl-C, or once with --once.
import { formatMicros, InputError } from '@gridledger/base';
import { evmClients, type IntervalOutcome, runOperator } from '@gridledger/evm';
import type { Command } from 'commander';
import { readEvmAddresses, resolveSigner } from '../chain-client.ts';
import { log, parseFormat, printJson, UsageError } from '../output.ts';

const HELP = `
--contracts is the addresses.json that gridledger deploy writes (it needs "market", "verifier",
"realtimeBook" and "realtimeVerifier": it also submits each cleared interval's real-time prices once its
readings are final, which the settlement waits for; with "digitalTwin" it submits each cleared interval's
metered flows, the digital twin's angles, first).
Anyone may run an operator: two operators on the same chain state submit the same clearing.

Examples:
  gridledger operator --rpc http://127.0.0.1:8545 --contracts addresses.json --key-file operator.key
  gridledger operator --rpc http://127.0.0.1:8545 --contracts addresses.json --key-file operator.key --once --format json`;

function describe(o: IntervalOutcome): string {
  if (o.kind === 'empty') return `interval ${o.interval}: no open orders, nothing to clear`;
  if (o.kind === 'error') return `interval ${o.interval}: NOT cleared: ${o.reason}`;
  if (o.kind === 'twin')
    return `interval ${o.interval}: digital twin recorded (${o.deviations} flow deviations), ${o.gas} gas`;
  if (o.kind === 'realtime')
    return `interval ${o.interval}: real-time prices recorded (${o.orders} metered injections), ${o.gas} gas`;
  return `interval ${o.interval}: cleared ${o.orders} orders, ${o.clearedWh} Wh (upstream +${o.upstreamImportWh}/-${o.upstreamExportWh} Wh), LMP ${formatMicros(o.minLmpMicrosPerMWh)}..${formatMicros(o.maxLmpMicrosPerMWh)} $/MWh, ${o.gas.total} gas in ${o.transactions} transactions`;
}

/** Registers the `operator` command. */
export function registerOperator(program: Command): void {
  program
    .command('operator')
    .description(
      "clear an EVM deployment: read each interval's book after the gate, solve it, submit it with its certificate to the clearing verifier",
    )
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint of the EVM chain')
    .requiredOption('--contracts <file>', 'addresses.json of the deployment')
    .requiredOption('--key-file <file>', "file holding the operator's secp256k1 private key (64 hex digits)")
    .option('--once', 'clear the intervals due now and exit')
    .option(
      '--chunk <orders>',
      'at most this many orders per chunk transaction (default: as many as fit 80% of the block gas limit)',
    )
    .option('--poll-ms <ms>', 'wait between looks for due intervals', '2000')
    .option('--format <format>', 'table or json (one JSON object per interval)', 'table')
    .addHelpText('after', HELP)
    .action(
      async (o: {
        rpc: string;
        contracts: string;
        keyFile: string;
        once?: boolean;
        chunk?: string;
        pollMs: string;
        format: string;
      }) => {
        const format = parseFormat(o.format);
        const chunk = o.chunk === undefined ? undefined : Number(o.chunk);
        const pollMs = Number(o.pollMs);
        if (chunk !== undefined && (!Number.isSafeInteger(chunk) || chunk < 1))
          throw new UsageError(`--chunk must be a whole number >= 1, got "${o.chunk}"`);
        if (!Number.isSafeInteger(pollMs) || pollMs < 100)
          throw new UsageError(`--poll-ms must be a whole number >= 100, got "${o.pollMs}"`);
        const contracts = readEvmAddresses(o.contracts);
        const account = resolveSigner({ rpc: o.rpc, format: o.format, keyFile: o.keyFile }, 'operator');
        let clients: Awaited<ReturnType<typeof evmClients>>;
        try {
          clients = await evmClients(o.rpc, account);
        } catch (e) {
          throw new InputError(`cannot reach --rpc ${o.rpc}: ${(e as Error).message.split('\n')[0]}`);
        }
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        if (format === 'table')
          log(
            `operator ${account.address} on ${o.rpc}: market ${contracts.market}, verifier ${contracts.verifier}`,
          );
        try {
          await runOperator(clients, {
            contracts: { market: contracts.market, verifier: contracts.verifier },
            realtime: { book: contracts.realtimeBook, verifier: contracts.realtimeVerifier },
            ...(contracts.digitalTwin === undefined ? {} : { twin: contracts.digitalTwin }),
            ...(chunk === undefined ? {} : { chunkOrders: chunk }),
            pollMs,
            once: o.once === true,
            signal: stop.signal,
            onOutcome: (r) => {
              if (format === 'json') printJson(r);
              else process.stdout.write(`${describe(r)}\n`);
            },
          });
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    );
}
