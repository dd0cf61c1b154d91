// The run's setup on chain: the grid operator registers the network and every meter, the admin registers
// each device as a participant at its bus, skipping what is already registered (so a resumed chain is
// picked up), in windows the mempool takes; then the devices' nonces are read.
import { GridledgerError } from '@gridledger/base';
import { networkToJson, REGISTRY_ABI, REGISTRY_ADDRESS } from '@gridledger/energy';
import type { Address } from '@gridledger/execution';
import type { Call, SentTx } from './chain.ts';
import { connectionCapacityW } from './meter-capacity.ts';
import type { Simulation } from './simulation.ts';

/** Registrations in flight per sender (the mempool takes nonces at most 1,000 ahead of the next). */
const SETUP_WINDOW = 1000;

/** Registers the network, meters and participants that are not registered yet. */
export async function registerScenario(sim: Simulation): Promise<void> {
  const s = sim.opts.scenario;
  const c = sim.chain;
  const version = await c.view<bigint>({
    to: REGISTRY_ADDRESS,
    abi: REGISTRY_ABI,
    functionName: 'networkVersion',
    args: [],
  });
  // AC pricing needs the branches' resistance and the buses' voltage limits too.
  const json = networkToJson(s.network, { ac: s.pricing === 'ac' });
  await c.syncNonces([sim.admin.address, sim.operator.address, sim.submitter.address]);
  if (version === 0n) {
    sim.emit({ type: 'setup', step: 'network', detail: `${json.name}: ${json.buses.length} buses` });
    const [tx] = await c.send([
      {
        key: sim.operator,
        call: {
          to: REGISTRY_ADDRESS,
          abi: REGISTRY_ABI,
          functionName: 'registerNetwork',
          args: [JSON.stringify(json)],
        },
        gas: 29_000_000n,
      },
    ]);
    await expectSuccess(sim, [tx!], 'registerNetwork');
  } else {
    const onChain = JSON.parse(
      await c.view<string>({
        to: REGISTRY_ADDRESS,
        abi: REGISTRY_ABI,
        functionName: 'networkJson',
        args: [],
      }),
    ) as { name: string; buses: unknown[] };
    if (onChain.name !== json.name || onChain.buses.length !== json.buses.length) {
      throw new GridledgerError(
        'E_SCENARIO',
        `the chain's registered network is ${onChain.name} (${onChain.buses.length} buses), but the scenario's is ${json.name} (${json.buses.length} buses): use a fresh chain for this scenario`,
      );
    }
  }
  // Meters not yet registered.
  const meters = await c.views<readonly [Address, bigint, Address, bigint]>(
    sim.devices.map((d) => ({
      to: REGISTRY_ADDRESS,
      abi: REGISTRY_ABI,
      functionName: 'meterOf',
      args: [d.meterId],
    })),
    true,
  );
  const zero = '0x0000000000000000000000000000000000000000';
  const needMeter = sim.devices.filter((_, i) => {
    const m = meters[i];
    return m === undefined || m[0].toLowerCase() === zero;
  });
  const canTrade = await c.views<boolean>(
    sim.devices.map((d) => ({
      to: REGISTRY_ADDRESS,
      abi: REGISTRY_ABI,
      functionName: 'canTrade',
      args: [d.account.address, BigInt(d.spec.bus)],
    })),
  );
  const needParticipant = sim.devices.filter((_, i) => canTrade[i] !== true);
  sim.emit({
    type: 'setup',
    step: 'registrations',
    detail: `${needMeter.length} meters, ${needParticipant.length} participants`,
  });
  const meterTxs = needMeter.map((d) => ({
    key: sim.operator,
    call: {
      to: REGISTRY_ADDRESS,
      abi: REGISTRY_ABI,
      functionName: 'registerMeter',
      args: [
        d.meterId,
        d.meterKey.address,
        BigInt(d.spec.bus),
        d.account.address,
        connectionCapacityW(d.spec),
      ],
    } as Call,
    gas: 120_000n,
  }));
  const participantTxs = needParticipant.map((d) => ({
    key: sim.admin,
    call: {
      to: REGISTRY_ADDRESS,
      abi: REGISTRY_ABI,
      functionName: 'registerParticipant',
      args: [d.account.address, [BigInt(d.spec.bus)]],
    } as Call,
    gas: 100_000n,
  }));
  // Windows in flight: the mempool is bounded and takes a sender's nonces at most 1,000 ahead, so a
  // window holds at most SETUP_WINDOW of each sender's transactions. The two senders go through two nodes.
  const t0 = performance.now();
  const total = meterTxs.length + participantTxs.length;
  for (let i = 0; i < Math.max(meterTxs.length, participantTxs.length); i += SETUP_WINDOW) {
    if (sim.signal?.aborted) return;
    const window = [...meterTxs.slice(i, i + SETUP_WINDOW), ...participantTxs.slice(i, i + SETUP_WINDOW)];
    const sent = await c.send(window, (a) => (a === sim.admin.address ? 1 : 0));
    await expectSuccess(sim, sent, 'registration');
  }
  await c.syncNonces(sim.devices.map((d) => d.account.address));
  sim.emit({
    type: 'setup',
    step: 'done',
    detail: `${sim.devices.length} devices registered, ${total} transactions in ${Math.round(performance.now() - t0)} ms`,
  });
}

/** Waits for the receipts of setup transactions; throws when one was rejected or reverted. */
async function expectSuccess(sim: Simulation, sent: SentTx[], what: string): Promise<void> {
  const rejected = sent.find((s) => s.rejected !== undefined);
  if (rejected) throw new GridledgerError('E_SETUP', `${what}: transaction rejected: ${rejected.rejected}`);
  const rs = await sim.chain.waitReceipts(
    sent.map((s) => s.hash),
    300_000,
    sim.signal,
  );
  const bad = rs.findIndex((r) => r.status !== 'success');
  if (bad >= 0) throw new GridledgerError('E_SETUP', `${what}: transaction reverted: ${rs[bad]!.reason}`);
}
