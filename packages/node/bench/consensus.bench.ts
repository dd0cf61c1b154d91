// `npm run bench:consensus`: 4 validator processes on this machine, key-value transactions offered at a
// fixed rate through JSON-RPC (batches of gl_sendTx, round-robin over the nodes). Measures committed
// transactions per second, submission-to-finality latency (p50, p99: from just before the submitting
// request to the newHeads notification of the block that holds the tx on node0), and blocks per second.
// Prints a table, then one JSON object as the last line.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DEFAULT_TIMEOUTS } from '@gridledger/consensus';
import WebSocket from 'ws';
import { TestNet } from '../test/harness.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    rate: { type: 'string', default: '1000' },
    'commit-ms': { type: 'string', default: String(DEFAULT_TIMEOUTS.commitMs) },
    format: { type: 'string', default: 'table' },
  },
});
const durationS = Number(values.duration);
const rate = Number(values.rate);
const commitMs = Number(values['commit-ms']);
const format = values.format;
if (!(durationS > 0) || !(rate > 0) || !(commitMs >= 0) || (format !== 'table' && format !== 'json')) {
  process.stderr.write(
    'usage: bench:consensus [--duration S] [--rate TX_PER_S] [--commit-ms MS] [--format table|json]\n',
  );
  process.exit(2);
}
const log = (s: string) => process.stderr.write(`${s}\n`);

const net = new TestNet(4);
const cleanup = async () => {
  await net.stopAll('SIGTERM');
  await net.destroy();
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  await net.init('bench-chain', { ...DEFAULT_TIMEOUTS, commitMs });
  log(`starting 4 validators in ${net.dir} ...`);
  await Promise.all([0, 1, 2, 3].map((k) => net.start(k)));
  await net.waitHeight([0, 1, 2, 3], 2n);

  const submitted = new Map<string, number>(); // tx hash -> submit time (ms)
  const latencies: number[] = [];
  const blockTimes: number[] = [];
  let rejected = 0;
  let rejectReasons = new Map<string, number>();
  let committedInBlocks = 0;
  let lastHeight = BigInt((await net.rpc(0, 'gl_status')).height);

  // newHeads on node0: on each head, read the block's tx hashes and match them with submissions.
  const ws = new WebSocket(`ws://127.0.0.1:${net.basePort + 1}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
  let reading = Promise.resolve();
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    if (m.method !== 'eth_subscription') return;
    const now = performance.now();
    const height = BigInt(m.params.result.number);
    reading = reading.then(async () => {
      for (let h = lastHeight + 1n; h <= height; h++) {
        const b = await net.rpc(0, 'eth_getBlockByNumber', [`0x${h.toString(16)}`, false]);
        blockTimes.push(now);
        for (const hash of b.transactions as string[]) {
          const t = submitted.get(hash);
          if (t !== undefined) {
            latencies.push(now - t);
            submitted.delete(hash);
            committedInBlocks++;
          }
        }
      }
      if (height > lastHeight) lastHeight = height;
    });
  });

  // Open-loop load: every 100 ms, one JSON-RPC batch of rate/10 transactions to the next node.
  const TICK_MS = 100;
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  let seq = 0;
  let node = 0;
  const inflight = new Set<Promise<void>>();
  const t0 = performance.now();
  log(`offering ${rate} tx/s for ${durationS} s (batches of ${perTick} every ${TICK_MS} ms)`);
  while (performance.now() - t0 < durationS * 1000) {
    const tickStart = performance.now();
    const batch = [];
    for (let i = 0; i < perTick; i++) {
      const tx = Buffer.from(`bench/${seq}=${'v'.repeat(16)}${seq}`);
      batch.push({ jsonrpc: '2.0', id: seq, method: 'gl_sendTx', params: [`0x${tx.toString('hex')}`] });
      seq++;
    }
    const k = node++ % 4;
    const sentAt = performance.now();
    const p = net.rpcRaw(k, batch).then(({ json }) => {
      for (const r of json as { result?: { hash: string }; error?: { message: string } }[]) {
        if (r.result) {
          if (!submitted.has(r.result.hash)) submitted.set(r.result.hash, sentAt);
        } else {
          rejected++;
          const reason = (r.error?.message ?? '?').replace(/[0-9a-fx]{16,}/g, '…').slice(0, 60);
          rejectReasons.set(reason, (rejectReasons.get(reason) ?? 0) + 1);
        }
      }
    });
    const tracked = p
      .catch(() => {
        rejected += perTick;
      })
      .finally(() => inflight.delete(tracked));
    inflight.add(tracked);
    const spent = performance.now() - tickStart;
    if (spent < TICK_MS) await new Promise((r) => setTimeout(r, TICK_MS - spent));
  }
  const tSendEnd = performance.now();
  await Promise.all(inflight);
  // Drain: wait until every accepted tx is committed (or 30 s).
  const drainStart = performance.now();
  while (submitted.size > 0 && performance.now() - drainStart < 30_000)
    await new Promise((r) => setTimeout(r, 100));
  await reading;
  const tEnd = blockTimes.length ? blockTimes[blockTimes.length - 1]! : performance.now();
  ws.close();

  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies.length
      ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!
      : Number.NaN;
  const windowBlocks = blockTimes.filter((t) => t >= t0 && t <= tEnd).length;
  const elapsedS = (tEnd - t0) / 1000;
  const result = {
    validators: 4,
    offeredTxPerS: rate,
    durationS,
    commitTimeoutMs: commitMs,
    submitted: seq,
    rejected,
    committed: committedInBlocks,
    notCommitted: submitted.size,
    committedTxPerS: Number((committedInBlocks / elapsedS).toFixed(1)),
    latencyP50Ms: Number(q(0.5).toFixed(1)),
    latencyP99Ms: Number(q(0.99).toFixed(1)),
    blocksPerS: Number((windowBlocks / elapsedS).toFixed(2)),
    txPerBlock: Number((committedInBlocks / Math.max(1, windowBlocks)).toFixed(1)),
    sendSeconds: Number(((tSendEnd - t0) / 1000).toFixed(1)),
    rejectReasons: Object.fromEntries(rejectReasons),
  };
  rejectReasons = new Map();
  if (format === 'table') {
    const rows: [string, string][] = [
      ['validators (processes)', '4'],
      ['offered load', `${rate} tx/s for ${durationS} s`],
      ['submitted / rejected', `${result.submitted} / ${result.rejected}`],
      ['committed', `${result.committed} (${result.notCommitted} not committed)`],
      ['committed tx/s', String(result.committedTxPerS)],
      ['latency p50 / p99 (ms)', `${result.latencyP50Ms} / ${result.latencyP99Ms}`],
      ['blocks/s', String(result.blocksPerS)],
      ['tx per block', String(result.txPerBlock)],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`${rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`).join('\n')}\n`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await cleanup();
}
