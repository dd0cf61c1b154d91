// @gridledger/grid: the network model, MATPOWER import, DC power flow and the AC model (Ybus, Newton
// power flow, block-LU Jacobian, branch flows). Knows nothing of markets.
export {
  type AcBranchAdmittance,
  type AcModel,
  branchAdmittance,
  buildAcModel,
  checkAcNetwork,
} from './ac-admittance.ts';
export { type AcBranchFlows, branchEnd, branchFlows } from './ac-branch-flow.ts';
export {
  type AcJacobianFactor,
  type AcJacobianPattern,
  allocateFactor,
  assembleJacobian,
  buildJacobianPattern,
  busInjections,
  factorJacobian,
  solveJacobian,
  solveJacobianTransposed,
  voltageParts,
} from './ac-jacobian.ts';
export {
  eliminationRoots,
  type SolveSupport,
  solveJacobianOn,
  solveSupport,
} from './ac-jacobian-reach.ts';
export {
  type AcPowerFlowInput,
  type AcPowerFlowOptions,
  type AcPowerFlowResult,
  type AcPowerFlowStatus,
  type AcSolver,
  buildAcSolver,
  caseInput,
  solveAcPowerFlow,
  solveCasePowerFlow,
} from './ac-powerflow.ts';
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
export { cosDet, sinDet, TRIG_MAX_ARGUMENT } from './trig.ts';
