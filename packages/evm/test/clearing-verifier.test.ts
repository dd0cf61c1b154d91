// The ClearingVerifier on anvil (one node for this file): books placed on chain in a BookCommitment (the
// verifier's own minimal book contract: orders, clock, network views, the clearing seam), cleared by the
// operator's code (read from chain → engine → integer certificate → begin / submitOrders / finish /
// applyChunk);
// correct clearings are applied, perturbed ones (a flow, a price, a dual, a quantity, a missing order, a
// chunk out of order) are rejected with the contract's error and change nothing; gas by book size.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkToJson } from '@gridledger/energy';
import { loadMatpower } from '@gridledger/grid';
import type { Abi, Address } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Anvil, startAnvil } from '../src/anvil.ts';
import { DEFAULT_TOLERANCES, integerNetwork } from '../src/certificate/format.ts';
import { produceDcCertificate } from '../src/certificate/produce.ts';
import { chunkEnds, clearingArgs, networkPartArgs, orderChunks } from '../src/certificate/submission.ts';
import { deployVerifier, revertName, submitClearing } from '../src/certificate/verifier-client.ts';
import { devAccount, type EvmClients, evmClients } from '../src/deploy.ts';
import { BookCommitmentAbi, BookCommitmentBytecode } from '../src/generated/BookCommitment.ts';
import { ClearingVerifierAbi } from '../src/generated/ClearingVerifier.ts';
import { MarketAbi } from '../src/generated/Market.ts';
import { RegistryAbi } from '../src/generated/Registry.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { clearIntervalOnChain, dueIntervals, readBook, readNetwork } from '../src/operator/operator.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
const INTERVAL_MS = 300_000n;
const MWH = 1_000_000n;
const bookAbi = BookCommitmentAbi as Abi;
const verifierAbi = ClearingVerifierAbi as Abi;

let anvil: Anvil;
let deployer: EvmClients;
let traders: EvmClients[];
let book: Address;
let verifier: Address;
let nextInterval: bigint;
const busIds = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n];

/** A deterministic pseudo-random book of `n` orders on case9 (seeded LCG), congesting branch 8-9. */
function bookOrders(n: number, seed: number) {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: n }, () => {
    const sell = rnd() < 0.45;
    const bus = busIds[Math.floor(rnd() * busIds.length)]!;
    const steps = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => ({
      energyWh: BigInt(50_000 + Math.floor(rnd() * 2_000_000)),
      priceMicrosPerMWh: BigInt(10 + Math.floor(rnd() * 80)) * MWH,
    }));
    return { bus, side: sell ? 1 : 0, steps };
  });
}

async function mine(seconds: bigint) {
  await deployer.public.request({ method: 'evm_increaseTime' as never, params: [Number(seconds)] as never });
  await deployer.public.request({ method: 'evm_mine' as never, params: [] as never });
}

async function nowMs(): Promise<bigint> {
  return (await deployer.public.getBlock()).timestamp * 1000n;
}

/** Places `n` orders for a fresh interval and moves time past its gate; returns the interval. */
async function placeBook(n: number, seed: number, congest = false): Promise<bigint> {
  const k = nextInterval;
  nextInterval += 2n;
  const orders = bookOrders(n, seed);
  if (congest) {
    // 96 MW bought at bus 9 from a cheap seller at bus 2: line 8-9 (40 MW) binds.
    orders.push({ bus: 9n, side: 0, steps: [{ energyWh: 8n * MWH, priceMicrosPerMWh: 95n * MWH }] });
    orders.push({ bus: 2n, side: 1, steps: [{ energyWh: 8n * MWH, priceMicrosPerMWh: 15n * MWH }] });
  }
  for (let i = 0; i < orders.length; i++) {
    const c = traders[i % traders.length]!;
    const o = orders[i]!;
    const hash = await c.wallet.writeContract({
      address: book,
      abi: bookAbi,
      functionName: 'placeOrder',
      args: [k, o.bus, o.side, o.steps],
    } as Parameters<typeof c.wallet.writeContract>[0]);
    if (i === orders.length - 1) await c.public.waitForTransactionReceipt({ hash });
  }
  const now = await nowMs();
  const gate = k * INTERVAL_MS - 60_000n;
  if (now < gate) await mine((gate - now) / 1000n + 1n);
  return k;
}

const status = async (k: bigint) =>
  (
    (await deployer.public.readContract({
      address: book,
      abi: bookAbi,
      functionName: 'intervalState',
      args: [k],
    })) as [number]
  )[0];

async function produce(k: bigint) {
  const b = await readBook(deployer, { market: book, verifier }, k);
  const { network } = await readNetwork(deployer, book);
  const net = integerNetwork(network, 5);
  const produced = await produceDcCertificate(network, net, b, 5);
  return { b, net, produced };
}

/** Sends a call expecting the verifier to reject it; returns the error's name and arguments. */
async function rejected(functionName: string, args: readonly unknown[]): Promise<string> {
  try {
    await deployer.public.simulateContract({
      address: verifier,
      abi: verifierAbi,
      functionName,
      args,
      account: deployer.wallet.account,
    } as Parameters<typeof deployer.public.simulateContract>[0]);
  } catch (e) {
    return revertName(e);
  }
  throw new Error(`${functionName} was accepted`);
}

beforeAll(async () => {
  const start = BigInt(Math.floor(Date.now() / 1000));
  anvil = await startAnvil({ timestamp: start });
  deployer = await evmClients(anvil.url, devAccount(0) as unknown as PrivateKeyAccount);
  traders = await Promise.all(
    [1, 2, 3, 4].map((i) => evmClients(anvil.url, devAccount(i) as unknown as PrivateKeyAccount)),
  );
  nextInterval = (start * 1000n) / INTERVAL_MS + 4n;
  const net = await loadMatpower(`${CASES}case9_congested.m`);
  const json = networkToJson(net);
  const config = {
    gridOperator: deployer.wallet.account.address,
    intervalMs: INTERVAL_MS,
    gateLeadMs: 60_000n,
    settlementDelayMs: 600_000n,
    firstInterval: 0n,
    upstream: {
      bus: 1n,
      account: devAccount(9).address,
      importPriceMicrosPerMWh: 60n * MWH,
      exportPriceMicrosPerMWh: 20n * MWH,
      capacityWh: 20n * MWH,
    },
    shortfallPriceMicrosPerMWh: 120n * MWH,
    surplusPriceMicrosPerMWh: 10n * MWH,
    maxOrdersPerAccount: 1000,
    maxStepsPerOrder: 8,
    minStepWh: 1n,
    maxOrderWh: 0n,
    clock: { blockOriginMs: 0n, marketOriginMs: 0n, scale: 1n },
  };
  const hash = await deployer.wallet.deployContract({
    abi: bookAbi,
    bytecode: BookCommitmentBytecode,
    args: [config, JSON.stringify(json), busIds],
  } as Parameters<typeof deployer.wallet.deployContract>[0]);
  book = (await deployer.public.waitForTransactionReceipt({ hash })).contractAddress!;
  const v = await deployVerifier(deployer, {
    market: book,
    networkVersion: 1n,
    network: integerNetwork(net, 5),
    intervalMinutes: 5,
    tolerances: DEFAULT_TOLERANCES,
  });
  verifier = v.address;
  const h2 = await deployer.wallet.writeContract({
    address: book,
    abi: bookAbi,
    functionName: 'setVerifier',
    args: [verifier],
  } as Parameters<typeof deployer.wallet.writeContract>[0]);
  await deployer.public.waitForTransactionReceipt({ hash: h2 });
}, 180_000);

const dir = mkdtempSync(join(tmpdir(), 'gl-evm-operator-'));
afterAll(async () => {
  await anvil?.close();
  rmSync(dir, { recursive: true, force: true });
});

const bin = fileURLToPath(new URL('../../cli/bin/gridledger.mjs', import.meta.url));

/** Runs the CLI and collects its output; killed if it hangs. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

const keyFile = (i: number) => {
  const p = join(dir, `dev${i}.key`);
  writeFileSync(p, `${Buffer.from(devAccount(i).getHdKey().privateKey!).toString('hex')}\n`);
  return p;
};

async function call(
  c: EvmClients,
  address: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
) {
  const hash = await c.wallet.writeContract({ address, abi, functionName, args } as Parameters<
    typeof c.wallet.writeContract
  >[0]);
  const r = await c.public.waitForTransactionReceipt({ hash });
  expect(r.status, functionName).toBe('success');
}

describe('ClearingVerifier on anvil', () => {
  it('rejects perturbed certificates with the contract error and changes nothing, then accepts the correct one', async () => {
    const k = await placeBook(10, 7, true);
    const { b, net, produced } = await produce(k);
    const cert = produced.certificate;
    expect(cert.muForward.some((m) => m > 0n) || cert.muBackward.some((m) => m > 0n)).toBe(true);
    const part = networkPartArgs(cert);
    // A flow moved by 1 kW: Kirchhoff's law fails on it.
    const l =
      cert.muForward.findIndex((m) => m > 0n) >= 0
        ? cert.muForward.findIndex((m) => m > 0n)
        : cert.muBackward.findIndex((m) => m > 0n);
    expect(
      await rejected('begin', [k, { ...part, flowW: part.flowW.map((f, i) => (i === 0 ? f + 1000n : f)) }]),
    ).toMatch(/^(KirchhoffViolated|FlowOverLimit)\(0\)$/);
    // A price raised by 1 $/MWh at a bus: stationarity at the angles fails there.
    expect(
      await rejected('begin', [
        k,
        { ...part, lmpMicrosPerMWh: part.lmpMicrosPerMWh.map((p, i) => (i === 4 ? p + MWH : p)) },
      ]),
    ).toMatch(/^AngleStationarityViolated\(\d\)$/);
    // A limit dual raised on the congested branch: stationarity fails.
    expect(
      await rejected('begin', [
        k,
        {
          ...part,
          muForward: part.muForward.map((m, i) => (i === l ? m + MWH : m)),
          muBackward: part.muBackward.map((m, i) => (i === l ? m + MWH : m)),
        },
      ]),
    ).toMatch(/^(AngleStationarityViolated|DualWithoutBinding)\(\d\)$/);
    // A dual on a branch that is not binding.
    const free = cert.muForward.findIndex((m, i) => m === 0n && cert.muBackward[i] === 0n);
    expect(
      await rejected('begin', [
        k,
        { ...part, muForward: part.muForward.map((m, i) => (i === free ? 5n : m)) },
      ]),
    ).toBe(`DualWithoutBinding(${free})`);
    // Before the gate: an interval still taking orders cannot be cleared.
    expect(await rejected('begin', [k + 1000n, part])).toBe(`GateNotClosed(${k + 1000n})`);
    // Chunk out of order: before any session, and with a session but the wrong first position.
    const clearing = clearingArgs(net, b, produced, 5);
    const sized = b.orders.map((o, i) => ({ steps: o.steps, trades: clearing.orders[i]!.trades }));
    const chunks = orderChunks(b, cert, clearing, chunkEnds(sized, 10n ** 9n, 5));
    expect(await rejected('submitOrders', [k, 0n, chunks[0]!.orders])).toMatch(/^NoSession/);
    const begin = async () => {
      const hash = await deployer.wallet.writeContract({
        address: verifier,
        abi: verifierAbi,
        functionName: 'begin',
        args: [k, part],
      } as Parameters<typeof deployer.wallet.writeContract>[0]);
      expect((await deployer.public.waitForTransactionReceipt({ hash })).status).toBe('success');
    };
    const submit = async (first: bigint, orders: unknown[]) => {
      const hash = await deployer.wallet.writeContract({
        address: verifier,
        abi: verifierAbi,
        functionName: 'submitOrders',
        args: [k, first, orders],
      } as Parameters<typeof deployer.wallet.writeContract>[0]);
      expect((await deployer.public.waitForTransactionReceipt({ hash })).status).toBe('success');
    };
    await begin();
    expect(await rejected('submitOrders', [k, 5n, chunks[1]!.orders])).toBe('ChunkOutOfOrder(0, 5)');
    // A quantity changed by 1 Wh, with the trades it carries: its bus does not balance at finish, nor
    // the buyer it sells to (or its step's slackness fails in its chunk).
    const moved = chunks.map((ch) => ({
      ...ch,
      orders: ch.orders.map((o) => ({
        ...o,
        clearedWh: [...o.clearedWh],
        trades: o.trades.map((t) => ({ ...t })),
      })),
    }));
    const hit = moved
      .flatMap((ch) => ch.orders)
      .find((o) => o.side === 1 && o.trades.length > 0 && o.trades[0]!.energyWh > 1n)!;
    hit.clearedWh[hit.clearedWh.findIndex((q) => q > 0n)]! -= 1n;
    hit.trades[0]!.energyWh -= 1n;
    // (a step within τ_q of its bound passes its chunk: the balances at finish catch it)
    for (const ch of moved) await submit(ch.first, ch.orders);
    expect(await rejected('finish', [clearing.header])).toMatch(
      /^(BusImbalance|BuyersUnbalanced|UpstreamDiffers)\(\d*\)$/,
    );
    // A missing order: the session restarts and leaves the last order out.
    await begin();
    const short = orderChunks(
      { ...b, orders: b.orders.slice(0, -1) },
      { ...cert, clearedWh: cert.clearedWh.slice(0, -1) },
      clearing,
      chunkEnds(sized.slice(0, -1), 10n ** 9n, 5),
    );
    for (const ch of short) await submit(ch.first, ch.orders);
    expect(await rejected('finish', [clearing.header])).toBe(
      `BookDiffers(${b.orders.length}, ${b.orders.length - 1})`,
    );
    expect(await status(k)).toBe(0);
    // The correct clearing, submitted in chunks of 5 in a fresh session, is applied.
    await begin();
    const gas = await submitClearing(deployer, verifier, net, b, produced, 5, { maxOrders: 5 });
    expect(gas.chunks.length).toBe(3);
    expect(gas.apply.length).toBe(3);
    expect(await status(k)).toBe(1);
    // And cannot be applied twice.
    expect(await rejected('begin', [k, part])).toBe(`IntervalNotOpen(${k}, 1)`);
  });

  it("prices the upstream at the book's tariff of the interval (tariffAt), not the configured prices", async () => {
    const k = await placeBook(10, 41, true);
    const setTariffAt = (c: EvmClients, imp: bigint, exp: bigint) =>
      c.public.simulateContract({
        address: book,
        abi: bookAbi,
        functionName: 'setTariffAt',
        args: [k, imp, exp],
        account: c.wallet.account,
      });
    await expect(setTariffAt(traders[0]!, 200n * MWH, 1n * MWH)).rejects.toThrow(
      /book: only the deployer sets the tariff/,
    );
    // at the configured prices (60 / 20 $/MWh) the upstream sells into this book
    const atConfig = await produce(k);
    expect(atConfig.produced.certificate.upstreamSoldWh).toBeGreaterThan(0n);
    const { request } = await setTariffAt(deployer, 200n * MWH, 1n * MWH);
    await deployer.public.waitForTransactionReceipt({ hash: await deployer.wallet.writeContract(request) });
    const upstreamOf = (i: bigint) =>
      deployer.public.readContract({
        address: verifier,
        abi: verifierAbi,
        functionName: 'upstreamBook',
        args: [i],
      });
    expect(await upstreamOf(k)).toEqual([
      1n,
      { energyWh: 20n * MWH, priceMicrosPerMWh: 200n * MWH },
      { energyWh: expect.any(BigInt), priceMicrosPerMWh: 1n * MWH },
    ]);
    expect(((await upstreamOf(k + 1n)) as [bigint, { priceMicrosPerMWh: bigint }])[1].priceMicrosPerMWh).toBe(
      60n * MWH,
    );
    // the certificate at the configured prices is refused; the one at the interval's tariff is applied
    expect(await rejected('begin', [k, networkPartArgs(atConfig.produced.certificate)])).toBe(
      'UpstreamStepViolated(true)',
    );
    const honest = await produce(k);
    expect(honest.b.upstream.sell.priceMicrosPerMWh).toBe(200n * MWH);
    await submitClearing(deployer, verifier, honest.net, honest.b, honest.produced, 5);
    expect(await status(k)).toBe(1);
  });

  it('the operator clears every due interval from the chain alone; gas by book size', async () => {
    const rows: string[] = [];
    for (const n of [10, 40, 120]) {
      const k = await placeBook(n, 100 + n);
      const { due } = await dueIntervals(deployer, book, k);
      expect(due[0]).toBe(k);
      const r = await clearIntervalOnChain(deployer, { market: book, verifier }, k, 50);
      expect(r?.orders).toBe(n);
      expect(await status(k)).toBe(1);
      const g = r!.gas;
      rows.push(
        `${String(n).padStart(5)} orders: begin ${g.begin}, chunks ${g.chunks.join('+')}, finish ${g.finish}, apply ${g.apply.join('+')}, total ${g.total} gas (${g.total / BigInt(n)} per order)`,
      );
    }
    process.stdout.write(
      `ClearingVerifier gas on case9_congested (9 buses, 9 branches), chunks of 50 orders:\n${rows.join('\n')}\n`,
    );
  });

  it('gridledger deploy and gridledger operator clear an interval of the real Market on anvil', async () => {
    const cfgFile = join(dir, 'market.json');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        pricing: 'dc',
        network: `${CASES}case9_congested.m`,
        market: { upstream: { capacityWh: '20000000' } },
      }),
    );
    const out = join(dir, 'addresses.json');
    // Bad input first (the three at once: each is refused before it sends anything): AC pricing, a
    // missing key file, a missing contracts file.
    writeFileSync(join(dir, 'ac.json'), JSON.stringify({ pricing: 'ac' }));
    const [ac, noKey, noContracts] = await Promise.all([
      cli([
        'deploy',
        '--rpc',
        anvil.url,
        '--key-file',
        keyFile(5),
        '--config',
        join(dir, 'ac.json'),
        '--out',
        out,
      ]),
      cli(['deploy', '--rpc', anvil.url, '--key-file', join(dir, 'none.key')]),
      cli([
        'operator',
        '--rpc',
        anvil.url,
        '--contracts',
        join(dir, 'none.json'),
        '--key-file',
        keyFile(6),
        '--once',
      ]),
    ]);
    expect(ac.code).not.toBe(0);
    expect(ac.stderr).toMatch(/pricing: only "dc"/);
    expect(noKey.stderr).toMatch(/does not exist/);
    expect(noContracts.code).not.toBe(0);
    expect(noContracts.stderr).toMatch(/run gridledger deploy first/);

    const d = await cli([
      'deploy',
      '--rpc',
      anvil.url,
      '--key-file',
      keyFile(5),
      '--config',
      cfgFile,
      '--out',
      out,
      '--format',
      'json',
    ]);
    expect(d.code, d.stderr).toBe(0);
    const deployed = JSON.parse(d.stdout) as { addresses: Record<string, Address>; network: string };
    expect(deployed.network).toBe('case9_congested');
    const addrs = JSON.parse(readFileSync(out, 'utf8')) as Record<string, Address>;
    expect(addrs.verifier).toBe(deployed.addresses.verifier);
    // Participants with cash approved to the market; the upstream (the deployer) too.
    const admin = await evmClients(anvil.url, devAccount(5) as unknown as PrivateKeyAccount);
    const parts = [7, 8].map((i) => devAccount(i));
    await call(admin, addrs.registry!, RegistryAbi as Abi, 'registerParticipant', [
      parts[0]!.address,
      [2n, 9n],
    ]);
    await call(admin, addrs.registry!, RegistryAbi as Abi, 'registerParticipant', [
      parts[1]!.address,
      [5n, 9n],
    ]);
    for (const a of [devAccount(5), ...parts]) {
      await call(admin, addrs.cash!, TestStablecoinAbi as Abi, 'mint', [a.address, 10n ** 12n]);
      const c = await evmClients(anvil.url, a as unknown as PrivateKeyAccount);
      await call(c, addrs.cash!, TestStablecoinAbi as Abi, 'approve', [addrs.market!, 2n ** 256n - 1n]);
    }
    const now = await nowMs();
    const k = now / INTERVAL_MS + 3n;
    const seller = await evmClients(anvil.url, parts[0] as unknown as PrivateKeyAccount);
    const buyer = await evmClients(anvil.url, parts[1] as unknown as PrivateKeyAccount);
    const place = (c: EvmClients, bus: bigint, side: number, wh: bigint, price: bigint) =>
      call(c, addrs.market!, MarketAbi as Abi, 'placeOrder', [
        k,
        bus,
        side,
        [{ energyWh: wh, priceMicrosPerMWh: price * MWH }],
      ]);
    // The seller's order beside the buyer's two (one after the other: one account, one nonce sequence).
    await Promise.all([
      place(seller, 2n, 1, 6n * MWH, 15n),
      (async () => {
        await place(buyer, 9n, 0, 6n * MWH, 95n);
        await place(buyer, 5n, 0, 500_000n, 70n);
      })(),
    ]);
    const gate = k * INTERVAL_MS - 60_000n;
    await mine((gate - (await nowMs())) / 1000n + 1n);
    const op = await cli([
      'operator',
      '--rpc',
      anvil.url,
      '--contracts',
      out,
      '--key-file',
      keyFile(6),
      '--once',
      '--format',
      'json',
    ]);
    expect(op.code, op.stderr).toBe(0);
    const outcomes = op.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; interval: string; orders?: number });
    const mine_ = outcomes.find((x) => x.interval === k.toString());
    process.stdout.write(
      `real Market, case9_congested, 3 orders: ${JSON.stringify((mine_ as { gas?: unknown })?.gas)} gas\n`,
    );
    expect(mine_, op.stdout).toMatchObject({ kind: 'cleared', orders: 3 });
    const [st] = (await admin.public.readContract({
      address: addrs.market!,
      abi: MarketAbi as Abi,
      functionName: 'intervalState',
      args: [k],
    })) as [number];
    expect(st).toBe(1);
    // Running it again finds nothing left to clear for that interval.
    const again = await cli([
      'operator',
      '--rpc',
      anvil.url,
      '--contracts',
      out,
      '--key-file',
      keyFile(6),
      '--once',
      '--format',
      'json',
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain(`"interval":"${k}"`);
  });
});
