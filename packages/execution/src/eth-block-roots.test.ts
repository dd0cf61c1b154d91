// The Ethereum receipts and transactions roots shown in blocks: the empty-trie root for none, and for one
// the root computed by hand from the trie rules (a single leaf node: hex-prefixed key rlp(0) = 0x80).
import { keccak256 as keccak } from '@gridledger/crypto';
import { bytesToHex, concatHex, type Hex, toRlp } from 'viem';
import { describe, expect, it } from 'vitest';
import { encodeEthReceipt, ethReceiptsRoot, ethTransactionsRoot } from './eth-block-roots.ts';
import type { StoredReceipt } from './receipts.ts';

const EMPTY_TRIE = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';

function receipt(over: Partial<StoredReceipt> = {}): StoredReceipt {
  return {
    txHash: `0x${'11'.repeat(32)}`,
    height: 3n,
    txIndex: 0,
    firstLogIndex: 0,
    from: `0x${'22'.repeat(20)}`,
    to: `0x${'33'.repeat(20)}`,
    nonce: 0n,
    type: 'eip1559',
    gasLimit: 60_000n,
    gasUsed: 33_740n,
    cumulativeGasUsed: 33_740n,
    status: 1,
    logs: [{ address: `0x${'33'.repeat(20)}`, topics: [`0x${'44'.repeat(32)}`], data: '0x01' }],
    logsBloom: `0x${'00'.repeat(255)}01`,
    revertData: undefined,
    error: undefined,
    raw: '0x',
    ...over,
  } as StoredReceipt;
}

describe('Ethereum receipts root', () => {
  it('is the empty-trie root without receipts', async () => {
    expect(await ethReceiptsRoot([])).toBe(EMPTY_TRIE);
  });

  it('encodes a typed receipt as 0x02 || rlp([status, cumulativeGas, bloom, logs])', () => {
    const r = receipt();
    const body = toRlp(['0x01', '0x83cc', r.logsBloom, [[r.logs[0]!.address, r.logs[0]!.topics, '0x01']]]);
    expect(bytesToHex(encodeEthReceipt(r))).toBe(concatHex(['0x02', body]));
    expect(bytesToHex(encodeEthReceipt(receipt({ type: 'legacy' })))).toBe(body);
    expect(bytesToHex(encodeEthReceipt(receipt({ status: 0 })))).toBe(
      concatHex([
        '0x02',
        toRlp(['0x', '0x83cc', r.logsBloom, [[r.logs[0]!.address, r.logs[0]!.topics, '0x01']]]),
      ]),
    );
  });

  it('of one receipt is keccak256 of its leaf node rlp([0x2080, receipt])', async () => {
    const r = receipt();
    const leaf = toRlp(['0x2080', bytesToHex(encodeEthReceipt(r))]);
    expect(await ethReceiptsRoot([r])).toBe(bytesToHex(keccak(Buffer.from(leaf.slice(2), 'hex'))) as Hex);
    expect(await ethReceiptsRoot([r, receipt({ cumulativeGasUsed: 67_480n })])).not.toBe(
      await ethReceiptsRoot([receipt({ cumulativeGasUsed: 67_480n }), r]),
    );
  });
});

describe('Ethereum transactions root', () => {
  it('is the empty-trie root without transactions, and keccak256 of the leaf rlp([0x2080, tx]) for one', async () => {
    expect(await ethTransactionsRoot([])).toBe(EMPTY_TRIE);
    const tx = Uint8Array.from([0x02, 0xc5, 0x01, 0x02, 0x03, 0x04, 0x05]);
    const leaf = toRlp(['0x2080', bytesToHex(tx)]);
    expect(await ethTransactionsRoot([tx])).toBe(
      bytesToHex(keccak(Buffer.from(leaf.slice(2), 'hex'))) as Hex,
    );
    const other = Uint8Array.from([0x02, 0xc1, 0x09]);
    expect(await ethTransactionsRoot([tx, other])).not.toBe(await ethTransactionsRoot([other, tx]));
  });
});
