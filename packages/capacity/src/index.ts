// @gridledger/capacity: the load model of a deployment and its assessment against measured capacity.

export {
  DEFAULT_EVM_GAS,
  type EvmCapacity,
  type EvmConstraint,
  type EvmGas,
  evmCapacity,
  parseEvmGas,
} from './evm.ts';
export {
  type Assessment,
  type AssessOptions,
  assess,
  capacityTps,
  clearingMs,
  finalityAtPeakS,
  type Headroom,
  type Measured,
  mergeMeasured,
  parseMeasured,
} from './measured.ts';
export {
  checkDeployment,
  DEFAULT_MIX,
  DEFAULT_PROFILES,
  DEFAULT_SIZES,
  DEVICE_KINDS,
  type Deployment,
  type DeviceKind,
  defaultDeployment,
  deriveLoad,
  type KindProfile,
  type Load,
  type SizeAssumptions,
  splitDevices,
} from './model.ts';
export { type Sweep, type SweepRow, sweep, sweepChartSvg } from './sweep.ts';
export { parseCount, parseDurationS, parseSweep } from './units.ts';
