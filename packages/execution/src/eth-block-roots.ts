// Ethereum's encodings of an executed block that are not JSON-RPC: a receipt's consensus encoding
// (EIP-2718 typed for EIP-1559 transactions) and the ordered Merkle-Patricia tries over a block's
// receipts and raw transactions (receiptsRoot, transactionsRoot), as the reference trie
// (@ethereumjs/mpt) computes them. The JSON-RPC block formats them for the wire
// (packages/rpc/src/methods/eth-block.ts). RLP integers and lists come from @gridledger/base's rlp.ts.
import { createMPT } from '@ethereumjs/mpt';
import { fromHex, rlpEncode, rlpEncodeInt, rlpIntBytes } from '@gridledger/base';
import { type Hex, toHex } from 'viem';
import type { StoredReceipt } from './receipts.ts';

/**
 * The consensus-layer encoding of a receipt: rlp([status, cumulativeGasUsed, logsBloom, logs]),
 * prefixed with 0x02 for an EIP-1559 transaction.
 * @example encodeEthReceipt(await app.loadReceipt(hash))
 */
export function encodeEthReceipt(r: StoredReceipt): Uint8Array {
  const body = rlpEncode([
    rlpIntBytes(BigInt(r.status)),
    rlpIntBytes(r.cumulativeGasUsed),
    fromHex(r.logsBloom),
    r.logs.map((l) => [fromHex(l.address), l.topics.map((t) => fromHex(t)), fromHex(l.data)]),
  ]);
  if (r.type === 'legacy') return body;
  const out = new Uint8Array(body.length + 1);
  out[0] = 0x02;
  out.set(body, 1);
  return out;
}

/**
 * Ethereum's receipts root over `receipts` in block order: the Merkle-Patricia trie root with keys
 * rlp(index) and values {@link encodeEthReceipt} (the empty-trie root for none).
 * @example await ethReceiptsRoot([]) // 0x56e81f17...b421
 */
export async function ethReceiptsRoot(receipts: StoredReceipt[]): Promise<Hex> {
  return orderedTrieRoot(receipts.map(encodeEthReceipt));
}

/**
 * Ethereum's transactions root over the raw (typed) transactions in block order: the Merkle-Patricia
 * trie root with keys rlp(index) (the empty-trie root for none).
 * @example await ethTransactionsRoot(receipts.map((r) => hexToBytes(r.raw)))
 */
export async function ethTransactionsRoot(raws: Uint8Array[]): Promise<Hex> {
  return orderedTrieRoot(raws);
}

async function orderedTrieRoot(values: Uint8Array[]): Promise<Hex> {
  const trie = await createMPT();
  for (const [i, v] of values.entries()) await trie.put(rlpEncodeInt(BigInt(i)), v);
  return toHex(trie.root());
}
