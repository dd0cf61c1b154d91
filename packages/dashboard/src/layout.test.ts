// The grid map's tidy-tree layout: a feeder reads left to right from its root, every bus gets a
// distinct position, islands are stacked apart, and deep feeders do not overflow the stack.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layoutNetwork } from './layout.ts';

describe('layoutNetwork', () => {
  it('lays a chain out as one row, hop by hop from the root', () => {
    const pos = layoutNetwork(
      [3, 1, 2],
      [
        [1, 2],
        [2, 3],
      ],
      1,
    );
    expect([...pos.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [1, { x: 0, y: 0 }],
      [2, { x: 1, y: 0 }],
      [3, { x: 2, y: 0 }],
    ]);
  });

  it('centres a parent over its children and keeps chords out of the tree', () => {
    // 1 - 2, 1 - 3, 2 - 3 (a chord): 2 and 3 are both children of 1.
    const pos = layoutNetwork(
      [1, 2, 3],
      [
        [1, 2],
        [1, 3],
        [2, 3],
      ],
      1,
    );
    expect(pos.get(2)).toEqual({ x: 1, y: 0 });
    expect(pos.get(3)).toEqual({ x: 1, y: 1 });
    expect(pos.get(1)).toEqual({ x: 0, y: 0.5 });
  });

  it('stacks islands below the root component, a blank row apart', () => {
    const pos = layoutNetwork(
      [1, 2, 7, 8],
      [
        [1, 2],
        [7, 8],
      ],
      1,
    );
    expect(pos.get(7)).toEqual({ x: 0, y: 2 });
    expect(pos.get(8)).toEqual({ x: 1, y: 2 });
  });

  it('handles a 20,000-bus radial feeder without recursion', () => {
    const n = 20_000;
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    const pos = layoutNetwork(
      ids,
      ids.slice(1).map((i) => [i - 1, i] as const),
      1,
    );
    expect(pos.get(n)).toEqual({ x: n - 1, y: 0 });
  });

  it('gives every bus of any network a distinct position (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.tuple(fc.nat(39), fc.nat(39)), { maxLength: 80 }),
        (n, raw) => {
          const ids = Array.from({ length: n }, (_, i) => i * 3 + 1);
          const edges = raw.map(([a, b]) => [ids[a % n]!, ids[b % n]!] as const);
          const pos = layoutNetwork(ids, edges, ids[0]);
          expect(pos.size).toBe(n);
          const keys = new Set([...pos.values()].map((p) => `${p.x},${p.y}`));
          expect(keys.size).toBe(n);
          // Tree edges join buses one hop apart: x never jumps by more than one along the spanning tree.
          for (const p of pos.values()) expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
        },
      ),
    );
  });
});
