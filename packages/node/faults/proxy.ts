// A TCP proxy between validators, for partition tests: one listener per ordered pair (i dials j through
// the port of proxy i→j), and one mode per unordered link {i, j} governing both directions of both
// proxies of the pair (a connection between i and j may be dialed by either side). Modes:
//   pass     forward every chunk as it comes;
//   drop     close every connection on the link and close new ones at once (a partition);
//   delay    forward each chunk `ms` later, order kept;
//   reorder  hold chunks and forward each batch of `window` shuffled (seeded). Frames are sealed with a
//            per-direction counter nonce, so a reordered stream fails to authenticate: the receiver closes
//            the connection and the dialer reconnects (what a corrupting middlebox does to the channel);
//   blackhole forward nothing, close nothing: every connection on the link goes silent, and so does each
//            new one (accepted, never connected through). A silent connection stays silent for good,
//            even once the link is healed (a NAT or firewall that lost the connection's state): only a
//            new connection passes again. Without a keepalive both ends believe they are connected.
// Node's `net` only; listens on 127.0.0.1.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { freePortRange, type TestNet } from '../test/harness.ts';

/** What a link does to the bytes crossing it. */
export type LinkMode =
  | { kind: 'pass' }
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number }
  | { kind: 'reorder'; window: number }
  | { kind: 'blackhole' };

/** Counters of what the proxies did. */
export interface ProxyStats {
  connections: number;
  /** Connections closed because their link was dropped, or refused while it was. */
  dropped: number;
  chunksForwarded: number;
  chunksDelayed: number;
  batchesReordered: number;
  /** Connections made silent by a blackhole link (open ones at the time, and new ones while it lasted). */
  blackholed: number;
  /** Chunks swallowed by silent connections. */
  chunksSwallowed: number;
}

interface Pipe {
  link: string;
  a: Socket;
  /** The connection to the target; none for a connection accepted while its link was a blackhole. */
  b: Socket | undefined;
  /** Forwards nothing, for good (blackhole). */
  silent: boolean;
  /** Per direction: chunks waiting for their release time (delay) or their batch (reorder). */
  queues: [Direction, Direction];
}

interface Direction {
  dst: Socket;
  pending: { at: number; chunk: Buffer }[];
  timer: NodeJS.Timeout | undefined;
}

const linkKey = (i: number, j: number) => (i < j ? `${i}-${j}` : `${j}-${i}`);

/**
 * Proxies between every pair of a TestNet's validators.
 * @example
 * const mesh = await ProxyMesh.install(net, seededRandom(seed)); // before net.start
 * mesh.partition([0, 1], [2, 3]); ... mesh.heal();
 */
export class ProxyMesh {
  readonly stats: ProxyStats = {
    connections: 0,
    dropped: 0,
    chunksForwarded: 0,
    chunksDelayed: 0,
    batchesReordered: 0,
    blackholed: 0,
    chunksSwallowed: 0,
  };
  private readonly servers: Server[] = [];
  private readonly pipes = new Set<Pipe>();
  private readonly modes = new Map<string, LinkMode>();
  private readonly random: () => number;

  private constructor(random: () => number) {
    this.random = random;
  }

  /**
   * Starts a proxy for each ordered pair (i, j) and rewrites node i's config so that it dials j through
   * it (only the port of each persistent peer changes; anything before the host, such as a key, stays).
   */
  static async install(net: TestNet, random: () => number): Promise<ProxyMesh> {
    const mesh = new ProxyMesh(random);
    const n = net.n;
    const base = await freePortRange(n * n);
    for (let i = 0; i < n; i++) {
      const path = join(net.home(i), 'config.json');
      const config = JSON.parse(readFileSync(path, 'utf8'));
      const peers: string[] = config.p2p.persistentPeers;
      config.p2p.persistentPeers = peers.map((p) => {
        const m = /^(.*:)(\d+)$/.exec(p);
        if (!m) throw new Error(`node${i}: persistent peer "${p}" does not end in :port`);
        const j = [...Array(n).keys()].find((x) => net.p2pPort(x) === Number(m[2]));
        if (j === undefined) throw new Error(`node${i}: persistent peer "${p}" is no node of the net`);
        return `${m[1]}${base + i * n + j}`;
      });
      writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        await mesh.listen(base + i * n + j, net.p2pPort(j), linkKey(i, j));
      }
    }
    return mesh;
  }

  /** Sets the mode of the link between i and j (both directions). */
  set(i: number, j: number, mode: LinkMode): void {
    const key = linkKey(i, j);
    this.modes.set(key, mode);
    for (const p of this.pipes) {
      if (p.link !== key) continue;
      if (mode.kind === 'drop') this.destroy(p, true);
      else if (mode.kind === 'blackhole') this.silence(p);
      else if (!p.silent) for (const d of p.queues) this.flush(d, false);
    }
  }

  /** Every link crossing between the two sides gets `mode` (drop by default): a partition. */
  partition(sideA: number[], sideB: number[], mode: LinkMode = { kind: 'drop' }): void {
    for (const i of sideA) for (const j of sideB) this.set(i, j, mode);
  }

  /** Every link of `nodes` (all pairs among them) gets `mode`. */
  setAll(nodes: number[], mode: LinkMode): void {
    for (const i of nodes) for (const j of nodes) if (i < j) this.set(i, j, mode);
  }

  /** Every link back to pass (connections a blackhole silenced stay silent; new ones pass). */
  heal(): void {
    for (const key of [...this.modes.keys()]) {
      const [i, j] = key.split('-').map(Number) as [number, number];
      this.set(i, j, { kind: 'pass' });
    }
  }

  /** Closes every proxy and connection. */
  async close(): Promise<void> {
    for (const p of this.pipes) this.destroy(p, false);
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  private mode(link: string): LinkMode {
    return this.modes.get(link) ?? { kind: 'pass' };
  }

  private async listen(port: number, targetPort: number, link: string): Promise<void> {
    const server = createServer((inbound) => this.accept(inbound, targetPort, link));
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  }

  private accept(a: Socket, targetPort: number, link: string): void {
    this.stats.connections++;
    if (this.mode(link).kind === 'drop') {
      this.stats.dropped++;
      a.destroy();
      return;
    }
    const dir = (dst: Socket): Direction => ({ dst, pending: [], timer: undefined });
    a.on('error', () => {});
    a.setNoDelay(true);
    if (this.mode(link).kind === 'blackhole') {
      // Accepted, never connected through: the dialer waits for a hello that does not come.
      const p: Pipe = { link, a, b: undefined, silent: true, queues: [dir(a), dir(a)] };
      this.pipes.add(p);
      this.stats.blackholed++;
      a.on('data', (c: Buffer) => this.forward(p, p.queues[0], c));
      return;
    }
    const b = tcpConnect({ host: '127.0.0.1', port: targetPort });
    const p: Pipe = { link, a, b, silent: false, queues: [dir(b), dir(a)] };
    this.pipes.add(p);
    b.setNoDelay(true);
    a.on('data', (c: Buffer) => this.forward(p, p.queues[0], c));
    b.on('data', (c: Buffer) => this.forward(p, p.queues[1], c));
    b.on('error', () => {});
    // A silenced pipe passes no close either: each end finds out for itself.
    for (const s of [a, b]) s.on('close', () => p.silent || this.destroy(p, false));
  }

  /** The pipe forwards nothing from now on, and drops what it held; its sockets stay open. */
  private silence(p: Pipe): void {
    if (p.silent) return;
    p.silent = true;
    this.stats.blackholed++;
    for (const d of p.queues) {
      clearTimeout(d.timer);
      d.timer = undefined;
      d.pending.length = 0;
    }
  }

  private forward(p: Pipe, d: Direction, chunk: Buffer): void {
    if (p.silent) {
      this.stats.chunksSwallowed++;
      return;
    }
    const mode = this.mode(p.link);
    const now = Date.now();
    switch (mode.kind) {
      case 'drop':
      case 'blackhole':
        return;
      case 'pass':
        if (d.pending.length === 0) {
          this.stats.chunksForwarded++;
          d.dst.write(chunk);
        } else d.pending.push({ at: now, chunk });
        return;
      case 'delay':
        this.stats.chunksDelayed++;
        d.pending.push({ at: now + mode.ms, chunk });
        this.schedule(d, mode.ms);
        return;
      case 'reorder':
        d.pending.push({ at: now, chunk });
        if (d.pending.length >= mode.window) this.flush(d, true);
        else this.schedule(d, 50);
        return;
    }
  }

  private schedule(d: Direction, ms: number): void {
    if (d.timer !== undefined) return;
    d.timer = setTimeout(() => {
      d.timer = undefined;
      this.flush(d, false);
    }, ms);
  }

  /** Writes what is due (all of it when `all`); a reorder link shuffles what it writes. */
  private flush(d: Direction, all: boolean): void {
    const now = Date.now();
    let due = 0;
    while (due < d.pending.length && (all || d.pending[due]!.at <= now)) due++;
    const out = d.pending.splice(0, due);
    if (out.length > 1 && this.modeOf(d).kind === 'reorder') {
      for (let i = out.length - 1; i > 0; i--) {
        const k = Math.floor(this.random() * (i + 1));
        [out[i], out[k]] = [out[k]!, out[i]!];
      }
      this.stats.batchesReordered++;
    }
    for (const x of out) {
      this.stats.chunksForwarded++;
      if (!d.dst.destroyed) d.dst.write(x.chunk);
    }
    if (d.pending.length > 0) this.schedule(d, Math.max(1, d.pending[0]!.at - now));
  }

  private modeOf(d: Direction): LinkMode {
    for (const p of this.pipes) if (p.queues.includes(d)) return this.mode(p.link);
    return { kind: 'pass' };
  }

  private destroy(p: Pipe, dropped: boolean): void {
    if (!this.pipes.delete(p)) return;
    if (dropped) this.stats.dropped++;
    for (const d of p.queues) clearTimeout(d.timer);
    p.a.destroy();
    p.b?.destroy();
  }
}
