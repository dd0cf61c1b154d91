// @gridledger/evm: the energy market as Solidity contracts (contracts/ at the repository root) for any EVM
// chain — their generated ABIs and bytecode, the anvil launcher and the viem deploy helper.
export { type Anvil, AnvilError, type AnvilOptions, anvilBinary, startAnvil } from './anvil.ts';
export {
  type CertificateRejection,
  type CertificateVerdict,
  checkDcCertificate,
} from './certificate/check.ts';
export {
  type BookOrder,
  type BookStep,
  type CertificateTolerances,
  type ClearingBook,
  type DcCertificate,
  DEFAULT_TOLERANCES,
  type IntegerBranch,
  type IntegerNetwork,
  integerNetwork,
  PRAD_PER_RAD,
} from './certificate/format.ts';
export { engineOrders, type ProducedCertificate, produceDcCertificate } from './certificate/produce.ts';
export {
  type AppliedOrderArgs,
  appliedChunks,
  CHUNK_GAS,
  type ClearedOrderArgs,
  type ClearingArgs,
  type ClearingHeaderArgs,
  chunkEnds,
  clearingArgs,
  type NetworkPartArgs,
  networkPartArgs,
  orderChunks,
  type TradeArgs,
} from './certificate/submission.ts';
export {
  chunkGasBudget,
  type DeployVerifierOptions,
  deployVerifier,
  revertName,
  type SubmissionGas,
  type SubmitOptions,
  submitClearing,
  type VerifierClients,
} from './certificate/verifier-client.ts';
export {
  DEV_MNEMONIC,
  type DeployMarketOptions,
  deployContract,
  deployMarket,
  devAccount,
  type EvmClients,
  type EvmMarketConfig,
  type EvmRealtimeConfig,
  type EvmTariffPeriod,
  evmClients,
  type MarketAddresses,
  sendCall,
  setClearingVerifier,
} from './deploy.ts';
export { BookCommitmentAbi, BookCommitmentBytecode } from './generated/BookCommitment.ts';
export { ClearingVerifierAbi } from './generated/ClearingVerifier.ts';
export { CreditsAbi } from './generated/Credits.ts';
export { DigitalTwinAbi, ITwinMarketAbi, ITwinRegistryAbi } from './generated/DigitalTwin.ts';
export { IClearingSinkAbi, IMarketBookAbi } from './generated/IClearingSink.ts';
export { MarketAbi } from './generated/Market.ts';
export { MarketEngineAbi } from './generated/MarketEngine.ts';
export { IRealtimePricesAbi, MarketRealtimeAbi } from './generated/MarketRealtime.ts';
export { IMarketTrueUpAbi, MetersAbi } from './generated/Meters.ts';
export { PromisesAbi } from './generated/Promises.ts';
export { IRealtimeMarketAbi, RealtimeBookAbi } from './generated/RealtimeBook.ts';
export { RegistryAbi } from './generated/Registry.ts';
export { ITariffMarketAbi, TariffsAbi } from './generated/Tariffs.ts';
export { TestStablecoinAbi } from './generated/TestStablecoin.ts';
export {
  deployPlatform,
  type EvmAddresses,
  type EvmDeployConfig,
  loadDeployConfig,
} from './operator/deploy-platform.ts';
export {
  clearIntervalOnChain,
  dueIntervals,
  type IntervalClearing,
  marketIntervalMinutes,
  type OperatorContracts,
  readBook,
  readNetwork,
  startInterval,
  verifierNetwork,
} from './operator/operator.ts';
export {
  deployRealtimePricer,
  type RealtimeContracts,
  submitRealtimePrices,
} from './operator/realtime.ts';
export { type IntervalOutcome, type OperatorRunOptions, runOperator } from './operator/run.ts';
export {
  type ChunkGas,
  SETTLE_GAS,
  type SettleInChunksOptions,
  type SettleOutcome,
  type SettleSend,
  settleInChunks,
} from './operator/settle.ts';
export { deployDigitalTwin, submitTwin, type TwinSubmission } from './operator/twin.ts';
