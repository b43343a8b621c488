import { open, type FileHandle } from "node:fs/promises";
import { z } from "zod";
import { ConfigError, messageOf } from "../../core";
import type { Sink, SinkBatch } from "../sink";
import { SinkUnavailableError } from "./errors";
import { filterOf, render, SinkFilter, SinkFormat, type SkipCounts } from "./render";

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

/**
 * Appends one JSON line per event to a file. `write()` resolves once the lines are written to the file (the OS page
 * cache): they survive a crash of this process. They reach the disk at the next fsync, at most
 * `fsync_interval_ms` later (default 1 s) and always on `close()`, so a power loss or kernel crash can lose up
 * to that window; set it to 0 to fsync before every `write()` resolves (slower: one disk flush per request).
 * Batches are appended in the order `write()` was called, each as a single write.
 */
export class FileSink implements Sink {
  readonly name: string;
  readonly skipped: SkipCounts = { filtered: 0, unprojected: 0 };
  private readonly config: z.output<typeof FileSinkConfig>;
  private readonly matches: ReturnType<typeof filterOf>;
  private handle: Promise<FileHandle> | undefined;
  private tail: Promise<void> = Promise.resolve();
  private dirty = false;
  private lastSync = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(input: FileSinkConfig) {
    const parsed = FileSinkConfig.safeParse(input);
    if (!parsed.success) throw new ConfigError(`file sink: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
    this.name = parsed.data.name ?? `file:${parsed.data.path}`;
    this.matches = filterOf(parsed.data.filter);
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
    let text = "";
    for (const event of batch.events) {
      if (!this.matches(event.type)) {
        this.skipped.filtered += 1;
        continue;
      }
      const rendered = render(event, this.config.format, this.name);
      if (rendered === undefined) this.skipped.unprojected += 1;
      else text += rendered.body + "\n";
    }
    if (text === "") return Promise.resolve();
    const done = this.tail.then(async () => {
      signal.throwIfAborted();
      const handle = await this.file();
      await handle.appendFile(text);
      this.dirty = true;
      await this.syncOnSchedule(handle);
    });
    this.tail = done.catch(() => undefined);
    return done.catch((error: unknown) => {
      throw new SinkUnavailableError(this.name, `cannot append to ${this.config.path}: ${messageOf(error)}`, { cause: error });
    });
  }

  async close(signal: AbortSignal): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await Promise.race([this.tail, new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }))]);
    if (this.handle === undefined) return;
    const handle = await this.handle;
    if (this.dirty) await handle.sync();
    await handle.close();
  }

  private file(): Promise<FileHandle> {
    // a failed open is not cached: the next batch tries again (the directory may exist by then)
    this.handle ??= open(this.config.path, "a").catch((error: unknown) => {
      this.handle = undefined;
      throw error;
    });
    return this.handle;
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
