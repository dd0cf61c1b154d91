// @gridledger/evm: the energy market on any EVM chain. This part: the integer certificate of a DC clearing
// that the ClearingVerifier contract checks (contracts/clearing/), its producer from the engine's
// clearing and its reference checker.
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
