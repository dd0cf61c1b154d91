// `npm run bench:chain`: 4 validator processes on this machine running the execution app (`init --dev`
// layout with many funded participants), and this process as the load generator: ERC-20 cash transfers
// from many accounts, signed before the clock starts (native libsecp256k1), offered at a fixed rate as
// JSON-RPC batches of eth_sendRawTransaction (each account always through the same node, so its nonces
// arrive in order). Measures committed transfers per second, submission-to-finality latency (p50, p99:
// from just before the submitting request to the `logs` subscription notification of the transfer's
// Transfer event on node0, sent after the block is committed there), blocks per second, and beside
// them this machine's secp256k1 sender-recovery rate on one core (native and noble), the limit that
// signature checking sets: every validator recovers every sender once.
// After the run at the offered rate (normally beyond capacity: it measures the most the chain commits),
// a second run offers a sub-capacity load (`--sub-rate`, default half the committed rate just measured)
// from a second set of accounts and reports its finality p50/p99 (`subCapacity` in the JSON): the
// latency a deployment sees when it is not saturated.
// Beside wall-clock rates it reports the validators' CPU time per committed transfer (user + system of
// the 4 processes, all threads, from /proc): on a shared machine that is the number that does not
// depend on what else runs, and 2 cores / (CPU per transfer) is the rate this machine could carry alone.
// Prints a table, then one JSON object as the last line of stdout.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DEFAULT_TIMEOUTS } from '@gridledger/consensus';
import { nobleRecoverAddress } from '@gridledger/crypto';
import { buildDevAccounts, CASH_ADDRESS, decodeSignedTx, recoverAddressNative } from '@gridledger/execution';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { encodeFunctionData, erc20Abi, type Hex, hexToBytes, serializeTransaction, toHex } from 'viem';
import WebSocket from 'ws';
import { initDevNetwork } from '../src/index.ts';
import { freePortRange, TestNet } from '../test/harness.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    rate: { type: 'string', default: '1000' },
    accounts: { type: 'string', default: '200' },
    'sub-rate': { type: 'string' },
    'sub-duration': { type: 'string', default: '10' },
    'base-port': { type: 'string' },
    'commit-ms': { type: 'string', default: '300' },
    'propose-ms': { type: 'string', default: '3000' },
    'block-kb': { type: 'string', default: '128' },
    format: { type: 'string', default: 'table' },
  },
});
const durationS = Number(values.duration);
const rate = Number(values.rate);
const nAccounts = Number(values.accounts);
const commitMs = Number(values['commit-ms']);
const proposeMs = Number(values['propose-ms']);
const blockBytes = Number(values['block-kb']) * 1024;
const format = values.format;
const subRateArg = values['sub-rate'] === undefined ? undefined : Number(values['sub-rate']);
const subDurationS = Number(values['sub-duration']);
const basePortArg = values['base-port'] === undefined ? undefined : Number(values['base-port']);
if (
  !(durationS > 0) ||
  !(rate > 0) ||
  !(nAccounts >= 4 && nAccounts <= 500) ||
  !(subRateArg === undefined || subRateArg >= 0) ||
  !(subDurationS >= 0) ||
  !(
    basePortArg === undefined ||
    (Number.isInteger(basePortArg) && basePortArg >= 1024 && basePortArg < 65000)
  ) ||
  !(commitMs >= 0) ||
  !(proposeMs > 0) ||
  !(blockBytes >= 1024) ||
  (format !== 'table' && format !== 'json')
) {
  process.stderr.write(
    'usage: bench:chain [--duration S] [--rate TX_PER_S] [--accounts 4..500] [--sub-rate TX_PER_S] [--sub-duration S] [--commit-ms MS] [--propose-ms MS] [--block-kb KB] [--base-port P] [--format table|json]\n',
  );
  process.exit(2);
}
const log = (s: string) => process.stderr.write(`${s}\n`);
const require = createRequire(import.meta.url);
const secp = require('secp256k1') as {
  ecdsaSign(msg: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
};

/** The bench network's Ethereum chain id (fixed, so that transfers can be signed before it starts). */
const BENCH_ETH_CHAIN_ID = 5_100_005n;

class DevNet extends TestNet {
  async initDev(participants: number, timeouts: typeof DEFAULT_TIMEOUTS): Promise<void> {
    this.basePort = basePortArg ?? (await freePortRange(2 * this.n));
    initDevNetwork({
      validators: this.n,
      outDir: this.dir,
      chainId: 'bench-chain',
      ethChainId: BENCH_ETH_CHAIN_ID,
      basePort: this.basePort,
      timeouts,
      participants,
      logLevel: (process.env.GL_TEST_LOG_LEVEL as 'info' | undefined) ?? 'warn',
      mempool: { maxTxs: 50_000, maxBytes: 64 * 1024 * 1024 },
    });
    // Smaller blocks than the default 1 MiB: a block of ~1,100 transfers executes in well under a
    // second even on a loaded machine, so the next height starts sooner.
    for (let k = 0; k < this.n; k++) {
      const path = join(this.home(k), 'config.json');
      const config = JSON.parse(readFileSync(path, 'utf8'));
      config.maxBlockTxBytes = blockBytes;
      writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
    }
  }
}

/** CPU time (ms, user + system, all threads) the processes `pids` have used so far (Linux /proc). */
function cpuMsOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    } catch {
      return Number.NaN;
    }
  }
  return ticks * 10; // 100 ticks per second
}

/** Sender recoveries per second on this thread, for `n` signatures. */
function recoveryRate(
  items: { digest: Uint8Array; sig: Uint8Array; recid: number }[],
  native: boolean,
): number {
  const t = performance.now();
  for (const it of items) {
    const a = native
      ? recoverAddressNative(it.digest, it.sig, it.recid)
      : nobleRecoverAddress(it.digest, it.sig, it.recid);
    if (a === null) throw new Error('recovery failed');
  }
  return items.length / ((performance.now() - t) / 1000);
}

/** A pre-signed transfer and the node it is sent to. */
interface Signed {
  raw: Hex;
  hash: Hex;
  node: number;
}

const net = new DevNet(4);
const cleanup = async () => {
  await net.stopAll('SIGTERM').catch(() => {});
  await net.destroy();
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  // Accounts: the dev participants (same seed as the genesis the nodes load).
  // Participants 1..n send the saturating run, n+1..2n the sub-capacity run (fresh nonces).
  const { accounts } = buildDevAccounts({ participants: 2 * nAccounts });
  const participants = accounts.filter((a) => a.role === 'participant');
  const senders = participants.slice(0, nAccounts);
  const subSenders = participants.slice(nAccounts);
  const chainIdNum = await (async () => {
    // Timeouts: the happy path waits only commitMs between heights; proposeMs is long so that a slow
    // (loaded) proposer does not cost a round.
    await net.initDev(2 * nAccounts, {
      ...DEFAULT_TIMEOUTS,
      proposeMs,
      prevoteMs: 1000,
      precommitMs: 1000,
      commitMs,
    });
    return BENCH_ETH_CHAIN_ID;
  })();

  // Pre-sign every transfer: sender i sends its k-th transfer (nonce k) to the next sender.
  const keysOf = (list: typeof senders) => list.map((s) => hexToBytes(s.privateKey));
  const recoverySample: { digest: Uint8Array; sig: Uint8Array; recid: number }[] = [];
  function signTransfers(from: typeof senders, count: number): Signed[] {
    const keys = keysOf(from);
    const out: Signed[] = [];
    for (let j = 0; j < count; j++) {
      const i = j % from.length;
      const nonce = Math.floor(j / from.length);
      const tx = {
        type: 'eip1559' as const,
        chainId: Number(chainIdNum),
        nonce,
        to: CASH_ADDRESS,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: 'transfer',
          args: [from[(i + 1) % from.length]!.address, 1n + BigInt(j % 1000)],
        }),
        gas: 60_000n,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
      };
      const digest = keccak_256(hexToBytes(serializeTransaction(tx)));
      const { signature, recid } = secp.ecdsaSign(digest, keys[i]!);
      const raw = serializeTransaction(tx, {
        r: toHex(signature.subarray(0, 32)),
        s: toHex(signature.subarray(32, 64)),
        yParity: recid,
      });
      out.push({ raw, hash: toHex(keccak_256(hexToBytes(raw))), node: i % 4 });
      if (recoverySample.length < 3000) recoverySample.push({ digest, sig: signature, recid });
    }
    return out;
  }
  const total = Math.round(rate * durationS);
  // The sub-capacity rate is at most half the offered one unless given.
  const subTotal = Math.round((subRateArg ?? rate / 2) * subDurationS);
  log(
    `signing ${total} + ${subTotal} ERC-20 transfers from ${senders.length} + ${subSenders.length} accounts ...`,
  );
  const tSign = performance.now();
  const signed = signTransfers(senders, total);
  const subSigned = signTransfers(subSenders, subTotal);
  log(`signed in ${((performance.now() - tSign) / 1000).toFixed(1)} s`);
  const first = decodeSignedTx(hexToBytes(signed[0]!.raw), { chainId: chainIdNum });
  if (!first.ok || first.tx.from !== senders[0]!.address)
    throw new Error(`bench tx does not decode: ${JSON.stringify(first)}`);

  // secp256k1 recovery per core on this machine (before the nodes start, so they do not compete).
  const recoveryNativePerS = recoveryRate(recoverySample, true);
  const recoveryNoblePerS = recoveryRate(recoverySample.slice(0, 300), false);
  log(
    `recovery: native ${recoveryNativePerS.toFixed(0)}/s, noble ${recoveryNoblePerS.toFixed(0)}/s on one core`,
  );

  log(`starting 4 validators in ${net.dir} ...`);
  await Promise.all([0, 1, 2, 3].map((k) => net.start(k)));
  await net.waitHeight([0, 1, 2, 3], 2n, 120_000);

  /** What one load run measured. */
  interface RunStats {
    offeredTxPerSec: number;
    durationS: number;
    submitted: number;
    rejected: number;
    committed: number;
    notCommitted: number;
    txPerSec: number;
    finalityP50Ms: number;
    finalityP99Ms: number;
    blocksWithTransfersPerSec: number;
    txPerBlock: number;
    sendSeconds: number;
    rejectReasons: Record<string, number>;
    /** Validators' CPU time per committed transfer, ms (all 4 processes). */
    validatorCpuMsPerTx: number;
  }
  let submitted = new Map<string, number>(); // tx hash -> submit time (ms), of the current run
  let latencies: number[] = [];
  let heights = new Map<string, number>(); // block number -> first notification time
  let committed = 0;

  // Finality: Transfer logs of the cash token on node0, pushed after each committed block.
  const ws = new WebSocket(`ws://127.0.0.1:${net.basePort + 1}`, { maxPayload: 256 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_subscribe',
      params: ['logs', { address: CASH_ADDRESS }],
    }),
  );
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    if (m.method !== 'eth_subscription') return;
    const now = performance.now();
    const r = m.params.result as { transactionHash: string; blockNumber: string };
    const t = submitted.get(r.transactionHash);
    if (t !== undefined) {
      if (!heights.has(r.blockNumber)) heights.set(r.blockNumber, now);
      latencies.push(now - t);
      submitted.delete(r.transactionHash);
      committed++;
    }
  });
  await new Promise((r) => setTimeout(r, 300));

  /** Offers `txs` at `offered` per second (open loop), waits for them to commit, and measures. */
  async function runLoad(txs: Signed[], offered: number, runS: number): Promise<RunStats> {
    submitted = new Map();
    latencies = [];
    heights = new Map();
    committed = 0;
    let rejected = 0;
    const rejectReasons = new Map<string, number>();
    // Open-loop load: every 100 ms, one batch per node with that tick's transfers for it.
    const TICK_MS = 100;
    const perTick = Math.max(1, Math.round((offered * TICK_MS) / 1000));
    const inflight = new Set<Promise<void>>();
    let next = 0;
    const pids = [...net.running.values()].map((r) => r.proc.pid!);
    const cpu0 = cpuMsOf(pids);
    const t0 = performance.now();
    log(`offering ${offered} transfers/s for ${runS} s (batches every ${TICK_MS} ms, one per node)`);
    while (next < txs.length) {
      const tickStart = performance.now();
      const slice = txs.slice(next, next + perTick);
      next += slice.length;
      for (let k = 0; k < 4; k++) {
        const mine = slice.filter((s) => s.node === k);
        for (let b = 0; b < mine.length; b += 100) {
          const part = mine.slice(b, b + 100);
          const sentAt = performance.now();
          for (const s of part) submitted.set(s.hash, sentAt);
          const body = part.map((s, i) => ({
            jsonrpc: '2.0',
            id: i,
            method: 'eth_sendRawTransaction',
            params: [s.raw],
          }));
          const p = net.rpcRaw(k, body).then(({ json }) => {
            for (const [i, r] of (json as { result?: string; error?: { message: string } }[]).entries()) {
              if (r.error) {
                rejected++;
                submitted.delete(part[i]!.hash);
                const reason = r.error.message.replace(/[0-9]+/g, 'N').slice(0, 60);
                rejectReasons.set(reason, (rejectReasons.get(reason) ?? 0) + 1);
              }
            }
          });
          const tracked = p
            .catch(() => {
              rejected += part.length;
            })
            .finally(() => inflight.delete(tracked));
          inflight.add(tracked);
        }
      }
      const spent = performance.now() - tickStart;
      if (spent < TICK_MS) await new Promise((r) => setTimeout(r, TICK_MS - spent));
    }
    const tSendEnd = performance.now();
    await Promise.all(inflight);
    // Drain: wait while blocks keep committing this run's transfers (at most 120 s, or 10 s without
    // progress), so the next run does not start behind a backlog.
    const drainStart = performance.now();
    let seen = committed;
    let progressAt = drainStart;
    while (submitted.size > 0 && performance.now() - drainStart < 120_000) {
      await new Promise((r) => setTimeout(r, 100));
      if (committed !== seen) {
        seen = committed;
        progressAt = performance.now();
      } else if (performance.now() - progressAt > 10_000) break;
    }
    const cpuMs = cpuMsOf(pids) - cpu0;
    const times = [...heights.values()].sort((a, b) => a - b);
    const tEnd = times.length ? times[times.length - 1]! : performance.now();
    latencies.sort((a, b) => a - b);
    const q = (p: number) =>
      latencies.length
        ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!
        : Number.NaN;
    const elapsedS = (tEnd - t0) / 1000;
    const blocks = times.length;
    return {
      offeredTxPerSec: offered,
      durationS: runS,
      submitted: txs.length,
      rejected,
      committed,
      notCommitted: submitted.size,
      txPerSec: Number((committed / elapsedS).toFixed(1)),
      finalityP50Ms: Number(q(0.5).toFixed(1)),
      finalityP99Ms: Number(q(0.99).toFixed(1)),
      blocksWithTransfersPerSec: Number((blocks / elapsedS).toFixed(2)),
      txPerBlock: Number((committed / Math.max(1, blocks)).toFixed(1)),
      sendSeconds: Number(((tSendEnd - t0) / 1000).toFixed(1)),
      rejectReasons: Object.fromEntries(rejectReasons),
      validatorCpuMsPerTx: Number((cpuMs / Math.max(1, committed)).toFixed(3)),
    };
  }

  const main = await runLoad(signed, rate, durationS);
  // Sub-capacity: half of what the chain just committed (or --sub-rate), from fresh accounts.
  let sub: RunStats | undefined;
  if (subDurationS > 0) {
    const subRate = subRateArg ?? Math.max(1, Math.floor(main.txPerSec / 2));
    const subTxs = subSigned.slice(0, Math.round(subRate * subDurationS));
    if (subTxs.length > 0) sub = await runLoad(subTxs, subRate, subDurationS);
  }
  ws.close();

  const result = {
    validators: 4,
    offeredTxPerSec: rate,
    durationS,
    accounts: senders.length,
    commitTimeoutMs: commitMs,
    proposeTimeoutMs: proposeMs,
    maxBlockTxBytes: blockBytes,
    submitted: main.submitted,
    rejected: main.rejected,
    committed: main.committed,
    notCommitted: main.notCommitted,
    txPerSec: main.txPerSec,
    finalityP50Ms: main.finalityP50Ms,
    finalityP99Ms: main.finalityP99Ms,
    blocksWithTransfersPerSec: main.blocksWithTransfersPerSec,
    txPerBlock: main.txPerBlock,
    sendSeconds: main.sendSeconds,
    recoveryNativePerSecPerCore: Math.round(recoveryNativePerS),
    recoveryNoblePerSecPerCore: Math.round(recoveryNoblePerS),
    cores: availableParallelism(),
    loadAvg1m: Number(loadavg()[0]!.toFixed(1)),
    rejectReasons: main.rejectReasons,
    validatorCpuMsPerTx: main.validatorCpuMsPerTx,
    /** The sub-capacity run (null when --sub-duration 0). */
    subCapacity:
      sub === undefined
        ? null
        : {
            offeredTxPerSec: sub.offeredTxPerSec,
            durationS: sub.durationS,
            accounts: subSenders.length,
            submitted: sub.submitted,
            rejected: sub.rejected,
            committed: sub.committed,
            notCommitted: sub.notCommitted,
            txPerSec: sub.txPerSec,
            finalityP50Ms: sub.finalityP50Ms,
            finalityP99Ms: sub.finalityP99Ms,
            txPerBlock: sub.txPerBlock,
            validatorCpuMsPerTx: sub.validatorCpuMsPerTx,
          },
  };
  if (format === 'table') {
    const rows: [string, string][] = [
      ['validators (processes)', '4 (execution app, sender recovery on 1 worker thread each)'],
      ['offered load', `${rate} ERC-20 transfers/s for ${durationS} s from ${senders.length} accounts`],
      ['submitted / rejected', `${result.submitted} / ${result.rejected}`],
      ['committed', `${result.committed} (${result.notCommitted} not committed)`],
      ['committed transfers/s', String(result.txPerSec)],
      ['finality p50 / p99 (ms)', `${result.finalityP50Ms} / ${result.finalityP99Ms}`],
      ['blocks/s, transfers per block', `${result.blocksWithTransfersPerSec}, ${result.txPerBlock}`],
      [
        'validator CPU per transfer',
        `${result.validatorCpuMsPerTx} ms (4 processes): ${(2000 / result.validatorCpuMsPerTx).toFixed(0)} transfers/s on 2 idle cores`,
      ],
      [
        'secp256k1 recovery / s / core',
        `native ${result.recoveryNativePerSecPerCore}, noble ${result.recoveryNoblePerSecPerCore}`,
      ],
      [
        'sub-capacity run',
        sub === undefined
          ? 'skipped'
          : `${sub.offeredTxPerSec} offered/s: ${sub.txPerSec} committed/s, finality p50 ${sub.finalityP50Ms} ms / p99 ${sub.finalityP99Ms} ms`,
      ],
      ['machine', `${result.cores} cores, load average ${result.loadAvg1m} (shared with other work)`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`${rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`).join('\n')}\n`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await cleanup();
}
