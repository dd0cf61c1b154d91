// CommittedState in memory. Persistence through the node store batch is tested above both:
// packages/node/test/execution-store.test.ts.
import { describe, expect, it } from 'vitest';
import { CommittedState } from './commitment.ts';

describe('CommittedState', () => {
  it('rolls back a finalized, uncommitted block in values and tree', async () => {
    const cs = await CommittedState.load();
    cs.state.set('a', 1n);
    const r1 = cs.finalize().root;
    cs.commit();
    cs.state.set('a', 2n);
    cs.state.set('b', 3n);
    cs.finalize();
    cs.rollback();
    expect(cs.root()).toEqual(r1);
    expect(cs.state.get('b')).toBe(0n);
    expect(cs.finalize().writes).toEqual([]);
  });
});
