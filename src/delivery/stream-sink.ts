import type { Writable } from "node:stream";
import { ConvoticError, messageOf } from "../core";
import type { Sink, SinkBatch } from "./sink";

export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/** The reader is not keeping up: the sink refuses more until it drains; the platform retries later (503). */
export class SinkBackpressureError extends ConvoticError {
  override readonly name = "SinkBackpressureError";
  constructor(sink: string, buffered: number, limit: number) {
    super("sink_backpressure", 503, `sink ${sink} holds ${buffered} unwritten bytes (limit ${limit}): its reader is not reading`);
  }
}

/** The stream is gone (EPIPE: the reader exited): nothing more can be written. */
export class SinkClosedError extends ConvoticError {
  override readonly name = "SinkClosedError";
  constructor(sink: string, cause: unknown) {
    super("sink_closed", 500, `sink ${sink} cannot write any more: ${messageOf(cause)}`, { cause });
  }
}

export interface StreamSinkOptions {
  /** default `stdout` */
  readonly name?: string;
  /** unwritten bytes the sink keeps before it refuses batches (default 1 MiB) */
  readonly maxBufferedBytes?: number;
  /** hears of each accepted batch (serve counts it and logs its unhandled records, which are not written as lines) */
  readonly onAccepted?: (batch: SinkBatch) => void;
  /** the stream failed (EPIPE); the owner decides what to do (serve exits non-zero) */
  readonly onBroken?: (error: unknown) => void;
}

/**
 * One JSON line per envelope on a stream (`serve`'s stdout). A batch is accepted once its lines are in the
 * stream's buffer, which is bounded: past the bound the batch is refused with a 503, so a stalled reader slows
 * the platform down instead of growing memory or hanging requests. A broken stream fails every later batch.
 */
export class StreamSink implements Sink {
  readonly name: string;
  readonly maxBufferedBytes: number;
  private broken: SinkClosedError | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly options: StreamSinkOptions = {},
  ) {
    this.name = options.name ?? "stdout";
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    stream.on("error", (error) => {
      this.broken ??= new SinkClosedError(this.name, error);
      options.onBroken?.(error);
    });
  }

  /** unwritten bytes held in the stream's buffer */
  get buffered(): number {
    return this.stream.writableLength;
  }

  async write(batch: SinkBatch): Promise<void> {
    if (this.broken !== undefined) throw this.broken;
    if (this.stream.destroyed || this.stream.writableEnded) throw new SinkClosedError(this.name, new Error("the stream is closed"));
    if (this.buffered >= this.maxBufferedBytes) throw new SinkBackpressureError(this.name, this.buffered, this.maxBufferedBytes);
    if (batch.events.length > 0) this.stream.write(batch.events.map((event) => JSON.stringify(event) + "\n").join(""));
    this.options.onAccepted?.(batch);
  }

  /** Waits until the buffer is written, or `signal` aborts (the error then says how many bytes were never written). */
  async close(signal: AbortSignal): Promise<void> {
    // 'drain' fires only after a write that returned false, so the buffer is watched instead
    while (this.broken === undefined && this.buffered > 0) {
      if (signal.aborted) throw new ConvoticError("sink_not_flushed", 500, `sink ${this.name}: ${this.buffered} bytes were never written`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
