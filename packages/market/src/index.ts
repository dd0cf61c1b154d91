// @gridledger/market: DC-OPF with LMPs, order clearing, single-bus auction, settlement maths and
// optimality certificates. Knows nothing of blockchains.
export type * from './types.ts';
