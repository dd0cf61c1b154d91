// The integer AC certificate (ac-certificate.ts): built from an optimal clearing on the DER feeder (a flow
// and a voltage limit bind, so every price component is exercised) it verifies, survives its JSON form,
// and carries prices equal to the result's rounded LMPs; tampered voltages, dispatch, prices, a wrong
// network and wrong counts are each rejected with a reason.
import { join } from 'node:path';
import { dollarsPerMWhToMicros } from '@gridledger/base';
import { loadMatpower } from '@gridledger/grid';
import { describe, expect, it } from 'vitest';
import {
  buildAcCertificate,
  decodeAcCertificateJson,
  encodeAcCertificateJson,
  verifyAcCertificate,
} from '../src/ac-certificate.ts';
import { clearNetworkAc } from '../src/ac-clearing.ts';
import type { Order } from '../src/types.ts';
import { GRID_CASES } from './cases.ts';
import { derFeeder } from './der-feeder.ts';

describe('AC certificate', () => {
  it('verifies an optimal clearing with binding limits; tampering is rejected', async () => {
    const net = derFeeder(await loadMatpower(join(GRID_CASES, 'case69.m')));
    const orders: Order[] = [
      { id: 'ev', bus: 65, side: 'buy', steps: [{ price: 60, quantity: 0.2 }] },
      { id: 'pv', bus: 27, side: 'sell', steps: [{ price: 1, quantity: 0.1 }] },
    ];
    const r = await clearNetworkAc(net, orders);
    expect(r.status).toBe('optimal');
    const cert = buildAcCertificate(net, r.opf);
    const ok = verifyAcCertificate(net, orders, cert);
    expect(ok.failures).toEqual([]);
    expect(ok.powerFlowResidualPu).toBeLessThan(1e-7);
    const back = decodeAcCertificateJson(JSON.parse(JSON.stringify(encodeAcCertificateJson(cert))));
    expect(back).toEqual(cert);
    for (const [i, b] of r.buses.entries()) expect(cert.buses[i]!.lmp).toBe(dollarsPerMWhToMicros(b.lmp));
    expect(cert.buses.some((b) => b.lmpCongestion !== 0n)).toBe(true);
    expect(cert.buses.some((b) => b.lmpVoltage !== 0n)).toBe(true);
    // The surplus split sums to the surplus and has a congestion part here.
    const sp = r.surplusSplit;
    expect(sp.energy + sp.loss + sp.congestion + sp.voltage).toBeCloseTo(r.surplus, 8);
    expect(Math.abs(sp.congestion)).toBeGreaterThan(1e-6);

    const tamper = (f: (c: typeof cert) => void) => {
      const c = structuredClone(cert);
      f(c);
      return verifyAcCertificate(net, orders, c).failures.join('; ');
    };
    expect(tamper((c) => (c.buses[30]!.vmPicoPu += 1_000_000n))).toMatch(/power-flow residual/);
    expect(tamper((c) => (c.generators[1]!.pW += 1000n))).toMatch(/power-flow residual/);
    expect(tamper((c) => (c.buses[40]!.lmp += 10n))).toMatch(/components sum/);
    expect(tamper((c) => (c.stepsW[0]! = 0n))).toMatch(/not fully cleared|power-flow/);
    expect(tamper((c) => c.branches.pop())).toMatch(/expected \d+ branches/);
    expect(tamper((c) => (c.qpStationarityMicros = 10n ** 12n))).toMatch(/stationarity/);
    const other = structuredClone(net);
    other.branches[5]!.rPu *= 1.01;
    expect(verifyAcCertificate(other, orders, cert).ok).toBe(false);
  });

  it('refuses to certify a result that is not optimal', async () => {
    const net = await loadMatpower(join(GRID_CASES, 'case33bw.m'));
    for (const b of net.buses) b.vminPu = 0.99;
    const r = await clearNetworkAc(net, []);
    expect(r.status).toBe('infeasible');
    expect(() => buildAcCertificate(net, r.opf)).toThrow(/not optimal/);
  });
});
