// @gridledger/mempool: the bounded, deduplicated, application-checked transaction pool (issue 3 item 6), in lanes (issue 17, H1).
export {
  type AddTxResult,
  type Lane,
  Mempool,
  type MempoolOptions,
  type RejectCode,
  txHash,
} from './mempool.ts';
