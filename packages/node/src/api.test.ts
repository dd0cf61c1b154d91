// The public API of @gridledger/node: a change to this list is a change reviewers should see.
import { expect, it } from 'vitest';
import * as api from './index.ts';

it('exports exactly these values', () => {
  expect(Object.keys(api).sort()).toEqual([
    'ConsensusDriver',
    'DEFAULT_BASE_PORT',
    'DEFAULT_CHAIN_ID',
    'DEFAULT_TIMEOUTS',
    'GOSSIP_INTERVAL_MS',
    'MempoolPruner',
    'Node',
    'PRUNE_CHUNK',
    'RECOVERY_WORKERS',
    'SYNC_BATCH',
    'chooseEthChainId',
    'decodeSyncBlock',
    'defaultDevMarketConfig',
    'encodeSyncBlock',
    'genesisEthChainId',
    'genesisTimeMs',
    'genesisValidatorSet',
    'initDevNetwork',
    'initNetwork',
    'isEmptyDir',
    'loadGenesis',
    'loadHome',
    'loadNodeApp',
    'nodeRpcBackend',
    'saveNodeKey',
    'startRpc',
    'verifyStoredChain',
  ]);
});
