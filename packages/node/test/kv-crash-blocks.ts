// The deterministic blocks of the kv crash test: 50 fresh keys, a counter, and deletes of older keys.
import { utf8 } from '@gridledger/base';

export function blockTxs(h: bigint): Uint8Array[] {
  const txs = [utf8(`count=${h}`)];
  for (let i = 0; i < 50; i++) txs.push(utf8(`k${h}.${i}=${'x'.repeat(Number(h % 7n) * 10)}`));
  if (h > 3n) for (let i = 0; i < 50; i += 2) txs.push(utf8(`k${h - 3n}.${i}=`));
  return txs;
}
