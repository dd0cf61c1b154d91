// @gridledger/execution: the state machine behind consensus. Owns Ethereum transaction checking, the
// journaled module state and its sparse Merkle commitment, the gas schedule, the built-in ABI modules
// (accounts, ERC-20, ERC-721), receipts and logs, Ethereum's block encodings (receipts and transactions roots), the ExecutionApp.
export {
  ACCOUNTS_ADDRESS,
  CASH_ADDRESS,
  CREDITS_ADDRESS,
  MODULE_ADDRESSES,
  PROMISES_ADDRESS,
} from './addresses.ts';
export {
  DEFAULT_BLOCK_GAS_LIMIT,
  ExecutionApp,
  ExecutionAppError,
  type ExecutionAppOptions,
  type ExecutionStorage,
  type StaticCallResult,
} from './app.ts';
export { parseEthChainId, randomEthChainId } from './chain-id.ts';
export { CommittedState, leafStoreKey, STATE_LEAF_PREFIX } from './commitment.ts';
export {
  buildDevAccounts,
  type DevAccount,
  type DevAccountsOptions,
  decodeGenesisJson,
  encodeGenesisJson,
  writeDevAccounts,
} from './dev-accounts.ts';
export { encodeEthReceipt, ethReceiptsRoot, ethTransactionsRoot } from './eth-block-roots.ts';
export { type ApplyCallOptions, applyCall, type CallOutcome } from './executor.ts';
export { GAS_SCHEDULE, GasMeter, type GasSchedule, intrinsicGas, OutOfGas } from './gas.ts';
export { applyGenesis, CASH_DECIMALS, createPlatformModules, type ExecutionGenesis } from './genesis.ts';
export {
  type AbiHandler,
  AbiModule,
  type Address,
  addressToValue,
  CallContext,
  type CallEnv,
  customError,
  type Log,
  type Module,
  ModuleRegistry,
  type PreparedEvent,
  panic,
  prepareEvent,
  Revert,
  revertReason,
  valueToAddress,
  ZERO_ADDRESS,
} from './module.ts';
export {
  ACCOUNTS_ABI,
  type AccountsGenesis,
  AccountsModule,
  accountsView,
  applyAccountsGenesis,
  hasRole,
  nonceKey,
  ROLE_NAMES,
  ROLES,
  type RoleName,
  registeredKey,
  roleKey,
} from './modules/accounts.ts';
export { ERC20_ABI, ERC20_ISSUER_ABI, type Erc20Config, Erc20Module } from './modules/erc20.ts';
export { ERC721_ABI, type Erc721Config, Erc721Module } from './modules/erc721.ts';
export {
  BLOCK_PREFIX,
  blockStoreKey,
  bloomAdd,
  bloomMayContain,
  logsBloom,
  RECEIPT_PREFIX,
  receiptStoreKey,
  type StoredBlock,
  type StoredReceipt,
} from './receipts.ts';
export { recoverAddress, recoverAddressNative, recoverAddressNoble, recoveryBackend } from './recover.ts';
export { type RecoveryRequest, SenderRecoveryPool } from './recover-pool.ts';
export {
  EMPTY_HASH,
  encodeSmtProofJson,
  pathBit,
  type SmtProof,
  SparseMerkleTree,
  smtInnerHash,
  smtLeafHash,
  smtPath,
  verifySmtProof,
} from './smt.ts';
export { JournaledState, type Snapshot } from './state.ts';
export {
  DEFAULT_MAX_TX_BYTES,
  DEFAULT_MAX_TX_GAS,
  type DecodeTxResult,
  decodeSignedTx,
  finishSignedTx,
  type PreparedTx,
  prepareSignedTx,
  type SignedTx,
  type TxLimits,
  type TxRejection,
} from './tx.ts';
