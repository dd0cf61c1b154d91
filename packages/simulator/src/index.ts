// @gridledger/simulator: scenario files, seeded device models (PV, household load, EV, battery, flexible
// load) with signed meters, the genesis of a scenario's chain, and runScenario, the driver that runs the
// devices against a chain over JSON-RPC and reports each interval with the market's invariants.
export { ChainClient, type MarketClockView, revertReasonOf, sleep } from './chain.ts';
export {
  type Cleared,
  clearSkyShare,
  type DeviceSpec,
  type DeviceState,
  deliver,
  evSession,
  type IntervalContext,
  initialState,
  loadShape,
  type Metered,
  type PlannedOrder,
  planOrders,
  pvEnergyWh,
} from './devices.ts';
export { type RunResult, runScenario } from './driver.ts';
export {
  EVM_DEVICES_PER_SECOND,
  type EvmRunOptions,
  evmDeployConfig,
  pacedForEvm,
  runScenarioOnEvm,
} from './evm-run.ts';
export { type ScenarioGenesis, type ScenarioGenesisOptions, scenarioGenesis } from './genesis.ts';
export {
  INVARIANT_NAMES,
  type InvariantName,
  type InvariantResults,
  InvariantTracker,
} from './invariants.ts';
export { connectionCapacityW } from './meter-capacity.ts';
export {
  buildPopulation,
  countByKind,
  householdKinds,
  METER_ID_BASE,
  type MeterFault,
  type SimDevice,
} from './population.ts';
export { type Rng, rng } from './prng.ts';
export type { StrategyResult } from './profit.ts';
export { READINGS_PER_TX } from './readings.ts';
export { type IntervalReport, type RunTotals, type SimEvent, totalsOf } from './report.ts';
export {
  DEFAULT_SCENARIO_PATH,
  DEVICE_KINDS,
  DEVICE_PARAMS,
  type DeviceGroup,
  type DeviceKind,
  type DeviceParamsByKind,
  GRID_CASES_DIR,
  loadScenario,
  PACED_ORDERS_PER_SECOND,
  pacedForChain,
  pacingNote,
  parseScenario,
  resolveNetworkPath,
  type Scenario,
  scenarioSchema,
  withDevices,
  withPacing,
} from './scenario.ts';
export {
  type KeyPair,
  keyFromLabel,
  keyFromPrivate,
  signDigest,
  signReading,
  signTransaction,
} from './signer.ts';
export type { RunScenarioOptions } from './simulation.ts';
export { STRATEGY_KINDS, type StrategyKind, type StrategySpec } from './strategy-schema.ts';
