// @gridledger/consensus: Tendermint-style BFT as a pure state machine; block, vote and certificate types.
export type { Application, CheckTxResult, TxResult } from './app.ts';
