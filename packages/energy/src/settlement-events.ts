// Events of the second settlement beyond the market's own (emitted by the market module; part of
// MARKET_ABI so clients decode them with it).
import { prepareEvent } from '@gridledger/execution';
import { parseAbi } from 'viem';

/** The second settlement's events. */
export const SETTLEMENT_EVENTS_ABI = parseAbi([
  'event ReadingEstimated(uint64 indexed interval, uint256 indexed meter, uint256 importedWh, uint256 penalty)',
  'event LiquidatedDamages(uint256 indexed promiseId, address indexed seller, address indexed holder, uint256 undeliveredWh, uint256 amount)',
  'event EnergyBalanceFlagged(uint64 indexed interval, int256 mismatchWh, uint256 heldPayments)',
  'event EnergyBalanceResolved(uint64 indexed interval, bool released, uint256 amount)',
  'event TrueUp(uint64 indexed interval, address indexed party, uint256 bus, int256 deviationWh, int256 amount)',
  'event DigitalTwinFailed(uint64 indexed interval, string reason)',
]);

/** Prepared settlement events. */
export const SETTLEMENT_EVENTS = {
  estimated: prepareEvent(SETTLEMENT_EVENTS_ABI, 'ReadingEstimated'),
  damages: prepareEvent(SETTLEMENT_EVENTS_ABI, 'LiquidatedDamages'),
  flagged: prepareEvent(SETTLEMENT_EVENTS_ABI, 'EnergyBalanceFlagged'),
  resolved: prepareEvent(SETTLEMENT_EVENTS_ABI, 'EnergyBalanceResolved'),
  trueUp: prepareEvent(SETTLEMENT_EVENTS_ABI, 'TrueUp'),
  twinFailed: prepareEvent(SETTLEMENT_EVENTS_ABI, 'DigitalTwinFailed'),
};
