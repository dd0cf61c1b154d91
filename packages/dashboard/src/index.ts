// @gridledger/dashboard: the live web dashboard. `startDashboard` serves the web app (web/, preact + htm
// and Apache ECharts from node_modules, no build step) and a WebSocket feed of the view model that a
// ChainFollower keeps from the validators' JSON-RPC through @gridledger/client (newHeads, gl_* market
// views, eth_call balances).
export { type BookSummary, buildCurves, type CurvePoint, type Curves, summariseBook } from './curves.ts';
export { ChainFollower, type FollowerOptions, MAX_WATCHED } from './follower.ts';
export { type BusPosition, layoutNetwork } from './layout.ts';
export { HISTORY_INTERVALS } from './price-history.ts';
export { type Dashboard, type DashboardOptions, startDashboard } from './server.ts';
export { TOKEN_ADDRESSES, type TokenAddresses } from './token-calls.ts';
export type * from './view.ts';
