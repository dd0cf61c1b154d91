// The canonical network model: what every importer produces and every formulation reads. Units are
// MATPOWER's (MW, MVAr, per unit on baseMVA, degrees); bus ids are the case's own numbers.

/** MATPOWER bus types. */
export const BusType = { PQ: 1, PV: 2, REF: 3, NONE: 4 } as const;

/** One bus (row of `mpc.bus`). */
export interface Bus {
  /** Bus number from the case (need not be contiguous). */
  id: number;
  /** 1 PQ, 2 PV, 3 reference, 4 isolated. */
  type: number;
  pdMw: number;
  qdMvar: number;
  /** Shunt conductance, MW demanded at 1 p.u. voltage (counts as load in the DC model). */
  gsMw: number;
  bsMvar: number;
  area: number;
  vmPu: number;
  vaDeg: number;
  baseKv: number;
  zone: number;
  vmaxPu: number;
  vminPu: number;
}

/** Generator cost curve (one row of `mpc.gencost`), cost in $/h of output in MW. */
export type GenCost =
  | {
      /** MATPOWER model 2: polynomial, coefficients highest order first (c_{n-1} ... c_0). */
      model: 'polynomial';
      startup: number;
      shutdown: number;
      coefficients: number[];
    }
  | {
      /** MATPOWER model 1: piecewise linear through points (MW, $/h), MW ascending. */
      model: 'piecewise';
      startup: number;
      shutdown: number;
      points: { mw: number; cost: number }[];
    };

/** One generator (row of `mpc.gen`); rows with status 0 are kept. */
export interface Generator {
  /** 1-based row in the case file. */
  index: number;
  bus: number;
  pgMw: number;
  qgMvar: number;
  qmaxMvar: number;
  qminMvar: number;
  vgPu: number;
  mBase: number;
  /** In service when > 0. */
  status: number;
  pmaxMw: number;
  pminMw: number;
  /** Cost curve from `mpc.gencost` (same row), when the case has one. */
  cost?: GenCost;
}

/** One branch (row of `mpc.branch`); rows with status 0 are kept. */
export interface Branch {
  /** 1-based row in the case file. */
  index: number;
  from: number;
  to: number;
  rPu: number;
  xPu: number;
  bPu: number;
  /** Long-term rating, MW (0 = unlimited). */
  rateAMw: number;
  rateBMw: number;
  rateCMw: number;
  /** Off-nominal tap ratio (0 means 1). */
  tap: number;
  /** Phase shift, degrees. */
  shiftDeg: number;
  /** In service when > 0. */
  status: number;
  angminDeg: number;
  angmaxDeg: number;
}

/** A power network as read from a case file. */
export interface Network {
  /** Case name (the MATPOWER function name or the file's base name). */
  name: string;
  baseMVA: number;
  buses: Bus[];
  generators: Generator[];
  branches: Branch[];
  /** Other fields of the file (areas, dcline, bus_name, gentype...), kept as parsed, not interpreted. */
  extra: Record<string, unknown>;
}
