// The sealed-bid (commit-reveal) part of the market's ABI, as human-readable signatures: market.ts parses
// them into MARKET_ABI beside the order functions (they share the Step struct); sealed-orders.ts owns
// the handlers. Kept apart so both can import it without importing each other.

/** Functions, views and events of sealed bids (docs/market-rules.md §6b). */
export const SEALED_ORDER_SIGNATURES = [
  'struct CommitmentView { address owner; uint64 interval; bytes32 commitment; uint256 deposit; uint8 status; uint256 order; }',
  'function commitOrder(uint64 interval, bytes32 commitment, uint256 deposit) returns (uint256 id)',
  'function revealOrder(uint256 commitId, uint256 bus, uint8 side, Step[] steps, bytes32 salt) returns (uint256 orderId)',
  'function cancelCommitment(uint256 commitId)',
  'function commitment(uint256 commitId) view returns (CommitmentView)',
  'function revealWindow(uint64 interval) view returns (uint256 opensMs, uint256 closesMs)',
  'event OrderCommitted(uint256 indexed id, address indexed owner, uint64 indexed interval, bytes32 commitment, uint256 deposit)',
  'event OrderRevealed(uint256 indexed commitId, uint256 indexed orderId, address indexed owner, uint256 refunded)',
  'event CommitmentCancelled(uint256 indexed id, address indexed owner, uint256 released)',
  'event CommitmentForfeited(uint256 indexed id, address indexed owner, address indexed to, uint256 forfeited, uint256 released)',
] as const;
