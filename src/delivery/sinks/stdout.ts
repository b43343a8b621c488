import type { Writable } from "node:stream";
import { z } from "zod";
import type { Sink, SinkBatch } from "../sink";
import { SinkUnavailableError } from "./errors";
import { filterOf, render, SinkFilter, SinkFormat, type SkipCounts } from "./render";

export const StdoutSinkConfig = z.strictObject({
  kind: z.literal("stdout"),
  name: z.string().min(1).optional(),
  filter: SinkFilter.optional(),
  format: SinkFormat.default("envelope"),
});
export type StdoutSinkConfig = z.input<typeof StdoutSinkConfig>;

/** One JSON line per event on a stream (`serve`'s stdout). `write()` resolves once the stream took the lines. */
export class StdoutSink implements Sink {
  readonly name: string;
  readonly skipped: SkipCounts = { filtered: 0, unprojected: 0 };
  private readonly format: SinkFormat;
  private readonly matches: ReturnType<typeof filterOf>;
  private closed = false;

  constructor(
    config: StdoutSinkConfig,
    private readonly stream: Writable,
  ) {
    const parsed = StdoutSinkConfig.parse(config);
    this.name = parsed.name ?? "stdout";
    this.format = parsed.format;
    this.matches = filterOf(parsed.filter);
  }

  async write(batch: SinkBatch, signal: AbortSignal): Promise<void> {
    if (this.closed) throw new SinkUnavailableError(this.name, "closed");
    let text = "";
    for (const event of batch.events) {
      if (!this.matches(event.type)) {
        this.skipped.filtered += 1;
        continue;
      }
      const rendered = render(event, this.format, this.name);
      if (rendered === undefined) this.skipped.unprojected += 1;
      else text += rendered.body + "\n";
    }
    if (text === "") return;
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => this.stream.write(text, (error) => (error ? reject(error) : resolve())));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
