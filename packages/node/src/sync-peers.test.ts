// Block sync's peer choice against a peer that lies about its height (issue 17, H2): a validator
// announcing 2^64-1 and answering nothing kept a restarted node behind for as long as it stayed.
import { describe, expect, it } from 'vitest';
import { SyncPeers } from './sync-peers.ts';

/** Runs sync ticks every 100 ms for `ms` of simulated time; honest peers answer at once. */
function run(sync: SyncPeers, answers: (peer: string) => 'blocks' | 'nothing' | 'empty', ms: number) {
  let tip = 0n;
  const asked: string[] = [];
  for (let now = 0; now <= ms; now += 100) {
    const r = sync.next(tip, now);
    if (!r) continue;
    asked.push(r.peer);
    const a = answers(r.peer);
    if (a === 'blocks') tip = r.to;
    else if (a === 'empty') sync.onEmptyResponse(r.peer, r.from);
  }
  return { tip, asked };
}

describe('SyncPeers', () => {
  it('catches up past a peer that announces 2^64-1 and answers nothing', () => {
    const sync = new SyncPeers({ batch: 20, graceMs: 1950 });
    sync.onStatus('liar', (1n << 64n) - 1n);
    sync.onStatus('honest', 56n);
    const { tip, asked } = run(sync, (p) => (p === 'liar' ? 'nothing' : 'blocks'), 10_000);
    expect(tip).toBe(56n);
    expect(asked).toContain('honest');
    // Once it missed its deadline the liar is not asked again while banned, nor counted as ahead.
    expect(asked.filter((p) => p === 'liar').length).toBeLessThanOrEqual(1);
    expect(sync.isCatchingUp(56n)).toBe(false);
  });

  it('takes a peer that answers "unknown" for a height it announced at most at the height before', () => {
    const sync = new SyncPeers({ batch: 20, graceMs: 1950 });
    sync.onStatus('bluff', 1000n);
    sync.onStatus('honest', 30n);
    const { tip } = run(sync, (p) => (p === 'bluff' ? 'empty' : 'blocks'), 5_000);
    expect(tip).toBe(30n);
  });

  it('rotates among the peers ahead instead of always asking the highest', () => {
    const sync = new SyncPeers({ batch: 5, graceMs: 1950 });
    for (const p of ['a', 'b', 'c']) sync.onStatus(p, 100n);
    const { asked } = run(sync, () => 'blocks', 1_000);
    expect(new Set(asked.slice(0, 3))).toEqual(new Set(['a', 'b', 'c']));
  });
});
