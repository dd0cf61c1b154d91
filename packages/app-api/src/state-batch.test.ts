// StateBatch and MemoryKVStore (moved here with the types from packages/store/src/node-store.test.ts).
import { utf8 } from '@gridledger/base';
import { describe, expect, it } from 'vitest';
import { MemoryKVStore } from './memory-kv.ts';
import { StateBatch } from './state-batch.ts';

async function collect(it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of it) out.push(`${new TextDecoder().decode(k)}=${new TextDecoder().decode(v)}`);
  return out;
}

describe('StateBatch and MemoryKVStore', () => {
  it('keeps the last write per key and applies deletes', async () => {
    const b = new StateBatch().put(utf8('x'), utf8('1')).put(utf8('y'), utf8('2')).put(utf8('x'), utf8('3'));
    b.del(utf8('y'));
    expect(b.size).toBe(2);
    const kv = new MemoryKVStore();
    kv.apply([{ key: utf8('y'), value: utf8('old') }, ...b.writes()]);
    expect(await collect(kv.entries())).toEqual(['x=3']);
    expect(() => new StateBatch().put(new Uint8Array(0), utf8('v'))).toThrow(/1\.\.1024 bytes/);
  });
});
