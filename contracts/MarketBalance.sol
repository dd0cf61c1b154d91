// SPDX-License-Identifier: Apache-2.0
// The energy-balance check and the true-up of late readings (docs/market-rules.md §10a "Energy balance",
// "Meter data"; as the native packages/energy/src/energy-balance.ts and true-up.ts), part of the second
// settlement's engine (MarketRealtime inherits it; the Market runs it by delegatecall on its storage).
//   Energy balance: with the upstream meter configured (realtime.upstreamMetered) and its reading in, the
//     interval's mismatch = Σ parties (exported − imported) + upstream meter (exported − imported) (DC: no
//     losses). Above realtime.balanceToleranceWh the interval is flagged (EnergyBalanceFlagged): every
//     payment to a long party is held until a grid operator calls resolveEnergyBalance(k, release), which
//     pays them from the grid operator (what it cannot is its debt, as every operator payment: MarketDebts) or
//     cancels them (the readings judged false).
//   True-up: a reading that arrives after settlement for a meter the settlement estimated, before the
//     settlement deadline + realtime.trueUpDelayMs, is accepted by the Meters contract, which hands it here
//     (trueUpReading): the party's deviation moves by (exported − imported) − (0 − estimate), the money by
//     amount(dev') − amount(dev) at the interval's band prices (TrueUp); the penalty stays, no credits are
//     minted (the promises were burned), and a flagged interval's payment is held as at settlement.
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {MarketBase} from "./MarketBase.sol";

abstract contract MarketBalance is MarketBase {
    using Strings for uint256;

    uint8 internal constant BALANCE_HELD = 1;
    uint8 internal constant BALANCE_RELEASED = 2;
    uint8 internal constant BALANCE_CANCELLED = 3;

    // As the native settlement-events.ts.
    event EnergyBalanceFlagged(uint64 indexed interval, int256 mismatchWh, uint256 heldPayments);
    event EnergyBalanceResolved(uint64 indexed interval, bool released, uint256 amount);
    event TrueUp(uint64 indexed interval, address indexed party, uint256 bus, int256 deviationWh, int256 amount);

    // ---- what the settlement engine provides ----

    /** Money the deviation moves to the party, µ$ (negative: it pays), at interval k's band prices at `bus`. */
    function _deviationAmount(uint64 k, uint256 bus, int256 dev) internal view virtual returns (int256);

    /** The grid operator pays `amount` to `to` (what it cannot: as every operator payment). */
    function _payByOperator(uint64 k, address to, uint256 amount) internal virtual;

    /** Charges `amount` to `owner` for the grid operator (no collateral left: its cash, the rest as every charge). */
    function _chargeParty(uint64 k, address owner, uint256 amount) internal virtual;

    // ---- hooks of settle(k) ----

    /** Records meter `meter` of (owner, bus) as estimated at `importedWh` (for a true-up). */
    function _recordEstimate(uint64 k, uint256 meter, address owner, uint256 bus, uint256 importedWh) internal {
        if (_config.realtime.trueUpDelayMs == 0) return;
        _estimatedImportWh[k][meter] = importedWh + 1;
        _estimatedParty[k][owner][bus] = true;
    }

    /** Records the settled deviation of a party with an estimated meter (for a true-up). */
    function _recordDeviation(uint64 k, address owner, uint256 bus, int256 dev) internal {
        if (_config.realtime.trueUpDelayMs == 0) return;
        if (_estimatedParty[k][owner][bus]) _trueUpDeviationWh[k][owner][bus] = dev;
    }

    /**
     * Checks interval k's energy balance given the parties' Σ (exported − imported), Wh; true when it is
     * flagged (the long parties' payments are then held). No check without the upstream meter's reading.
     */
    function _checkEnergyBalance(uint64 k, int256 partiesNetWh) internal returns (bool) {
        Realtime storage r = _config.realtime;
        if (!r.upstreamMetered) return false;
        (bool seen, uint256 imp, uint256 exp) = meters.readingOf(r.upstreamMeter, k);
        if (!seen) return false;
        int256 mismatch = partiesNetWh + int256(exp) - int256(imp);
        _balanceMismatchWh[k] = mismatch;
        if (mismatch <= int256(uint256(r.balanceToleranceWh))) return false;
        _balanceFlag[k] = BALANCE_HELD;
        return true;
    }

    /** Pays a long party's `amount`, or holds it when the interval is flagged. */
    function _payOrHold(uint64 k, address to, uint256 amount, bool flagged) internal {
        if (flagged) _heldPayments[k].push(HeldPayment(to, amount));
        else _payByOperator(k, to, amount);
    }

    /** Emits the flag with the payments held (after the deviations are settled). */
    function _emitFlag(uint64 k) internal {
        emit EnergyBalanceFlagged(k, _balanceMismatchWh[k], _heldTotal(k));
    }

    function _heldTotal(uint64 k) private view returns (uint256 total) {
        HeldPayment[] storage h = _heldPayments[k];
        for (uint256 i = 0; i < h.length; i++) total += h[i].amount;
    }

    // ---- entry points (Market delegates) ----

    /**
     * A grid operator (GRID_OPERATOR_ROLE of the registry) resolves flagged interval k: `release` pays the
     * held payments from the grid operator, else they are cancelled. Returns their total, µ$.
     */
    function resolveEnergyBalance(uint64 k, bool release) external returns (uint256 total) {
        if (!registry.hasRole(registry.GRID_OPERATOR_ROLE(), msg.sender)) {
            revert(string.concat("market: resolveEnergyBalance needs GRID_OPERATOR_ROLE, ", Strings.toHexString(msg.sender), " does not hold it"));
        }
        if (_balanceFlag[k] != BALANCE_HELD) {
            revert(string.concat("market: interval ", _u(k), " has no payments held by the energy-balance check (not held)"));
        }
        // Settled in chunks, the deviations of later chunks are still to be held: resolve once all are in.
        if (_intervals[k].status != INTERVAL_SETTLED) {
            revert(string.concat("market: interval ", _u(k), " is still being settled in chunks: resolve its energy balance once it is settled"));
        }
        _balanceFlag[k] = release ? BALANCE_RELEASED : BALANCE_CANCELLED;
        HeldPayment[] storage h = _heldPayments[k];
        for (uint256 i = 0; i < h.length; i++) {
            total += h[i].amount;
            if (release && h[i].amount > 0) _payByOperator(k, h[i].to, h[i].amount);
        }
        emit EnergyBalanceResolved(k, release, total);
    }

    /** Interval k's energy balance: flag (0 none, 1 held, 2 released, 3 cancelled), mismatch Wh, held payments µ$. */
    function energyBalance(uint64 k) external view returns (uint8 flag, int256 mismatchWh, uint256 heldPayments) {
        return (_balanceFlag[k], _balanceMismatchWh[k], _heldTotal(k));
    }

    /**
     * The Meters contract hands over a reading it accepted for settled interval k (after the deadline or
     * the settlement): trues up the meter's estimate. Reverts (the whole submission with it) when the meter
     * was not estimated or the true-up window has closed.
     */
    function trueUpReading(uint256 meter, uint64 k, uint256 importedWh, uint256 exportedWh) external {
        require(msg.sender == address(meters), "market: only the meters contract hands over late readings");
        require(_intervals[k].status == INTERVAL_SETTLED, "market: a late reading's interval is not settled");
        if (_config.realtime.trueUpDelayMs == 0) {
            revert(string.concat(
                "market: the settlement deadline (", _deadlineMs(k).toString(), " ms) has passed or the interval is settled (no true-up on this market: realtime.trueUpDelayMs is 0)"
            ));
        }
        uint256 est = _estimatedImportWh[k][meter];
        if (est == 0) {
            revert(string.concat(
                "market: meter ", meter.toString(), " was not estimated in interval ", _u(k),
                ": after the settlement deadline (", _deadlineMs(k).toString(), " ms) or the settlement a reading is taken only in place of an estimate"
            ));
        }
        uint256 closes = _deadlineMs(k) + _config.realtime.trueUpDelayMs;
        uint256 t = marketTimeMs();
        if (t >= closes) {
            revert(string.concat(
                "market: the true-up window of interval ", _u(k), " closed at ", closes.toString(), " ms (market time is ", t.toString(), ")"
            ));
        }
        (, uint256 bus, address owner,) = registry.meterOf(meter);
        int256 oldDev = _trueUpDeviationWh[k][owner][bus];
        int256 newDev = oldDev + int256(exportedWh) - int256(importedWh) + int256(est - 1);
        int256 amount = _deviationAmount(k, bus, newDev) - _deviationAmount(k, bus, oldDev);
        _trueUpDeviationWh[k][owner][bus] = newDev;
        if (amount < 0) _chargeParty(k, owner, uint256(-amount));
        else if (amount > 0) _payOrHold(k, owner, uint256(amount), _balanceFlag[k] == BALANCE_HELD);
        emit TrueUp(k, owner, bus, newDev, amount);
    }
}
