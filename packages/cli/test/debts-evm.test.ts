// The debt ledger through the clients on an EVM chain (docs/evm.md "The debt ledger" and "Market views"):
// a buyer that escaped its imbalance charge by revoking its allowance owes it (packages/evm/test/
// debt-scenario.ts); EvmMarketViews' gl_account and `gridledger account show --contracts` read its debt,
// default and claim from the market's debtOf / claimsOf, and the grid operator's due, as on gridledger's chain.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvmMarketViews } from '@gridledger/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBT_REALTIME, putBuyerInDebt } from '../../evm/test/debt-scenario.ts';
import { setUpWorld, type World, worldAddressesJson } from '../../evm/test/world.ts';
import { runCli } from '../../node/test/harness.ts';

let w: World;
let dir: string;

beforeAll(async () => {
  w = await setUpWorld({ realtime: DEBT_REALTIME });
  dir = mkdtempSync(join(tmpdir(), 'gl-debts-evm-'));
}, 120_000);

afterAll(async () => {
  await w?.anvil.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('debts on an EVM chain through the clients', () => {
  it("EvmMarketViews and `account show --contracts` show the market's debt ledger", async () => {
    const { debt } = await putBuyerInDebt(w);
    expect(debt).toBe(2_100_000n); // 20,000 Wh short at (max(55, 100) + 5) $/MWh
    const views = new EvmMarketViews(w.anvil.url, w.addresses);
    const alice = await views.account(w.alice.address);
    expect(alice).toMatchObject({
      debtMicros: '2100000',
      dueMicros: '0',
      inDefault: true,
      claims: [{ creditor: w.operator.address.toLowerCase(), amountMicros: '2100000' }],
    });
    expect(await views.account(w.operator.address)).toMatchObject({
      debtMicros: '0',
      dueMicros: '2100000',
      inDefault: false,
      claims: [],
    });
    const contracts = join(dir, 'addresses.json');
    writeFileSync(contracts, worldAddressesJson(w));
    const r = await runCli(
      [
        'account',
        'show',
        w.alice.address,
        '--rpc',
        w.anvil.url,
        '--contracts',
        contracts,
        '--format',
        'json',
      ],
      { timeoutMs: 120_000 },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ debtMicros: '2100000', inDefault: true });
  });
});
