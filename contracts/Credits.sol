// SPDX-License-Identifier: Apache-2.0
// Energy credits (ERC-20, 1 unit = 1 Wh, 0 decimals; as the native 0x…1002 "Energy Credit (Wh)", EWH):
// minted only by the market's settlement for metered delivery; a holder may burn (retire) its own.
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

contract Credits is ERC20 {
    /** The one account that mints: the market (fixed once by the deployer). */
    address public minter;
    address private immutable _deployer;

    constructor() ERC20("Energy Credit (Wh)", "EWH") {
        _deployer = msg.sender;
    }

    function decimals() public pure override returns (uint8) {
        return 0;
    }

    /** Names the minter once (the deployer, at initialisation). */
    function setMinter(address m) external {
        require(msg.sender == _deployer, "credits: only the deployer sets the minter");
        require(minter == address(0), "credits: the minter is already set");
        require(m != address(0), "credits: the minter must be non-zero");
        minter = m;
    }

    /** Mints `value` Wh of credits to `to` (the minter only). */
    function mint(address to, uint256 value) external {
        if (msg.sender != minter) {
            revert(string.concat("credits: only the market mints, not ", Strings.toHexString(msg.sender)));
        }
        _mint(to, value);
    }

    /** Burns (retires) `value` of the caller's credits. */
    function burn(uint256 value) external {
        _burn(msg.sender, value);
    }
}
