// Where the grid map draws each bus. MATPOWER cases carry no coordinates, so the map uses a tidy tree
// over a breadth-first spanning tree from the root bus (the upstream connection, else the reference bus):
// x = hops from the root, leaves one row apart in depth-first order, a parent centred over its
// children. A radial distribution feeder then reads like a single-line diagram; meshed networks keep
// their extra branches as chords. Deterministic: neighbours are visited in ascending bus id.

/** A bus position in layout units (x: hops from the root, y: rows). */
export interface BusPosition {
  x: number;
  y: number;
}

/**
 * Lays out a network as a tidy tree; islands are stacked below the root's component.
 * @example layoutNetwork([1, 2, 3], [[1, 2], [2, 3]], 1) // {1:{x:0,y:0}, 2:{x:1,y:0}, 3:{x:2,y:0}}
 */
export function layoutNetwork(
  busIds: readonly number[],
  edges: readonly (readonly [number, number])[],
  root: number | undefined,
): Map<number, BusPosition> {
  const adj = new Map<number, number[]>();
  for (const id of busIds) adj.set(id, []);
  for (const [a, b] of edges) {
    if (a === b || !adj.has(a) || !adj.has(b)) continue;
    adj.get(a)!.push(b);
    adj.get(b)!.push(a);
  }
  for (const list of adj.values()) list.sort((p, q) => p - q);

  const pos = new Map<number, BusPosition>();
  const sorted = [...busIds].sort((p, q) => p - q);
  const roots = root !== undefined && adj.has(root) ? [root, ...sorted] : sorted;
  let nextRow = 0;
  for (const r of roots) {
    if (pos.has(r)) continue;
    // Breadth-first spanning tree of r's component.
    const children = new Map<number, number[]>();
    const depth = new Map<number, number>([[r, 0]]);
    const queue = [r];
    for (let i = 0; i < queue.length; i++) {
      const u = queue[i]!;
      const kids: number[] = [];
      for (const v of adj.get(u) ?? []) {
        if (depth.has(v)) continue;
        depth.set(v, depth.get(u)! + 1);
        kids.push(v);
        queue.push(v);
      }
      children.set(u, kids);
    }
    // Post-order placement without recursion (deep feeders would overflow the stack).
    const stack: [number, boolean][] = [[r, false]];
    while (stack.length > 0) {
      const [u, done] = stack.pop()!;
      const kids = children.get(u) ?? [];
      if (!done) {
        stack.push([u, true]);
        for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, false]);
        continue;
      }
      const x = depth.get(u)!;
      if (kids.length === 0) pos.set(u, { x, y: nextRow++ });
      else {
        const ys = kids.map((k) => pos.get(k)!.y);
        pos.set(u, { x, y: (Math.min(...ys) + Math.max(...ys)) / 2 });
      }
    }
    nextRow += 1; // a blank row between islands
  }
  return pos;
}
