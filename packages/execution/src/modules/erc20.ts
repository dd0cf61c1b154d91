// ERC-20 token modules, behaving exactly as OpenZeppelin Contracts 5's ERC20 (same functions, return
// values, checks in the same order, custom errors and events; checked by the differential test):
// cash (the settlement currency; the holder of CASH_ISSUER_ROLE mints and burns) and energy credits
// (Wh; minted only by platform modules through `mintInternal`, no external mint). One addition: a user's
// transfer to a module address reverts (ERC20InvalidReceiver), since no module pays such funds out.
// State keys: <addr>:supply, <addr>:bal:<owner>, <addr>:allow:<owner>:<spender>.
import { parseAbi } from 'viem';
import {
  type AbiHandler,
  AbiModule,
  type Address,
  type CallContext,
  customError,
  panic,
  prepareEvent,
  ZERO_ADDRESS,
} from '../module.ts';
import type { JournaledState } from '../state.ts';
import { hasRole, ROLES, type RoleName } from './accounts.ts';

const MAX_U256 = (1n << 256n) - 1n;

/** The ERC-20 standard ABI with metadata, events and OpenZeppelin 5's custom errors. */
export const ERC20_ABI = parseAbi([
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function totalSupply() view returns (uint256)',
  'function balanceOf(address account) view returns (uint256)',
  'function transfer(address to, uint256 value) returns (bool)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function approve(address spender, uint256 value) returns (bool)',
  'function transferFrom(address from, address to, uint256 value) returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event Approval(address indexed owner, address indexed spender, uint256 value)',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InvalidSender(address sender)',
  'error ERC20InvalidReceiver(address receiver)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
  'error ERC20InvalidApprover(address approver)',
  'error ERC20InvalidSpender(address spender)',
]);

/** The issuer functions of a mintable token (cash), with OpenZeppelin AccessControl's error. */
export const ERC20_ISSUER_ABI = parseAbi([
  'function mint(address to, uint256 value)',
  'function burn(uint256 value)',
  'error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)',
]);

const EV = { transfer: prepareEvent(ERC20_ABI, 'Transfer'), approval: prepareEvent(ERC20_ABI, 'Approval') };
const err = (name: string, ...args: unknown[]) => customError(ERC20_ABI, name, args);

/** Configuration of an ERC-20 module. */
export interface Erc20Config {
  /** Module name in the registry (e.g. 'cash'). */
  id: string;
  address: Address;
  name: string;
  symbol: string;
  decimals: number;
  /** The role allowed to call `mint` and `burn`; without one the token has no external mint or burn. */
  issuerRole?: RoleName;
}

/**
 * A user's `transfer`/`transferFrom` to a module's address reverts with ERC20InvalidReceiver(to), after
 * OpenZeppelin's own checks (so every other outcome is OpenZeppelin's): no module pays out what a user
 * sends it, so the funds would be lost. Module code moves funds to module addresses (the market's escrow)
 * through {@link Erc20Module.transfer}, which this does not touch.
 */
function refuseModuleReceiver(ctx: CallContext, to: Address): void {
  if (ctx.modules.get(to) !== undefined) throw err('ERC20InvalidReceiver', to);
}

/**
 * An ERC-20 token module.
 * @example new Erc20Module({ id: 'cash', address: CASH_ADDRESS, name: 'Grid Cash', symbol: 'GCASH', decimals: 6, issuerRole: 'CASH_ISSUER_ROLE' })
 */
export class Erc20Module extends AbiModule {
  readonly config: Erc20Config;

  constructor(config: Erc20Config) {
    const abi = config.issuerRole === undefined ? ERC20_ABI : [...ERC20_ABI, ...ERC20_ISSUER_ABI];
    const k = keys(config.address);
    const handlers: Record<string, AbiHandler> = {
      name: () => [config.name],
      symbol: () => [config.symbol],
      decimals: () => [config.decimals],
      totalSupply: (ctx) => [ctx.read(k.supply)],
      balanceOf: (ctx, [a]) => [ctx.read(k.bal(a as Address))],
      allowance: (ctx, [o, s]) => [ctx.read(k.allow(o as Address, s as Address))],
      transfer: (ctx, [to, v]) => {
        this.transfer(ctx, ctx.sender, to as Address, v as bigint);
        refuseModuleReceiver(ctx, to as Address);
        return [true];
      },
      approve: (ctx, [s, v]) => {
        this.#approve(ctx, ctx.sender, s as Address, v as bigint, true);
        return [true];
      },
      transferFrom: (ctx, [from, to, v]) => {
        this.#spendAllowance(ctx, from as Address, ctx.sender, v as bigint);
        this.transfer(ctx, from as Address, to as Address, v as bigint);
        refuseModuleReceiver(ctx, to as Address);
        return [true];
      },
    };
    if (config.issuerRole !== undefined) {
      const role = config.issuerRole;
      const onlyIssuer = (ctx: CallContext) => {
        if (!hasRole(ctx, role, ctx.sender)) {
          throw customError(ERC20_ISSUER_ABI, 'AccessControlUnauthorizedAccount', [ctx.sender, ROLES[role]]);
        }
      };
      handlers.mint = (ctx, [to, v]) => {
        onlyIssuer(ctx);
        this.mintInternal(ctx, to as Address, v as bigint);
        return [];
      };
      handlers.burn = (ctx, [v]) => {
        onlyIssuer(ctx);
        this.burnInternal(ctx, ctx.sender, v as bigint);
        return [];
      };
    }
    super(config.id, config.address, abi, handlers);
    this.config = config;
  }

  /** OpenZeppelin's `_transfer`: moves `value` from `from` to `to` (for platform modules too). */
  transfer(ctx: CallContext, from: Address, to: Address, value: bigint): void {
    if (from === ZERO_ADDRESS) throw err('ERC20InvalidSender', ZERO_ADDRESS);
    if (to === ZERO_ADDRESS) throw err('ERC20InvalidReceiver', ZERO_ADDRESS);
    this.#update(ctx, from, to, value);
  }

  /** OpenZeppelin's `_mint`: creates `value` for `to`. Only module code calls it (credits: platform only). */
  mintInternal(ctx: CallContext, to: Address, value: bigint): void {
    if (to === ZERO_ADDRESS) throw err('ERC20InvalidReceiver', ZERO_ADDRESS);
    this.#update(ctx, ZERO_ADDRESS, to, value);
  }

  /** OpenZeppelin's `_burn`: destroys `value` of `from`'s balance. */
  burnInternal(ctx: CallContext, from: Address, value: bigint): void {
    if (from === ZERO_ADDRESS) throw err('ERC20InvalidSender', ZERO_ADDRESS);
    this.#update(ctx, from, ZERO_ADDRESS, value);
  }

  /** Unmetered balance read for the application and RPC. */
  balanceOf(state: JournaledState, owner: Address): bigint {
    return state.get(keys(this.address).bal(owner));
  }

  #update(ctx: CallContext, from: Address, to: Address, value: bigint): void {
    const k = keys(this.address);
    if (from === ZERO_ADDRESS) {
      const supply = ctx.read(k.supply) + value;
      if (supply > MAX_U256) throw panic(0x11n);
      ctx.write(k.supply, supply);
    } else {
      const fromBalance = ctx.read(k.bal(from));
      if (fromBalance < value) throw err('ERC20InsufficientBalance', from, fromBalance, value);
      ctx.write(k.bal(from), fromBalance - value);
    }
    if (to === ZERO_ADDRESS) {
      ctx.write(k.supply, ctx.read(k.supply) - value);
    } else {
      ctx.write(k.bal(to), ctx.read(k.bal(to)) + value);
    }
    ctx.emit(this.address, EV.transfer, { from, to, value });
  }

  #approve(ctx: CallContext, owner: Address, spender: Address, value: bigint, emitEvent: boolean): void {
    if (owner === ZERO_ADDRESS) throw err('ERC20InvalidApprover', ZERO_ADDRESS);
    if (spender === ZERO_ADDRESS) throw err('ERC20InvalidSpender', ZERO_ADDRESS);
    ctx.write(keys(this.address).allow(owner, spender), value);
    if (emitEvent) ctx.emit(this.address, EV.approval, { owner, spender, value });
  }

  #spendAllowance(ctx: CallContext, owner: Address, spender: Address, value: bigint): void {
    const current = ctx.read(keys(this.address).allow(owner, spender));
    if (current < MAX_U256) {
      if (current < value) throw err('ERC20InsufficientAllowance', spender, current, value);
      this.#approve(ctx, owner, spender, current - value, false);
    }
  }
}

function keys(a: Address) {
  return {
    supply: `${a}:supply`,
    bal: (owner: Address) => `${a}:bal:${owner}`,
    allow: (owner: Address, spender: Address) => `${a}:allow:${owner}:${spender}`,
  };
}
