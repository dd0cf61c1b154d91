// Child process of crash.test.ts: commits blocks with state writes in a tight loop until killed,
// printing each committed height on stdout. Block h writes count=h, k<h>=<1 KiB>, and deletes k<h-2>.
// With ARM and DELAY arguments it SIGKILLs itself DELAY ms (or at the next setImmediate when DELAY is
// "now") after starting the write of its ARM-th block, so the kill lands while a batch is in flight.

import { StateBatch } from '@gridledger/app-api';
import { bigintToBytes, utf8 } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { NodeStore } from '@gridledger/store';

const [dir, arm, delay] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: crash-writer.ts DIR');
const store = await NodeStore.open(dir);
process.stdout.write(`open ${store.latestHeight()}\n`);
let written = 0;
const die = () => process.kill(process.pid, 'SIGKILL');
for (let h = store.latestHeight() + 1n; ; h++) {
  if (arm !== undefined && ++written === Number(arm)) {
    if (delay === 'now') setImmediate(die);
    else setTimeout(die, Number(delay));
  }
  const batch = new StateBatch()
    .put(utf8('count'), bigintToBytes(h, 8))
    .put(utf8(`k${h}`), new Uint8Array(1024).fill(Number(h % 256n)));
  if (h > 2n) batch.del(utf8(`k${h - 2n}`));
  await store.saveBlock(
    { height: h, hash: sha256(utf8(`block ${h}`)), block: utf8(`block ${h}`), cert: utf8(`cert ${h}`) },
    { writes: batch.writes(), appHash: sha256(utf8(`state ${h}`)) },
  );
  process.stdout.write(`${h}\n`);
}
