// @gridledger/market: DC-OPF and AC-OPF with LMPs, order clearing, single-bus auction, settlement maths and
// optimality certificates. Knows nothing of blockchains.

export {
  type AcCertificate,
  type AcCertificateBranch,
  type AcCertificateBus,
  type AcCertificateCheck,
  type AcCertificateTolerances,
  buildAcCertificate,
  decodeAcCertificateJson,
  encodeAcCertificateJson,
  verifyAcCertificate,
} from './ac-certificate.ts';
export { type AcClearingResult, clearNetworkAc } from './ac-clearing.ts';
export { solveAcOpf } from './ac-opf.ts';
export type {
  AcBranchResult,
  AcBusResult,
  AcGeneratorResult,
  AcOpfOptions,
  AcOpfResult,
  AcStatus,
} from './ac-opf-types.ts';
export {
  type AuctionAllocation,
  type AuctionOptions,
  type AuctionResult,
  clearSingleBus,
  type PriceRange,
  solveSingleBus,
} from './auction.ts';
export {
  buildCertificate,
  type Certificate,
  type CertificateCheck,
  verifyCertificate,
} from './certificate.ts';
export type { BusPriceRanges, PriceRangeOptions } from './dual-range.ts';
export { type LinearProgram, type LpSolution, loadSolver, solveLinearProgram } from './lp.ts';
export { clearNetwork, type NetworkClearingResult } from './network-clearing.ts';
export {
  type DispatchOptions,
  type Formulation,
  type OpfBus,
  type OpfGenerator,
  type OpfResult,
  solveOpf,
} from './opf.ts';
export {
  checkOrdersAgainstNetwork,
  decodeOrdersCsv,
  decodeOrdersJson,
  type OrdersSource,
  validateOrders,
} from './orders.ts';
export { loadOrders } from './orders-file.ts';
export {
  caseSettlementParties,
  DEFAULT_INTERVAL_MINUTES,
  type PartySettlement,
  type Settlement,
  type SettlementOptions,
  type SettlementParty,
  settleClearing,
} from './settlement.ts';
export type * from './types.ts';
