// The generated ABIs and bytecode (src/generated/*.ts) are what solc makes of contracts/ today: a fresh
// compile (cached in the OS temp folder by content) renders the same bytes, and no generated file is
// left over from a removed source. Run `npm run build:contracts` after changing a contract.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkRuntimeSizes,
  compileContracts,
  GENERATED_DIR,
  MAX_RUNTIME_BYTES,
  solidityFiles,
} from '../src/compile.ts';

describe('generated contract code', () => {
  // A cold compile (fresh clone: no cache) costs ~35 s CPU; minutes of wall time on a loaded machine.
  it('equals a fresh compile of contracts/ (npm run build:contracts)', { timeout: 600_000 }, () => {
    const fresh = compileContracts();
    const committed = readdirSync(GENERATED_DIR).filter((f) => f.endsWith('.ts'));
    expect(committed.sort()).toEqual(Object.keys(fresh).sort());
    for (const [name, text] of Object.entries(fresh)) {
      expect(
        readFileSync(join(GENERATED_DIR, name), 'utf8'),
        `${name} is stale: npm run build:contracts`,
      ).toBe(text);
    }
    expect(solidityFiles().length).toBeGreaterThan(5);
  });

  // Session 8's merge took the real-time engine to 25,265 bytes; only anvil's deploy said so.
  it('refuses runtime code over EIP-170, naming the contract', () => {
    const code = (bytes: number) => ({
      abi: [],
      evm: { bytecode: { object: '' }, deployedBytecode: { object: '00'.repeat(bytes) } },
    });
    expect(() =>
      checkRuntimeSizes({ 'contracts/A.sol': { A: code(MAX_RUNTIME_BYTES), B: code(100) } }),
    ).not.toThrow();
    expect(() => checkRuntimeSizes({ 'contracts/A.sol': { Big: code(MAX_RUNTIME_BYTES + 1) } })).toThrow(
      /Big \(contracts\/A\.sol\) has 24577 bytes of runtime code, over EIP-170's 24576/,
    );
  });
});
