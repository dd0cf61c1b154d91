// Public types of the AC-OPF (ac-opf.ts) and AC clearing (ac-clearing.ts): options, status, and the result
// per bus (LMP and its energy, loss, congestion and voltage components, reactive price, voltage), per
// generator and per branch (flows at both ends, loss, loading, flow-limit prices). MW, MVAr, $/MWh, p.u.

/** Outcome of an AC solve. */
export type AcStatus = 'optimal' | 'infeasible' | 'not-converged' | 'invalid-network' | 'error';

/** Options of `solveAcOpf` and `clearNetworkAc`. */
export interface AcOpfOptions {
  /** Outer iterations at most (default 50). */
  maxIterations?: number;
  /** Largest control step at convergence, p.u. (default 1e-6). */
  stepTolerance?: number;
  /** Largest LMP change at convergence, $/MWh (default 1e-4). */
  priceTolerance?: number;
  /** Called after each iteration (diagnostics). */
  onIteration?: (info: {
    iteration: number;
    maxStep: number;
    priceMove: number;
    qpOk: boolean;
    qpIterations: number;
    monitored: number;
    cost: number;
  }) => void;
}

/** Prices, voltage and angle of one bus. */
export interface AcBusResult {
  id: number;
  /** $/MWh: lmpEnergy + lmpLoss + lmpCongestion + lmpVoltage. */
  lmp: number;
  lmpEnergy: number;
  lmpLoss: number;
  lmpCongestion: number;
  lmpVoltage: number;
  /** Reactive price, $/MVArh. */
  lmpQ: number;
  vm: number;
  vaDeg: number;
}

/** Flows of one branch at both ends, its loss, loading and flow-limit prices ($/MVAh, MATPOWER's mu_Sf/mu_St). */
export interface AcBranchResult {
  index: number;
  from: number;
  to: number;
  pFromMw: number;
  qFromMvar: number;
  pToMw: number;
  qToMvar: number;
  lossMw: number;
  /** max(|S_from|, |S_to|) / RATE_A in %, or null when unrated. */
  loadingPct: number | null;
  muFrom: number;
  muTo: number;
}

/** Output of one generator (status 0 rows have zeros). */
export interface AcGeneratorResult {
  index: number;
  bus: number;
  pgMw: number;
  qgMvar: number;
}

/** Result of `solveAcOpf`. */
export interface AcOpfResult {
  case: string;
  status: AcStatus;
  reason?: string;
  /** Generation cost plus offers' cost minus bids' value, $/h (constant cost terms included). */
  objective: number;
  lossesMw: number;
  baseMVA: number;
  iterations: number;
  buses: AcBusResult[];
  generators: AcGeneratorResult[];
  branches: AcBranchResult[];
  /** MW cleared per order step (flattened in order), when orders were given. */
  stepMw: number[];
  timingMs: { build: number; solve: number };
  /**
   * When optimal: KKT residuals of the final QP (stationarity in $/h per p.u., the largest row or bound
   * violation in p.u.); both near 0 at convergence, since the final step is below the step tolerance.
   */
  residuals?: { qpStationarity: number; qpPrimal: number };
}
