// The market's data contract: orders in, clearing results out. Floats in the case's units (MW, $/MWh)
// like MATPOWER; conversion to integers happens only in settlement.ts.

/** Buy (bid) or sell (offer). */
export type Side = 'buy' | 'sell';

/** One step of a stepwise price-quantity curve: up to `quantity` MW at limit price `price` $/MWh. */
export interface OrderStep {
  price: number;
  quantity: number;
}

/** A participant's order for one interval at one bus. */
export interface Order {
  id: string;
  /** Bus number as in the case file. */
  bus: number;
  side: Side;
  steps: OrderStep[];
}

/** Outcome of a solve: results are values, never exceptions. */
export type ClearingStatus = 'optimal' | 'infeasible' | 'unbounded' | 'error';

/** Cleared quantity of one order and the price at its bus. */
export interface OrderResult {
  id: string;
  bus: number;
  side: Side;
  /** MW cleared over the interval (sum over steps). */
  cleared: number;
  /** Cleared MW per step, same order as the order's steps. */
  clearedSteps: number[];
  /** LMP at the order's bus, $/MWh. */
  price: number;
}

/** Price at one bus. */
export interface BusPrice {
  id: number;
  /** $/MWh: the midpoint of [lmpLow, lmpHigh] (the finite end when one is open). */
  lmp: number;
  /**
   * Lowest and highest price of this bus over the optimal duals with the dispatch fixed, $/MWh
   * (docs/market-rules.md §6a); -Infinity / +Infinity where the range is open (null in JSON). Set by
   * clearNetwork, solveOpf and clearSingleBus; optional so that hand-built prices need not state them.
   */
  lmpLow?: number;
  lmpHigh?: number;
  lmpEnergy: number;
  lmpCongestion: number;
}

/** Flow and limit duals of one branch (index is the 1-based row in the case file). */
export interface BranchResult {
  index: number;
  from: number;
  to: number;
  flowMw: number;
  /** Shadow price of the limit in the from->to direction ($/MWh per MW), like MATPOWER's mu_Sf. */
  muFrom: number;
  /** Shadow price of the limit in the to->from direction, like MATPOWER's mu_St. */
  muTo: number;
}

/** Result of clearing orders (and the case's own generators and loads) on a network. */
export interface ClearingResult {
  status: ClearingStatus;
  /** Why, when status is not optimal. */
  reason?: string;
  /** Social welfare, $/h: bids' value minus offers' cost (generators' cost counts as offers). */
  welfare: number;
  buses: BusPrice[];
  orders: OrderResult[];
  branches: BranchResult[];
  /** What buyers pay minus what sellers receive, $/h; never negative at optimum. */
  congestionRent: number;
}

/** Each bus's range of optimal prices and the duals published. */
export interface BusPriceRanges {
  /** Per bus (internal order), $/MWh; -Infinity / +Infinity where the range is open. */
  lmpLow: Float64Array;
  lmpHigh: Float64Array;
  /** Milliseconds spent building and solving the two LPs. */
  ms: number;
  /** False when the dual-range LPs failed and the solver's vertex was kept (ranges of zero width). */
  solved: boolean;
}
