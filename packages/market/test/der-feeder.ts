// A synthetic DER feeder for tests: case69 with two cheap DERs, one at the end of the 12-27 lateral
// behind a rated branch (22-23 limited, so its flow limit binds) and one at bus 61 with a 1.01 p.u.
// voltage ceiling on the main feeder's far end (so a voltage limit binds).
import type { Network } from '@gridledger/grid';

/** case69 plus two DERs chosen so that one flow limit and one voltage limit bind. */
export function derFeeder(case69: Network): Network {
  const net: Network = structuredClone(case69);
  net.name = 'case69_der';
  const der = (index: number, bus: number, pmaxMw: number, price: number) => ({
    index,
    bus,
    pgMw: 0,
    qgMvar: 0,
    qmaxMvar: 0.3 * pmaxMw,
    qminMvar: -0.3 * pmaxMw,
    vgPu: 1,
    mBase: 100,
    status: 1,
    pmaxMw,
    pminMw: 0,
    cost: { model: 'polynomial' as const, startup: 0, shutdown: 0, coefficients: [1, price, 0] },
  });
  net.generators.push(der(2, 27, 1.0, 8), der(3, 61, 5, 6));
  const lateral = net.branches.find((b) => b.from === 22 && b.to === 23)!;
  lateral.rateAMw = 0.3;
  for (const b of net.buses) if (b.id >= 53 && b.id <= 65) b.vmaxPu = 1.01;
  return net;
}
