// The node database (LevelDB through classic-level, one folder in the node's home): blocks by height
// and hash, commit certificates, application state, evidence, and consensus sign-guard / WAL records.
// A block, its certificate, the application's state writes and the new latest height are written in
// ONE LevelDB batch, so a process killed at any moment reopens at its last committed height with the
// state of exactly that height. Blocks and certificates are opaque encoded bytes here: the consensus
// codecs own their format, the store owns only where they live.
import { mkdirSync } from 'node:fs';
import { type AppCommit, type AppInfo, type KVStore, MAX_STATE_KEY_BYTES } from '@gridledger/app-api';
import { equalBytes, GridledgerError, type GridledgerErrorOptions, InputError, utf8 } from '@gridledger/base';
import { ClassicLevel } from 'classic-level';
import { decodeHeight, encodeHeight, NS, nsKey, nsRange } from './keys.ts';

/** An I/O or integrity failure of the node database (code `E_STORE`). */
export class StoreError extends GridledgerError {
  constructor(message: string, options: GridledgerErrorOptions = {}) {
    super('E_STORE', message, options);
    this.name = 'StoreError';
  }
}

/** A block as stored: its height, its hash (as consensus computes it) and its encoded bytes. */
export interface BlockRecord {
  height: bigint;
  hash: Uint8Array;
  /** The encoded block (consensus codec). */
  block: Uint8Array;
}

/** What {@link NodeStore.saveBlock} commits: the block and the certificate that decided it. */
export interface SaveBlockInput extends BlockRecord {
  /** The encoded commit certificate (2f+1 precommits) for this height. */
  cert: Uint8Array;
  /**
   * Named consensus records written in the same batch (see saveRecord): state derived from the block
   * that must never disagree with the stored chain (the committed-evidence records of a block with
   * evidence).
   */
  records?: { name: string; value: Uint8Array }[];
}

/** Options of {@link NodeStore.open}. */
export interface NodeStoreOptions {
  /**
   * fsync every block batch and every consensus record before resolving (default true). Without it a
   * killed process still loses nothing (the OS holds the data) but a power cut may lose the last writes.
   */
  sync?: boolean;
}

const META_LATEST = nsKey(NS.meta, utf8('latest-height'));
const META_APP = nsKey(NS.meta, utf8('app-info'));

/**
 * The node's embedded database.
 * @example
 * const store = await NodeStore.open(join(home, 'data'));
 * await store.saveBlock({ height: 1n, hash, block, cert }, { writes: batch.writes(), appHash });
 * store.latestHeight(); // 1n
 * await store.close();
 */
export class NodeStore {
  readonly dir: string;
  readonly #db: ClassicLevel<Uint8Array, Uint8Array>;
  readonly #sync: boolean;
  #latest = 0n;
  #app: AppInfo | undefined;
  /** Serialises writes that check and advance the latest height. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** The application's committed state, read-only (writes go through {@link saveBlock}). */
  readonly state: KVStore;

  private constructor(dir: string, db: ClassicLevel<Uint8Array, Uint8Array>, sync: boolean) {
    this.dir = dir;
    this.#db = db;
    this.#sync = sync;
    this.state = {
      get: (key) => this.#get(nsKey(NS.state, key)),
      entries: (prefix) => this.#entries(NS.state, prefix),
    };
  }

  /** Opens (creating if needed) the database in folder `dir`; throws {@link StoreError} if it is locked or corrupt. */
  static async open(dir: string, options: NodeStoreOptions = {}): Promise<NodeStore> {
    if (typeof dir !== 'string' || dir.length === 0)
      throw new InputError('NodeStore.open: expected a folder path');
    mkdirSync(dir, { recursive: true });
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (err) {
      const locked = (err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED';
      throw new StoreError(
        locked
          ? `database ${dir} is in use by another process (is a node already running with this home?)`
          : `cannot open database ${dir}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const store = new NodeStore(dir, db, options.sync ?? true);
    const latest = await store.#get(META_LATEST);
    store.#latest = latest === undefined ? 0n : decodeHeight(latest);
    const app = await store.#get(META_APP);
    if (app !== undefined) {
      if (app.length < 8)
        throw new StoreError(`database ${dir}: corrupt app-info record (${app.length} bytes)`);
      store.#app = { height: decodeHeight(app.subarray(0, 8)), appHash: app.slice(8) };
    }
    return store;
  }

  /** Height of the last committed block (0n when none). */
  latestHeight(): bigint {
    return this.#latest;
  }

  /** The last committed application state (undefined before the first block with an {@link AppCommit}). */
  loadAppInfo(): AppInfo | undefined {
    return this.#app === undefined
      ? undefined
      : { height: this.#app.height, appHash: this.#app.appHash.slice() };
  }

  /**
   * Commits block `input.height` (which must be latest + 1), its certificate and, if given, the
   * application's state writes and root, in one atomic batch. Everything is validated before anything
   * is written: on a throw nothing has changed.
   */
  saveBlock(input: SaveBlockInput, app?: AppCommit): Promise<void> {
    return this.#serial(async () => {
      this.#checkOpen();
      const { height, hash, block, cert } = input;
      const expected = this.#latest + 1n;
      if (height !== expected) {
        throw new InputError(
          `saveBlock: expected height ${expected} (latest is ${this.#latest}), got ${String(height)}`,
        );
      }
      for (const [name, v] of [
        ['hash', hash],
        ['block', block],
        ['cert', cert],
      ] as const) {
        if (!(v instanceof Uint8Array))
          throw new InputError(`saveBlock(${height}): expected ${name} as a Uint8Array`);
      }
      if (hash.length === 0) throw new InputError(`saveBlock(${height}): empty block hash`);
      const h = encodeHeight(height);
      const ops: { type: 'put' | 'del'; key: Uint8Array; value?: Uint8Array }[] = [
        { type: 'put', key: nsKey(NS.block, h), value: encodeBlockRecord(hash, block) },
        { type: 'put', key: nsKey(NS.blockHash, hash), value: h },
        { type: 'put', key: nsKey(NS.cert, h), value: cert },
        { type: 'put', key: META_LATEST, value: h },
      ];
      for (const r of input.records ?? []) {
        if (typeof r?.name !== 'string' || r.name.length === 0 || !(r.value instanceof Uint8Array))
          throw new InputError(
            `saveBlock(${height}): a record must be { name: non-empty string, value: bytes }`,
          );
        ops.push({ type: 'put', key: nsKey(NS.record, utf8(r.name)), value: r.value });
      }
      let appInfo: AppInfo | undefined;
      if (app !== undefined) {
        if (!(app.appHash instanceof Uint8Array))
          throw new InputError(`saveBlock(${height}): expected appHash bytes`);
        app.writes.forEach((w, i) => {
          const ok =
            w !== null &&
            typeof w === 'object' &&
            w.key instanceof Uint8Array &&
            w.key.length > 0 &&
            w.key.length <= MAX_STATE_KEY_BYTES &&
            (w.value === null || w.value instanceof Uint8Array);
          if (!ok) {
            throw new InputError(
              `saveBlock(${height}): state write ${i} must be { key: 1..${MAX_STATE_KEY_BYTES} bytes, value: bytes | null }`,
            );
          }
          const key = nsKey(NS.state, w.key);
          ops.push(w.value === null ? { type: 'del', key } : { type: 'put', key, value: w.value });
        });
        appInfo = { height, appHash: app.appHash.slice() };
        ops.push({ type: 'put', key: META_APP, value: new Uint8Array([...h, ...app.appHash]) });
      }
      try {
        // biome-ignore lint/suspicious/noExplicitAny: classic-level's batch op union is not inferable from the array
        await this.#db.batch(ops as any, { sync: this.#sync });
      } catch (err) {
        throw new StoreError(`saveBlock(${height}): database write failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      this.#latest = height;
      if (appInfo !== undefined) this.#app = appInfo;
    });
  }

  /** The block at `height`, or undefined. */
  async loadBlock(height: bigint): Promise<BlockRecord | undefined> {
    this.#checkOpen();
    if (height < 1n || height > this.#latest) return undefined;
    const v = await this.#get(nsKey(NS.block, encodeHeight(height)));
    return v === undefined ? undefined : decodeBlockRecord(height, v, this.dir);
  }

  /** The block whose hash is `hash`, or undefined. */
  async loadBlockByHash(hash: Uint8Array): Promise<BlockRecord | undefined> {
    if (!(hash instanceof Uint8Array) || hash.length === 0) return undefined;
    const h = await this.#get(nsKey(NS.blockHash, hash));
    if (h === undefined) return undefined;
    const rec = await this.loadBlock(decodeHeight(h));
    return rec !== undefined && equalBytes(rec.hash, hash) ? rec : undefined;
  }

  /** The encoded commit certificate of `height`, or undefined. */
  async loadCert(height: bigint): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    if (height < 1n || height > this.#latest) return undefined;
    return this.#get(nsKey(NS.cert, encodeHeight(height)));
  }

  /** Keeps one piece of evidence (conflicting signed votes) under its id; idempotent. */
  async saveEvidence(id: Uint8Array, evidence: Uint8Array): Promise<void> {
    this.#checkOpen();
    if (id.length === 0) throw new InputError('saveEvidence: empty evidence id');
    await this.#db.put(nsKey(NS.evidence, id), evidence, { sync: this.#sync });
  }

  /** Every stored piece of evidence, ordered by id. */
  async listEvidence(): Promise<{ id: Uint8Array; evidence: Uint8Array }[]> {
    const out: { id: Uint8Array; evidence: Uint8Array }[] = [];
    for await (const [k, v] of this.#entries(NS.evidence)) out.push({ id: k, evidence: v });
    return out;
  }

  /**
   * Durably saves a named consensus record (for example the sign guard: the last height/round/step this
   * validator signed). Resolves only once the record is written (fsynced unless `sync: false`), so a
   * vote may be sent after it.
   */
  async saveRecord(name: string, value: Uint8Array): Promise<void> {
    this.#checkOpen();
    if (name.length === 0) throw new InputError('saveRecord: empty record name');
    await this.#db.put(nsKey(NS.record, utf8(name)), value, { sync: this.#sync });
  }

  /** The named consensus record, or undefined. */
  loadRecord(name: string): Promise<Uint8Array | undefined> {
    return this.#get(nsKey(NS.record, utf8(name)));
  }

  /** Appends one entry to the consensus write-ahead log of `height`, durably; returns its sequence number. */
  appendWal(height: bigint, entry: Uint8Array): Promise<number> {
    return this.#serial(async () => {
      this.#checkOpen();
      const h = encodeHeight(height);
      let seq = 0;
      for await (const [k] of this.#db.iterator({ ...nsRange(NS.wal, h), reverse: true, limit: 1 })) {
        seq = Number(decodeHeight(k.subarray(9, 17))) + 1;
      }
      await this.#db.put(nsKey(NS.wal, h, encodeHeight(BigInt(seq))), entry, { sync: this.#sync });
      return seq;
    });
  }

  /** The write-ahead-log entries of `height`, in append order. */
  async loadWal(height: bigint): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const [, v] of this.#entries(NS.wal, encodeHeight(height))) out.push(v);
    return out;
  }

  /** Deletes the write-ahead-log entries of every height below `height`. */
  async pruneWal(height: bigint): Promise<void> {
    this.#checkOpen();
    await this.#db.clear({ gte: nsKey(NS.wal), lt: nsKey(NS.wal, encodeHeight(height)) });
  }

  /** Closes the database (idempotent); later calls throw. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => {});
    await this.#db.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreError(`database ${this.dir} is closed`);
  }

  async #get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    const v = await this.#db.get(key);
    return v === undefined ? undefined : plain(v);
  }

  async *#entries(ns: number, prefix?: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    for await (const [k, v] of this.#db.iterator(nsRange(ns, prefix))) yield [plain(k.subarray(1)), plain(v)];
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}

function encodeBlockRecord(hash: Uint8Array, block: Uint8Array): Uint8Array {
  if (hash.length > 255) throw new InputError(`saveBlock: block hash longer than 255 bytes (${hash.length})`);
  const out = new Uint8Array(1 + hash.length + block.length);
  out[0] = hash.length;
  out.set(hash, 1);
  out.set(block, 1 + hash.length);
  return out;
}

function decodeBlockRecord(height: bigint, v: Uint8Array, dir: string): BlockRecord {
  const n = v[0];
  if (n === undefined || v.length < 1 + n)
    throw new StoreError(`database ${dir}: corrupt block record at height ${height}`);
  return { height, hash: v.slice(1, 1 + n), block: v.slice(1 + n) };
}

/** classic-level hands out Buffers; callers get plain Uint8Array views (same bytes, no copy). */
function plain(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype
    ? b
    : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
