// @gridledger/grid: the network model, MATPOWER import and DC power flow. Knows nothing of markets.
export {
  branchFlowsMw,
  buildDcModel,
  type DcModel,
  type DcPowerFlowResult,
  ptdfRow,
  solveAngles,
  solveDcPowerFlow,
} from './dc.ts';
export { loadMatpower, parseMatpower } from './matpower.ts';
export { type Branch, type Bus, BusType, type GenCost, type Generator, type Network } from './network.ts';
export {
  buildSymmetricCsr,
  factorLdl,
  type LdlFactor,
  minimumDegreeOrder,
  multiplyCsr,
  SingularMatrixError,
  type SymmetricCsr,
  solveLdl,
} from './sparse.ts';
