// The grid registry module (0x…1010): the grid operator registers the network (buses and branches as
// JSON, see network-json.ts), overrides line limits and line status (in or out of service; both used from
// the next clearing on: a clearing reads the limits and status in force at its gate's block) and
// registers meters (id, signing-key address, bus, owner, connection capacity in W: a reading above
// capacity × interval is refused); the accounts admin registers participants and the buses each may
// trade at. An on-chain limit is what it says: 0 W means the line carries nothing (only a MATPOWER
// file's RATE_A = 0 means unlimited, when the file is read). An out-of-service branch is removed from the
// network the clearing and the digital twin use (registryView.engineNetwork); the islands that leaves
// are priced and decomposed apart by the engine.
// State keys (prefix <registry address>):
//   :net:len, :net:<i>          the network JSON (blob, see words.ts); :netv its version (1, 2, ...)
//   :bus:<id>                   1 when the registered network has bus <id>
//   :lim:<branch>               overriding limit in W plus one (0 = none)
//   :st:<branch>                status override: 0 = as registered, 1 = in service, 2 = out of service
//   :m:<meter>:key|bus|owner    a meter (key and owner as uint160; bus as bus id + 1)
//   :m:<meter>:cap              the meter's connection capacity, W
//   :ms:n, :ms:<i>              every registered meter id, in registration order (settlement settles all)
//   :pm:<owner>:<bus>:n, :pm:<owner>:<bus>:<i>   the meters of an owner at a bus
//   :pb:<account>:<bus>         1 when the participant may trade at the bus
import { wToMw } from '@gridledger/base';
import {
  AbiModule,
  type Address,
  accountsView,
  addressToValue,
  type CallContext,
  hasRole,
  prepareEvent,
  revertReason,
  valueToAddress,
  ZERO_ADDRESS,
} from '@gridledger/execution';
import type { Network } from '@gridledger/grid';
import { parseAbi } from 'viem';
import { REGISTRY_ADDRESS } from './addresses.ts';
import { checkNetworkJson, type NetworkJson, networkFromJson } from './network-json.ts';
import { readJsonBlob, type StateReader, writeJsonBlob } from './words.ts';

/** The registry's ABI. */
export const REGISTRY_ABI = parseAbi([
  'function registerNetwork(string networkJson)',
  'function setLineLimit(uint256 branch, uint256 limitW)',
  'function clearLineLimit(uint256 branch)',
  'function setLineStatus(uint256 branch, bool inService)',
  'function clearLineStatus(uint256 branch)',
  'function registerMeter(uint256 meter, address key, uint256 bus, address owner, uint256 capacityW)',
  'function registerParticipant(address account, uint256[] buses)',
  'function networkVersion() view returns (uint256)',
  'function networkJson() view returns (string)',
  'function hasBus(uint256 bus) view returns (bool)',
  'function lineLimit(uint256 branch) view returns (bool overridden, uint256 limitW)',
  'function lineStatus(uint256 branch) view returns (bool inService, bool overridden)',
  'function meterOf(uint256 meter) view returns (address key, uint256 bus, address owner, uint256 capacityW)',
  'function canTrade(address account, uint256 bus) view returns (bool)',
  'event NetworkRegistered(uint256 indexed version, uint256 buses, uint256 branches)',
  'event LineLimitSet(uint256 indexed branch, bool overridden, uint256 limitW)',
  'event LineStatusSet(uint256 indexed branch, bool overridden, bool inService)',
  'event MeterRegistered(uint256 indexed meter, address indexed key, uint256 bus, address indexed owner, uint256 capacityW)',
  'event ParticipantRegistered(address indexed account, uint256[] buses)',
]);

const EV = {
  network: prepareEvent(REGISTRY_ABI, 'NetworkRegistered'),
  limit: prepareEvent(REGISTRY_ABI, 'LineLimitSet'),
  status: prepareEvent(REGISTRY_ABI, 'LineStatusSet'),
  meter: prepareEvent(REGISTRY_ABI, 'MeterRegistered'),
  participant: prepareEvent(REGISTRY_ABI, 'ParticipantRegistered'),
};

const R = REGISTRY_ADDRESS;
/** State keys of the registry. */
export const registryKeys = {
  net: `${R}:net`,
  netVersion: `${R}:netv`,
  bus: (id: bigint | number) => `${R}:bus:${id}`,
  limit: (branch: bigint | number) => `${R}:lim:${branch}`,
  status: (branch: bigint | number) => `${R}:st:${branch}`,
  meterKey: (m: bigint) => `${R}:m:${m}:key`,
  meterBus: (m: bigint) => `${R}:m:${m}:bus`,
  meterOwner: (m: bigint) => `${R}:m:${m}:owner`,
  meterCapacity: (m: bigint) => `${R}:m:${m}:cap`,
  meterCount: `${R}:ms:n`,
  meterAt: (i: bigint | number) => `${R}:ms:${i}`,
  ownerMeters: (owner: Address, bus: bigint | number) => `${R}:pm:${owner}:${bus}:n`,
  ownerMeter: (owner: Address, bus: bigint | number, i: number) => `${R}:pm:${owner}:${bus}:${i}`,
  participantBus: (a: Address, bus: bigint | number) => `${R}:pb:${a}:${bus}`,
};
const K = registryKeys;

/** Largest meter connection capacity, W (10^12 W = 1 TW: a bound against overflow, not a rating). */
export const MAX_METER_CAPACITY_W = 1_000_000_000_000n;

/** Largest network JSON accepted, bytes. */
export const MAX_NETWORK_JSON_BYTES = 100_000;

function onlyGridOperator(ctx: CallContext, what: string): void {
  if (!hasRole(ctx, 'GRID_OPERATOR_ROLE', ctx.sender)) {
    throw revertReason(`registry: ${what} needs GRID_OPERATOR_ROLE, ${ctx.sender} does not hold it`);
  }
}

/** Unmetered reads of the registry for the market, meters and views. */
export const registryView = {
  network: (s: StateReader) => readJsonBlob<NetworkJson>(s, K.net),
  /** Overridden limits, MW, by branch index (0 = the line carries nothing). */
  limitsMw(s: StateReader, network: NetworkJson): Map<number, number> {
    const out = new Map<number, number>();
    for (const b of network.branches) {
      const v = s.get(K.limit(b.index));
      if (v !== 0n) out.set(b.index, wToMw(v - 1n));
    }
    return out;
  },
  /** Overridden status (true = in service), by branch index. */
  statusOverrides(s: StateReader, network: NetworkJson): Map<number, boolean> {
    const out = new Map<number, boolean>();
    for (const b of network.branches) {
      const v = s.get(K.status(b.index));
      if (v !== 0n) out.set(b.index, v === 1n);
    }
    return out;
  },
  /**
   * The network the clearing and the digital twin use: the registered network with the limits and status
   * in force (out-of-service branches have status 0, which the engine and the power flow leave out).
   */
  engineNetwork(s: StateReader, network: NetworkJson): Network {
    return networkFromJson(
      network,
      registryView.limitsMw(s, network),
      registryView.statusOverrides(s, network),
    );
  },
  meter(
    s: StateReader,
    meter: bigint,
  ): { key: Address; bus: bigint; owner: Address; capacityW: bigint } | undefined {
    const key = s.get(K.meterKey(meter));
    if (key === 0n) return undefined;
    return {
      key: valueToAddress(key),
      bus: s.get(K.meterBus(meter)) - 1n,
      owner: valueToAddress(s.get(K.meterOwner(meter))),
      capacityW: s.get(K.meterCapacity(meter)),
    };
  },
  /** Every registered meter id, in registration order. */
  allMeters(s: StateReader): bigint[] {
    const n = Number(s.get(K.meterCount));
    const out: bigint[] = [];
    for (let i = 0; i < n; i++) out.push(s.get(K.meterAt(i)));
    return out;
  },
  /** Meter ids of `owner` at `bus`, in registration order. */
  metersAt(s: StateReader, owner: Address, bus: bigint | number): bigint[] {
    const n = Number(s.get(K.ownerMeters(owner, bus)));
    const out: bigint[] = [];
    for (let i = 0; i < n; i++) out.push(s.get(K.ownerMeter(owner, bus, i)));
    return out;
  },
};

/**
 * The registry module.
 * @example app modules: new RegistryModule()
 */
export class RegistryModule extends AbiModule {
  constructor() {
    super('registry', REGISTRY_ADDRESS, REGISTRY_ABI, {
      registerNetwork: (ctx, [json]) => {
        onlyGridOperator(ctx, 'registerNetwork');
        const text = json as string;
        if (text.length > MAX_NETWORK_JSON_BYTES) {
          throw revertReason(
            `registry: network JSON of ${text.length} bytes exceeds ${MAX_NETWORK_JSON_BYTES}`,
          );
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw revertReason('registry: network is not valid JSON');
        }
        const r = checkNetworkJson(parsed);
        if (!r.ok) throw revertReason(`registry: ${r.reason}`);
        const old = registryView.network(ctx.state);
        if (old !== undefined) {
          for (const b of old.buses) ctx.write(K.bus(b.id), 0n);
          for (const b of old.branches) {
            ctx.write(K.limit(b.index), 0n);
            ctx.write(K.status(b.index), 0n);
          }
        }
        for (const b of r.network.buses) ctx.write(K.bus(b.id), 1n);
        writeJsonBlob(ctx, K.net, r.network);
        const version = ctx.read(K.netVersion) + 1n;
        ctx.write(K.netVersion, version);
        ctx.emit(R, EV.network, {
          version,
          buses: BigInt(r.network.buses.length),
          branches: BigInt(r.network.branches.length),
        });
        return [];
      },
      setLineLimit: (ctx, [branch, limitW]) => {
        onlyGridOperator(ctx, 'setLineLimit');
        this.#requireBranch(ctx, branch as bigint);
        if ((limitW as bigint) > 1n << 64n) throw revertReason('registry: limitW above 2^64');
        ctx.write(K.limit(branch as bigint), (limitW as bigint) + 1n);
        ctx.emit(R, EV.limit, { branch, overridden: true, limitW });
        return [];
      },
      clearLineLimit: (ctx, [branch]) => {
        onlyGridOperator(ctx, 'clearLineLimit');
        this.#requireBranch(ctx, branch as bigint);
        ctx.write(K.limit(branch as bigint), 0n);
        ctx.emit(R, EV.limit, { branch, overridden: false, limitW: 0n });
        return [];
      },
      setLineStatus: (ctx, [branch, inService]) => {
        onlyGridOperator(ctx, 'setLineStatus');
        this.#requireBranch(ctx, branch as bigint);
        ctx.write(K.status(branch as bigint), inService ? 1n : 2n);
        ctx.emit(R, EV.status, { branch, overridden: true, inService });
        return [];
      },
      clearLineStatus: (ctx, [branch]) => {
        onlyGridOperator(ctx, 'clearLineStatus');
        const n = this.#requireBranch(ctx, branch as bigint);
        ctx.write(K.status(branch as bigint), 0n);
        const registered = n.branches[Number(branch as bigint) - 1]!.status !== 0;
        ctx.emit(R, EV.status, { branch, overridden: false, inService: registered });
        return [];
      },
      registerMeter: (ctx, [meter, key, bus, owner, capacityW]) => {
        onlyGridOperator(ctx, 'registerMeter');
        const m = meter as bigint;
        const cap = capacityW as bigint;
        if (key === ZERO_ADDRESS || owner === ZERO_ADDRESS)
          throw revertReason('registry: meter key and owner must be non-zero');
        if (cap <= 0n || cap > MAX_METER_CAPACITY_W) {
          throw revertReason(
            `registry: meter capacity must be 1..${MAX_METER_CAPACITY_W} W (the connection's rating), got ${cap}`,
          );
        }
        if (ctx.read(K.meterKey(m)) !== 0n) throw revertReason(`registry: meter ${m} is already registered`);
        if (ctx.read(K.bus(bus as bigint)) !== 1n) throw revertReason(`registry: unknown bus ${bus}`);
        ctx.write(K.meterKey(m), addressToValue(key as Address));
        ctx.write(K.meterBus(m), (bus as bigint) + 1n);
        ctx.write(K.meterOwner(m), addressToValue(owner as Address));
        ctx.write(K.meterCapacity(m), cap);
        const n = ctx.read(K.ownerMeters(owner as Address, bus as bigint));
        ctx.write(K.ownerMeter(owner as Address, bus as bigint, Number(n)), m);
        ctx.write(K.ownerMeters(owner as Address, bus as bigint), n + 1n);
        const all = ctx.read(K.meterCount);
        ctx.write(K.meterAt(all), m);
        ctx.write(K.meterCount, all + 1n);
        ctx.emit(R, EV.meter, { meter: m, key, bus, owner, capacityW: cap });
        return [];
      },
      registerParticipant: (ctx, [account, buses]) => {
        if (accountsView.admin(ctx.state) !== ctx.sender) {
          throw revertReason(`registry: registerParticipant needs the accounts admin, ${ctx.sender} is not`);
        }
        const list = buses as readonly bigint[];
        if (list.length > 1000) throw revertReason('registry: at most 1000 buses per participant');
        for (const b of list) {
          if (ctx.read(K.bus(b)) !== 1n) throw revertReason(`registry: unknown bus ${b}`);
          ctx.write(K.participantBus(account as Address, b), 1n);
        }
        ctx.emit(R, EV.participant, { account, buses: list });
        return [];
      },
      networkVersion: (ctx) => [ctx.read(K.netVersion)],
      networkJson: (ctx) => {
        const n = registryView.network(ctx.state);
        return [n === undefined ? '' : JSON.stringify(n)];
      },
      hasBus: (ctx, [bus]) => [ctx.read(K.bus(bus as bigint)) === 1n],
      lineLimit: (ctx, [branch]) => {
        const v = ctx.read(K.limit(branch as bigint));
        return [v !== 0n, v === 0n ? 0n : v - 1n];
      },
      lineStatus: (ctx, [branch]) => {
        const v = ctx.read(K.status(branch as bigint));
        if (v !== 0n) return [v === 1n, true];
        const n = registryView.network(ctx.state);
        const b = n?.branches[Number(branch as bigint) - 1];
        return [b !== undefined && b.status !== 0, false];
      },
      meterOf: (ctx, [meter]) => {
        const m = registryView.meter(ctx.state, meter as bigint);
        ctx.read(K.meterKey(meter as bigint));
        return m === undefined ? [ZERO_ADDRESS, 0n, ZERO_ADDRESS, 0n] : [m.key, m.bus, m.owner, m.capacityW];
      },
      canTrade: (ctx, [account, bus]) => [
        ctx.read(K.participantBus(account as Address, bus as bigint)) === 1n,
      ],
    });
  }

  #requireBranch(ctx: CallContext, branch: bigint): NetworkJson {
    const n = registryView.network(ctx.state);
    if (n === undefined) throw revertReason('registry: no network registered');
    if (branch < 1n || branch > BigInt(n.branches.length)) {
      throw revertReason(`registry: unknown branch ${branch} (the network has ${n.branches.length})`);
    }
    return n;
  }
}
