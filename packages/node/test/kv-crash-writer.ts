// Child process of kvapp-crash.test.ts (moved from packages/kvapp/test: the app does not import the store): runs the kv application's commit pipeline (finalizeBlock, saveBlock
// with the app's writes, commit) on blocks from blockTxs() until killed, printing each committed height.
import { utf8 } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { KvApp } from '@gridledger/kvapp';
import { NodeStore } from '@gridledger/store';
import { blockTxs } from './kv-crash-blocks.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: kv-crash-writer.ts DIR');
const store = await NodeStore.open(dir);
const app = await KvApp.load(store);
for (let h = store.latestHeight() + 1n; ; h++) {
  const txs = blockTxs(h);
  await app.finalizeBlock({ height: h, timeMs: h, proposer: new Uint8Array(32), txs });
  await store.saveBlock(
    { height: h, hash: sha256(utf8(`block ${h}`)), block: utf8(`block ${h}`), cert: utf8(`cert ${h}`) },
    app.pendingCommit(h),
  );
  await app.commit(h);
  process.stdout.write(`${h}\n`);
}
