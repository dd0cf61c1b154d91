// @gridledger/grid: the network model, MATPOWER import and DC power flow. Knows nothing of markets.
export {};
