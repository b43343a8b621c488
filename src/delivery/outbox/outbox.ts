import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { messageOf } from "../../core";
import { SinkUnavailableError } from "../sinks/errors";
import { killPoint } from "./kill-point";

/** What a sink hands the outbox: `id` is unique per outbox (the `webhook-id`), `payload` is the sink's own JSON. */
export interface OutboxRecord {
  readonly id: string;
  readonly payload: string;
}

/** One undelivered entry, as stored. */
export interface OutboxEntry {
  readonly seq: number;
  readonly id: string;
  /** when the outbox accepted it (ms since the epoch) */
  readonly createdAt: number;
  readonly payload: string;
  attempts: number;
  /** not before this time (ms since the epoch): the backoff survives a restart */
  nextAt: number;
  lastError: string;
}

export interface OutboxOptions {
  /** the SQLite file; its folder is created on demand */
  readonly path: string;
  /** names the owner in error messages (the sink name) */
  readonly owner: string;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  readonly now?: () => number;
}

export interface OutboxStats {
  /** entries not yet delivered nor dead-lettered */
  readonly depth: number;
  /** their payload bytes */
  readonly bytes: number;
  readonly maxBytes: number;
  /** age of the oldest undelivered entry (ms), 0 when empty */
  readonly oldestAgeMs: number;
  /** transactions committed since open (one per event-loop turn with writes: the group commit) */
  readonly commits: number;
}

/** How long progress marks wait for an add's commit to ride along with before they commit on their own. */
const PROGRESS_DELAY_MS = 20;

/** How many delivered ids are remembered, so a redelivered event is not queued for the subscriber again. */
const REMEMBERED_DELIVERIES = 100_000;

interface Waiter {
  readonly records: readonly OutboxRecord[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/**
 * A durable FIFO of deliveries in one SQLite file (WAL, `synchronous=FULL`: a commit is fsync'd before it returns,
 * and SQLite's journal makes a torn write roll back to the last commit instead of corrupting the file).
 *
 * `add()` resolves once its records are on disk. Every `add()` of one event-loop turn goes into one transaction run
 * by a `setImmediate` (a group commit: one fsync per turn, not per request). Progress marks (`done()`,
 * `retryLater()`, `remove()`) ride along with the next such commit, or commit on their own within
 * `PROGRESS_DELAY_MS` at `synchronous=NORMAL` (written to the WAL without an fsync of their own: a power loss may
 * lose them, a process crash does not). A lost progress mark only means that entry is delivered again, with the
 * same id; an accepted event is never lost. The file is opened with an exclusive lock: a second process on the same data directory fails
 * at start instead of delivering everything twice. `better-sqlite3` is loaded here, only when an outbox opens.
 */
export class Outbox {
  private readonly db: Database;
  private readonly insert: Statement;
  private readonly forget: Statement;
  private readonly remember: Statement;
  private readonly progress: Statement;
  private readonly page: Statement;
  private readonly oldest: Statement;
  private readonly prune: Statement;
  private readonly now: () => number;
  private waiters: Waiter[] = [];
  private doneMarks: OutboxEntry[] = [];
  private removeMarks: OutboxEntry[] = [];
  private retryMarks = new Map<number, OutboxEntry>();
  private scheduled: NodeJS.Immediate | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  /** the connection's `synchronous` level now: FULL for transactions with adds, NORMAL for progress alone */
  private syncFull = true;
  private depthCount: number;
  private committedBytes: number;
  private pendingBytes = 0;
  /** entries marked done or removed, not committed yet: no longer counted as held */
  private markedEntries = 0;
  private markedBytes = 0;
  private cursor = 0;
  private closed = false;
  private donesSincePrune = 0;
  private commits = 0;
  /** the size of the last refused `add()` (0 once one is taken): readiness stays false until it would fit */
  private lastRefusedBytes = 0;

  private constructor(private readonly options: OutboxOptions) {
    this.now = options.now ?? Date.now;
    let db: Database;
    try {
      mkdirSync(dirname(options.path), { recursive: true });
      // required here, not imported: `require("convotic")` must not load the native module
      const Sqlite = require("better-sqlite3") as typeof BetterSqlite3;
      db = new Sqlite(options.path, { timeout: 0 });
    } catch (error) {
      throw new SinkUnavailableError(options.owner, `cannot open its outbox ${options.path}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    try {
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.exec(`
        CREATE TABLE IF NOT EXISTS entries (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          created_at INTEGER NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          next_at INTEGER NOT NULL DEFAULT 0,
          last_error TEXT NOT NULL DEFAULT '',
          payload TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS delivered (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
      `);
      // the exclusive lock is taken by the first write: take it now, so a second process fails here
      db.exec("BEGIN IMMEDIATE; COMMIT;");
    } catch (error) {
      db.close();
      const busy = /locked|busy/i.test(messageOf(error));
      throw new SinkUnavailableError(
        options.owner,
        busy
          ? `its outbox ${options.path} is in use by another process (one serve per data_dir)`
          : `cannot open its outbox ${options.path}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    this.db = db;
    this.insert = db.prepare(
      "INSERT OR IGNORE INTO entries (id, created_at, payload) SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM delivered WHERE id = ?)",
    );
    this.forget = db.prepare("DELETE FROM entries WHERE seq = ?");
    this.remember = db.prepare("INSERT OR REPLACE INTO delivered (id, at) VALUES (?, ?)");
    this.progress = db.prepare("UPDATE entries SET attempts = ?, next_at = ?, last_error = ? WHERE seq = ?");
    this.page = db.prepare(
      "SELECT seq, id, created_at AS createdAt, attempts, next_at AS nextAt, last_error AS lastError, payload FROM entries WHERE seq > ? ORDER BY seq LIMIT ?",
    );
    this.oldest = db.prepare("SELECT created_at AS createdAt FROM entries ORDER BY seq LIMIT 1");
    this.prune = db.prepare("DELETE FROM delivered WHERE rowid <= (SELECT MAX(rowid) FROM delivered) - ?");
    const totals = db
      .prepare("SELECT COUNT(*) AS depth, COALESCE(SUM(LENGTH(CAST(payload AS BLOB))), 0) AS bytes FROM entries")
      .get() as { depth: number; bytes: number };
    this.depthCount = totals.depth;
    this.committedBytes = totals.bytes;
  }

  /** Opens (or creates) the outbox file; throws `SinkUnavailableError` when it cannot, or when another process holds it. */
  static open(options: OutboxOptions): Outbox {
    return new Outbox(options);
  }

  get path(): string {
    return this.options.path;
  }

  /** True while the outbox holds `maxBytes`, or too much to take the last write it refused: it refuses writes. */
  get full(): boolean {
    const held = this.held();
    return held >= this.options.maxBytes || held + this.lastRefusedBytes > this.options.maxBytes;
  }

  stats(): OutboxStats {
    const oldest = this.closed ? undefined : (this.oldest.get() as { createdAt: number } | undefined);
    return {
      depth: this.depthCount - this.markedEntries,
      bytes: this.committedBytes - this.markedBytes,
      maxBytes: this.options.maxBytes,
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, this.now() - oldest.createdAt),
      commits: this.commits,
    };
  }

  /**
   * Records `records` durably; resolves once they are committed (fsync'd). Rejects at once with a
   * `SinkUnavailableError` (503) when the outbox would pass `maxBytes`: never a silent drop. An id already queued
   * or delivered recently is not queued again (a platform redelivering what we accepted before a crash).
   */
  add(records: readonly OutboxRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new SinkUnavailableError(this.options.owner, "closed"));
    if (records.length === 0) return Promise.resolve();
    let bytes = 0;
    for (const record of records) bytes += Buffer.byteLength(record.payload);
    const held = this.held();
    if (held + bytes > this.options.maxBytes) {
      this.lastRefusedBytes = bytes;
      return Promise.reject(
        new SinkUnavailableError(
          this.options.owner,
          `outbox full (${held} of ${this.options.maxBytes} bytes held by ${this.depthCount - this.markedEntries} undelivered entries)`,
        ),
      );
    }
    killPoint("before-outbox-write");
    this.lastRefusedBytes = 0;
    this.pendingBytes += bytes;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ records, bytes, resolve, reject });
      this.schedule();
    });
  }

  /**
   * The next undelivered entries after those already handed out, oldest first (by acceptance order), at most
   * `limit`. Entries come back once per process: the caller keeps them until it marks each done or removed.
   */
  next(limit: number): OutboxEntry[] {
    if (this.closed) return [];
    const rows = this.page.all(this.cursor, limit) as OutboxEntry[];
    const last = rows[rows.length - 1];
    if (last !== undefined) this.cursor = last.seq;
    return rows;
  }

  /** Delivered: deleted at the next commit, its id remembered so a redelivery of the event is not queued again. */
  done(entry: OutboxEntry): void {
    this.doneMarks.push(entry);
    this.mark(entry);
    this.scheduleProgress();
  }

  /** Dead-lettered (the caller wrote it elsewhere first): deleted at the next commit. */
  remove(entry: OutboxEntry): void {
    this.removeMarks.push(entry);
    this.mark(entry);
    this.scheduleProgress();
  }

  /** Its attempts, next attempt time and last error, recorded at the next commit. */
  retryLater(entry: OutboxEntry): void {
    this.retryMarks.set(entry.seq, entry);
    this.scheduleProgress();
  }

  /** Commits what is pending and closes the file. */
  close(): void {
    if (this.closed) return;
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    if (this.progressTimer !== undefined) clearTimeout(this.progressTimer);
    this.flush();
    this.closed = true;
    this.db.close();
  }

  private held(): number {
    return this.committedBytes + this.pendingBytes - this.markedBytes;
  }

  private mark(entry: OutboxEntry): void {
    this.markedEntries += 1;
    this.markedBytes += Buffer.byteLength(entry.payload);
  }

  private schedule(): void {
    if (this.closed) return;
    this.scheduled ??= setImmediate(() => this.flush());
  }

  private scheduleProgress(): void {
    if (this.closed || this.scheduled !== undefined) return;
    this.progressTimer ??= setTimeout(() => this.flush(), PROGRESS_DELAY_MS);
  }

  /** FULL fsyncs the WAL at each commit; NORMAL leaves it to the next FULL commit or checkpoint. */
  private synchronous(full: boolean): void {
    if (this.syncFull === full) return;
    this.db.pragma(full ? "synchronous = FULL" : "synchronous = NORMAL");
    this.syncFull = full;
  }

  private flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    if (this.progressTimer !== undefined) clearTimeout(this.progressTimer);
    this.scheduled = undefined;
    this.progressTimer = undefined;
    const waiters = this.waiters;
    const dones = this.doneMarks;
    const removes = this.removeMarks;
    const retries = this.retryMarks;
    if (waiters.length + dones.length + removes.length + retries.size === 0) return;
    this.waiters = [];
    this.doneMarks = [];
    this.removeMarks = [];
    this.retryMarks = new Map();
    const now = this.now();
    let added = 0;
    let addedBytes = 0;
    let freedBytes = 0;
    try {
      this.synchronous(waiters.length > 0);
      this.db.transaction(() => {
        for (const waiter of waiters) {
          for (const record of waiter.records) {
            if (this.insert.run(record.id, now, record.payload, record.id).changes > 0) {
              added += 1;
              addedBytes += Buffer.byteLength(record.payload);
            }
          }
        }
        for (const entry of retries.values())
          this.progress.run(entry.attempts, entry.nextAt, entry.lastError, entry.seq);
        for (const entry of dones) {
          this.forget.run(entry.seq);
          this.remember.run(entry.id, now);
          freedBytes += Buffer.byteLength(entry.payload);
        }
        for (const entry of removes) {
          this.forget.run(entry.seq);
          freedBytes += Buffer.byteLength(entry.payload);
        }
        this.donesSincePrune += dones.length;
        if (this.donesSincePrune >= 1000) {
          this.donesSincePrune = 0;
          this.prune.run(REMEMBERED_DELIVERIES);
        }
      })();
    } catch (error) {
      for (const waiter of waiters) this.pendingBytes -= waiter.bytes;
      const failure = new SinkUnavailableError(
        this.options.owner,
        `cannot write its outbox ${this.options.path}: ${messageOf(error)}`,
        { cause: error },
      );
      for (const waiter of waiters) waiter.reject(failure);
      // progress marks are retried with the next commit; losing them only means a delivery is repeated
      this.doneMarks.push(...dones);
      this.removeMarks.push(...removes);
      for (const [seq, entry] of retries) if (!this.retryMarks.has(seq)) this.retryMarks.set(seq, entry);
      return;
    }
    this.commits += 1;
    for (const waiter of waiters) this.pendingBytes -= waiter.bytes;
    this.committedBytes += addedBytes - freedBytes;
    this.depthCount += added - dones.length - removes.length;
    this.markedBytes -= freedBytes;
    this.markedEntries -= dones.length + removes.length;
    if (waiters.length > 0) killPoint("after-outbox-write");
    for (const waiter of waiters) waiter.resolve();
  }
}
