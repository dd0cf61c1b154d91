// @gridledger/execution: the state machine behind consensus. Owns Ethereum transaction checking, the
// journaled module state and its sparse Merkle commitment, the gas schedule, the built-in ABI modules
// (accounts, ERC-20, ERC-721), receipts and logs, the ExecutionApp and its JSON-RPC method table.
export { GAS_SCHEDULE, GasMeter, type GasSchedule, intrinsicGas, OutOfGas } from './gas.ts';
export { recoverAddress, recoverAddressNative, recoverAddressNoble, recoveryBackend } from './recover.ts';
export {
  DEFAULT_MAX_TX_BYTES,
  DEFAULT_MAX_TX_GAS,
  type DecodeTxResult,
  decodeSignedTx,
  type SignedTx,
  type TxLimits,
  type TxRejection,
} from './tx.ts';
