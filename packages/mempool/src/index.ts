// @gridledger/mempool: the bounded, deduplicated, application-checked transaction pool (issue 3 item 6).
export { type AddTxResult, Mempool, type MempoolOptions, type RejectCode, txHash } from './mempool.ts';
