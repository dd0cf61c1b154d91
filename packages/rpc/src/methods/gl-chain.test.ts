// The wire shape of jailed validators in gl_validators and gl_status (docs/rpc.md): power in force at the
// next height, the jail record with decimal-string heights and the evidence key; bad parameters refused.
import { describe, expect, it } from 'vitest';
import type { RpcBackend } from '../port.ts';
import { glChainMethods } from './gl-chain.ts';

const key = (b: number) => new Uint8Array(32).fill(b);
const jail = { fromHeight: 12n, committedAt: 10n, evidence: '2/8/0/prevote' };

const backend: RpcBackend = {
  ethChainId: 1n,
  latestHeight: () => 11n,
  getBlock: async () => undefined,
  commit: async () => undefined,
  status: () => ({
    chainId: 'c',
    height: 11n,
    latestHash: undefined,
    latestTimeMs: undefined,
    peers: 2,
    validator: undefined,
    catchingUp: false,
    jailed: [{ index: 2, publicKey: key(2), ...jail }],
  }),
  validators: () => [
    { publicKey: key(0), power: 10n },
    { publicKey: key(1), power: 10n },
    { publicKey: key(2), power: 0n, jailed: jail },
  ],
  submitTx: async () => ({ ok: false, code: 'rejected', reason: 'none' }),
};

describe('gl_validators and gl_status with a jailed validator', () => {
  const m = glChainMethods(backend, 1024);
  it('show the power in force, the jail record and the evidence key', async () => {
    const vs = (await m.get('gl_validators')!([], {})) as unknown[];
    expect(vs[0]).toEqual({ index: 0, publicKey: `0x${'00'.repeat(32)}`, power: '10', jailed: null });
    expect(vs[2]).toEqual({
      index: 2,
      publicKey: `0x${'02'.repeat(32)}`,
      power: '0',
      jailed: { fromHeight: '12', committedAt: '10', evidence: '2/8/0/prevote' },
    });
    const s = (await m.get('gl_status')!([], {})) as { jailed: unknown };
    expect(s.jailed).toEqual([
      {
        index: 2,
        publicKey: `0x${'02'.repeat(32)}`,
        fromHeight: '12',
        committedAt: '10',
        evidence: '2/8/0/prevote',
      },
    ]);
  });
  it('refuses parameters', async () => {
    await expect(m.get('gl_validators')!([1], {})).rejects.toThrow(/no parameters/);
  });
});
