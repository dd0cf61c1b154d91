// `gridledger meter register`: the grid operator registers a meter (registry registerMeter): its id, the
// address of the key that signs its readings, its bus, its owner and its connection capacity (kW; a
// reading above capacity × interval is refused by the chain).

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
import { parseKwToW } from './grid.ts';

const EXAMPLES = `
Signed with the grid operator's key (GRID_OPERATOR_ROLE).

Examples:
  gridledger meter register --meter 101 --key-address 0xabcd...1234 --bus 5 --owner participant-1 \\
      --capacity-kw 10 --account grid-operator`;

type Flags = ChainFlags & {
  meter: string;
  keyAddress: string;
  bus: string;
  owner: string;
  capacityKw: string;
};

/** Adds `register` to the `meter` command. */
export function addMeterRegister(meter: Command): void {
  addChainOptions(
    meter
      .command('register')
      .description(
        "register a meter: id, its signing key's address, bus, owner, connection capacity (grid operator)",
      )
      .requiredOption('--meter <id>', 'meter id (unique)')
      .requiredOption(
        '--key-address <address>',
        "address of the meter's signing key (0x or a dev account name)",
      )
      .requiredOption('--bus <bus>', 'bus the meter is at')
      .requiredOption('--owner <address>', 'account the meter belongs to (0x or a dev account name)')
      .requiredOption('--capacity-kw <kW>', 'connection capacity, kW (up to 3 decimals)')
      .addHelpText('after', EXAMPLES),
    true,
  ).action(async (o: Flags) => {
    const format = parseFormat(o.format);
    const id = parseUintFlag(o.meter, '--meter', 2n ** 256n - 1n);
    const key = resolveAddress(o.keyAddress, '--key-address', o.devAccounts);
    const bus = parseUintFlag(o.bus, '--bus', 2n ** 32n);
    const owner = resolveAddress(o.owner, '--owner', o.devAccounts);
    const capacityW = parseKwToW(o.capacityKw, '--capacity-kw');
    const account = resolveSigner(o, 'meter register');
    const conn = await ChainConnection.open(o.rpc);
    const out = await sendCall(conn, account, {
      to: REGISTRY_ADDRESS,
      abi: REGISTRY_ABI,
      functionName: 'registerMeter',
      args: [id, key, bus, owner, capacityW],
    });
    if (!out.ok) throw rejected(`meter ${id}`, out);
    const result = {
      meter: id.toString(),
      keyAddress: key,
      bus: bus.toString(),
      owner,
      capacityW: capacityW.toString(),
      transaction: out.hash,
      blockNumber: out.blockNumber.toString(),
    };
    if (format === 'json') return printJson(result);
    process.stdout.write(
      `${renderTable(
        ['meter', 'key', 'bus', 'owner', 'capacity W', 'block'],
        [[result.meter, key, result.bus, owner, result.capacityW, result.blockNumber]],
      )}\n`,
    );
  });
}
