// `gridledger init --dev`: a local network that runs the execution app with development accounts.
// Writes what initNetwork writes, with `"app": "execution"` and the dev accounts' genesis in
// genesis.json, plus DIR/dev-accounts.json (private keys from a public seed: development only) and
// DIR/addresses.json (module addresses by name), both from the execution package. Each participant
// also holds one energy promise from genesis (token id k for participant-k) to try ERC-721 tools on.
import { join } from 'node:path';
import { buildDevAccounts, encodeGenesisJson, writeDevAccounts } from '@gridledger/execution';
import { type InitOptions, type InitResult, initNetwork } from './home.ts';

/** Options of {@link initDevNetwork}. */
export interface DevInitOptions extends Omit<InitOptions, 'app' | 'appState'> {
  /** Number of funded participant accounts (default 4). */
  participants?: number;
}

/** What {@link initDevNetwork} wrote. */
export interface DevInitResult extends InitResult {
  devAccountsPath: string;
  addressesPath: string;
}

/**
 * Initialises a dev network: execution app, dev accounts registered and funded at genesis.
 * @example initDevNetwork({ validators: 4, outDir: 'net' }); // net/dev-accounts.json, net/addresses.json
 */
export function initDevNetwork(opts: DevInitOptions): DevInitResult {
  const devOptions = opts.participants === undefined ? {} : { participants: opts.participants };
  const { accounts, genesis } = buildDevAccounts(devOptions);
  // One energy promise (ERC-721) per participant, token id k for participant-k, to try ERC-721 tools on.
  genesis.promises = accounts
    .filter((a) => a.role === 'participant')
    .map((a, i) => ({ to: a.address, tokenId: BigInt(i + 1) }));
  const { participants: _p, ...init } = opts;
  const r = initNetwork({ ...init, app: 'execution', appState: encodeGenesisJson(genesis) });
  const written = writeDevAccounts(join(r.genesisPath, '..'), devOptions);
  return { ...r, devAccountsPath: written.files.devAccounts, addressesPath: written.files.addresses };
}
