// SPDX-License-Identifier: Apache-2.0
// Settlement of a cleared interval (docs/market-rules.md §10 "Settlement"): anyone calls settle(k) once
// every meter of every cleared party at its bus has reported, or from the settlement deadline on
// (missing readings count as zero). Per party (an owner at a bus, over its cleared orders there):
//   delivered = min(sold Wh, exported Wh), shared among the promises it sold pro rata to their Wh (floors,
//               then the largest remainders, ties to the lower token id), minted as credits to each
//               promise's holder; upstream-sold promises mint none; every promise is burned once;
//   imbalance = (exported − imported) − (sold − bought): negative pays ceil(|i|·shortfall/10^6) to the
//               grid operator from its collateral, then from its cash (transferFrom: needs its allowance;
//               what it cannot pay is a PaymentFailed event); positive is paid floor(i·surplus/10^6) by the
//               grid operator (transferFrom its allowance to the market) or a PaymentFailed event;
//   the rest of its collateral is released.
// The digital twin's metered flows and FlowDeviation events are not part of settlement here: the
// DigitalTwin contract records them from the operator's checked angles (docs/evm.md "The digital twin").
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {MarketBase} from "./MarketBase.sol";

abstract contract MarketSettlement is MarketBase {
    using Strings for uint256;

    /** Settles interval k; reverts (changing nothing) unless it is cleared and its readings are in or due. */
    function settle(uint64 k) external {
        IntervalRecord storage iv = _intervals[k];
        if (iv.status == INTERVAL_SETTLED) revert(string.concat("market: interval ", _u(k), " is already settled"));
        if (iv.status != INTERVAL_CLEARED) revert(string.concat("market: interval ", _u(k), " is not cleared"));
        bool due = marketTimeMs() >= _deadlineMs(k);
        uint256 creditsWh;
        for (uint256 i = 0; i < iv.parties.length; i++) creditsWh += _settleParty(k, iv.parties[i], due);
        uint256 first = iv.firstPromise;
        for (uint256 i = 0; i < iv.promises; i++) {
            PromiseRecord storage p = _promises[first + i];
            p.settled = true;
            address holder = promises.ownerOf(first + i);
            promises.burn(first + i);
            emit PromiseSettled(first + i, holder, p.deliveredWh);
        }
        iv.status = INTERVAL_SETTLED;
        emit IntervalSettled(k, creditsWh, iv.promises);
    }

    function _metered(uint64 k, Party storage p, bool due) private view returns (uint256 imported, uint256 exported) {
        uint256[] memory ms = registry.metersAt(p.owner, p.bus);
        for (uint256 j = 0; j < ms.length; j++) {
            (bool seen, uint256 imp, uint256 exp) = meters.readingOf(ms[j], k);
            if (!seen && !due) {
                revert(string.concat("market: interval ", _u(k), " waits for meter ", ms[j].toString(), " until its deadline ", _deadlineMs(k).toString(), " ms"));
            }
            imported += imp;
            exported += exp;
        }
    }

    function _settleParty(uint64 k, Party storage p, bool due) private returns (uint256 delivered) {
        (uint256 imported, uint256 exported) = _metered(k, p, due);
        delivered = p.soldWh < exported ? p.soldWh : exported;
        if (delivered > 0) _mintCredits(p, delivered);
        int256 imbalance = int256(exported) - int256(imported) - (int256(uint256(p.soldWh)) - int256(uint256(p.boughtWh)));
        uint256 collateral = p.collateral;
        p.collateral = 0;
        int256 amount;
        address go = _config.gridOperator;
        if (imbalance < 0) {
            uint256 owe = (uint256(-imbalance) * _config.shortfallPriceMicrosPerMWh + WH_PER_MWH - 1) / WH_PER_MWH;
            uint256 fromCollateral = owe < collateral ? owe : collateral;
            if (fromCollateral > 0) require(cash.transfer(go, fromCollateral), "market: the cash token refused a charge");
            collateral -= fromCollateral;
            uint256 rest = owe - fromCollateral;
            uint256 fromBalance = _pullable(p.owner, rest);
            if (fromBalance > 0) require(cash.transferFrom(p.owner, go, fromBalance), "market: the cash token refused a charge");
            if (fromBalance < rest) {
                emit PaymentFailed(k, p.owner, go, rest - fromBalance, string.concat(
                    "imbalance charge of ", owe.toString(), " exceeds collateral and balance (or allowance to the market) by ", (rest - fromBalance).toString()
                ));
            }
            amount = -int256(fromCollateral + fromBalance);
        } else if (imbalance > 0) {
            uint256 owed = (uint256(imbalance) * _config.surplusPriceMicrosPerMWh) / WH_PER_MWH;
            if (owed > 0 && _pullable(go, owed) < owed) {
                emit PaymentFailed(k, go, p.owner, owed, string.concat(
                    "grid operator balance or allowance to the market cannot cover the imbalance payment ", owed.toString()
                ));
            } else if (owed > 0) {
                require(cash.transferFrom(go, p.owner, owed), "market: the cash token refused an imbalance payment");
                amount = int256(owed);
            }
        }
        if (collateral > 0) require(cash.transfer(p.owner, collateral), "market: the cash token refused a release");
        emit ImbalanceSettled(k, p.owner, p.bus, imbalance, amount);
    }

    /** How much of `want` the market may move from `from` now (its balance and allowance). */
    function _pullable(address from, uint256 want) private view returns (uint256) {
        uint256 b = cash.balanceOf(from);
        uint256 a = cash.allowance(from, address(this));
        uint256 m = b < a ? b : a;
        return m < want ? m : want;
    }

    /** Shares `delivered` Wh among the party's sold promises pro rata (largest remainder, lower id first). */
    function _mintCredits(Party storage p, uint256 delivered) private {
        uint256[] storage ids = p.soldPromises;
        uint256 n = ids.length;
        uint256 sold = p.soldWh;
        uint256[] memory share = new uint256[](n);
        uint256[] memory rem = new uint256[](n);
        uint256 given;
        for (uint256 i = 0; i < n; i++) {
            uint256 e = _promises[ids[i]].energyWh;
            share[i] = (delivered * e) / sold;
            rem[i] = (delivered * e) % sold;
            given += share[i];
        }
        for (uint256 left = delivered - given; left > 0; left--) {
            uint256 best = type(uint256).max;
            for (uint256 i = 0; i < n; i++) {
                if (rem[i] == type(uint256).max) continue;
                if (best == type(uint256).max || rem[i] > rem[best] || (rem[i] == rem[best] && ids[i] < ids[best])) best = i;
            }
            share[best] += 1;
            rem[best] = type(uint256).max;
        }
        for (uint256 i = 0; i < n; i++) {
            PromiseRecord storage pr = _promises[ids[i]];
            pr.deliveredWh = share[i];
            if (share[i] > 0) credits.mint(promises.ownerOf(ids[i]), share[i]);
        }
    }
}
