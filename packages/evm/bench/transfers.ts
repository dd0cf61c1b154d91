// bench:evm's chain comparison: the same ERC-20 transfer load (N transfers from 4 senders, round robin,
// signed before the clock starts, sent as JSON-RPC batches of eth_sendRawTransaction in nonce order)
// against anvil (a TestStablecoin; anvil mines a block per transaction by default) and against a
// one-validator and a four-validator gridledger chain (`gridledger init --dev` and `gridledger node`
// processes: the cash module's transfer, each sender through one validator). It waits until every sender's
// nonce has advanced and reports, per chain, the node processes' CPU time (user + system, all threads,
// from /proc: the number that does not depend on what else runs on a shared machine) per transfer, and
// the wall time, which does.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Address, encodeFunctionData, erc20Abi, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { startAnvil } from '../src/anvil.ts';
import { deployContract, devAccount, evmClients, sendCall } from '../src/deploy.ts';
import { TestStablecoinAbi, TestStablecoinBytecode } from '../src/generated/TestStablecoin.ts';

/** The CLI the gridledger validators are spawned from. */
const BIN = fileURLToPath(new URL('../../cli/bin/gridledger.mjs', import.meta.url));

/** What one chain did with the load. */
export interface TransferRun {
  chain: string;
  transfers: number;
  /** Node processes' CPU (user + system), s, from the first send until every transfer was included. */
  cpuS: number;
  cpuMsPerTransfer: number;
  wallS: number;
}

/** CPU seconds (user + system, all threads) the processes have used so far (Linux /proc). */
function cpuSOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / 100;
}

async function rpc<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as T;
}

async function chainIdOf(url: string): Promise<number> {
  const r = await rpc<{ result: Hex }>(url, { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
  return Number(BigInt(r.result));
}

async function nonceOf(url: string, a: Address): Promise<number> {
  const r = await rpc<{ result?: Hex }>(url, {
    jsonrpc: '2.0',
    id: 1,
    method: 'eth_getTransactionCount',
    params: [a, 'latest'],
  });
  return r.result === undefined ? -1 : Number(BigInt(r.result));
}

/**
 * Signs `n` transfers of `token` from `keys` (round robin; nonces from `startNonce`) and sends them to
 * `urlOf(sender)` in batches of 100; resolves when every sender's nonce has advanced (or throws after
 * `timeoutMs`). Returns CPU and wall time of the `pids` meanwhile.
 */
async function runLoad(
  chain: string,
  keys: Hex[],
  urlOf: (i: number) => string,
  token: Address,
  n: number,
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  pids: number[],
): Promise<TransferRun> {
  const accounts = keys.map((k) => privateKeyToAccount(k));
  const chainId = await chainIdOf(urlOf(0));
  const start = await Promise.all(accounts.map((a, i) => nonceOf(urlOf(i), a.address)));
  const bySender: Hex[][] = accounts.map(() => []);
  for (let j = 0; j < n; j++) {
    const i = j % accounts.length;
    const to = accounts[(i + 1) % accounts.length]!.address;
    bySender[i]!.push(
      await accounts[i]!.signTransaction({
        type: 'eip1559',
        chainId,
        nonce: start[i]! + bySender[i]!.length,
        to: token,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: 'transfer',
          args: [to, 1n + BigInt(j % 1000)],
        }),
        gas: 60_000n,
        ...fees,
      }),
    );
  }
  const cpu0 = cpuSOf(pids);
  const t0 = performance.now();
  let rejected = 0;
  let reason = '';
  await Promise.all(
    bySender.map(async (raws, i) => {
      for (let b = 0; b < raws.length; b += 100) {
        const body = raws
          .slice(b, b + 100)
          .map((raw, id) => ({ jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [raw] }));
        const out = await rpc<{ error?: { message: string } }[]>(urlOf(i), body);
        for (const r of out) {
          if (r.error) {
            rejected++;
            reason = r.error.message;
          }
        }
      }
    }),
  );
  if (rejected > 0) throw new Error(`bench:evm: ${chain} rejected ${rejected} transfers (${reason})`);
  const deadline = performance.now() + 600_000;
  for (;;) {
    const now = await Promise.all(accounts.map((a, i) => nonceOf(urlOf(i), a.address)));
    if (now.every((v, i) => v >= start[i]! + bySender[i]!.length)) break;
    if (performance.now() > deadline)
      throw new Error(`bench:evm: ${chain} did not include the transfers in 600 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = cpuSOf(pids) - cpu0;
  return { chain, transfers: n, cpuS, cpuMsPerTransfer: (cpuS * 1000) / n, wallS };
}

/** The load on anvil: a TestStablecoin minted to 4 development accounts. */
async function onAnvil(n: number): Promise<TransferRun> {
  const anvil = await startAnvil();
  try {
    const keys = [0, 1, 2, 3].map((i) => {
      const k = devAccount(i).getHdKey().privateKey;
      if (k === null) throw new Error('bench:evm: no dev key');
      return `0x${Buffer.from(k).toString('hex')}` as Hex;
    });
    const c = await evmClients(anvil.url, devAccount(0));
    const token = (
      await deployContract(c, TestStablecoinAbi, TestStablecoinBytecode, [c.wallet.account.address])
    ).address;
    for (const k of keys)
      await sendCall(c, token, TestStablecoinAbi, 'mint', [privateKeyToAccount(k).address, 10n ** 15n]);
    const fees = { maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };
    return await runLoad('anvil', keys, () => anvil.url, token, n, fees, [anvil.process.pid!]);
  } finally {
    await anvil.close();
  }
}

async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ok = await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once('error', () => resolve(false));
            s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('bench:evm: no free port range');
}

/** The load on a gridledger chain of `validators` processes (`init --dev`, the cash module). */
async function onGridledger(validators: number, n: number): Promise<TransferRun> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-bench-evm-'));
  const procs: ChildProcess[] = [];
  try {
    const base = await freePortRange(2 * validators);
    const init = spawn(
      process.execPath,
      [
        BIN,
        'init',
        '--dev',
        '--validators',
        String(validators),
        '--out',
        join(dir, 'net'),
        '--base-port',
        String(base),
        '--chain-id',
        'bench-evm',
      ],
      { stdio: 'ignore' },
    );
    const code = await new Promise<number | null>((r) => init.once('exit', r));
    if (code !== 0) throw new Error(`bench:evm: gridledger init exited with ${code}`);
    for (let k = 0; k < validators; k++) {
      const p = spawn(process.execPath, [BIN, 'node', '--home', join(dir, 'net', `node${k}`)], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      procs.push(p);
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const t = setTimeout(() => reject(new Error(`bench:evm: node${k} did not start in 120 s`)), 120_000);
        p.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('listening')) {
            clearTimeout(t);
            resolve();
          }
        });
        p.once('exit', (c) => {
          clearTimeout(t);
          reject(new Error(`bench:evm: node${k} exited with ${c}`));
        });
      });
    }
    const urls = Array.from({ length: validators }, (_, k) => `http://127.0.0.1:${base + 2 * k + 1}`);
    // wait until the chain makes blocks
    for (const t0 = performance.now(); ; ) {
      const r = await rpc<{ result?: Hex }>(urls[0]!, {
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_blockNumber',
        params: [],
      }).catch(() => ({ result: undefined }));
      if (r.result !== undefined && BigInt(r.result) >= 2n) break;
      if (performance.now() - t0 > 120_000)
        throw new Error('bench:evm: the gridledger chain made no blocks in 120 s');
      await new Promise((r2) => setTimeout(r2, 200));
    }
    const devs = JSON.parse(readFileSync(join(dir, 'net', 'dev-accounts.json'), 'utf8')) as {
      accounts: { role: string; privateKey: Hex }[];
    };
    const keys = devs.accounts
      .filter((a) => a.role === 'participant')
      .slice(0, 4)
      .map((a) => a.privateKey);
    const cash = (JSON.parse(readFileSync(join(dir, 'net', 'addresses.json'), 'utf8')) as { cash: Address })
      .cash;
    return await runLoad(
      `gridledger, ${validators} validator${validators > 1 ? 's' : ''}`,
      keys,
      (i) => urls[i % validators]!,
      cash,
      n,
      { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
      procs.map((p) => p.pid!),
    );
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((r) => {
            if (p.exitCode !== null || p.signalCode !== null) return r();
            const kill = setTimeout(() => p.kill('SIGKILL'), 15_000);
            p.once('exit', () => {
              clearTimeout(kill);
              r();
            });
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same N transfers on anvil, one gridledger validator and four, one after another. */
export async function compareTransfers(n: number, log: (s: string) => void): Promise<TransferRun[]> {
  const out: TransferRun[] = [];
  log(`bench:evm: ${n} ERC-20 transfers on anvil ...`);
  out.push(await onAnvil(n));
  for (const v of [1, 4]) {
    log(`bench:evm: ${n} ERC-20 transfers on gridledger with ${v} validator(s) ...`);
    out.push(await onGridledger(v, n));
  }
  return out;
}
