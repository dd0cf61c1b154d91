// Builders of small networks for the market tests: buses, lossless branches and linear-cost generators
// with every field a MATPOWER case would carry, so tests state only what they vary.
import type { Branch, Bus, Generator, Network } from '@gridledger/grid';

/** A bus with load pdMw (MW) of the given MATPOWER type (1 PQ, 2 PV, 3 reference). */
export const bus = (id: number, pdMw = 0, type = 1): Bus => ({
  id,
  type,
  pdMw,
  qdMvar: 0,
  gsMw: 0,
  bsMvar: 0,
  area: 1,
  vmPu: 1,
  vaDeg: 0,
  baseKv: 10,
  zone: 1,
  vmaxPu: 1.1,
  vminPu: 0.9,
});

/** A branch with reactance xPu (p.u.) and limit rateAMw (MW, 0 = unlimited). */
export const branch = (index: number, from: number, to: number, xPu: number, rateAMw: number): Branch => ({
  index,
  from,
  to,
  rPu: 0,
  xPu,
  bPu: 0,
  rateAMw,
  rateBMw: 0,
  rateCMw: 0,
  tap: 0,
  shiftDeg: 0,
  status: 1,
  angminDeg: -360,
  angmaxDeg: 360,
});

/** A generator with capacity pmaxMw (MW) and linear cost c1 ($/MWh). */
export const gen = (index: number, at: number, pmaxMw: number, c1: number): Generator => ({
  index,
  bus: at,
  pgMw: 0,
  qgMvar: 0,
  qmaxMvar: 0,
  qminMvar: 0,
  vgPu: 1,
  mBase: 100,
  status: 1,
  pmaxMw,
  pminMw: 0,
  cost: { model: 'polynomial', startup: 0, shutdown: 0, coefficients: [c1, 0] },
});

/** A network of the given parts on a 100 MVA base. */
export const network = (buses: Bus[], branches: Branch[], generators: Generator[] = []): Network => ({
  name: 'test',
  baseMVA: 100,
  buses,
  branches,
  generators,
  extra: {},
});
