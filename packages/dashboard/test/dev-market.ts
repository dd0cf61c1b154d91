// A small live market for the dashboard's browser test, used until the simulator (`runScenario`) is on
// main: a 4-validator dev network as child processes (`gridledger testnet`) with the market clock
// running fast, and a driver that, through JSON-RPC with signed transactions, registers
// case33bw_congested, a few participants and their meters, places orders every interval that load
// line 15-16 (0.2 MW) beyond its limit (cheap sellers behind it at buses 17-18, buyers up the feeder),
// and submits each cleared party's signed meter reading after the interval so it settles into credits.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MARKET_ABI,
  MARKET_ADDRESS,
  METERS_ABI,
  METERS_ADDRESS,
  networkToJson,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  readingDomain,
} from '@gridledger/energy';
import { buildDevAccounts } from '@gridledger/execution';
import { loadMatpower } from '@gridledger/grid';
import { DEFAULT_CHAIN_ID, defaultDevMarketConfig, initDevNetwork } from '@gridledger/node';
import { ethChainIdOf } from '@gridledger/rpc';
import { type Abi, encodeFunctionData, type Hex, keccak256, toHex } from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { rpcBatch, rpcCall } from '../src/rpc-client.ts';

/** ../shared/grid-cases seen from the repository root. */
const GRID_CASES_DIR = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
const BIN = fileURLToPath(new URL('../../cli/bin/gridledger.mjs', import.meta.url));
const USD = 1_000_000n;

/** Participants: name index -> bus and role in the congested pattern. */
const PARTIES: { bus: number; side: 'buy' | 'sell'; wh: bigint; price: bigint }[] = [
  { bus: 18, side: 'sell', wh: 40_000n, price: 12n * USD },
  { bus: 17, side: 'sell', wh: 30_000n, price: 15n * USD },
  { bus: 16, side: 'buy', wh: 5_000n, price: 60n * USD },
  { bus: 8, side: 'buy', wh: 25_000n, price: 90n * USD },
  { bus: 12, side: 'buy', wh: 20_000n, price: 85n * USD },
  { bus: 25, side: 'buy', wh: 15_000n, price: 95n * USD },
  { bus: 30, side: 'buy', wh: 20_000n, price: 80n * USD },
  { bus: 6, side: 'sell', wh: 10_000n, price: 70n * USD },
];

interface DevAccountJson {
  name: string;
  role: string;
  address: string;
  privateKey: Hex;
}

/** A running dev market. */
export interface DevMarket {
  dir: string;
  rpcUrls: string[];
  devAccountsPath: string;
  addressesPath: string;
  /** Registration done, driving orders and readings in the background. */
  ready: Promise<void>;
  /** Driver errors (a test asserts none). */
  errors: string[];
  stop(): Promise<void>;
}

/**
 * Starts the network and the driver.
 * @param basePort node k: p2p base+2k, JSON-RPC base+2k+1
 * @param scale market milliseconds per block millisecond (30: a 5-minute interval every 10 s)
 */
export async function startDevMarket(basePort: number, scale = 30n): Promise<DevMarket> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-dash-'));
  const genesisTime = new Date();
  const genesisMs = BigInt(genesisTime.getTime());
  // Market day starts at 11:00 UTC today (the congested hours of the feeder).
  const marketOrigin = BigInt(Date.UTC(2026, 5, 21, 11, 0, 0));
  const chainId = DEFAULT_CHAIN_ID;
  const participants = PARTIES.length;
  const operator = buildDevAccounts({ participants }).accounts.find(
    (a) => a.role === 'grid-operator',
  )!.address;
  const base = defaultDevMarketConfig(ethChainIdOf(chainId), operator, genesisMs);
  const energy = {
    ...base,
    clock: { blockOriginMs: genesisMs, marketOriginMs: marketOrigin, scale },
    firstInterval: marketOrigin / base.intervalMs + 1n,
    gateLeadMs: 60_000n,
    settlementDelayMs: 600_000n,
  };
  const init = initDevNetwork({
    validators: 4,
    outDir: join(dir, 'net'),
    basePort,
    participants,
    energy,
    genesisTime,
    chainId,
  });
  const netDir = join(dir, 'net');
  const logFd = openSync(join(dir, 'testnet.log'), 'a');
  const proc: ChildProcess = spawn(process.execPath, [BIN, 'testnet', '--validators', '4', '--dir', netDir], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const rpcUrls = [0, 1, 2, 3].map((k) => `http://127.0.0.1:${basePort + 2 * k + 1}`);
  const url = rpcUrls[0]!;
  const errors: string[] = [];
  let stopped = false;

  const accounts = (JSON.parse(readFileSync(init.devAccountsPath, 'utf8')) as { accounts: DevAccountJson[] })
    .accounts;
  const key = (name: string) => privateKeyToAccount(accounts.find((a) => a.name === name)!.privateKey);
  const admin = key('admin');
  const gridOp = key('grid-operator');
  const people = PARTIES.map((_, i) => key(`participant-${i + 1}`));
  const meterKeys = PARTIES.map((_, i) =>
    privateKeyToAccount(keccak256(toHex(`dashboard test meter ${i + 1}`))),
  );
  const nonces = new Map<string, number>();
  let ethChainId = 0;

  const send = async (who: PrivateKeyAccount, to: Hex, abi: Abi, functionName: string, args: unknown[]) => {
    const nonce = nonces.get(who.address) ?? 0;
    nonces.set(who.address, nonce + 1);
    const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);
    const raw = await who.signTransaction({
      type: 'eip1559',
      chainId: ethChainId,
      nonce,
      gas: 20_000_000n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      to,
      data,
    });
    return { method: 'eth_sendRawTransaction', params: [raw] };
  };
  const submit = async (calls: { method: string; params: unknown[] }[]) => {
    const res = await rpcBatch(url, calls);
    for (const r of res) if (!r.ok) errors.push(`send: ${r.message}`);
  };
  const waitUp = async () => {
    for (let i = 0; i < 240 && !stopped; i++) {
      try {
        if (Number(await rpcCall<string>(url, 'eth_blockNumber')) >= 1) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`dev market: the testnet did not start; see ${join(dir, 'testnet.log')}`);
  };
  const waitReceipt = async (hash: string) => {
    for (let i = 0; i < 120; i++) {
      const r = await rpcCall<{ status: string } | null>(url, 'eth_getTransactionReceipt', [hash]);
      if (r) return r;
      await new Promise((res) => setTimeout(res, 250));
    }
    throw new Error(`no receipt for ${hash}`);
  };

  const ready = (async () => {
    await waitUp();
    ethChainId = Number(await rpcCall<string>(url, 'eth_chainId'));
    const net = await loadMatpower(join(GRID_CASES_DIR, 'case33bw_congested.m'));
    const reg = [
      await send(gridOp, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [
        JSON.stringify(networkToJson(net)),
      ]),
      ...(await Promise.all(
        PARTIES.map((p, i) =>
          send(gridOp, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
            BigInt(i + 1),
            meterKeys[i]!.address,
            BigInt(p.bus),
            people[i]!.address,
          ]),
        ),
      )),
    ];
    for (const [i, p] of PARTIES.entries())
      reg.push(
        await send(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [
          people[i]!.address,
          [BigInt(p.bus)],
        ]),
      );
    const res = await rpcBatch(url, reg);
    const last = res[res.length - 1];
    if (!last?.ok) throw new Error(`registration refused: ${last && !last.ok ? last.message : ''}`);
    const r = await waitReceipt(String(last.result));
    if (r.status !== '0x1') throw new Error('registration reverted');
  })();

  // The driver loop: orders for each open interval, readings for each cleared one after it ends.
  const ordered = new Set<bigint>();
  const read = new Set<bigint>();
  const loop = (async () => {
    try {
      await ready;
    } catch (err) {
      errors.push(`dev market: ${(err as Error).message}`);
      return;
    }
    while (!stopped) {
      try {
        const mc = await rpcCall<{
          openInterval: string | null;
          marketTimeMs: string | null;
          clearNext: string;
        }>(url, 'gl_marketConfig');
        if (mc.openInterval !== null && mc.marketTimeMs !== null) {
          const open = BigInt(mc.openInterval);
          const now = BigInt(mc.marketTimeMs);
          // Orders for the open interval, if its gate is more than ~40 s of market time away.
          if (!ordered.has(open) && open * energy.intervalMs - energy.gateLeadMs - now > 40_000n) {
            ordered.add(open);
            const wobble = (open % 5n) * 2_000n;
            const calls = [];
            for (const [i, p] of PARTIES.entries())
              calls.push(
                await send(people[i]!, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
                  open,
                  BigInt(p.bus),
                  p.side === 'buy' ? 0 : 1,
                  [{ energyWh: p.wh + wobble, priceMicrosPerMWh: p.price + wobble * 100n }],
                ]),
              );
            await submit(calls);
          }
          // Readings of cleared intervals that have ended: exactly the cleared energy.
          for (
            let k = BigInt(mc.clearNext) - 1n;
            k >= energy.firstInterval && k >= BigInt(mc.clearNext) - 3n;
            k--
          ) {
            if (read.has(k) || now < (k + 1n) * energy.intervalMs) continue;
            read.add(k);
            const orders = await rpcCall<{ owner: string; side: string; clearedWh: string }[]>(
              url,
              'gl_orders',
              [k.toString()],
            );
            const calls = [];
            for (const [i, person] of people.entries()) {
              const mine = orders.filter((o) => o.owner === person.address.toLowerCase());
              if (mine.length === 0) continue;
              const wh = mine.reduce((s, o) => s + BigInt(o.clearedWh), 0n);
              const side = PARTIES[i]!.side;
              const reading = {
                meter: BigInt(i + 1),
                interval: k,
                importedWh: side === 'buy' ? wh : 0n,
                exportedWh: side === 'sell' ? wh : 0n,
              };
              const sig = await meterKeys[i]!.signTypedData({
                domain: readingDomain(BigInt(ethChainId)),
                types: READING_TYPES,
                primaryType: 'Reading',
                message: reading,
              });
              calls.push(
                await send(person, METERS_ADDRESS, METERS_ABI, 'submitReadings', [[reading], [sig]]),
              );
            }
            if (calls.length > 0) await submit(calls);
          }
        }
      } catch (err) {
        if (!stopped) errors.push(`dev market: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();

  return {
    dir,
    rpcUrls,
    devAccountsPath: init.devAccountsPath,
    addressesPath: init.addressesPath,
    ready,
    errors,
    stop: async () => {
      stopped = true;
      await loop;
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
      if (process.env.GL_KEEP_TESTNET) process.stderr.write(`kept ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
