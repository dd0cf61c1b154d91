// The digital twin on an EVM chain (docs/evm.md "The digital twin", docs/market-rules.md §10a): the
// contracts cannot solve the DC power flow, so an operator solves it off chain with the engine the native
// twin uses (solveDcPowerFlow of @gridledger/grid on the network with each bus's metered net injection as
// a negative load, the upstream bus balancing the rest, as digital-twin.ts's DC path) and submits the bus
// angles to the DigitalTwin contract, which computes the branch flows from them in integers, checks every
// bus but the upstream one balances, stores the flows and emits FlowDeviation as the native twin does.
import { InputError, whToMw } from '@gridledger/base';
import { type Network, solveDcPowerFlow } from '@gridledger/grid';
import { type Abi, type Address, parseAbi, parseEventLogs } from 'viem';
import { type IntegerNetwork, PRAD_PER_RAD } from '../certificate/format.ts';
import { revertName, type VerifierClients } from '../certificate/verifier-client.ts';
import { deployContract, type EvmClients } from '../deploy.ts';
import { DigitalTwinAbi, DigitalTwinBytecode } from '../generated/DigitalTwin.ts';
import { marketIntervalMinutes, readNetwork, verifierNetwork } from './operator.ts';

const twinAbi = DigitalTwinAbi as Abi;
const marketAbi = parseAbi([
  'function registry() view returns (address)',
  'function marketTimeMs() view returns (uint256)',
  'function clock(uint64 interval) view returns (uint256 gateMs, uint256 startMs, uint256 endMs, uint256 deadlineMs)',
  'function intervalState(uint64 interval) view returns (uint8 status, int256 congestionRent, uint256 orders, uint256 promises)',
  'function meteredInjections(uint64 interval) view returns (uint256[] busIds, int256[] netWh, bool complete, uint256 meterCount)',
]) as Abi;

/**
 * Deploys the market's DigitalTwin beside its clearing verifier (whose integer network it reads).
 * @example const twin = await deployDigitalTwin(clients, addresses.market, verifier);
 */
export async function deployDigitalTwin(
  c: EvmClients,
  market: Address,
  verifier: Address,
): Promise<{ address: Address; gasUsed: bigint }> {
  return deployContract(c, twinAbi, DigitalTwinBytecode, [market, verifier]);
}

/**
 * The bus angles (prad, in the network's bus order) of the DC power flow of `netWh` (metered net injection
 * per bus id over an interval of `minutes`, Wh) with `upstreamBus` balancing the rest: the native twin's
 * DC path (injections as negative loads, solveDcPowerFlow), the angles rounded to prad (an isolated bus: 0).
 * @example twinAngles(network, new Map([[2, -23_500n], [3, 20_000n]]), 1, 5)
 */
export function twinAngles(
  network: Network,
  netWh: ReadonlyMap<number, bigint>,
  upstreamBus: number,
  minutes: number,
): bigint[] {
  let total = 0n;
  const wh = new Map<number, bigint>();
  for (const [bus, x] of netWh) {
    wh.set(bus, (wh.get(bus) ?? 0n) + x);
    total += x;
  }
  wh.set(upstreamBus, (wh.get(upstreamBus) ?? 0n) - total);
  const net: Network = {
    ...network,
    buses: network.buses.map((b) => ({ ...b, pdMw: -whToMw(wh.get(b.id) ?? 0n, minutes) })),
  };
  const pf = solveDcPowerFlow(net, []);
  return pf.vaDeg.map((deg) => {
    if (!Number.isFinite(deg)) return 0n;
    const prad = ((deg * Math.PI) / 180) * Number(PRAD_PER_RAD);
    return BigInt(Math.sign(prad) * Math.round(Math.abs(prad)));
  });
}

/** What submitting one interval's twin did. */
export interface TwinSubmission {
  interval: bigint;
  /** FlowDeviation events emitted. */
  deviations: number;
  gas: bigint;
}

async function read<T>(
  c: VerifierClients,
  address: Address,
  abi: Abi,
  functionName: string,
  args: unknown[] = [],
) {
  return (await c.public.readContract({ address, abi, functionName, args })) as T;
}

/**
 * Computes interval k's DC power flow from the market's metered injections and submits its angles.
 * @throws InputError when the readings are not final, the interval is not cleared (or settled already),
 * its twin was computed, or the contract rejects the angles (its error's name in the message).
 */
export async function submitTwin(
  c: VerifierClients,
  contracts: { market: Address; verifier: Address; twin: Address },
  k: bigint,
): Promise<TwinSubmission> {
  const [busIds, netWh, complete] = await read<[readonly bigint[], readonly bigint[], boolean, bigint]>(
    c,
    contracts.market,
    marketAbi,
    'meteredInjections',
    [k],
  );
  if (!complete) {
    throw new InputError(
      `digital twin: interval ${k}'s readings are not final (it must be cleared, not settled, and every reading in or its deadline passed)`,
    );
  }
  const minutes = await marketIntervalMinutes(c, contracts.market);
  const registry = await read<Address>(c, contracts.market, marketAbi, 'registry');
  const { network } = await readNetwork(c, registry);
  const net: IntegerNetwork = await verifierNetwork(c, contracts.verifier, network, minutes);
  if (busIds.length !== net.busIds.length || busIds.some((b, i) => b !== net.busIds[i])) {
    throw new InputError("digital twin: the market's buses differ from the verifier's network");
  }
  const upstream = await read<bigint>(c, contracts.twin, twinAbi, 'upstreamBus');
  const angles = twinAngles(
    network,
    new Map(busIds.map((b, i) => [Number(b), netWh[i]!])),
    Number(upstream),
    minutes,
  );
  try {
    const { request } = await c.public.simulateContract({
      address: contracts.twin,
      abi: twinAbi,
      functionName: 'submitAngles',
      args: [k, angles],
      account: c.wallet.account,
    } as Parameters<typeof c.public.simulateContract>[0]);
    const hash = await c.wallet.writeContract(request as Parameters<typeof c.wallet.writeContract>[0]);
    const r = await c.public.waitForTransactionReceipt({ hash });
    if (r.status !== 'success') throw new InputError(`digital twin: transaction ${hash} reverted`);
    const done = parseEventLogs({ abi: twinAbi, logs: r.logs, eventName: 'TwinComputed' })[0] as
      | { args: { deviations: bigint } }
      | undefined;
    return { interval: k, deviations: Number(done?.args.deviations ?? 0n), gas: r.gasUsed };
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`digital twin submitAngles rejected: ${revertName(e)}`);
  }
}

/** Whether interval k's twin was computed (1) or not (0). */
export async function twinComputed(c: VerifierClients, twin: Address, k: bigint): Promise<number> {
  return read<number>(c, twin, twinAbi, 'twinComputed', [k]);
}

/**
 * The intervals whose twin is due now, from `from` on: ended, cleared and not settled, twin not computed,
 * readings final. `next`: the first interval still to look at (cleared or still clearable, twin not computed).
 * Intervals in `skip` (tried already) are passed over.
 */
export async function dueTwins(
  c: VerifierClients,
  contracts: { market: Address; twin: Address },
  from: bigint,
  skip: ReadonlySet<bigint> = new Set(),
  max = 64,
): Promise<{ due: bigint[]; next: bigint }> {
  const now = await read<bigint>(c, contracts.market, marketAbi, 'marketTimeMs');
  const due: bigint[] = [];
  let next: bigint | undefined;
  let k = from;
  for (; due.length < max; k++) {
    const [, , endMs, deadlineMs] = await read<[bigint, bigint, bigint, bigint]>(
      c,
      contracts.market,
      marketAbi,
      'clock',
      [k],
    );
    if (endMs > now) break;
    const [status] = await read<[number]>(c, contracts.market, marketAbi, 'intervalState', [k]);
    // 1 cleared (settled intervals no longer serve their metered injections); 0 may still clear
    const pending = status === 1 || (status === 0 && now < deadlineMs);
    if (!pending || skip.has(k)) continue;
    if (status === 1 && (await twinComputed(c, contracts.twin, k)) !== 0) continue;
    if (next === undefined) next = k;
    if (status !== 1) continue;
    const [, , complete] = await read<[unknown, unknown, boolean]>(
      c,
      contracts.market,
      marketAbi,
      'meteredInjections',
      [k],
    );
    if (complete) due.push(k);
  }
  return { due, next: next ?? k };
}
