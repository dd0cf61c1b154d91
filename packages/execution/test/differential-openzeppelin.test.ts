// Differential test of the token modules against OpenZeppelin Contracts 5: the OpenZeppelin ERC20 and
// ERC721 sources (npm @openzeppelin/contracts) are compiled with solc-js inside the test (the output is
// cached in the OS temp folder), deployed in @ethereumjs/evm, and the same scenario scripts run against
// them and against our Erc20Module / Erc721Module. Every step's success, return data, revert data and
// logs (topics and data) must be identical, and so must the balances, allowances and owners at the end.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEVM, type EVM } from '@ethereumjs/evm';
import { createAddressFromString, type Address as EjsAddress } from '@ethereumjs/util';
import solc from 'solc';
import { type Abi, bytesToHex, encodeFunctionData, type Hex, hexToBytes, maxUint256, parseAbi } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import { GasMeter } from '../src/gas.ts';
import { type Address, CallContext, ModuleRegistry, Revert } from '../src/module.ts';
import { ERC20_ABI, Erc20Module } from '../src/modules/erc20.ts';
import { ERC721_ABI, Erc721Module } from '../src/modules/erc721.ts';
import { JournaledState } from '../src/state.ts';

const require = createRequire(import.meta.url);
const OZ_DIR = dirname(dirname(dirname(require.resolve('@openzeppelin/contracts/package.json'))));
const OZ_VERSION = (require('@openzeppelin/contracts/package.json') as { version: string }).version;

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
contract TestToken is ERC20 {
  constructor() ERC20("Test Token", "TST") {}
  function mint(address to, uint256 value) external { _mint(to, value); }
}
contract TestNFT is ERC721 {
  constructor() ERC721("Test NFT", "TNFT") {}
  function mint(address to, uint256 tokenId) external { _mint(to, tokenId); }
}
`;

interface Compiled {
  TestToken: Hex;
  TestNFT: Hex;
}

/** Compiles the test contracts with solc-js, or loads the cached output. */
function compile(): Compiled {
  const key = createHash('sha256').update(SOURCE).update(solc.version()).update(OZ_VERSION).digest('hex');
  const cache = join(tmpdir(), `gridledger-oz-${key.slice(0, 16)}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as Compiled;
  const input = {
    language: 'Solidity',
    sources: { 'Test.sol': { content: SOURCE } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['evm.bytecode.object'] } },
    },
  };
  const findImports = (path: string) => {
    const file = join(OZ_DIR, path);
    return existsSync(file) ? { contents: readFileSync(file, 'utf8') } : { error: `not found: ${path}` };
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { evm: { bytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const c = out.contracts['Test.sol']!;
  const compiled = {
    TestToken: `0x${c.TestToken!.evm.bytecode.object}` as Hex,
    TestNFT: `0x${c.TestNFT!.evm.bytecode.object}` as Hex,
  };
  writeFileSync(cache, JSON.stringify(compiled));
  return compiled;
}

const actors = {
  alice: '0x00000000000000000000000000000000000a11ce',
  bob: '0x0000000000000000000000000000000000000b0b',
  carol: '0x00000000000000000000000000000000000ca401',
  dave: '0x000000000000000000000000000000000000da7e',
  zero: '0x0000000000000000000000000000000000000000',
} as const satisfies Record<string, Address>;
type Actor = keyof typeof actors;

/** One step of a scenario: `sender` calls `fn(args)`; `mint` goes through the test-only mint. */
interface Step {
  sender: Actor;
  fn: string;
  args: unknown[];
}

interface StepResult {
  ok: boolean;
  returnData: Hex;
  logs: { topics: Hex[]; data: Hex }[];
}

const MINT_ABI = parseAbi(['function mint(address to, uint256 value)']);

/** Runs a step on the EVM contract. */
async function runEvm(evm: EVM, contract: EjsAddress, abi: Abi, step: Step): Promise<StepResult> {
  const data =
    step.fn === 'raw'
      ? (step.args[0] as Hex)
      : encodeFunctionData({
          abi: [...abi, ...MINT_ABI],
          functionName: step.fn,
          args: step.args,
        } as Parameters<typeof encodeFunctionData>[0]);
  const res = await evm.runCall({
    caller: createAddressFromString(actors[step.sender]),
    to: contract,
    data: hexToBytes(data),
    gasLimit: 10_000_000n,
  });
  const r = res.execResult;
  if (r.exceptionError !== undefined && r.exceptionError.error !== 'revert') {
    throw new Error(`EVM halted: ${r.exceptionError.error}`);
  }
  return {
    ok: r.exceptionError === undefined,
    returnData: bytesToHex(r.returnValue),
    logs: (r.logs ?? []).map(([, topics, d]) => ({
      topics: topics.map((t) => bytesToHex(t)),
      data: bytesToHex(d),
    })),
  };
}

/** Runs a step on our module, with the same revert semantics as a transaction. */
function runModule(
  state: JournaledState,
  modules: ModuleRegistry,
  module: Erc20Module | Erc721Module,
  abi: Abi,
  step: Step,
): StepResult {
  const snap = state.snapshot();
  const ctx = new CallContext(
    state,
    new GasMeter(10_000_000n),
    { sender: actors[step.sender], height: 1n, timeMs: 0n },
    modules,
  );
  try {
    let out: Uint8Array = new Uint8Array();
    if (step.fn === 'mint') {
      const [to, v] = step.args as [Address, bigint];
      if (module instanceof Erc20Module) module.mintInternal(ctx, to.toLowerCase() as Address, v);
      else module.mintInternal(ctx, to.toLowerCase() as Address, v);
    } else {
      const data =
        step.fn === 'raw'
          ? (step.args[0] as Hex)
          : encodeFunctionData({ abi, functionName: step.fn, args: step.args } as Parameters<
              typeof encodeFunctionData
            >[0]);
      out = module.call(ctx, hexToBytes(data));
    }
    return {
      ok: true,
      returnData: bytesToHex(out),
      logs: ctx.logs.map(({ topics, data }) => ({ topics, data })),
    };
  } catch (err) {
    state.revert(snap);
    if (err instanceof Revert) return { ok: false, returnData: err.data, logs: [] };
    throw err;
  }
}

async function deploy(evm: EVM, bytecode: Hex): Promise<EjsAddress> {
  const res = await evm.runCall({
    caller: createAddressFromString(actors.dave),
    data: hexToBytes(bytecode),
    gasLimit: 30_000_000n,
  });
  if (res.createdAddress === undefined || res.execResult.exceptionError !== undefined) {
    throw new Error(`deploy failed: ${res.execResult.exceptionError?.error}`);
  }
  return res.createdAddress;
}

const { alice, bob, carol, dave, zero } = actors;

const ERC20_SCENARIO: Step[] = [
  { sender: 'dave', fn: 'name', args: [] },
  { sender: 'dave', fn: 'symbol', args: [] },
  { sender: 'dave', fn: 'decimals', args: [] },
  { sender: 'dave', fn: 'mint', args: [alice, 1000n] },
  { sender: 'dave', fn: 'mint', args: [bob, 5n] },
  { sender: 'dave', fn: 'mint', args: [zero, 5n] },
  { sender: 'dave', fn: 'mint', args: [carol, maxUint256] },
  { sender: 'dave', fn: 'totalSupply', args: [] },
  { sender: 'alice', fn: 'transfer', args: [bob, 100n] },
  { sender: 'alice', fn: 'transfer', args: [bob, 0n] },
  { sender: 'alice', fn: 'transfer', args: [alice, 5n] },
  { sender: 'alice', fn: 'transfer', args: [zero, 1n] },
  { sender: 'bob', fn: 'transfer', args: [alice, 106n] },
  { sender: 'bob', fn: 'transfer', args: [alice, 105n] },
  { sender: 'carol', fn: 'transfer', args: [alice, 1n] },
  { sender: 'alice', fn: 'approve', args: [carol, 300n] },
  { sender: 'alice', fn: 'approve', args: [zero, 1n] },
  { sender: 'dave', fn: 'allowance', args: [alice, carol] },
  { sender: 'carol', fn: 'transferFrom', args: [alice, bob, 200n] },
  { sender: 'carol', fn: 'transferFrom', args: [alice, bob, 200n] },
  { sender: 'dave', fn: 'allowance', args: [alice, carol] },
  { sender: 'carol', fn: 'transferFrom', args: [alice, zero, 50n] },
  { sender: 'carol', fn: 'transferFrom', args: [zero, bob, 0n] },
  { sender: 'carol', fn: 'transferFrom', args: [zero, bob, 1n] },
  { sender: 'bob', fn: 'approve', args: [dave, maxUint256] },
  { sender: 'dave', fn: 'transferFrom', args: [bob, carol, 300n] },
  { sender: 'dave', fn: 'transferFrom', args: [bob, carol, 10n] },
  { sender: 'dave', fn: 'allowance', args: [bob, dave] },
  { sender: 'alice', fn: 'approve', args: [dave, 10n] },
  { sender: 'dave', fn: 'transferFrom', args: [alice, carol, 10_000n] },
  { sender: 'alice', fn: 'approve', args: [carol, 0n] },
  { sender: 'carol', fn: 'transferFrom', args: [alice, bob, 1n] },
  { sender: 'dave', fn: 'raw', args: ['0xdeadbeef'] },
  { sender: 'dave', fn: 'raw', args: ['0xa9059cbb0000'] },
  { sender: 'dave', fn: 'balanceOf', args: [zero] },
];

const ERC721_SCENARIO: Step[] = [
  { sender: 'dave', fn: 'name', args: [] },
  { sender: 'dave', fn: 'symbol', args: [] },
  { sender: 'dave', fn: 'mint', args: [alice, 1n] },
  { sender: 'dave', fn: 'mint', args: [alice, 2n] },
  { sender: 'dave', fn: 'mint', args: [bob, 3n] },
  { sender: 'dave', fn: 'mint', args: [alice, 1n] },
  { sender: 'dave', fn: 'mint', args: [zero, 4n] },
  { sender: 'dave', fn: 'mint', args: [carol, maxUint256] },
  { sender: 'dave', fn: 'balanceOf', args: [alice] },
  { sender: 'dave', fn: 'balanceOf', args: [zero] },
  { sender: 'dave', fn: 'ownerOf', args: [1n] },
  { sender: 'dave', fn: 'ownerOf', args: [99n] },
  { sender: 'dave', fn: 'tokenURI', args: [1n] },
  { sender: 'dave', fn: 'tokenURI', args: [99n] },
  { sender: 'dave', fn: 'getApproved', args: [99n] },
  { sender: 'dave', fn: 'supportsInterface', args: ['0x01ffc9a7'] },
  { sender: 'dave', fn: 'supportsInterface', args: ['0x80ac58cd'] },
  { sender: 'dave', fn: 'supportsInterface', args: ['0x5b5e139f'] },
  { sender: 'dave', fn: 'supportsInterface', args: ['0xffffffff'] },
  { sender: 'dave', fn: 'supportsInterface', args: ['0x780e9d63'] },
  { sender: 'alice', fn: 'transferFrom', args: [alice, bob, 1n] },
  { sender: 'carol', fn: 'transferFrom', args: [bob, carol, 1n] },
  { sender: 'alice', fn: 'approve', args: [carol, 2n] },
  { sender: 'dave', fn: 'getApproved', args: [2n] },
  { sender: 'bob', fn: 'approve', args: [carol, 2n] },
  { sender: 'bob', fn: 'approve', args: [carol, 99n] },
  { sender: 'carol', fn: 'transferFrom', args: [alice, carol, 2n] },
  { sender: 'dave', fn: 'getApproved', args: [2n] },
  { sender: 'carol', fn: 'transferFrom', args: [carol, zero, 2n] },
  { sender: 'carol', fn: 'transferFrom', args: [carol, alice, 99n] },
  { sender: 'bob', fn: 'setApprovalForAll', args: [carol, true] },
  { sender: 'bob', fn: 'setApprovalForAll', args: [zero, true] },
  { sender: 'dave', fn: 'isApprovedForAll', args: [bob, carol] },
  { sender: 'carol', fn: 'approve', args: [dave, 3n] },
  { sender: 'dave', fn: 'transferFrom', args: [bob, alice, 3n] },
  { sender: 'carol', fn: 'transferFrom', args: [bob, alice, 1n] },
  { sender: 'alice', fn: 'transferFrom', args: [bob, carol, 1n] },
  { sender: 'bob', fn: 'setApprovalForAll', args: [carol, false] },
  { sender: 'carol', fn: 'transferFrom', args: [bob, carol, 3n] },
  { sender: 'alice', fn: 'safeTransferFrom', args: [alice, dave, 1n] },
  { sender: 'dave', fn: 'safeTransferFrom', args: [dave, bob, 1n, '0x1234'] },
  { sender: 'bob', fn: 'approve', args: [zero, 1n] },
  { sender: 'carol', fn: 'safeTransferFrom', args: [bob, carol, 1n] },
  { sender: 'dave', fn: 'raw', args: ['0x6352211e'] },
  { sender: 'dave', fn: 'balanceOf', args: [bob] },
];

let compiled: Compiled;
beforeAll(() => {
  compiled = compile();
}, 120_000);

async function runScenario(kind: 'erc20' | 'erc721', steps: Step[]) {
  const evm = await createEVM();
  const contract = await deploy(evm, kind === 'erc20' ? compiled.TestToken : compiled.TestNFT);
  const state = new JournaledState();
  const modules = new ModuleRegistry();
  const module =
    kind === 'erc20'
      ? new Erc20Module({
          id: 't',
          address: '0x0000000000000000000000000000000000009001',
          name: 'Test Token',
          symbol: 'TST',
          decimals: 18,
        })
      : new Erc721Module({
          id: 'n',
          address: '0x0000000000000000000000000000000000009002',
          name: 'Test NFT',
          symbol: 'TNFT',
        });
  modules.add(module);
  const abi = kind === 'erc20' ? ERC20_ABI : ERC721_ABI;
  let reverts = 0;
  for (const [i, step] of steps.entries()) {
    const ours = runModule(state, modules, module, abi, step);
    const theirs = await runEvm(evm, contract, abi, step);
    expect({ step: i, fn: step.fn, ...ours }).toEqual({ step: i, fn: step.fn, ...theirs });
    if (!theirs.ok) reverts++;
  }
  return { reverts, evm, contract, state, modules, module, abi };
}

describe('token modules against OpenZeppelin 5 in an EVM', () => {
  it('ERC-20: every return value, revert and log of the scenario matches, and so do the final balances', async () => {
    const run = await runScenario('erc20', ERC20_SCENARIO);
    expect(run.reverts).toBeGreaterThanOrEqual(10);
    const reads: Step[] = [];
    for (const a of ['alice', 'bob', 'carol', 'dave'] as Actor[]) {
      reads.push({ sender: 'dave', fn: 'balanceOf', args: [actors[a]] });
      for (const b of ['alice', 'bob', 'carol', 'dave'] as Actor[])
        reads.push({ sender: 'dave', fn: 'allowance', args: [actors[a], actors[b]] });
    }
    reads.push({ sender: 'dave', fn: 'totalSupply', args: [] });
    for (const step of reads) {
      expect(runModule(run.state, run.modules, run.module, run.abi, step)).toEqual(
        await runEvm(run.evm, run.contract, run.abi, step),
      );
    }
  }, 60_000);

  it('ERC-721: every return value, revert and log of the scenario matches, and so do the final owners', async () => {
    const run = await runScenario('erc721', ERC721_SCENARIO);
    expect(run.reverts).toBeGreaterThanOrEqual(15);
    const reads: Step[] = [];
    for (const id of [1n, 2n, 3n, 4n, maxUint256]) {
      reads.push(
        { sender: 'dave', fn: 'ownerOf', args: [id] },
        { sender: 'dave', fn: 'getApproved', args: [id] },
      );
    }
    for (const a of [alice, bob, carol, dave]) {
      reads.push({ sender: 'dave', fn: 'balanceOf', args: [a] });
      for (const b of [alice, bob, carol, dave])
        reads.push({ sender: 'dave', fn: 'isApprovedForAll', args: [a, b] });
    }
    for (const step of reads) {
      expect(runModule(run.state, run.modules, run.module, run.abi, step)).toEqual(
        await runEvm(run.evm, run.contract, run.abi, step),
      );
    }
  }, 60_000);
});
