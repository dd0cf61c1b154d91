// SPDX-License-Identifier: Apache-2.0
// A test stablecoin for local runs (anvil, tests): an ERC-20 with 6 decimals (µ$, as the native cash
// token) that its owner mints. A real deployment names any ERC-20 with 6 decimals as the market's cash.
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

contract TestStablecoin is ERC20, Ownable {
    constructor(address owner_) ERC20("Test USD", "tUSD") Ownable(owner_) {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /** Mints `value` µ$ to `to` (owner only). */
    function mint(address to, uint256 value) external onlyOwner {
        _mint(to, value);
    }
}
