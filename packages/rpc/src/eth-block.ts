// Ethereum-shaped JSON for blocks and transactions (the shape of eth_getBlockByNumber), so Ethereum
// tooling (viem's getBlock, ethers) parses gridledger blocks. Mapping:
//   number/hash/parentHash  height, block hash, previous block hash
//   timestamp               block time in whole seconds (timestampMs keeps the milliseconds)
//   stateRoot               the header's appHash (state after the previous block), sha256 of it if not 32 bytes
//   transactionsRoot        the header's txRoot (RFC 6962 Merkle root over the transactions)
//   miner                   the proposer's "address": last 20 bytes of keccak256(ed25519 public key)
//   gas, fees, difficulty   0; logsBloom all zero; no uncles; receiptsRoot the empty-trie root
// Transactions are the application's raw bytes (input), from the zero address, to null, type 0x0, with
// hash = backend.txHash (sha256 by default). gridledger-only fields: timestampMs, proposer, appHash,
// validatorsHash, lastCommitHash.
import { keccak256, sha256 } from '@gridledger/crypto';
import type { RpcBlock } from './backend.ts';
import { data, quantity } from './hex.ts';

const ZERO_BLOOM = `0x${'00'.repeat(256)}`;
const ZERO_HASH = `0x${'00'.repeat(32)}`;
const ZERO_ADDRESS = `0x${'00'.repeat(20)}`;
/** keccak256(rlp([])): the uncles hash of a block without uncles. */
const EMPTY_UNCLES = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';
/** Root of the empty Merkle-Patricia trie. */
const EMPTY_TRIE = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';

/** The Ethereum-style address shown as a block's miner for an ed25519 proposer key. */
export function proposerAddress(publicKey: Uint8Array): `0x${string}` {
  return data(keccak256(publicKey).subarray(12));
}

function hash32(b: Uint8Array): `0x${string}` {
  return data(b.length === 32 ? b : sha256(b));
}

/** Ethereum JSON of a transaction inside `block`. */
export function formatEthTransaction(
  block: RpcBlock,
  index: number,
  txHash: (tx: Uint8Array) => Uint8Array,
  ethChainId: bigint,
): Record<string, unknown> {
  const tx = block.txs[index]!;
  return {
    hash: data(txHash(tx)),
    nonce: '0x0',
    blockHash: data(block.hash),
    blockNumber: quantity(block.height),
    transactionIndex: quantity(index),
    from: ZERO_ADDRESS,
    to: null,
    value: '0x0',
    gas: '0x0',
    gasPrice: '0x0',
    input: data(tx),
    v: '0x0',
    r: '0x0',
    s: '0x0',
    type: '0x0',
    chainId: quantity(ethChainId),
  };
}

/** Ethereum JSON of a block; `fullTransactions` chooses transaction objects over hashes. */
export function formatEthBlock(
  block: RpcBlock,
  fullTransactions: boolean,
  txHash: (tx: Uint8Array) => Uint8Array,
  ethChainId: bigint,
): Record<string, unknown> {
  return {
    number: quantity(block.height),
    hash: data(block.hash),
    parentHash: data(block.parentHash),
    nonce: '0x0000000000000000',
    mixHash: ZERO_HASH,
    sha3Uncles: EMPTY_UNCLES,
    logsBloom: ZERO_BLOOM,
    transactionsRoot: hash32(block.txRoot),
    stateRoot: hash32(block.appHash),
    receiptsRoot: EMPTY_TRIE,
    miner: proposerAddress(block.proposer),
    difficulty: '0x0',
    totalDifficulty: '0x0',
    extraData: '0x',
    size: quantity(block.sizeBytes),
    gasLimit: '0x0',
    gasUsed: '0x0',
    baseFeePerGas: '0x0',
    timestamp: quantity(block.timeMs / 1000n),
    transactions: block.txs.map((tx, i) =>
      fullTransactions ? formatEthTransaction(block, i, txHash, ethChainId) : data(txHash(tx)),
    ),
    uncles: [],
    timestampMs: quantity(block.timeMs),
    proposer: data(block.proposer),
    appHash: data(block.appHash),
    validatorsHash: data(block.validatorsHash),
    lastCommitHash: data(block.lastCommitHash),
  };
}
