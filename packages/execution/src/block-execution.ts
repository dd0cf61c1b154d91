// Executing one decided block on the journaled state, synchronously: after the extensions' begin-block
// steps (run by the app, which awaits them; their logs are recorded here under the system transaction
// hash), each transaction in order. A transaction that does not decode, has
// an unregistered sender or a nonce other than the sender's next one fails alone (no receipt, no state
// change, no nonce use); any other gets a receipt and uses its nonce, whether its call succeeds, reverts
// or runs out of gas. Produces the transaction results, the receipts, the block record with its logs
// bloom, and the store records of both.
import type { StateWrite, TxResult } from '@gridledger/app-api';
import type { Hex } from 'viem';
import { applyCall } from './executor.ts';
import { SYSTEM_TX_HASH } from './extension.ts';
import type { Log, ModuleRegistry } from './module.ts';
import { accountsView, nonceKey } from './modules/accounts.ts';
import {
  blockStoreKey,
  bloomHex,
  bloomMerge,
  encodeRecord,
  logsBloom,
  receiptStoreKey,
  type StoredBlock,
  type StoredReceipt,
} from './receipts.ts';
import type { JournaledState } from './state.ts';
import type { DecodeTxResult } from './tx.ts';

const hexOf = (b: Uint8Array): Hex =>
  `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`;

/** A receipt before its logs bloom is stored (the bloom is computed when the receipt is served). */
export type BlockReceipt = Omit<StoredReceipt, 'logsBloom'>;

/** What executing a block produced. */
export interface ExecutedBlock {
  /** One result per transaction of the block, in order. */
  txResults: TxResult[];
  /** One receipt per executed transaction (those that did not fail alone). */
  receipts: BlockReceipt[];
  block: StoredBlock;
}

/**
 * Executes the block's transactions (`decoded[n]` is the decoding of `req.txs[n]`) on `state`, after the
 * extensions' begin-block steps have run and returned `systemLogs` (one list per extension, in order).
 * Synchronous: nothing else runs on the state meanwhile. Leaves the changes in `state` for the caller
 * to finalize or roll back.
 */
export function executeBlock(
  state: JournaledState,
  modules: ModuleRegistry,
  req: { height: bigint; timeMs: bigint; txs: Uint8Array[] },
  systemLogs: readonly (readonly Log[])[],
  decoded: readonly DecodeTxResult[],
): ExecutedBlock {
  const txResults: TxResult[] = [];
  const receipts: BlockReceipt[] = [];
  const block: StoredBlock = {
    height: req.height,
    timeMs: req.timeMs,
    gasUsed: 0n,
    txHashes: [],
    logsBloom: '0x',
    logs: [],
  };
  const bloom = new Uint8Array(256);
  for (const logs of systemLogs) {
    for (const log of logs)
      block.logs.push({ ...log, txHash: SYSTEM_TX_HASH, txIndex: 0, logIndex: block.logs.length });
    bloomMerge(bloom, logsBloom(logs));
  }
  let cumulative = 0n;
  for (const [n, r] of decoded.entries()) {
    const raw = req.txs[n]!;
    if (!r.ok) {
      txResults.push({ ok: false, info: r.reason });
      continue;
    }
    const tx = r.tx;
    if (!accountsView.isRegistered(state, tx.from)) {
      txResults.push({ ok: false, info: `sender not registered: ${tx.from}` });
      continue;
    }
    const next = accountsView.nonce(state, tx.from);
    if (tx.nonce !== next) {
      txResults.push({
        ok: false,
        info: `${tx.nonce < next ? 'nonce too low' : 'nonce too high'}: next nonce ${next}, tx nonce ${tx.nonce}`,
      });
      continue;
    }
    state.set(nonceKey(tx.from), next + 1n);
    const out = applyCall(
      state,
      modules,
      { sender: tx.from, height: req.height, timeMs: req.timeMs },
      tx.to,
      tx.data,
      tx.gasLimit,
    );
    cumulative += out.gasUsed;
    const txIndex = receipts.length;
    const firstLogIndex = block.logs.length;
    for (const [i, log] of out.logs.entries()) {
      block.logs.push({ ...log, txHash: tx.hash, txIndex, logIndex: firstLogIndex + i });
    }
    logsBloom(out.logs, bloom);
    receipts.push({
      txHash: tx.hash,
      height: req.height,
      txIndex,
      firstLogIndex,
      from: tx.from,
      to: tx.to,
      nonce: tx.nonce,
      type: tx.type,
      gasLimit: tx.gasLimit,
      gasUsed: out.gasUsed,
      cumulativeGasUsed: cumulative,
      status: out.ok ? 1 : 0,
      logs: out.logs,
      revertData: out.revertData,
      error: out.error,
      raw: hexOf(raw),
    });
    block.txHashes.push(tx.hash);
    txResults.push(out.ok ? { ok: true } : { ok: false, info: out.error });
  }
  block.gasUsed = cumulative;
  block.logsBloom = bloomHex(bloom);
  return { txResults, receipts, block };
}

/** Appends the store records of an executed block to `writes`: each receipt by its hash, then the block. */
export function pushBlockRecords(writes: StateWrite[], executed: ExecutedBlock): StateWrite[] {
  for (const rec of executed.receipts)
    writes.push({ key: receiptStoreKey(rec.txHash), value: encodeRecord(rec) });
  writes.push({ key: blockStoreKey(executed.block.height), value: encodeRecord(executed.block) });
  return writes;
}
