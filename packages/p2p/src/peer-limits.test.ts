import { describe, expect, it } from 'vitest';
import { PeerBans, PeerBudget } from './peer-limits.ts';

const limits = { messagesPerSecond: 10, messageBurst: 20, bytesPerSecond: 1000, byteBurst: 5000 };

describe('PeerBudget', () => {
  it('allows the burst at once, then the sustained rate, and refuses beyond', () => {
    const b = new PeerBudget(limits, 0);
    for (let i = 0; i < 20; i++) expect(b.take(1, 0), `message ${i}`).toBe(true);
    expect(b.take(1, 0)).toBe(false);
    // 1 s later: 10 more messages' worth (the overdraft of one is paid back first).
    const c = new PeerBudget(limits, 0);
    for (let i = 0; i < 20; i++) c.take(1, 0);
    for (let i = 0; i < 10; i++) expect(c.take(1, 1000), `after 1 s, message ${i}`).toBe(true);
    expect(c.take(1, 1000)).toBe(false);
  });
  it('counts bytes: one frame larger than the byte burst is refused, steady traffic below the rate is not', () => {
    expect(new PeerBudget(limits, 0).take(5001, 0)).toBe(false);
    const b = new PeerBudget(limits, 0);
    for (let t = 0; t < 60_000; t += 100) expect(b.take(90, t)).toBe(true); // 900 B/s, 10 msg/s
  });
});

describe('PeerBans', () => {
  it('bans until a time, then forgets', () => {
    const bans = new PeerBans();
    bans.ban('p', 1000);
    expect(bans.bannedUntil('p', 999)).toBe(1000);
    expect(bans.bannedUntil('p', 1000)).toBeUndefined();
    expect(bans.bannedUntil('q', 0)).toBeUndefined();
  });
});
