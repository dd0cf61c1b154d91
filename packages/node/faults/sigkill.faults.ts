// SIGKILL under load (`npm run test:faults`): a 4-validator dev testnet (execution app, energy market with
// an open book) under a steady load of ERC-20 transfers and energy orders (place, then cancel), while a
// seeded PRNG picks a validator and a moment to SIGKILL it, 50 times; each time the other three commit
// on, and the killed one restarts and catches up. At the end no committed transaction is lost (every
// receipt seen during the run is served by every node at the same block), and every node holds the same
// block hash and app hash at every height. One validator is down at a time. The seed is printed: GL_FAULT_SEED=<seed> replays the kills.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MARKET_ABI, MARKET_ADDRESS, REGISTRY_ABI, REGISTRY_ADDRESS } from '@gridledger/energy';
import { buildDevAccounts } from '@gridledger/execution';
import { encodeFunctionData, erc20Abi, type Hex, keccak256, toHex as viemHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoBusNetwork } from '../../energy/test/harness.ts';
import { defaultDevMarketConfig, initDevNetwork } from '../src/index.ts';
import { freePortRange, sleep, TEST_TIMEOUTS, TestNet } from '../test/harness.ts';
import { chainOf, compareChains, faultSeed, seededRandom } from './faults-harness.ts';

const KILLS = Number(process.env.GL_FAULT_KILLS ?? 50);
const CHAIN = 'faults-sigkill';
/** The network's Ethereum chain id (fixed, so a replayed seed signs the same transactions). */
const ETH_CHAIN_ID = 7_000_051n;
const ALL = [0, 1, 2, 3];

interface DevAccount {
  name: string;
  role: string;
  address: Hex;
  privateKey: Hex;
}

class DevNet extends TestNet {
  async initDev(): Promise<void> {
    this.basePort = await freePortRange(2 * this.n);
    const genesisTime = new Date();
    const operator = buildDevAccounts({ participants: 6 }).accounts.find((a) => a.role === 'grid-operator')!;
    // An open book (no sealed bids): an order is one placeOrder transaction; no meters are registered,
    // so orders are not capped by them (the load, not the market's rules, is under test here).
    const market = {
      ...defaultDevMarketConfig(ETH_CHAIN_ID, operator.address, BigInt(genesisTime.getTime())),
      ordersCappedByMeters: false,
    };
    delete market.sealed;
    initDevNetwork({
      validators: this.n,
      outDir: this.dir,
      chainId: CHAIN,
      basePort: this.basePort,
      timeouts: TEST_TIMEOUTS,
      logLevel: 'info',
      participants: 6,
      genesisTime,
      energy: market,
    });
  }
}

const net = new DevNet(4);
net.startTimeoutMs = 180_000; // an execution node opening its state on a loaded machine
let dev: DevAccount[];
let cashAddress: Hex;
let ethChainId = 0;
let stopLoad = false;
const figures: Record<string, unknown> = {};

/** Every transaction sent, and the receipt's block once one was seen. */
interface Sent {
  hash: Hex;
  kind: string;
  block?: { number: string; hash: string; status: string };
}
const sent: Sent[] = [];

const live = () => [...net.running.keys()];
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;

/** Signs and submits a transaction, then waits for its receipt (re-submitting to another node if lost). */
async function transact(
  a: DevAccount,
  nonce: number,
  to: Hex,
  data: Hex,
  kind: string,
  // biome-ignore lint/suspicious/noExplicitAny: a JSON-RPC receipt
): Promise<any> {
  const raw = await privateKeyToAccount(a.privateKey).signTransaction({
    type: 'eip1559',
    chainId: ethChainId,
    nonce,
    gas: 2_000_000n,
    maxFeePerGas: 0n,
    maxPriorityFeePerGas: 0n,
    to,
    data,
  });
  const s: Sent = { hash: keccak256(raw), kind };
  sent.push(s);
  for (let attempt = 0; ; attempt++) {
    const k = pick(live());
    const r = await net
      .rpcRaw(k, { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [raw] })
      .catch(() => undefined);
    if (r?.json?.error && !/known|nonce too low|already/i.test(r.json.error.message))
      throw new Error(`${kind} from ${a.name} nonce ${nonce}: ${r.json.error.message}`);
    const t0 = Date.now();
    while (Date.now() - t0 < 15_000) {
      const rec = await anyRpc('eth_getTransactionReceipt', [s.hash]).catch(() => null);
      if (rec) {
        s.block = { number: rec.blockNumber, hash: rec.blockHash, status: rec.status };
        return rec;
      }
      await sleep(250);
    }
    if (stopLoad && attempt > 20) throw new Error(`${kind} ${s.hash} never committed`);
  }
}

/** A JSON-RPC call to any live node, retried on another while the one picked is down. */
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON-RPC result
async function anyRpc(method: string, params: unknown[] = []): Promise<any> {
  for (let attempt = 0; ; attempt++) {
    const r = await net
      .rpcRaw(pick(live()), { jsonrpc: '2.0', id: 1, method, params })
      .catch(() => undefined);
    if (r?.json?.error) throw new Error(`${method}: ${r.json.error.message}`);
    if (r?.json) return r.json.result;
    if (attempt > 200) throw new Error(`${method}: no live node answered`);
    await sleep(200);
  }
}

async function nonceOf(a: DevAccount): Promise<number> {
  return Number(await anyRpc('eth_getTransactionCount', [a.address, 'latest']));
}

const acct = (name: string) => dev.find((d) => d.name === name)!;

/** ERC-20 transfers from `a` to the next participant, one after the other, until the load stops. */
async function transferLoop(a: DevAccount, to: DevAccount): Promise<void> {
  let nonce = await nonceOf(a);
  while (!stopLoad) {
    const data = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to.address, 1_000n] });
    await transact(a, nonce++, cashAddress, data, 'erc20');
  }
}

/** Energy orders: place a small sell at bus 2 for a coming interval, then cancel it; until the load stops. */
async function orderLoop(a: DevAccount): Promise<void> {
  let nonce = await nonceOf(a);
  let i = 0;
  while (!stopLoad) {
    const open = BigInt((await anyRpc('gl_marketConfig')).openInterval);
    const place = encodeFunctionData({
      abi: MARKET_ABI,
      functionName: 'placeOrder',
      args: [open + 2n + BigInt(i++ % 3), 2n, 1, [{ energyWh: 1_000n, priceMicrosPerMWh: 50_000_000n }]],
    } as Parameters<typeof encodeFunctionData>[0]);
    const rec = await transact(a, nonce++, MARKET_ADDRESS, place, 'placeOrder');
    const id =
      rec.status === '0x1'
        ? rec.logs?.find((l: { address: string }) => l.address.toLowerCase() === MARKET_ADDRESS.toLowerCase())
            ?.topics?.[1]
        : undefined;
    if (id !== undefined && !stopLoad) {
      const cancel = encodeFunctionData({
        abi: MARKET_ABI,
        functionName: 'cancelOrder',
        args: [BigInt(id)],
      } as Parameters<typeof encodeFunctionData>[0]);
      await transact(a, nonce++, MARKET_ADDRESS, cancel, 'cancelOrder');
    }
  }
}

beforeAll(async () => {
  await net.initDev();
  dev = JSON.parse(readFileSync(join(net.dir, 'dev-accounts.json'), 'utf8')).accounts;
  cashAddress = JSON.parse(readFileSync(join(net.dir, 'addresses.json'), 'utf8')).cash;
  await Promise.all(ALL.map((k) => net.start(k)));
  await net.waitHeight(ALL, 2n, 120_000);
  ethChainId = Number(await net.rpc(0, 'eth_chainId'));
  // The grid: two buses and a line; participants 5 and 6 trade at bus 2.
  const grid = twoBusNetwork('two');
  const op = acct('grid-operator');
  const admin = acct('admin');
  const fn = (abi: unknown, functionName: string, args: unknown[]) =>
    encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);
  const r1 = await transact(
    op,
    await nonceOf(op),
    REGISTRY_ADDRESS,
    fn(REGISTRY_ABI, 'registerNetwork', [JSON.stringify(grid)]),
    'setup',
  );
  expect(r1.status).toBe('0x1');
  let n = await nonceOf(admin);
  for (const who of ['participant-5', 'participant-6']) {
    const r = await transact(
      admin,
      n++,
      REGISTRY_ADDRESS,
      fn(REGISTRY_ABI, 'registerParticipant', [acct(who).address, [2n]]),
      'setup',
    );
    expect(r.status).toBe('0x1');
  }
}, 240_000);

afterAll(async () => {
  stopLoad = true;
  process.stderr.write(
    `sigkill figures: ${JSON.stringify(figures, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
  );
  await net.destroy();
}, 60_000);

describe('SIGKILL of a random validator at random moments under ERC-20 and order load', () => {
  it(`${KILLS} kills: the chain goes on, no committed transaction lost, one chain everywhere`, async () => {
    const seed = faultSeed('sigkill');
    const random = seededRandom(seed);
    const loads = [
      transferLoop(acct('participant-1'), acct('participant-2')),
      transferLoop(acct('participant-2'), acct('participant-3')),
      transferLoop(acct('participant-3'), acct('participant-4')),
      transferLoop(acct('participant-4'), acct('participant-1')),
      orderLoop(acct('participant-5')),
      orderLoop(acct('participant-6')),
    ];
    const failures: unknown[] = [];
    const loadDone = Promise.all(loads.map((l) => l.catch((e) => failures.push(e))));
    const t0 = Date.now();
    const killed = [0, 0, 0, 0];
    const startHeight = await net.height(0);
    for (let i = 0; i < KILLS; i++) {
      await sleep(Math.floor(random() * 1000));
      const k = Math.floor(random() * 4);
      const others = ALL.filter((x) => x !== k);
      const h = await net.height(others[0]!);
      expect(await net.stop(k, 'SIGKILL')).toBe(128);
      killed[k]!++;
      // The restart (~12 s for an execution node on this loaded machine) overlaps the check that the
      // other three commit on; the restarted node catches up by block sync while the next kill waits.
      const restarted = net.start(k);
      await net.waitHeight(others, h + 1n, 120_000);
      await restarted;
      expect(failures).toEqual([]);
      const done = sent.filter((x) => x.block !== undefined).length;
      process.stderr.write(
        `sigkill: kill ${i + 1}/${KILLS} node${k} at height ${h}, ${Math.round((Date.now() - t0) / 1000)} s, txs ${sent.length} sent ${done} committed\n`,
      );
    }
    await net.waitHeight(ALL, await net.height(0), 120_000); // every node caught up
    const runMs = Date.now() - t0;
    stopLoad = true;
    await loadDone;
    expect(failures).toEqual([]);
    const endHeight = await net.height(0);
    await net.waitHeight(ALL, endHeight + 2n, 120_000);

    // Every receipt seen during the run is served by every node, at the same block.
    const committed = sent.filter((s) => s.block !== undefined);
    let lost = 0;
    for (const k of ALL) {
      for (const s of committed) {
        const rec = await net.rpc(k, 'eth_getTransactionReceipt', [s.hash]);
        if (!rec || rec.blockHash !== s.block!.hash || rec.blockNumber !== s.block!.number) lost++;
      }
    }
    await net.stopAll();
    const chains = await Promise.all(ALL.map((k) => chainOf(net, k)));
    const c = compareChains(chains);
    // ...and each is in the stored chain exactly once.
    const inChain = new Map<string, number>();
    for (const b of chains[0]!)
      for (const tx of b.txs)
        inChain.set(keccak256(viemHex(tx)), (inChain.get(keccak256(viemHex(tx))) ?? 0) + 1);
    const missing = committed.filter((s) => inChain.get(s.hash) !== 1).length;
    const recovered = ALL.map((k) => (net.log(k).match(/recovered from write-ahead log/g) ?? []).length);
    const byKind: Record<string, { sent: number; committed: number; reverted: number }> = {};
    for (const s of sent) {
      const x = (byKind[s.kind] ??= { sent: 0, committed: 0, reverted: 0 });
      x.sent++;
      if (s.block) x.committed++;
      if (s.block?.status === '0x0') x.reverted++;
    }
    Object.assign(figures, {
      seed,
      kills: KILLS,
      killedPerNode: killed,
      runSeconds: Math.round(runMs / 1000),
      heights: { start: startHeight, end: endHeight, stored: c.top, common: c.common },
      txs: { sent: sent.length, committed: committed.length, byKind },
      lostCommitted: lost,
      notInChainOnce: missing,
      conflicts: c.conflicts,
      walRecoveries: recovered,
    });
    expect(lost).toBe(0);
    expect(missing).toBe(0);
    expect(c.conflicts).toBe(0);
    expect(committed.length).toBe(sent.length);
    expect(killed.reduce((a, b) => a + b)).toBe(KILLS);
  }, 2_400_000);
});
