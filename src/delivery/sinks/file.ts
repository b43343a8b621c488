import { open, type FileHandle } from "node:fs/promises";
import { z } from "zod";
import { ConfigError, messageOf } from "../../core";
import { deliveryId } from "../../formats/delivery-id";
import { killPoint } from "../outbox/kill-point";
import type { Sink, SinkBatch } from "../sink";
import { SinkUnavailableError } from "./errors";
import type { SinkDefinition } from "./contract";
import { BatchRenderer, SinkFilter, SinkFormat, type SkipCounts } from "./render";

export const FileSinkConfig = z.strictObject({
  kind: z.literal("file"),
  name: z.string().min(1).optional(),
  path: z.string().min(1),
  filter: SinkFilter.optional(),
  format: SinkFormat.default("envelope"),
  /**
   * How often written lines are fsync'd: at most once per this many milliseconds, and on close. 0 fsyncs before
   * every `write()` resolves.
   */
  fsync_interval_ms: z.number().int().nonnegative().default(1000),
});
export type FileSinkConfig = z.input<typeof FileSinkConfig>;

/** How many written event ids the sink remembers (read back from the file's tail at open). */
export const REMEMBERED_LINES = 10_000;
/** How much of the file's end is read at open to find them. */
const TAIL_BYTES = 8 * 1024 * 1024;

interface Line {
  readonly key: string;
  readonly text: string;
}

/**
 * Appends one JSON line per event to a file. `write()` resolves once the lines are written to the file (the OS page
 * cache): they survive a crash of this process. They reach the disk at the next fsync, at most
 * `fsync_interval_ms` later (default 1 s) and always on `close()`, so a power loss or kernel crash can lose up
 * to that window; set it to 0 to fsync before every `write()` resolves (slower: one disk flush per request).
 * Batches are appended in the order `write()` was called, each as a single write.
 *
 * An event already among the last `REMEMBERED_LINES` lines of the file is not written again: a crash (SIGKILL)
 * between the append and the idempotency commit makes the platform redeliver an event that is already in the
 * file, and the sink recognises it by its id (`id` of an envelope or CloudEvent, `delivery_id` of a thread-style
 * line), read back from the file's tail when the file is opened. A line torn by a crash mid-append is left as it
 * is and the next line starts on a fresh line.
 */
export class FileSink implements Sink {
  readonly name: string;
  readonly skipped: SkipCounts & { repeated: number } = { filtered: 0, unprojected: 0, repeated: 0 };
  private readonly config: z.output<typeof FileSinkConfig>;
  private readonly renderer: BatchRenderer;
  private handle: Promise<FileHandle> | undefined;
  private tail: Promise<void> = Promise.resolve();
  private dirty = false;
  private lastSync = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** ids of the last lines written, oldest first in `order` */
  private readonly written = new Set<string>();
  private readonly order: string[] = [];
  /** the file ends mid-line (a torn append): the next write starts with a newline */
  private torn = false;

  constructor(input: FileSinkConfig) {
    const parsed = FileSinkConfig.safeParse(input);
    if (!parsed.success) throw new ConfigError(`file sink: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
    this.name = parsed.data.name ?? fileSink.defaultName(parsed.data);
    this.renderer = new BatchRenderer(parsed.data.filter, parsed.data.format, this.name, this.skipped);
  }

  /** Ready when the file can be opened for appending (its directory exists and is writable). */
  async ready(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.file();
      return true;
    } catch {
      return false;
    }
  }

  write(batch: SinkBatch, signal: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new SinkUnavailableError(this.name, "closed"));
    const lines: Line[] = [];
    this.renderer.each(batch.events, (rendered, event) =>
      lines.push({
        key: this.config.format === "thread" ? deliveryId(event.id, this.name) : event.id,
        text: rendered.body + "\n",
      }),
    );
    if (lines.length === 0) return Promise.resolve();
    const done = this.tail.then(async () => {
      signal.throwIfAborted();
      const handle = await this.file();
      const fresh = lines.filter((line) => !this.written.has(line.key));
      this.skipped.repeated += lines.length - fresh.length;
      if (fresh.length === 0) return;
      const text = (this.torn ? "\n" : "") + fresh.map((line) => line.text).join("");
      await handle.appendFile(text);
      this.torn = false;
      for (const line of fresh) this.remember(line.key);
      this.dirty = true;
      await this.syncOnSchedule(handle);
      killPoint("after-file-write");
    });
    this.tail = done.catch(() => undefined);
    return done.catch((error: unknown) => {
      throw new SinkUnavailableError(this.name, `cannot append to ${this.config.path}: ${messageOf(error)}`, {
        cause: error,
      });
    });
  }

  async close(signal: AbortSignal): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await Promise.race([
      this.tail,
      new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true })),
    ]);
    if (this.handle === undefined) return;
    const handle = await this.handle;
    if (this.dirty) await handle.sync();
    await handle.close();
  }

  private file(): Promise<FileHandle> {
    // a failed open is not cached: the next batch tries again (the directory may exist by then)
    this.handle ??= this.openAndReadTail().catch((error: unknown) => {
      this.handle = undefined;
      throw error;
    });
    return this.handle;
  }

  /** Opens for appending and remembers the ids of the lines already at the file's end. */
  private async openAndReadTail(): Promise<FileHandle> {
    const handle = await open(this.config.path, "a+");
    try {
      const { size } = await handle.stat();
      if (size === 0) return handle;
      const start = Math.max(0, size - TAIL_BYTES);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const text = buffer.toString("utf8");
      this.torn = !text.endsWith("\n");
      const lines = text.split("\n");
      // the first piece may be a line cut by the window, the last one a torn append
      if (start > 0) lines.shift();
      if (this.torn) lines.pop();
      for (const line of lines.slice(-REMEMBERED_LINES)) {
        const key = this.keyOf(line);
        if (key !== undefined) this.remember(key);
      }
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  private keyOf(line: string): string | undefined {
    if (line === "") return undefined;
    try {
      const json = JSON.parse(line) as { id?: unknown; delivery_id?: unknown };
      const key = this.config.format === "thread" ? json.delivery_id : json.id;
      return typeof key === "string" ? key : undefined;
    } catch {
      return undefined;
    }
  }

  private remember(key: string): void {
    if (this.written.has(key)) return;
    this.written.add(key);
    this.order.push(key);
    if (this.order.length > REMEMBERED_LINES) this.written.delete(this.order.shift()!);
  }

  private async syncOnSchedule(handle: FileHandle): Promise<void> {
    const interval = this.config.fsync_interval_ms;
    const due = this.lastSync + interval - Date.now();
    if (interval === 0 || due <= 0) {
      await this.sync(handle);
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.tail = this.tail.then(() => this.sync(handle)).catch(() => undefined);
    }, due);
    this.timer.unref();
  }

  private async sync(handle: FileHandle): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    this.lastSync = Date.now();
    await handle.sync();
  }
}

/** `{ kind: "file", path }`: JSON lines appended to a file. */
export const fileSink: SinkDefinition<typeof FileSinkConfig> = {
  config: FileSinkConfig,
  defaultName: (config) => `file:${config.path}`,
  create: (config) => new FileSink(config),
};
