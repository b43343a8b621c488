import type { Writable } from "node:stream";
import { z } from "zod";
import { ConvoticError } from "../../core";
import type { Sink, SinkBatch } from "../sink";
import { SinkBackpressureError, SinkClosedError, SinkUnavailableError } from "./errors";
import type { SinkDefinition } from "./contract";
import { BatchRenderer, SinkFilter, SinkFormat, type SkipCounts } from "./render";

export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

export const StdoutSinkConfig = z.strictObject({
  kind: z.literal("stdout"),
  name: z.string().min(1).optional(),
  filter: SinkFilter.optional(),
  format: SinkFormat.default("envelope"),
  /** unwritten bytes held before batches are refused with 503 (default 1 MiB; serve's `stdout_buffer_bytes`) */
  buffer_bytes: z.number().int().positive().optional(),
});
export type StdoutSinkConfig = z.input<typeof StdoutSinkConfig>;

export interface StdoutSinkOptions {
  /** the stream failed (EPIPE: its reader exited); the owner decides what to do (serve exits non-zero) */
  readonly onBroken?: (error: unknown) => void;
}

/**
 * One JSON line per event on a stream (`serve`'s stdout). A batch is accepted once its lines are in the stream's
 * buffer, which is bounded (`buffer_bytes`): past the bound the batch is refused with a 503, so a stalled reader
 * slows the platform down instead of growing memory or hanging requests. A broken stream fails every later batch
 * and tells `onBroken`, as does the batch whose write met the dead reader. Up to the bound of accepted lines is lost
 * if the process dies (or the reader exits) before the reader takes them.
 *
 * The batches written during one event-loop turn go to the stream as one write at the end of that turn (group
 * commit): a file or pipe stdout writes synchronously, one system call per `write`, and under concurrent requests
 * that call cost more than the rest of the sink. Each `write()` still resolves only once its lines are in the
 * stream, so nothing is answered 200 before its lines are out; a stream that broke meanwhile fails them all.
 */
export class StdoutSink implements Sink {
  readonly name: string;
  readonly maxBufferedBytes: number;
  readonly skipped: SkipCounts = { filtered: 0, unprojected: 0 };
  /** `write()` hands its lines to the stream at once: it has nothing to abort */
  readonly ignoresSignal = true;
  private readonly renderer: BatchRenderer;
  private broken: SinkClosedError | undefined;
  private closed = false;
  /** lines of this turn's batches, written together at its end */
  private pending = "";
  /** settles when `pending` has been handed to the stream */
  private flushed: Promise<void> | undefined;

  constructor(
    config: StdoutSinkConfig,
    private readonly stream: Writable = process.stdout,
    options: StdoutSinkOptions = {},
  ) {
    const parsed = StdoutSinkConfig.parse(config);
    this.name = parsed.name ?? stdoutSink.defaultName(parsed);
    this.renderer = new BatchRenderer(parsed.filter, parsed.format, this.name, this.skipped);
    this.maxBufferedBytes = parsed.buffer_bytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    stream.on("error", (error) => {
      this.broken ??= new SinkClosedError(this.name, error);
      options.onBroken?.(error);
    });
  }

  /** unwritten bytes held in the stream's buffer, plus the characters of this turn's batches not handed to it yet */
  get buffered(): number {
    return this.stream.writableLength + this.pending.length;
  }

  async ready(): Promise<boolean> {
    return this.usable() === undefined;
  }

  async write(batch: SinkBatch): Promise<void> {
    const refusal = this.usable();
    if (refusal !== undefined) throw refusal;
    let text = "";
    this.renderer.each(batch.events, (rendered) => void (text += rendered.body + "\n"));
    if (text === "") return;
    this.pending += text;
    this.flushed ??= new Promise<void>((resolve, reject) => setImmediate(() => this.flush(resolve, reject)));
    return this.flushed;
  }

  private flush(resolve: () => void, reject: (error: unknown) => void): void {
    const text = this.pending;
    this.pending = "";
    this.flushed = undefined;
    // not `usable()`: these batches were taken within the bound, only a dead stream refuses them now
    const dead =
      this.broken ??
      (this.stream.destroyed || this.stream.writableEnded
        ? new SinkClosedError(this.name, new Error("the stream is closed"))
        : undefined);
    if (dead !== undefined) return reject(dead);
    try {
      this.stream.write(text, (error) =>
        error ? reject(this.broken ?? new SinkClosedError(this.name, error)) : resolve(),
      );
    } catch (error) {
      return reject(new SinkClosedError(this.name, error));
    }
    // Lines the stream could not hand over at once wait in its buffer, within the bound: accepted (a stalled
    // reader costs 503s past the bound, not hung requests). Otherwise the write already succeeded or failed and
    // its callback says which on the next tick: the batch that meets a dead reader (EPIPE) is refused, not
    // acknowledged with its lines lost.
    if (this.stream.writableLength > 0) resolve();
  }

  /** Stops taking batches and waits until the buffer is written, or `signal` aborts (then naming the unwritten bytes). */
  async close(signal: AbortSignal): Promise<void> {
    this.closed = true;
    // 'drain' fires only after a write that returned false, so the buffer is watched instead
    while (this.broken === undefined && this.buffered > 0) {
      if (signal.aborted)
        throw new ConvoticError(`sink ${this.name}: ${this.buffered} bytes were never written`, {
          code: "sink_not_flushed",
          status: 500,
        });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Why a batch cannot be taken now, if it cannot. */
  private usable(): ConvoticError | undefined {
    if (this.broken !== undefined) return this.broken;
    if (this.closed) return new SinkUnavailableError(this.name, "closed");
    if (this.stream.destroyed || this.stream.writableEnded)
      return new SinkClosedError(this.name, new Error("the stream is closed"));
    if (this.buffered >= this.maxBufferedBytes)
      return new SinkBackpressureError(this.name, this.buffered, this.maxBufferedBytes);
    return undefined;
  }
}

/** `{ kind: "stdout" }`: JSON lines on serve's stdout. */
export const stdoutSink: SinkDefinition<typeof StdoutSinkConfig> = {
  config: StdoutSinkConfig,
  defaultName: () => "stdout",
  create: (config, environment) => new StdoutSink(config, environment.stdout ?? process.stdout, environment),
};
