// The validator node: composes the consensus driver (@gridledger/consensus, driver.ts) with the outside
// world by building the driver's ports from its real parts: the clock and timers, the p2p network, the
// mempool, the store (WAL, evidence), the application (kvapp or the execution app, as genesis says:
// app-select.ts) and pino. Owns the JSON-RPC server, the block-commit pipeline (execute, save atomically,
// commit) and block sync for a node that is behind. Holds no consensus rules itself: those live in
// @gridledger/consensus.
import { createWriteStream } from 'node:fs';
import { GridledgerError, toHex } from '@gridledger/base';
import {
  type Block,
  type CommitCertificate,
  type ConsensusClock,
  ConsensusDriver,
  type ConsensusNetwork,
  decodeBlock,
  decodeCommit,
  decodeCommittedEvidence,
  encodeBlock,
  encodeCommit,
  encodeCommittedEvidence,
  evidenceKey,
  type Header,
  hashBlock,
  keySigner,
  ValidatorHistory,
  type ValidatorSet,
  validatorIndex,
  verifyBlock,
  verifyBlockCommit,
} from '@gridledger/consensus';
import type { MarketConfig } from '@gridledger/energy';
import type { ExecutionApp } from '@gridledger/execution';
import { Mempool } from '@gridledger/mempool';
import { MAX_TXS_PER_MESSAGE, P2pNetwork, type PeerMessage } from '@gridledger/p2p';
import { NodeStore } from '@gridledger/store';
import { type Logger, pino } from 'pino';
import { type AppKind, type LoadedApp, loadNodeApp, type NodeApp } from './app-select.ts';
import { genesisTimeMs, genesisValidatorSet } from './genesis.ts';
import type { Home } from './home.ts';
import { MempoolPruner } from './mempool-prune.ts';
import { NodeMetrics } from './metrics.ts';
import { type RpcHandle, startRpc } from './rpc-backend.ts';
import { decodeSyncBlock, encodeSyncBlock } from './sync-codec.ts';
import { SyncPeers } from './sync-peers.ts';

/** Most blocks asked for or served in one block-request. */
export const SYNC_BATCH = 20;
/** The store record holding the committed-evidence list (written in the batch of the block that commits it). */
const COMMITTED_EVIDENCE_RECORD = 'committed-evidence';
/** Largest `txs` gossip message (bytes of transactions): well under the p2p frame limit. */
const GOSSIP_BATCH_BYTES = 1024 * 1024;

/** What the node knows about the tip of its own chain. */
export interface ChainTip {
  /** Last committed height (0n before the first block). */
  height: bigint;
  /** Header of the last committed block (null at height 0). */
  header: Header | null;
  /** Hash of the last committed block (32 zero bytes at height 0). */
  hash: Uint8Array;
  /** The certificate this node stored for the last block (null at height 0). */
  cert: CommitCertificate | null;
  /** Application state root after the last block (goes into the next header). */
  appHash: Uint8Array;
  /** Time of the last block, or the genesis time. */
  timeMs: bigint;
}

/** How many blocks' worth of the mempool's head the execution app's proposals choose from. */
const PROPOSAL_WINDOW_BLOCKS = 8;

/** The real clock: wall time and Node's timers. */
const systemClock: ConsensusClock = {
  nowMs: () => BigInt(Date.now()),
  after(delayMs, callback) {
    const t = setTimeout(callback, delayMs);
    return () => clearTimeout(t);
  },
  every(intervalMs, callback) {
    const t = setInterval(callback, intervalMs);
    return () => clearInterval(t);
  },
};

/** Options of {@link Node.create}. */
export interface NodeOptions {
  logger?: Logger;
}

/** Where a started node listens. */
export interface NodeAddresses {
  p2p: { host: string; port: number };
  rpc: { host: string; port: number };
}

/**
 * A running validator.
 * @example
 * const node = await Node.create(loadHome('net/node0'));
 * const where = await node.start();
 * // ...
 * await node.stop();
 */
export class Node {
  readonly home: Home;
  readonly log: Logger;
  readonly store: NodeStore;
  readonly app: NodeApp;
  /** Which application genesis chose. */
  readonly appKind: AppKind;
  /** The execution app when genesis chose it (its JSON-RPC methods are served then). */
  readonly execution: ExecutionApp | undefined;
  /** The energy market's configuration when genesis enables it (gl_* methods are served then). */
  readonly energy: MarketConfig | undefined;
  readonly #closeApp: () => Promise<void>;
  readonly mempool: Mempool;
  readonly p2p: P2pNetwork;
  /** Prometheus metrics (served at GET /metrics when config.metrics is set). */
  readonly metrics: NodeMetrics;
  /** Where /metrics is served, once started (config.metrics set). */
  metricsAddress: { host: string; port: number } | undefined;
  /** The genesis validator set (indices and keys; p2p admits these keys, jailed or not). */
  readonly validators: ValidatorSet;
  /**
   * The validator set by height: genesis less the validators jailed by committed evidence (updated as
   * blocks commit; rebuilt at start from the store's committed-evidence record).
   */
  readonly history: ValidatorHistory;
  /** This node's index in the validator set, or -1. */
  readonly myIndex: number;
  tip: ChainTip;
  readonly consensus: ConsensusDriver;
  private rpc: RpcHandle | undefined;
  private sync: SyncPeers | undefined;
  private readonly pendingSync = new Map<
    bigint,
    { block: Block; cert: CommitCertificate; from: string; certChecked: boolean }
  >();
  private syncTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private commitQueue: Promise<unknown> = Promise.resolve();
  private readonly blockListeners = new Set<(height: bigint) => void>();
  private stopped = false;
  /** Blocks applied through block sync (not through this node's own consensus). */
  syncedBlocks = 0;
  #gossipQueue = new Map<string | undefined, Uint8Array[]>();
  #gossipScheduled = false;

  private constructor(
    home: Home,
    log: Logger,
    store: NodeStore,
    loaded: LoadedApp,
    tip: ChainTip,
    metrics: NodeMetrics,
    history: ValidatorHistory,
  ) {
    const app = loaded.app;
    this.metrics = metrics;
    this.home = home;
    this.log = log;
    this.store = store;
    this.app = app;
    this.appKind = loaded.kind;
    this.execution = loaded.execution;
    this.energy = loaded.energy;
    this.#closeApp = loaded.close;
    this.tip = tip;
    this.validators = history.genesis;
    this.history = history;
    this.myIndex = validatorIndex(this.validators, home.nodeKey.publicKey);
    const cfg = home.config;
    this.mempool = new Mempool({
      app,
      maxTxs: cfg.mempool.maxTxs,
      maxBytes: cfg.mempool.maxBytes,
      maxTxBytes: cfg.mempool.maxTxBytes,
      // The execution app's mempool is re-checked off the commit path (mempool-prune.ts).
      recheck: loaded.kind !== 'execution',
      // Lanes (pending / queued / reserved) follow each sender's committed nonce.
      ...(loaded.execution ? { nonceOf: (s: string) => loaded.execution!.nonceOf(s as `0x${string}`) } : {}),
    });
    if (loaded.kind === 'execution') {
      const pruner = new MempoolPruner(this.mempool, app);
      this.onBlock(() => pruner.onBlock());
    }
    this.p2p = new P2pNetwork({
      chainId: home.genesis.chainId,
      nodeKey: home.nodeKey,
      isAllowedPeer: (pk) => validatorIndex(this.validators, pk) >= 0,
      host: cfg.p2p.host,
      port: cfg.p2p.port,
      persistentPeers: cfg.p2p.persistentPeers,
      ...(cfg.p2p.maxFrameBytes ? { maxFrameBytes: cfg.p2p.maxFrameBytes } : {}),
      ...(cfg.p2p.peerLimits ? { peerLimits: cfg.p2p.peerLimits } : {}),
      ...(cfg.p2p.peerBanMs ? { peerBanMs: cfg.p2p.peerBanMs } : {}),
      ...(cfg.p2p.keepaliveIntervalMs ? { keepaliveIntervalMs: cfg.p2p.keepaliveIntervalMs } : {}),
      ...(cfg.p2p.keepaliveTimeoutMs ? { keepaliveTimeoutMs: cfg.p2p.keepaliveTimeoutMs } : {}),
      backoffInitialMs: 100,
      backoffMaxMs: 2000,
      logger: log,
    });
    const p2p = this.p2p;
    const network: ConsensusNetwork = {
      broadcast: (m) => void p2p.broadcast(m),
      relay: (m, fromPeer) => void p2p.relay(m, fromPeer),
      send: (peer, m) => void p2p.send(peer, m),
      disconnect: (peer, reason) => p2p.disconnect(peer, reason),
      peerCount: () => p2p.peers().length,
    };
    this.consensus = new ConsensusDriver(
      {
        chainId: home.genesis.chainId,
        validators: this.validators,
        history,
        genesisTimeMs: genesisTimeMs(home.genesis),
        signer: this.myIndex >= 0 ? keySigner(home.nodeKey.secretKey) : null,
        timeouts: cfg.consensus,
        ...(cfg.blockTime
          ? { maxFutureBlockTimeMs: cfg.blockTime.maxFutureMs, maxPastBlockTimeMs: cfg.blockTime.maxPastMs }
          : {}),
        maxBlockTxBytes: cfg.maxBlockTxBytes,
        // The execution app picks the block from a window several blocks deep: transactions it cannot
        // include yet (behind a nonce gap a lost transaction left) must not fill the whole block's worth
        // of the FIFO head and starve the block (seen at saturation: blocks of 70 transfers with a
        // backlog of thousands). prepareProposal keeps the block within maxBlockTxBytes.
        proposalWindowBlocks: loaded.kind === 'execution' ? PROPOSAL_WINDOW_BLOCKS : 1,
      },
      {
        chain: {
          tip: () => this.tip,
          commitDecided: (block, cert) => this.commitBlock(block, cert, 'consensus'),
        },
        store,
        txs: this.mempool,
        app,
        network,
        clock: systemClock,
        log,
      },
    );
  }

  /** Opens the store and the application of a home; checks they agree on the last committed height. */
  static async create(home: Home, options: NodeOptions = {}): Promise<Node> {
    const log =
      options.logger ??
      pino(
        { level: home.config.log.level, base: { node: home.config.moniker } },
        home.config.log.file ? createWriteStream(home.config.log.file, { flags: 'a' }) : pino.destination(2),
      );
    const store = await NodeStore.open(home.dataDir);
    let loaded: LoadedApp | undefined;
    const metrics = new NodeMetrics();
    try {
      loaded = await loadNodeApp(home, store, {
        observeIntervalSteps: (step, seconds, failed) => metrics.observeIntervalStep(step, seconds, failed),
      });
      const app = loaded.app;
      const info = await app.info();
      const height = store.latestHeight();
      if (info.height !== height) {
        throw new GridledgerError(
          'E_NODE',
          `${home.dataDir}: application is at height ${info.height} but the chain at ${height}`,
        );
      }
      let tip: ChainTip = {
        height: 0n,
        header: null,
        hash: new Uint8Array(32),
        cert: null,
        appHash: info.appHash,
        timeMs: genesisTimeMs(home.genesis),
      };
      if (height > 0n) {
        const rec = await store.loadBlock(height);
        const certBytes = await store.loadCert(height);
        if (!rec || !certBytes)
          throw new GridledgerError(
            'E_NODE',
            `${home.dataDir}: block ${height} or its certificate is missing`,
          );
        const block = decodeBlock(rec.block);
        tip = {
          height,
          header: block.header,
          hash: rec.hash,
          cert: decodeCommit(certBytes),
          appHash: info.appHash,
          timeMs: block.header.timeMs,
        };
      }
      const record = await store.loadRecord(COMMITTED_EVIDENCE_RECORD);
      const history = new ValidatorHistory(
        genesisValidatorSet(home.genesis),
        record === undefined ? [] : decodeCommittedEvidence(record),
      );
      return new Node(home, log, store, loaded, tip, metrics, history);
    } catch (err) {
      await loaded?.close();
      await store.close();
      throw err;
    }
  }

  /** Starts p2p, RPC and consensus; resolves with the bound addresses. */
  async start(): Promise<NodeAddresses> {
    this.p2p.onMessage((msg, from) => this.onPeerMessage(msg, from));
    this.p2p.onPeer((peerId, event) => {
      if (event === 'connected') {
        this.p2p.send(peerId, this.statusMessage());
        this.consensus.onPeerConnected(peerId);
      } else this.syncPeers().onDisconnected(peerId);
    });
    let p2p: { host: string; port: number };
    try {
      p2p = await this.p2p.start();
      this.rpc = await startRpc(this);
      const m = this.home.config.metrics;
      if (m !== undefined) {
        this.metrics.attach({
          height: () => this.tip.height,
          mempoolLanes: () => this.mempool.laneSizes(),
          peers: () => this.p2p.peers().length,
          p2pBytes: () => this.p2p.stats,
          jailedValidators: () => this.history.jails().length,
        });
        this.metricsAddress = await this.metrics.serve(m);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    await this.consensus.start();
    this.syncTimer = setInterval(() => this.syncTick(), 100);
    this.statusTimer = setInterval(() => this.p2p.broadcast(this.statusMessage()), 1000);
    this.log.info(
      {
        height: this.tip.height,
        validatorIndex: this.myIndex,
        p2p,
        rpc: this.rpc.address,
        metrics: this.metricsAddress,
      },
      'node started',
    );
    return { p2p, rpc: this.rpc.address };
  }

  /** Stops consensus, RPC, p2p and closes the store (waits for an in-flight commit). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.syncTimer);
    clearInterval(this.statusTimer);
    this.consensus.stop();
    await this.rpc?.close();
    await this.metrics.close();
    await this.p2p.stop();
    await this.commitQueue.catch(() => {});
    await this.consensus.flush();
    await this.#closeApp();
    await this.store.close();
    this.log.info({ height: this.tip.height }, 'node stopped');
    this.log.flush?.();
  }

  /** True once {@link stop} was called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Calls `listener` after each committed block; returns an unsubscribe function. */
  onBlock(listener: (height: bigint) => void): () => void {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }

  /** True while some peer reports a height above ours + 1. */
  isCatchingUp(): boolean {
    return this.syncPeers().isCatchingUp(this.tip.height);
  }

  /**
   * Adds a transaction to the mempool and gossips it; the mempool's verdict is returned. A transaction
   * from a client goes to every peer; one from a peer is relayed further only while this node is not
   * connected to every other validator (in a full mesh the origin already reached everyone).
   */
  async submitTx(tx: Uint8Array, fromPeer?: string) {
    const r = await this.mempool.add(tx);
    if (r.ok && (fromPeer === undefined || this.p2p.peers().length < this.validators.validators.length - 1)) {
      this.#queueGossip(tx, fromPeer);
    }
    return r;
  }

  /**
   * Transactions admitted in one tick leave together: one `txs` message per origin (this node's clients,
   * or the peer a relayed one came from, which is left out), in chunks of at most GOSSIP_BATCH_BYTES.
   */
  #queueGossip(tx: Uint8Array, fromPeer: string | undefined): void {
    let list = this.#gossipQueue.get(fromPeer);
    if (list === undefined) this.#gossipQueue.set(fromPeer, (list = []));
    list.push(tx);
    if (this.#gossipScheduled) return;
    this.#gossipScheduled = true;
    setImmediate(() => {
      this.#gossipScheduled = false;
      const queue = this.#gossipQueue;
      this.#gossipQueue = new Map();
      if (this.stopped) return;
      for (const [origin, txs] of queue) {
        let chunk: Uint8Array[] = [];
        let bytes = 0;
        for (const t of txs) {
          if (
            chunk.length > 0 &&
            (bytes + t.length > GOSSIP_BATCH_BYTES || chunk.length >= MAX_TXS_PER_MESSAGE)
          ) {
            this.p2p.relay({ kind: 'txs', txs: chunk }, origin);
            chunk = [];
            bytes = 0;
          }
          chunk.push(t);
          bytes += t.length + 4;
        }
        if (chunk.length > 0) this.p2p.relay({ kind: 'txs', txs: chunk }, origin);
      }
    });
  }

  /**
   * The one path by which a block becomes committed, whether decided by this node's consensus or fetched
   * by block sync: execute it, save block + certificate + state writes in one batch, commit the app,
   * update the mempool, then tell consensus and peers. Serialised; a block for any height other than
   * tip + 1 is ignored (false).
   */
  commitBlock(block: Block, cert: CommitCertificate, source: 'consensus' | 'sync'): Promise<boolean> {
    const run = this.commitQueue.then(async () => {
      if (this.stopped) return false;
      const h = block.header.height;
      if (h !== this.tip.height + 1n) return false;
      const hash = hashBlock(block.header);
      const evidence = block.evidence ?? [];
      // The committed-evidence records after this block, saved in its batch (the set they give changes
      // from h + 2 on: JAIL_DELAY_HEIGHTS).
      let records: { name: string; value: Uint8Array }[] | undefined;
      if (evidence.length > 0) {
        const next = new ValidatorHistory(this.validators, this.history.committed());
        next.apply(h, evidence);
        records = [{ name: COMMITTED_EVIDENCE_RECORD, value: encodeCommittedEvidence(next.committed()) }];
      }
      const { appHash } = await this.app.finalizeBlock({
        height: h,
        timeMs: block.header.timeMs,
        proposer: block.header.proposer,
        txs: block.txs,
      });
      await this.store.saveBlock(
        {
          height: h,
          hash,
          block: encodeBlock(block),
          cert: encodeCommit(cert),
          ...(records ? { records } : {}),
        },
        this.app.pendingCommit(h),
      );
      await this.app.commit(h);
      if (evidence.length > 0) {
        const jailedBefore = new Set(this.history.jails().map((j) => j.validatorIndex));
        this.history.apply(h, evidence);
        for (const j of this.history.jails())
          if (!jailedBefore.has(j.validatorIndex))
            this.log.warn(
              {
                validatorIndex: j.validatorIndex,
                publicKey: toHex(j.publicKey),
                fromHeight: j.fromHeight,
                committedAt: j.committedAt,
                evidence: j.evidenceKey,
              },
              'validator jailed: equivocation evidence committed, its power is 0 from fromHeight on',
            );
        this.log.info({ height: h, evidence: evidence.map(evidenceKey) }, 'committed evidence');
      }
      this.tip = { height: h, header: block.header, hash, cert, appHash, timeMs: block.header.timeMs };
      if (source === 'sync') this.syncedBlocks++;
      this.metrics.observeCommit(cert.round, source);
      this.log.info(
        { height: h, hash: toHex(hash).slice(0, 18), txs: block.txs.length, round: cert.round, source },
        'committed block',
      );
      await this.mempool.update(h, block.txs);
      this.p2p.broadcast(this.statusMessage());
      this.consensus.onCommitted(h, source);
      for (const l of this.blockListeners) {
        try {
          l(h);
        } catch (err) {
          this.log.warn({ err }, 'block listener failed');
        }
      }
      return true;
    });
    this.commitQueue = run.catch((err) => {
      this.log.fatal({ err }, 'commit failed: stopping the node');
      void this.stop().finally(() => process.exit(70));
    });
    return run;
  }

  /**
   * Checks that `block` can follow the current tip (links, roots, last commit, app hash, evidence), with
   * the validator sets in force at its height and the one before.
   */
  checkNextBlock(block: Block): { ok: true } | { ok: false; reason: string } {
    const h = this.tip.height + 1n;
    return verifyBlock(block, {
      chainId: this.home.genesis.chainId,
      validators: this.history.validatorsAt(h),
      previousValidators: this.history.validatorsAt(h > 1n ? h - 1n : 1n),
      history: this.history,
      previous: this.tip.header,
      previousHash: this.tip.hash,
      appHash: this.tip.appHash,
    });
  }

  /** The `status` message announcing our last committed height and hash. */
  statusMessage(): PeerMessage {
    return {
      kind: 'status',
      height: this.tip.height,
      latestHash: this.tip.height === 0n ? new Uint8Array(0) : this.tip.hash,
    };
  }

  private onPeerMessage(msg: PeerMessage, from: string): void {
    switch (msg.kind) {
      case 'proposal':
      case 'vote':
        this.consensus.onPeerMessage(msg, from);
        return;
      case 'tx':
      case 'txs':
        for (const tx of msg.kind === 'tx' ? [msg.data] : msg.txs)
          void this.submitTx(tx, from).then((r) => {
            if (!r.ok && r.code === 'too_large')
              this.log.debug({ peer: from.slice(0, 18), reason: r.reason }, 'peer tx refused');
          });
        return;
      case 'status': {
        this.syncPeers().onStatus(from, msg.height);
        return;
      }
      case 'block-request':
        void this.serveBlocks(msg.fromHeight, msg.toHeight, from);
        return;
      case 'block-response':
        this.onBlockResponse(msg.height, msg.data, from);
        return;
    }
  }

  private async serveBlocks(fromHeight: bigint, toHeight: bigint, peer: string): Promise<void> {
    const last =
      toHeight < fromHeight + BigInt(SYNC_BATCH) - 1n ? toHeight : fromHeight + BigInt(SYNC_BATCH) - 1n;
    for (let h = fromHeight; h <= last && !this.stopped; h++) {
      const rec = await this.store.loadBlock(h).catch(() => undefined);
      const cert = await this.store.loadCert(h).catch(() => undefined);
      if (!rec || !cert) {
        this.p2p.send(peer, { kind: 'block-response', height: h, data: new Uint8Array(0) });
        return;
      }
      this.p2p.send(peer, { kind: 'block-response', height: h, data: encodeSyncBlock(rec.block, cert) });
    }
  }

  private onBlockResponse(height: bigint, data: Uint8Array, from: string): void {
    if (data.length === 0) {
      this.syncPeers().onEmptyResponse(from, height); // it cannot back the height it announced
      return;
    }
    if (height <= this.tip.height) return;
    if (height > this.tip.height + BigInt(SYNC_BATCH) * 2n) return; // not asked for
    let block: Block;
    let cert: CommitCertificate;
    try {
      const parts = decodeSyncBlock(data);
      block = decodeBlock(parts.block);
      cert = decodeCommit(parts.cert);
    } catch (err) {
      this.p2p.disconnect(from, `malformed block-response: ${(err as Error).message}`);
      return;
    }
    if (block.header.height !== height) {
      this.p2p.disconnect(from, `block-response for ${height} holds block ${block.header.height}`);
      return;
    }
    // The certificate is checked before anything else is trusted, with the set in force at its height;
    // that set is known up to tip + 2 (evidence in block H jails from H + 2), a later block's certificate
    // is checked when the block is next to apply. The block is checked against the tip when applied.
    const certChecked = height <= this.tip.height + 2n;
    if (certChecked && !this.checkSyncCert(block, cert, from)) return;
    this.pendingSync.set(height, { block, cert, from, certChecked });
    void this.applyPendingSync();
  }

  private checkSyncCert(block: Block, cert: CommitCertificate, from: string): boolean {
    const height = block.header.height;
    const c = verifyBlockCommit(block, cert, this.history.validatorsAt(height), this.home.genesis.chainId);
    if (c.ok) return true;
    this.log.warn({ peer: from.slice(0, 18), height, reason: c.reason }, 'block-sync: certificate rejected');
    this.p2p.disconnect(from, `block-response with a bad certificate: ${c.reason}`);
    return false;
  }

  private async applyPendingSync(): Promise<void> {
    for (;;) {
      const next = this.pendingSync.get(this.tip.height + 1n);
      for (const h of this.pendingSync.keys()) if (h <= this.tip.height) this.pendingSync.delete(h);
      if (!next) return;
      this.pendingSync.delete(next.block.header.height);
      if (!next.certChecked && !this.checkSyncCert(next.block, next.cert, next.from)) return;
      const check = this.checkNextBlock(next.block);
      if (!check.ok) {
        this.log.warn({ peer: next.from.slice(0, 18), reason: check.reason }, 'block-sync: block rejected');
        this.p2p.disconnect(next.from, `block-response does not follow our chain: ${check.reason}`);
        return;
      }
      const applied = await this.commitBlock(next.block, next.cert, 'sync');
      if (!applied) return;
    }
  }

  /** The block-sync peer choice (built on first use: it needs the configured commit timeout). */
  private syncPeers(): SyncPeers {
    this.sync ??= new SyncPeers({ batch: SYNC_BATCH, graceMs: this.home.config.consensus.commitMs + 1000 });
    return this.sync;
  }

  /** Asks a peer for blocks when it is ahead: at once if it is 2+ blocks ahead, after a grace period if 1. */
  private syncTick(): void {
    if (this.stopped) return;
    const r = this.syncPeers().next(this.tip.height, Date.now());
    if (!r) return;
    this.log.debug({ peer: r.peer.slice(0, 18), from: r.from, to: r.to }, 'block-sync: requesting blocks');
    this.p2p.send(r.peer, { kind: 'block-request', fromHeight: r.from, toHeight: r.to });
  }
}
