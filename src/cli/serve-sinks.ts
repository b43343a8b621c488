import { ConfigError, messageOf } from "../core";
import type { Sink } from "../delivery";
import { createSink, StdoutSink, type SinkConfig } from "../delivery/sinks";
import type { ServerConfig } from "../http";
import type { ReadinessCheck } from "../observe";
import { CliError, EXIT, type CliIO } from "./io";

/** How long a sink's `close()` may run past the end of the grace period (a webhook sink dead-letters then). */
const CLOSE_SLACK_MS = 2000;

export interface ServeSinks {
  readonly sinks: readonly Sink[];
  /** one `/readyz` check per sink that can tell (`ready()`) */
  readonly readiness: readonly ReadinessCheck[];
  /** resolves with the error once a stdout sink's stream broke (EPIPE): serve then exits non-zero */
  readonly broken: Promise<unknown>;
  /** Closes every sink, giving up at `signal` (plus a short slack); one phrase per sink that did not flush. */
  close(signal: AbortSignal): Promise<string[]>;
}

/**
 * The sinks of `serve`: the config's `sinks`, or JSON lines on stdout when it has none. `stdout_buffer_bytes` is
 * the buffer bound of stdout sinks that set none of their own.
 */
export function openSinks(config: ServerConfig, io: CliIO, file: string): ServeSinks {
  let failed: (error: unknown) => void = () => undefined;
  const broken = new Promise<unknown>((resolve) => (failed = resolve));
  const configs: SinkConfig[] = config.sinks ?? [{ kind: "stdout" }];
  const sinks = configs.map((entry, index) => {
    const withBound =
      entry.kind === "stdout" && entry.buffer_bytes === undefined && config.stdout_buffer_bytes !== undefined
        ? { ...entry, buffer_bytes: config.stdout_buffer_bytes }
        : entry;
    try {
      return createSink(withBound, { stdout: io.stdout, onBroken: failed });
    } catch (error) {
      if (error instanceof ConfigError) throw new CliError(`${file}: sinks[${index}]: ${error.message}`, EXIT.input);
      throw error;
    }
  });
  // `/readyz` names a sink by its configured name or its kind, never by a default name built from a file path
  const kinds = configs.map((entry) => entry.kind);
  const readiness = sinks.flatMap((sink, index): ReadinessCheck[] => {
    const ready = sink.ready?.bind(sink);
    if (ready === undefined) return [];
    const entry = configs[index]!;
    const shown = entry.name ?? (kinds.filter((kind) => kind === entry.kind).length > 1 ? `${entry.kind}[${index}]` : entry.kind);
    const refused = () => fail(`sink ${shown} cannot take events now`);
    return [{ name: `sink ${shown}`, check: async () => void ((await ready().catch(refused)) || refused()) }];
  });

  async function close(signal: AbortSignal): Promise<string[]> {
    const results = await Promise.all(sinks.map((sink) => closeOne(sink, signal)));
    return results.filter((phrase): phrase is string => phrase !== undefined);
  }
  return { sinks, readiness, broken, close };
}

function fail(message: string): never {
  throw new Error(message);
}

async function closeOne(sink: Sink, signal: AbortSignal): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<string>((resolve) => {
    const start = () => (timer = setTimeout(() => resolve(`sink ${sink.name} (still closing)`), CLOSE_SLACK_MS));
    if (signal.aborted) start();
    else signal.addEventListener("abort", start, { once: true });
  });
  const closed = sink.close(signal).then(
    () => (signal.aborted ? `sink ${sink.name} (closed after the grace period; what it still held went to its dead letters)` : undefined),
    (error: unknown) => (sink instanceof StdoutSink ? `${sink.buffered} bytes of stdout` : `sink ${sink.name} (${messageOf(error)})`),
  );
  try {
    return await Promise.race([closed, cut]);
  } finally {
    clearTimeout(timer);
  }
}
