// The ERC-721 token module (energy promises), behaving exactly as OpenZeppelin Contracts 5's ERC721
// (functions, return values, checks in the same order, custom errors, events, ERC-165), checked by the
// differential test. Minted and burned only by platform modules (`mintInternal`, `burnInternal`); there
// is no external mint. `safeTransferFrom` to an address that holds a module reverts with
// ERC721InvalidReceiver, as OpenZeppelin does for a contract without `onERC721Received` (no module
// implements it yet); to any other address it transfers. Plain `transferFrom` to a module address reverts
// too (an addition to OpenZeppelin's, whose transferFrom does not check: the promise would be lost).
// State keys: <addr>:owner:<id>, <addr>:bal:<owner>, <addr>:appr:<id>, <addr>:op:<owner>:<operator>,
// <addr>:attr:<id>:<name> (token attributes set by the minting module).
import { parseAbi } from 'viem';
import {
  AbiModule,
  type Address,
  addressToValue,
  type CallContext,
  customError,
  type ModuleRegistry,
  prepareEvent,
  valueToAddress,
  ZERO_ADDRESS,
} from '../module.ts';
import type { JournaledState } from '../state.ts';

/** The ERC-721 standard ABI with metadata, ERC-165, events and OpenZeppelin 5's custom errors. */
export const ERC721_ABI = parseAbi([
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function tokenURI(uint256 tokenId) view returns (string)',
  'function supportsInterface(bytes4 interfaceId) view returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
  'function ownerOf(uint256 tokenId) view returns (address)',
  'function safeTransferFrom(address from, address to, uint256 tokenId, bytes data)',
  'function safeTransferFrom(address from, address to, uint256 tokenId)',
  'function transferFrom(address from, address to, uint256 tokenId)',
  'function approve(address to, uint256 tokenId)',
  'function setApprovalForAll(address operator, bool approved)',
  'function getApproved(uint256 tokenId) view returns (address)',
  'function isApprovedForAll(address owner, address operator) view returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)',
  'event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId)',
  'event ApprovalForAll(address indexed owner, address indexed operator, bool approved)',
  'error ERC721InvalidOwner(address owner)',
  'error ERC721NonexistentToken(uint256 tokenId)',
  'error ERC721IncorrectOwner(address sender, uint256 tokenId, address owner)',
  'error ERC721InvalidSender(address sender)',
  'error ERC721InvalidReceiver(address receiver)',
  'error ERC721InsufficientApproval(address operator, uint256 tokenId)',
  'error ERC721InvalidApprover(address approver)',
  'error ERC721InvalidOperator(address operator)',
]);

const EV = {
  transfer: prepareEvent(ERC721_ABI, 'Transfer'),
  approval: prepareEvent(ERC721_ABI, 'Approval'),
  approvalForAll: prepareEvent(ERC721_ABI, 'ApprovalForAll'),
};
const err = (name: string, ...args: unknown[]) => customError(ERC721_ABI, name, args);
const INTERFACES = new Set(['0x01ffc9a7', '0x80ac58cd', '0x5b5e139f']);

/** Configuration of an ERC-721 module. */
export interface Erc721Config {
  id: string;
  address: Address;
  name: string;
  symbol: string;
}

/**
 * An ERC-721 token module.
 * @example new Erc721Module({ id: 'promises', address: PROMISES_ADDRESS, name: 'Energy Promise', symbol: 'PROMISE' })
 */
export class Erc721Module extends AbiModule {
  readonly config: Erc721Config;

  constructor(config: Erc721Config) {
    const k = keys(config.address);
    super(config.id, config.address, ERC721_ABI, {
      name: () => [config.name],
      symbol: () => [config.symbol],
      tokenURI: (ctx, [id]) => {
        this.#requireOwned(ctx, id as bigint);
        return [''];
      },
      supportsInterface: (_ctx, [iid]) => [INTERFACES.has(String(iid).toLowerCase())],
      balanceOf: (ctx, [owner]) => {
        if (owner === ZERO_ADDRESS) throw err('ERC721InvalidOwner', ZERO_ADDRESS);
        return [ctx.read(k.bal(owner as Address))];
      },
      ownerOf: (ctx, [id]) => [this.#requireOwned(ctx, id as bigint)],
      'safeTransferFrom(address,address,uint256,bytes)': (ctx, [from, to, id]) => {
        this.#transferFrom(ctx, from as Address, to as Address, id as bigint);
        this.#checkReceiver(ctx.modules, to as Address);
        return [];
      },
      'safeTransferFrom(address,address,uint256)': (ctx, [from, to, id]) => {
        this.#transferFrom(ctx, from as Address, to as Address, id as bigint);
        this.#checkReceiver(ctx.modules, to as Address);
        return [];
      },
      transferFrom: (ctx, [from, to, id]) => {
        this.#transferFrom(ctx, from as Address, to as Address, id as bigint);
        // Not in OpenZeppelin's transferFrom: a promise sent to a module address would be lost.
        this.#checkReceiver(ctx.modules, to as Address);
        return [];
      },
      approve: (ctx, [to, id]) => {
        this.#approve(ctx, to as Address, id as bigint, ctx.sender, true);
        return [];
      },
      setApprovalForAll: (ctx, [op, approved]) => {
        const operator = op as Address;
        if (operator === ZERO_ADDRESS) throw err('ERC721InvalidOperator', operator);
        ctx.write(k.op(ctx.sender, operator), approved ? 1n : 0n);
        ctx.emit(config.address, EV.approvalForAll, { owner: ctx.sender, operator, approved });
        return [];
      },
      getApproved: (ctx, [id]) => {
        this.#requireOwned(ctx, id as bigint);
        return [valueToAddress(ctx.read(k.appr(id as bigint)))];
      },
      isApprovedForAll: (ctx, [o, op]) => [ctx.read(k.op(o as Address, op as Address)) === 1n],
    });
    this.config = config;
  }

  /** OpenZeppelin's `_mint`: creates token `tokenId` for `to`, with optional uint256 attributes. */
  mintInternal(
    ctx: CallContext,
    to: Address,
    tokenId: bigint,
    attributes: Record<string, bigint> = {},
  ): void {
    if (to === ZERO_ADDRESS) throw err('ERC721InvalidReceiver', ZERO_ADDRESS);
    const previous = this.#update(ctx, to, tokenId, ZERO_ADDRESS);
    if (previous !== ZERO_ADDRESS) throw err('ERC721InvalidSender', ZERO_ADDRESS);
    const k = keys(this.address);
    for (const name of Object.keys(attributes).sort()) ctx.write(k.attr(tokenId, name), attributes[name]!);
  }

  /** OpenZeppelin's `_burn`: destroys `tokenId` (its attributes named in `attributeNames` too). */
  burnInternal(ctx: CallContext, tokenId: bigint, attributeNames: string[] = []): void {
    const previous = this.#update(ctx, ZERO_ADDRESS, tokenId, ZERO_ADDRESS);
    if (previous === ZERO_ADDRESS) throw err('ERC721NonexistentToken', tokenId);
    const k = keys(this.address);
    for (const name of [...attributeNames].sort()) ctx.write(k.attr(tokenId, name), 0n);
  }

  /** Unmetered owner read (zero address when the token does not exist). */
  ownerOf(state: JournaledState, tokenId: bigint): Address {
    return valueToAddress(state.get(keys(this.address).owner(tokenId)));
  }

  /** Unmetered attribute read. */
  attribute(state: JournaledState, tokenId: bigint, name: string): bigint {
    return state.get(keys(this.address).attr(tokenId, name));
  }

  #transferFrom(ctx: CallContext, from: Address, to: Address, tokenId: bigint): void {
    if (to === ZERO_ADDRESS) throw err('ERC721InvalidReceiver', ZERO_ADDRESS);
    const previous = this.#update(ctx, to, tokenId, ctx.sender);
    if (previous !== from) throw err('ERC721IncorrectOwner', from, tokenId, previous);
  }

  #checkReceiver(modules: ModuleRegistry, to: Address): void {
    if (modules.get(to) !== undefined) throw err('ERC721InvalidReceiver', to);
  }

  #requireOwned(ctx: CallContext, tokenId: bigint): Address {
    const owner = valueToAddress(ctx.read(keys(this.address).owner(tokenId)));
    if (owner === ZERO_ADDRESS) throw err('ERC721NonexistentToken', tokenId);
    return owner;
  }

  #isApprovedForAll(ctx: CallContext, owner: Address, operator: Address): boolean {
    return ctx.read(keys(this.address).op(owner, operator)) === 1n;
  }

  #approve(ctx: CallContext, to: Address, tokenId: bigint, auth: Address, emitEvent: boolean): void {
    if (emitEvent || auth !== ZERO_ADDRESS) {
      const owner = this.#requireOwned(ctx, tokenId);
      if (auth !== ZERO_ADDRESS && owner !== auth && !this.#isApprovedForAll(ctx, owner, auth)) {
        throw err('ERC721InvalidApprover', auth);
      }
      if (emitEvent) ctx.emit(this.address, EV.approval, { owner, approved: to, tokenId });
    }
    ctx.write(keys(this.address).appr(tokenId), addressToValue(to));
  }

  #update(ctx: CallContext, to: Address, tokenId: bigint, auth: Address): Address {
    const k = keys(this.address);
    const from = valueToAddress(ctx.read(k.owner(tokenId)));
    if (auth !== ZERO_ADDRESS) {
      const authorized =
        from === auth ||
        this.#isApprovedForAll(ctx, from, auth) ||
        valueToAddress(ctx.read(k.appr(tokenId))) === auth;
      if (!authorized) {
        if (from === ZERO_ADDRESS) throw err('ERC721NonexistentToken', tokenId);
        throw err('ERC721InsufficientApproval', auth, tokenId);
      }
    }
    if (from !== ZERO_ADDRESS) {
      this.#approve(ctx, ZERO_ADDRESS, tokenId, ZERO_ADDRESS, false);
      ctx.write(k.bal(from), ctx.read(k.bal(from)) - 1n);
    }
    if (to !== ZERO_ADDRESS) ctx.write(k.bal(to), ctx.read(k.bal(to)) + 1n);
    ctx.write(k.owner(tokenId), addressToValue(to));
    ctx.emit(this.address, EV.transfer, { from, to, tokenId });
    return from;
  }
}

function keys(a: Address) {
  return {
    owner: (id: bigint) => `${a}:owner:${id}`,
    bal: (owner: Address) => `${a}:bal:${owner}`,
    appr: (id: bigint) => `${a}:appr:${id}`,
    op: (owner: Address, operator: Address) => `${a}:op:${owner}:${operator}`,
    attr: (id: bigint, name: string) => `${a}:attr:${id}:${name}`,
  };
}
