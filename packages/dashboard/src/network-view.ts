// The map's network: gl_gridState's buses and branches with the registry's branch status (open tie
// switches are drawn out of service and left out of the layout), laid out as a tree from the root bus, with
// each bus's voltage limits (for the voltage profile).
import { REGISTRY_ABI } from '@gridledger/energy';
import type { GlGridStateReturnType } from '@gridledger/rpc';
import { decodeFunctionResult, type Hex } from 'viem';
import { layoutNetwork } from './layout.ts';
import type { NetworkView } from './view.ts';

/** The AC model's voltage limits where the registered network gives none (docs/ac-opf.md "On chain"). */
const DEFAULT_VMIN_PU = 0.9;
const DEFAULT_VMAX_PU = 1.1;

/**
 * The network view of a grid state.
 * @param networkJsonData the registry's `networkJson()` result data (undefined: every branch in service)
 * @param upstreamBus the market's upstream bus, the layout's root (default: the reference bus)
 */
export function buildNetworkView(
  g: NonNullable<GlGridStateReturnType>,
  networkJsonData: unknown,
  upstreamBus: number | undefined,
): NetworkView {
  const outOfService = new Set<number>();
  try {
    const text = decodeFunctionResult({
      abi: REGISTRY_ABI,
      functionName: 'networkJson',
      data: networkJsonData as Hex,
    });
    for (const b of (JSON.parse(text) as { branches: { index: number; status: number }[] }).branches)
      if (b.status === 0) outOfService.add(b.index);
  } catch {
    // every branch drawn in service
  }
  const root = upstreamBus ?? g.buses.find((b) => b.type === 3)?.id ?? null;
  const pos = layoutNetwork(
    g.buses.map((b) => b.id),
    g.branches.filter((b) => !outOfService.has(b.index)).map((b) => [b.from, b.to] as const),
    root ?? undefined,
  );
  return {
    name: g.name,
    version: g.version,
    root,
    buses: g.buses.map((b) => ({
      id: b.id,
      type: b.type,
      x: pos.get(b.id)?.x ?? 0,
      y: pos.get(b.id)?.y ?? 0,
      vminPu: b.vminPu ?? DEFAULT_VMIN_PU,
      vmaxPu: b.vmaxPu ?? DEFAULT_VMAX_PU,
    })),
    branches: g.branches.map((b) => ({
      index: b.index,
      from: b.from,
      to: b.to,
      limitMw: b.limitMw,
      inService: !outOfService.has(b.index),
    })),
  };
}
