// The settled interval's view: forward and real-time prices by bus in $/MWh from gl_interval, the
// real-time pricer's outcome and the energy-balance check as served.
import type { GlIntervalReturnType } from '@gridledger/rpc';
import { describe, expect, it } from 'vitest';
import { buildSettledView } from './settled-view.ts';

const iv = (over: Partial<GlIntervalReturnType>): GlIntervalReturnType => ({
  interval: '12',
  status: 'settled',
  gateMs: '0',
  startMs: '0',
  endMs: '0',
  deadlineMs: '0',
  orders: '3',
  promises: ['1', '2'],
  congestionRent: '0',
  upstream: { soldWh: '0', boughtWh: '0', receivedMicros: '0', paidMicros: '0' },
  lmpMicrosPerMWh: { '1': '30000000', '16': '5874891' },
  realtimeLmpMicrosPerMWh: { '1': '30000000', '16': '0' },
  realtimePriced: true,
  energyBalance: null,
  expectedReadings: '40',
  reportedReadings: '37',
  ...over,
});

describe('buildSettledView', () => {
  it('puts the forward and real-time prices side by side in $/MWh', () => {
    expect(buildSettledView(iv({}), 20_100)).toEqual({
      interval: 12,
      creditsWh: 20_100,
      promises: 2,
      expectedReadings: 40,
      reportedReadings: 37,
      forward: { '1': 30, '16': 5.874891 },
      realtime: { '1': 30, '16': 0 },
      realtimePriced: true,
      energyBalance: null,
    });
  });

  it('keeps a missing real-time price null and shows the energy-balance check', () => {
    const v = buildSettledView(
      iv({
        realtimeLmpMicrosPerMWh: null,
        realtimePriced: false,
        energyBalance: { mismatchWh: '-2500', status: 'held' },
      }),
      null,
    );
    expect(v.realtime).toBeNull();
    expect(v.realtimePriced).toBe(false);
    expect(v.energyBalance).toEqual({ mismatchWh: -2500, status: 'held' });
    expect(v.creditsWh).toBeNull();
  });
});
