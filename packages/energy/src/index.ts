// @gridledger/energy: the energy market on chain as built-in execution modules (grid registry, market
// with escrowed orders, in-block clearing with LMPs, ERC-721 promises, EIP-712 meter readings,
// settlement into ERC-20 credits) and the ExecutionApp extension that runs clearing and settlement.
export {
  ENERGY_ADDRESSES,
  MARKET_ADDRESS,
  METERS_ADDRESS,
  REGISTRY_ADDRESS,
  RENT_FUND_ADDRESS,
  TARIFFS_ADDRESS,
} from './addresses.ts';
export { decodeCertificateJson, encodeCertificateJson } from './certificate-json.ts';
export { clearedNetworkKeys, clearedNetworkOf } from './cleared-network.ts';
export {
  type ClearingInputs,
  clearedStepPrice,
  clearInterval,
  type EngineOrderSource,
  engineOrderId,
  engineOrdersOf,
  readClearingInputs,
  storedRangeEnd,
  UPSTREAM_BUY_ID,
  UPSTREAM_SELL_ID,
} from './clearing.ts';
export {
  type AcClearingRecord,
  type AcIntervalClearing,
  acIntervalKeys,
  acNetworkOf,
  clearIntervalAc,
  findAcClearingRecord,
  readAcBus,
  readAcLossesW,
} from './clearing-ac.ts';
export {
  type ClearingRecord,
  type ClearingRecordFields,
  encodeClearingRecord,
  findClearingRecord,
} from './clearing-record.ts';
export {
  BPS,
  blockTimeAtMs,
  checkMarketConfig,
  checkTariffPeriods,
  clearingMs,
  DEFAULT_TARIFF_LEAD_MS,
  deadlineMs,
  gateMs,
  type ImbalanceConfig,
  initialTariff,
  intervalEndMs,
  intervalMinutes,
  intervalStartMs,
  MAX_CLOCK_SCALE,
  MAX_PRICE_MICROS_PER_MWH,
  MAX_STEP_WH,
  MAX_TARIFF_PERIODS,
  type MarketClock,
  type MarketConfig,
  type MarketPricing,
  marketTimeMs,
  pricingOf,
  type SealedBidsConfig,
  type TariffPeriod,
  type UpstreamConfig,
} from './config.ts';
export { decodeMarketConfigJson, encodeMarketConfigJson, type MarketConfigJson } from './config-json.ts';
export type { IntervalStep, IntervalStepObserver } from './contained.ts';
export {
  DEBTS_ABI,
  debtKeys,
  debtView,
  payDebtsFromBalance,
  payNetOfDebts,
  recordDebt,
} from './debts.ts';
export {
  acTwinFlows,
  dcTwinFlows,
  FLOW_DEVIATION_W,
  meteredInjectionsMw,
  type TwinBranchFlow,
  type TwinFlows,
} from './digital-twin.ts';
export {
  beginMarketBlock,
  configKeys,
  configWords,
  type EnergyExtension,
  energyExtension,
} from './extension.ts';
export { checkEnergyInvariants, type InvariantScope } from './invariants.ts';
export {
  buyEscrow,
  MARKET_ABI,
  MARKET_EVENTS,
  MarketModule,
  marketView,
  PROMISE_ATTRIBUTES,
  type StoredOrder,
  sellCollateral,
} from './market.ts';
export {
  COMMIT_STATUS,
  decodeOrderOutcome,
  encodeOrderOutcome,
  INTERVAL_STATUS,
  marketKeys,
  ORDER_STATUS,
  SIDE,
} from './market-keys.ts';
export {
  MAX_READINGS_PER_TX,
  METERS_ABI,
  MetersModule,
  meterKeys,
  READING_TYPES,
  type Reading,
  readingDigest,
  readingDomain,
  readingView,
} from './meters.ts';
export {
  checkNetworkJson,
  type NetworkJson,
  type NetworkJsonBranch,
  type NetworkJsonBus,
  networkFromJson,
  networkToJson,
  ZERO_LIMIT_MW,
} from './network-json.ts';
export { type BandPrices, bandPrices, deviationAmount } from './penalty-band.ts';
export {
  decodePromiseRecord,
  encodePromiseRecord,
  PROMISE_RECORD_WORDS,
  type PromiseRecord,
  promiseEnergyWh,
  promiseSellerOrder,
  promiseWordKey,
  readPromiseRecord,
} from './promise-record.ts';
export {
  acRealtimePrices,
  dcRealtimePrices,
  type RealtimePricer,
  type RealtimePrices,
  type RealtimePricingInput,
  realtimePricerOf,
} from './realtime-prices.ts';
export {
  MAX_METER_CAPACITY_W,
  MAX_NETWORK_JSON_BYTES,
  REGISTRY_ABI,
  RegistryModule,
  registryKeys,
  registryView,
} from './registry.ts';
export {
  COMMIT_STATUS_NAME,
  commitmentHash,
  type SealedOrder,
  type SealedStep,
  type StoredCommitment,
  sealedView,
} from './sealed-orders.ts';
export {
  type PartyPosition,
  partyPositions,
  readyToSettle,
  settleInterval,
  storedRent,
} from './settlement.ts';
export {
  firstTariffInterval,
  intervalMinuteOfDay,
  MAX_PENDING_TARIFFS,
  TARIFFS_ABI,
  TariffModule,
  type TariffSchedule,
  tariffKeys,
  tariffLeadMs,
  tariffView,
} from './tariffs.ts';
export {
  decomposeTrades,
  decomposeTradesOnGrid,
  type GridBranch,
  type GridTradeParty,
  type Route,
  shareInOrder,
  shareProRata,
  type Trade,
  type TradeParty,
} from './trades.ts';
export {
  decodeSigned,
  encodeSigned,
  readBlob,
  readJsonBlob,
  type StateReader,
  writeBlob,
  writeJsonBlob,
} from './words.ts';
