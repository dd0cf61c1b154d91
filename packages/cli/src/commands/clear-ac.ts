// `gridledger clear --model ac`: clears the book with the AC-OPF (clearNetworkAc) and hands the result
// to the same integer settlement as the DC path. The AC result carries losses, so the settlement's
// "congestion rent" is the merchandising surplus (congestion and losses) and bought and sold energy
// differ by the losses. Composes @gridledger/market; holds no market logic.
import type { Network } from '@gridledger/grid';
import { type AcClearingResult, type ClearingResult, clearNetworkAc, type Order } from '@gridledger/market';

/** Clears with the AC model and returns the AC result and its DC-shaped view for settlement and printing. */
export async function clearAc(
  network: Network,
  orders: readonly Order[],
): Promise<{ ac: AcClearingResult; view: ClearingResult }> {
  const ac = await clearNetworkAc(network, orders);
  const view: ClearingResult = {
    status: ac.status === 'optimal' ? 'optimal' : ac.status === 'infeasible' ? 'infeasible' : 'error',
    ...(ac.reason ? { reason: ac.reason } : {}),
    welfare: ac.welfare,
    buses: ac.buses.map((b) => ({
      id: b.id,
      lmp: b.lmp,
      lmpEnergy: b.lmpEnergy,
      lmpCongestion: b.lmpCongestion,
    })),
    orders: ac.orders,
    branches: ac.branches.map((b) => ({
      index: b.index,
      from: b.from,
      to: b.to,
      flowMw: b.pFromMw,
      muFrom: b.muFrom,
      muTo: b.muTo,
    })),
    congestionRent: ac.surplus,
  };
  return { ac, view };
}
