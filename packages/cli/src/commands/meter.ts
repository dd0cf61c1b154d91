// `gridledger meter register|sign|submit`: meters for the energy market (register: meter-register.ts). `sign` makes the EIP-712 signed
// reading a meter's key produces (offline with --chain-id, or the chain id read from --rpc) and prints it
// as one JSON object, or appends it as a line to a file; `submit` reads such files, checks each reading
// against the chain alone (eth_call, nothing sent) so that one bad reading does not sink the others, sends
// the acceptable ones in one transaction (up to the module's 500 per transaction) and reports each
// reading accepted or rejected with its reason.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GridledgerError, InputError } from '@gridledger/base';
import { RpcCallError } from '@gridledger/client';
import {
  MAX_READINGS_PER_TX,
  METERS_ABI,
  METERS_ADDRESS,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  type Reading,
  readingDomain,
} from '@gridledger/energy';
import type { Command } from 'commander';
import { encodeFunctionData, type Hex } from 'viem';
import {
  addChainOptions,
  addKeyOptions,
  ChainConnection,
  type ChainFlags,
  DEFAULT_RPC_URL,
  decodeRevertReason,
  resolveSigner,
  sendCall,
} from '../chain-client.ts';
import { parseUintFlag } from '../market-units.ts';
import { log, parseFormat, printJson, renderTable } from '../output.ts';
import { addMeterRegister } from './meter-register.ts';

/** A signed reading as `meter sign` writes it (integers as decimal strings). */
export interface SignedReadingJson {
  meter: string;
  interval: string;
  importedWh: string;
  exportedWh: string;
  chainId: string;
  signer: string;
  signature: Hex;
}

const U64 = 2n ** 64n - 1n;

const EXAMPLES = `
A reading is EIP-712 typed data Reading(uint256 meter,uint64 interval,uint64 importedWh,uint64 exportedWh)
in the domain {name "gridledger-meters", version "1", chainId, verifyingContract 0x…1012}, signed by the
meter's registered key. The chain accepts it from the end of its interval until the settlement deadline,
once per meter and interval (docs/market-rules.md §10).

Examples:
  gridledger meter sign --meter 101 --interval 1234 --imported 0 --exported 48000000 \\
      --key-file meter101.key --out readings.jsonl
  gridledger meter sign --meter 1 --interval 1234 --imported 1500 --exported 0 --account meter-1 --chain-id 1337
  gridledger meter submit readings.jsonl more.jsonl --account participant-1
  gridledger meter submit readings.jsonl --account participant-1 --format json`;

type SignFlags = ChainFlags & {
  meter: string;
  interval: string;
  imported: string;
  exported: string;
  chainId?: string;
  out?: string;
};

/** Registers `meter sign|submit`. */
export function registerMeter(program: Command): void {
  const meter = program
    .command('meter')
    .description('register meters, sign and submit meter readings for the energy market')
    .addHelpText('after', EXAMPLES);
  addMeterRegister(meter);

  addKeyOptions(
    meter
      .command('sign')
      .description(
        "sign one interval reading with the meter's key; prints it as JSON (--out appends it to FILE)",
      )
      .requiredOption('--meter <id>', 'meter id as registered')
      .requiredOption('--interval <k>', 'interval the reading is for')
      .requiredOption('--imported <wh>', 'energy taken from the grid in the interval, Wh')
      .requiredOption('--exported <wh>', 'energy fed into the grid in the interval, Wh')
      .option('--chain-id <id>', 'sign offline for this chain id (otherwise read from --rpc)')
      .option(
        '--rpc <url>',
        'JSON-RPC endpoint for the chain id (and a check of the meter key)',
        DEFAULT_RPC_URL,
      )
      .option('--out <file>', 'append the signed reading to FILE as one JSON line')
      .option('--format <format>', 'json (the signed reading) or table', 'json')
      .addHelpText('after', EXAMPLES),
  ).action(async (o: SignFlags) => {
    const format = parseFormat(o.format);
    const reading: Reading = {
      meter: parseUintFlag(o.meter, '--meter', 2n ** 256n - 1n),
      interval: parseUintFlag(o.interval, '--interval', U64),
      importedWh: parseUintFlag(o.imported, '--imported', U64),
      exportedWh: parseUintFlag(o.exported, '--exported', U64),
    };
    const account = resolveSigner(o, 'meter sign');
    let chainId: bigint;
    if (o.chainId !== undefined) chainId = parseUintFlag(o.chainId, '--chain-id');
    else {
      const conn = await ChainConnection.open(o.rpc);
      chainId = BigInt(conn.chainId);
      // Online: say so when this key is not the meter's registered key (the chain would refuse it).
      const [key] = await conn.client.readContract({
        address: REGISTRY_ADDRESS,
        abi: REGISTRY_ABI,
        functionName: 'meterOf',
        args: [reading.meter],
      });
      if (BigInt(key) === 0n)
        log(`warning: meter ${reading.meter} is not registered on the chain at ${o.rpc}`);
      else if (key.toLowerCase() !== account.address.toLowerCase())
        log(
          `warning: meter ${reading.meter}'s registered key is ${key.toLowerCase()}, not ${account.address.toLowerCase()}`,
        );
    }
    const signature = await account.signTypedData({
      domain: readingDomain(chainId),
      types: READING_TYPES,
      primaryType: 'Reading',
      message: reading,
    });
    const signed: SignedReadingJson = {
      meter: reading.meter.toString(),
      interval: reading.interval.toString(),
      importedWh: reading.importedWh.toString(),
      exportedWh: reading.exportedWh.toString(),
      chainId: chainId.toString(),
      signer: account.address.toLowerCase(),
      signature,
    };
    if (o.out !== undefined) {
      appendFileSync(resolve(o.out), `${JSON.stringify(signed)}\n`);
      log(
        `appended the reading of meter ${signed.meter} for interval ${signed.interval} to ${resolve(o.out)}`,
      );
    }
    if (format === 'json') return printJson(signed);
    process.stdout.write(
      `${renderTable(
        ['meter', 'interval', 'imported Wh', 'exported Wh', 'chain', 'signer', 'signature'],
        [
          [
            signed.meter,
            signed.interval,
            signed.importedWh,
            signed.exportedWh,
            signed.chainId,
            signed.signer,
            `${signature.slice(0, 18)}…`,
          ],
        ],
      )}\n`,
    );
  });

  addChainOptions(
    meter
      .command('submit')
      .description('submit signed readings from files in one transaction; prints each accepted or rejected')
      .argument(
        '<files...>',
        'files of signed readings: JSON lines (as meter sign --out writes), or a JSON array',
      )
      .addHelpText('after', EXAMPLES),
    true,
  ).action(async (files: string[], o: ChainFlags) => {
    const format = parseFormat(o.format);
    const entries = files.flatMap(loadReadingsFile);
    if (entries.length === 0) throw new InputError(`no readings in ${files.join(', ')}`);
    const account = resolveSigner(o, 'meter submit');
    const conn = await ChainConnection.open(o.rpc);
    const results: {
      entry: FileReading;
      status: 'accepted' | 'rejected';
      reason: string;
      transaction?: Hex;
    }[] = [];
    const ok: FileReading[] = [];
    const seen = new Set<string>();
    // Each reading alone against the latest state: a rejected one is reported, the rest still go.
    for (const e of entries) {
      const key = `${e.reading.meter}:${e.reading.interval}`;
      let reason: string | undefined;
      if (e.chainId !== undefined && e.chainId !== BigInt(conn.chainId)) {
        reason = `signed for chain ${e.chainId}, this chain is ${conn.chainId}`;
      } else if (seen.has(key))
        reason = `a second reading of meter ${e.reading.meter} for interval ${e.reading.interval} in these files`;
      else reason = await preflight(conn, account.address, e);
      seen.add(key);
      if (reason === undefined) ok.push(e);
      else results.push({ entry: e, status: 'rejected', reason });
    }
    for (let i = 0; i < ok.length; i += MAX_READINGS_PER_TX) {
      const batch = ok.slice(i, i + MAX_READINGS_PER_TX);
      const out = await sendCall(conn, account, {
        to: METERS_ADDRESS,
        abi: METERS_ABI,
        functionName: 'submitReadings',
        args: [batch.map((e) => e.reading), batch.map((e) => e.signature)],
      });
      for (const e of batch) {
        if (out.ok) results.push({ entry: e, status: 'accepted', reason: '', transaction: out.hash });
        else
          results.push({
            entry: e,
            status: 'rejected',
            reason: `${out.reason} (the whole transaction)`,
            ...(out.hash ? { transaction: out.hash } : {}),
          });
      }
    }
    results.sort((a, b) => a.entry.order - b.entry.order);
    const rejectedCount = results.filter((r) => r.status === 'rejected').length;
    if (format === 'json') {
      printJson({
        accepted: results.length - rejectedCount,
        rejected: rejectedCount,
        readings: results.map((r) => ({
          file: r.entry.file,
          line: r.entry.line,
          meter: r.entry.reading.meter.toString(),
          interval: r.entry.reading.interval.toString(),
          importedWh: r.entry.reading.importedWh.toString(),
          exportedWh: r.entry.reading.exportedWh.toString(),
          status: r.status,
          ...(r.reason ? { reason: r.reason } : {}),
          ...(r.transaction ? { transaction: r.transaction } : {}),
        })),
      });
    } else {
      process.stdout.write(
        `${renderTable(
          ['file:line', 'meter', 'interval', 'imported Wh', 'exported Wh', 'result', 'reason / transaction'],
          results.map((r) => [
            `${r.entry.file}:${r.entry.line}`,
            r.entry.reading.meter.toString(),
            r.entry.reading.interval.toString(),
            r.entry.reading.importedWh.toString(),
            r.entry.reading.exportedWh.toString(),
            r.status,
            r.reason || (r.transaction ?? ''),
          ]),
        )}\n`,
      );
      log(`${results.length - rejectedCount} accepted, ${rejectedCount} rejected`);
    }
    if (rejectedCount > 0) {
      throw new GridledgerError(
        'E_REJECTED',
        `${rejectedCount} of ${results.length} readings rejected (see above)`,
      );
    }
  });
}

/** One reading read from a file, with where it came from. */
interface FileReading {
  file: string;
  line: number;
  order: number;
  reading: Reading;
  signature: Hex;
  chainId: bigint | undefined;
}

let readingCounter = 0;

/**
 * The readings of one file: JSON lines, or one JSON array (or {"readings": [...]}).
 * @throws InputError naming the file, the line and the field.
 */
export function loadReadingsFile(file: string): FileReading[] {
  const path = resolve(file);
  if (!existsSync(path)) throw new InputError(`readings file ${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  const trimmed = text.trim();
  let items: { value: unknown; line: number }[];
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && /^\{\s*"readings"/.test(trimmed))) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (err) {
      throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
    }
    const list = Array.isArray(json) ? json : (json as { readings?: unknown }).readings;
    if (!Array.isArray(list))
      throw new InputError(`${file}: expected a JSON array of readings or {"readings": [...]}`);
    items = list.map((value, i) => ({ value, line: i + 1 }));
  } else {
    items = [];
    text.split('\n').forEach((l, i) => {
      if (l.trim() === '' || l.trim().startsWith('#')) return;
      try {
        items.push({ value: JSON.parse(l), line: i + 1 });
      } catch {
        throw new InputError(`${file}:${i + 1}: not a JSON object (expected one signed reading per line)`);
      }
    });
  }
  return items.map(({ value, line }) => {
    const where = `${file}:${line}`;
    if (value === null || typeof value !== 'object')
      throw new InputError(`${where}: expected a signed reading object`);
    const r = value as Record<string, unknown>;
    const uint = (name: string, max: bigint) => {
      const v = r[name];
      const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
      if (typeof s !== 'string' || !/^\d{1,78}$/.test(s) || BigInt(s) > max)
        throw new InputError(
          `${where}: ${name} must be a whole number in 0..${max}, got ${JSON.stringify(v)}`,
        );
      return BigInt(s);
    };
    const sig = r.signature;
    if (typeof sig !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(sig))
      throw new InputError(`${where}: signature must be 65 bytes as 0x and 130 hex digits`);
    return {
      file,
      line,
      order: readingCounter++,
      reading: {
        meter: uint('meter', 2n ** 256n - 1n),
        interval: uint('interval', U64),
        importedWh: uint('importedWh', U64),
        exportedWh: uint('exportedWh', U64),
      },
      signature: sig.toLowerCase() as Hex,
      chainId: r.chainId === undefined ? undefined : uint('chainId', U64),
    };
  });
}

/** Why the chain would refuse this reading alone now (eth_call from the sender), or undefined. */
async function preflight(conn: ChainConnection, from: Hex, e: FileReading): Promise<string | undefined> {
  const data = encodeFunctionData({
    abi: METERS_ABI,
    functionName: 'submitReadings',
    args: [[e.reading], [e.signature]],
  });
  try {
    await conn.request('eth_call', [{ from, to: METERS_ADDRESS, data }, 'latest']);
    return undefined;
  } catch (err) {
    if (err instanceof RpcCallError && err.rpcCode === 3) {
      const body = err.message.replace(/^eth_call: (execution reverted: )?/, '');
      // The module names the reading as "reading 1 (meter M, interval K): why"; keep the why.
      return body.replace(/^meters: reading 1 \([^)]*\): /, '') || decodeRevertReason(undefined);
    }
    throw err;
  }
}
