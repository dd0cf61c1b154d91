// The table of the CLI's commands: each one's name, the line `gridledger --help` shows for it, and the
// module that registers it, imported only when that command runs. This is what keeps `--help` from
// loading a solver, a chain or an Ethereum library. command-table.test.ts checks every line here against
// what the module itself registers, so a command's description is changed in its module and copied here.
import type { Command } from 'commander';

/** One command of the `gridledger` program. */
export interface CommandEntry {
  /** The command's name (`gridledger <name>`). */
  name: string;
  /** The command as `gridledger --help` lists it: name, `[options]` and arguments. */
  term: string;
  /** The one-line description `gridledger --help` shows. */
  description: string;
  /** Imports the command's module and returns the function that registers the command. */
  load: () => Promise<(program: Command) => void>;
}

/** Every command, in the order `gridledger --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'start',
    term: 'start [options]',
    description:
      'run the platform: 4 validator processes, the device simulator on the default scenario, and the dashboard',
    load: async () => (await import('./commands/start.ts')).registerStart,
  },
  {
    name: 'opf',
    term: 'opf [options] <case.m>',
    description:
      'optimal power flow of a MATPOWER case (DC by default, AC with --model ac): dispatch, flows, LMPs and line shadow prices',
    load: async () => (await import('./commands/opf.ts')).registerOpf,
  },
  {
    name: 'clear',
    term: 'clear [options]',
    description:
      'clear an order book on a network (DC-OPF, LMPs; single-bus auction on one bus) and settle it',
    load: async () => (await import('./commands/clear.ts')).registerClear,
  },
  {
    name: 'capacity',
    term: 'capacity [options]',
    description: "model a deployment's transaction load and hold it against measured capacity",
    load: async () => (await import('./commands/capacity.ts')).registerCapacity,
  },
  {
    name: 'init',
    term: 'init [options]',
    description:
      'write DIR/genesis.json and validator homes DIR/node0..node{N-1} (keys, config) for a local network',
    load: async () => (await import('./commands/init.ts')).registerInit,
  },
  {
    name: 'node',
    term: 'node [options]',
    description: 'run one validator from its home folder (logs to stderr, or to config.log.file)',
    load: async () => (await import('./commands/node.ts')).registerNode,
  },
  {
    name: 'testnet',
    term: 'testnet [options]',
    description:
      'run N local validator processes (initialising DIR first if it is empty); Ctrl-C stops them all',
    load: async () => (await import('./commands/testnet.ts')).registerTestnet,
  },
  {
    name: 'simulate',
    term: 'simulate [options]',
    description:
      'run a scenario on a fresh local network until K intervals are cleared and settled; print each interval and the invariant checks',
    load: async () => (await import('./commands/simulate.ts')).registerSimulate,
  },
  {
    name: 'deploy',
    term: 'deploy [options]',
    description:
      "deploy and configure the market's contracts, the clearing verifier and the real-time book on an EVM JSON-RPC endpoint; write addresses.json",
    load: async () => (await import('./commands/evm-deploy.ts')).registerDeploy,
  },
  {
    name: 'operator',
    term: 'operator [options]',
    description:
      "clear an EVM deployment: read each interval's book after the gate, solve it, submit it with its certificate to the clearing verifier",
    load: async () => (await import('./commands/evm-operator.ts')).registerOperator,
  },
  {
    name: 'verify',
    term: 'verify [options]',
    description:
      "re-check a stopped node's stored chain (hash links, tx roots, certificates > 2/3 power; with --state, app hashes and state by replay); name the first bad height",
    load: async () => (await import('./commands/verify.ts')).registerVerify,
  },
  {
    name: 'order',
    term: 'order',
    description:
      'place (sealed: commit and reveal), reveal, cancel and list orders on the energy market of a running chain',
    load: async () => (await import('./commands/order.ts')).registerOrder,
  },
  {
    name: 'meter',
    term: 'meter',
    description: 'register meters, sign and submit meter readings for the energy market',
    load: async () => (await import('./commands/meter.ts')).registerMeter,
  },
  {
    name: 'interval',
    term: 'interval',
    description: 'inspect market intervals of a running chain',
    load: async () => (await import('./commands/interval.ts')).registerInterval,
  },
  {
    name: 'grid',
    term: 'grid',
    description:
      "the grid operator's network, line limits and status, and upstream tariffs on a running chain",
    load: async () => (await import('./commands/grid.ts')).registerGrid,
  },
  {
    name: 'participant',
    term: 'participant',
    description: 'register market participants and the buses they may trade at',
    load: async () => (await import('./commands/participant.ts')).registerParticipant,
  },
  {
    name: 'account',
    term: 'account',
    description: "an account's cash, collateral, debts, promises and credits on the energy market",
    load: async () => (await import('./commands/account.ts')).registerAccount,
  },
];

/**
 * The command that `argv` (as `process.argv`, program name at index 1) runs, read as commander reads it:
 * the first argument unless an option comes first, the one after `--`, and for `help <name>` that name.
 * Undefined when no command of the table runs (`--help`, `--version`, no arguments, an unknown name).
 * @example commandOf(['node', 'gridledger', 'opf', 'case14.m'])?.name // 'opf'
 */
export function commandOf(argv: readonly string[]): CommandEntry | undefined {
  const args = argv.slice(2);
  let i = 0;
  if (args[i] === '--') i++;
  else if (args[i]?.startsWith('-')) return undefined;
  let name = args[i];
  if (name === 'help') name = args[i + 1];
  return COMMANDS.find((c) => c.name === name);
}
