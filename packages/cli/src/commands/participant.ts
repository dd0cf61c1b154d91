// `gridledger participant register`: the accounts admin registers a participant and the buses it may
// trade at (registry registerParticipant). The account also needs PARTICIPANT_ROLE to place orders
// (granted at genesis or by the accounts admin).
import { InputError } from '@gridledger/base';
import { REGISTRY_ABI, REGISTRY_ADDRESS } from '@gridledger/energy';
import type { Command } from 'commander';
import {
  addChainOptions,
  ChainConnection,
  type ChainFlags,
  rejected,
  resolveAddress,
  resolveSigner,
  sendCall,
} from '../chain-client.ts';
import { parseUintFlag } from '../market-units.ts';
import { parseFormat, printJson, renderTable } from '../output.ts';

const EXAMPLES = `
Signed with the accounts admin's key. Every bus must be in the registered network.

Examples:
  gridledger participant register --address 0x1234...abcd --bus 2 --bus 5 --account admin
  gridledger participant register --address participant-1 --bus 2,5 --account admin --format json`;

type Flags = ChainFlags & { address: string; bus?: string[] };

/** Registers `participant register`. */
export function registerParticipant(program: Command): void {
  const participant = program
    .command('participant')
    .description('register market participants and the buses they may trade at')
    .addHelpText('after', EXAMPLES);
  addChainOptions(
    participant
      .command('register')
      .description('let an account trade at the given buses (signed by the accounts admin)')
      .requiredOption('--address <address>', 'the account: 0x address or a development account name')
      .option(
        '--bus <bus>',
        'a bus it may trade at (repeat, or comma-separated)',
        (v: string, acc: string[] = []) => [...acc, ...v.split(',')],
      )
      .addHelpText('after', EXAMPLES),
    true,
  ).action(async (o: Flags) => {
    const format = parseFormat(o.format);
    const address = resolveAddress(o.address, '--address', o.devAccounts);
    if (o.bus === undefined || o.bus.length === 0)
      throw new InputError('give at least one --bus B (a bus of the registered network)');
    const buses = o.bus.map((b) => parseUintFlag(b.trim(), '--bus', 2n ** 32n));
    const account = resolveSigner(o, 'participant register');
    const conn = await ChainConnection.open(o.rpc);
    const out = await sendCall(conn, account, {
      to: REGISTRY_ADDRESS,
      abi: REGISTRY_ABI,
      functionName: 'registerParticipant',
      args: [address, buses],
    });
    if (!out.ok) throw rejected(`participant ${address}`, out);
    const result = {
      address,
      buses: buses.map(String),
      transaction: out.hash,
      blockNumber: out.blockNumber.toString(),
    };
    if (format === 'json') return printJson(result);
    process.stdout.write(
      `${renderTable(['participant', 'buses', 'block'], [[address, result.buses.join(', '), result.blockNumber]])}\n`,
    );
  });
}
