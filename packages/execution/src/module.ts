// The module framework: built-in modules at fixed addresses that speak the Solidity ABI (calldata in,
// ABI-encoded result out, Ethereum logs), run against the journaled state through a CallContext that
// charges the gas schedule for every read, write, signature check and log. A revert is a thrown
// `Revert` carrying Solidity revert data (Error(string), Panic(uint256) or a custom error); the
// executor turns it (and OutOfGas) into a failed receipt and undoes the call's state changes.
// The interface is ABI-shaped on purpose: a later EVM reaches modules as precompiles at these addresses.
import { GridledgerError } from '@gridledger/base';
import {
  type Abi,
  type AbiEvent,
  type AbiFunction,
  bytesToHex,
  decodeAbiParameters,
  encodeAbiParameters,
  encodeErrorResult,
  type Hex,
  hexToBytes,
  toEventSelector,
  toFunctionSelector,
} from 'viem';
import { decodeStaticParameters, encodeStaticParameters, encodeStaticTopic } from './abi-static.ts';
import { GAS_SCHEDULE, type GasMeter, type GasSchedule } from './gas.ts';
import type { JournaledState } from './state.ts';

/** A 0x-prefixed lower-case 20-byte address. */
export type Address = `0x${string}`;

/** The zero address. */
export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';

/** One Ethereum log as a module emits it. */
export interface Log {
  address: Address;
  topics: Hex[];
  data: Hex;
}

/** A call that reverted, with its Solidity revert data (empty, Error(string), Panic or a custom error). */
export class Revert extends GridledgerError {
  /** The revert data as Solidity returns it. */
  readonly data: Hex;
  constructor(data: Hex) {
    super('E_REVERT', `execution reverted${data === '0x' ? '' : ` (${data.slice(0, 10)})`}`);
    this.name = 'Revert';
    this.data = data;
  }
}

const ERROR_STRING_ABI = [
  { type: 'error', name: 'Error', inputs: [{ type: 'string', name: 'message' }] },
] as const;
const PANIC_ABI = [{ type: 'error', name: 'Panic', inputs: [{ type: 'uint256', name: 'code' }] }] as const;

/** A revert with Solidity's `Error(string)` reason. */
export function revertReason(message: string): Revert {
  return new Revert(encodeErrorResult({ abi: ERROR_STRING_ABI, errorName: 'Error', args: [message] }));
}

/** A revert with Solidity's `Panic(uint256)` (0x11: arithmetic overflow or underflow). */
export function panic(code: bigint): Revert {
  return new Revert(encodeErrorResult({ abi: PANIC_ABI, errorName: 'Panic', args: [code] }));
}

/** A revert with a custom error of `abi` (e.g. OpenZeppelin's `ERC20InsufficientBalance`). */
export function customError(abi: Abi, errorName: string, args: readonly unknown[]): Revert {
  return new Revert(encodeErrorResult({ abi, errorName, args } as Parameters<typeof encodeErrorResult>[0]));
}

/** Who calls, and in which block. */
export interface CallEnv {
  /** The transaction's sender, or the eth_call `from`. */
  sender: Address;
  height: bigint;
  /** The block's timestamp (ms): the only clock inside execution. */
  timeMs: bigint;
}

/**
 * The handle a module works through: metered state access, logs, the other modules.
 * Every read charges `storageRead`, every write `storageWrite`, every log `logBase + topics + bytes`.
 */
export class CallContext {
  readonly state: JournaledState;
  readonly gas: GasMeter;
  readonly env: CallEnv;
  readonly modules: ModuleRegistry;
  /** True for eth_call-style static calls: writes revert. */
  readonly isStatic: boolean;
  readonly schedule: GasSchedule;
  readonly logs: Log[] = [];
  constructor(
    state: JournaledState,
    gas: GasMeter,
    env: CallEnv,
    modules: ModuleRegistry,
    isStatic = false,
    schedule: GasSchedule = GAS_SCHEDULE,
  ) {
    this.state = state;
    this.gas = gas;
    this.env = env;
    this.modules = modules;
    this.isStatic = isStatic;
    this.schedule = schedule;
  }

  /** The caller. */
  get sender(): Address {
    return this.env.sender;
  }

  /** Reads a state value (0n when absent). */
  read(key: string): bigint {
    this.gas.charge(this.schedule.storageRead);
    return this.state.get(key);
  }

  /** Writes a state value (0n deletes). */
  write(key: string, value: bigint): void {
    if (this.isStatic) throw revertReason('state change in a static call');
    this.gas.charge(this.schedule.storageWrite);
    this.state.set(key, value);
  }

  /** Charges one signature verification. */
  chargeSignatureCheck(): void {
    this.gas.charge(this.schedule.signatureCheck);
  }

  /** Emits `event` of `address` with named `args`, as Solidity would encode it. */
  emit(address: Address, event: PreparedEvent, args: Record<string, unknown>): void {
    const topics: Hex[] = [event.topic0];
    for (const p of event.indexed) {
      const v = args[p.name!];
      topics.push(encodeStaticTopic(p, v) ?? encodeAbiParameters([p], [v]));
    }
    let data: Hex = '0x';
    if (event.data.length > 0) {
      const values = event.data.map((p) => args[p.name!]);
      data = encodeStaticParameters(event.data, values) ?? encodeAbiParameters(event.data, values);
    }
    const bytes = (data.length - 2) / 2;
    this.gas.charge(
      this.schedule.logBase +
        this.schedule.logTopic * BigInt(topics.length) +
        this.schedule.logDataByte * BigInt(bytes),
    );
    this.logs.push({ address, topics, data });
  }
}

/** An event with its topic and parameter split precomputed. */
export interface PreparedEvent {
  abi: AbiEvent;
  topic0: Hex;
  indexed: AbiEvent['inputs'][number][];
  data: AbiEvent['inputs'][number][];
}

/** Precomputes an event's topic0 and indexed/data parameters. */
export function prepareEvent(abi: Abi, name: string): PreparedEvent {
  const ev = abi.find((x): x is AbiEvent => x.type === 'event' && x.name === name);
  if (ev === undefined) {
    throw new GridledgerError(
      'E_MODULE',
      `prepareEvent: the ABI has no event named "${name}" (check the spelling, or add the event to the ABI)`,
    );
  }
  return {
    abi: ev,
    topic0: toEventSelector(ev),
    indexed: ev.inputs.filter((p) => p.indexed),
    data: ev.inputs.filter((p) => !p.indexed),
  };
}

/** A built-in module: an address, an ABI and a call entry point. */
export interface Module {
  readonly name: string;
  readonly address: Address;
  readonly abi: Abi;
  /** Runs ABI calldata; returns the ABI-encoded result or throws Revert / OutOfGas. */
  call(ctx: CallContext, data: Uint8Array): Uint8Array;
}

/** A function handler: decoded arguments in, result values out (in the ABI's output order). */
export type AbiHandler = (ctx: CallContext, args: readonly unknown[]) => readonly unknown[];

/**
 * A module built from an ABI and one handler per function, dispatched by selector. Calldata that names
 * no function or does not decode reverts with empty data, as a Solidity contract without fallback does.
 */
export class AbiModule implements Module {
  readonly name: string;
  readonly address: Address;
  readonly abi: Abi;
  readonly #bySelector = new Map<string, { fn: AbiFunction; handler: AbiHandler }>();

  constructor(name: string, address: Address, abi: Abi, handlers: Record<string, AbiHandler>) {
    this.name = name;
    this.address = address;
    this.abi = abi;
    for (const item of abi) {
      if (item.type !== 'function') continue;
      const sig = `${item.name}(${item.inputs.map((i) => i.type).join(',')})`;
      const handler = handlers[sig] ?? handlers[item.name];
      if (handler === undefined) {
        throw new GridledgerError(
          'E_MODULE',
          `module ${name}: the ABI declares ${sig} but no handler was given (add one keyed "${sig}" or "${item.name}")`,
        );
      }
      this.#bySelector.set(toFunctionSelector(item), { fn: item, handler });
    }
  }

  call(ctx: CallContext, data: Uint8Array): Uint8Array {
    if (data.length < 4) throw new Revert('0x');
    const entry = this.#bySelector.get(bytesToHex(data.subarray(0, 4)));
    if (entry === undefined) throw new Revert('0x');
    let args: readonly unknown[] | undefined = decodeStaticParameters(entry.fn.inputs, data.subarray(4));
    if (args === undefined) {
      try {
        args = decodeAbiParameters(entry.fn.inputs, bytesToHex(data.subarray(4)));
      } catch {
        throw new Revert('0x');
      }
      args = args.map((a) =>
        typeof a === 'string' && a.length === 42 && a.startsWith('0x') ? a.toLowerCase() : a,
      );
    }
    const out = entry.handler(ctx, args);
    return hexToBytes(
      encodeStaticParameters(entry.fn.outputs, out) ?? encodeAbiParameters(entry.fn.outputs, out),
    );
  }

  /** The function of `selector` (4-byte hex), for tools. */
  functionOf(selector: Hex): AbiFunction | undefined {
    return this.#bySelector.get(selector)?.fn;
  }
}

/** The modules of a chain, by address. */
export class ModuleRegistry {
  readonly #byAddress = new Map<Address, Module>();

  /** Adds a module; throws on a duplicate address. */
  add(m: Module): this {
    const a = m.address.toLowerCase() as Address;
    if (this.#byAddress.has(a))
      throw new GridledgerError(
        'E_MODULE',
        `ModuleRegistry: address ${a} already holds module ${this.#byAddress.get(a)!.name} (give ${m.name} another address)`,
      );
    this.#byAddress.set(a, m);
    return this;
  }

  /** The module at `address`, or undefined. */
  get(address: Address): Module | undefined {
    return this.#byAddress.get(address.toLowerCase() as Address);
  }

  /** The module at `address`, typed; throws when absent or of another class. */
  require<T extends Module>(address: Address, cls: abstract new (...a: never[]) => T): T {
    const m = this.get(address);
    if (!(m instanceof cls)) {
      throw new GridledgerError(
        'E_MODULE',
        `ModuleRegistry: no ${cls.name} at ${address} (${m === undefined ? 'no module there' : `${m.name} is there`}; add the module to the chain's registry first)`,
      );
    }
    return m;
  }

  /** Every module, by address order. */
  all(): Module[] {
    return [...this.#byAddress.values()].sort((a, b) => (a.address < b.address ? -1 : 1));
  }
}

/** An address as a uint160 state value. */
export function addressToValue(a: Address): bigint {
  return BigInt(a);
}

/** A uint160 state value as an address. */
export function valueToAddress(v: bigint): Address {
  return `0x${v.toString(16).padStart(40, '0')}` as Address;
}
