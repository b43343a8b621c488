import { ConfigError, messageOf, type Logger } from "../core";
import type { Sink, SinkDeliveryObserver } from "../delivery";
import { createSink, SinkUnavailableError, StdoutSink, WebhookSink, type SinkConfig } from "../delivery/sinks";
import type { ServerConfig } from "./server-config";
import type { OutboxSource, ReadinessCheck } from "../observe";
import { CliError, EXIT, type CliIO } from "./io";

/** How long a sink's `close()` may run past the end of the grace period (a webhook sink dead-letters then). */
const CLOSE_SLACK_MS = 2000;

export interface ServeSinks {
  readonly sinks: readonly Sink[];
  /** one `/readyz` check per sink that can tell (`ready()`) */
  readonly readiness: readonly ReadinessCheck[];
  /** the sinks that hold events to deliver later (serve's outbox gauges) */
  readonly outboxes: readonly (OutboxSource & { readonly durable: boolean })[];
  /** resolves with the error once a stdout sink's stream broke (EPIPE): serve then exits non-zero */
  readonly broken: Promise<unknown>;
  /** Closes every sink, giving up at `signal` (plus a short slack); one phrase per sink that did not flush. */
  close(signal: AbortSignal): Promise<string[]>;
}

/**
 * The sinks of `serve`: the config's `sinks`, or JSON lines on stdout when it has none. `stdout_buffer_bytes` is
 * the buffer bound of stdout sinks that set none of their own.
 */
export function openSinks(
  config: ServerConfig,
  io: CliIO,
  file: string,
  hooks: { dataDir: string; logger?: Logger; observer?: SinkDeliveryObserver } = { dataDir: ".convotic" },
): ServeSinks {
  let failed: (error: unknown) => void = () => undefined;
  const broken = new Promise<unknown>((resolve) => (failed = resolve));
  const configs: SinkConfig[] = config.sinks ?? [{ kind: "stdout" }];
  const sinks = configs.map((entry, index) => {
    const withBound =
      entry.kind === "stdout" && entry.buffer_bytes === undefined && config.stdout_buffer_bytes !== undefined
        ? { ...entry, buffer_bytes: config.stdout_buffer_bytes }
        : entry;
    try {
      return createSink(withBound, {
        stdout: io.stdout,
        onBroken: failed,
        dataDir: hooks.dataDir,
        ...(hooks.logger === undefined ? {} : { logger: hooks.logger }),
        ...(hooks.observer === undefined ? {} : { observer: hooks.observer }),
      });
    } catch (error) {
      // a data directory that cannot be written, or one another serve holds, stops the start
      if (error instanceof ConfigError || error instanceof SinkUnavailableError)
        throw new CliError(`${file}: sinks[${index}]: ${error.message}`, EXIT.input);
      throw error;
    }
  });
  // `/readyz` names a sink by its configured name or its kind, never by a default name built from a file path
  const kinds = configs.map((entry) => entry.kind);
  const readiness = sinks.flatMap((sink, index): ReadinessCheck[] => {
    const ready = sink.ready?.bind(sink);
    if (ready === undefined) return [];
    const entry = configs[index]!;
    const shown =
      entry.name ?? (kinds.filter((kind) => kind === entry.kind).length > 1 ? `${entry.kind}[${index}]` : entry.kind);
    // a webhook sink says why (outbox full, entries past their age): its name is configured, never a path
    const refused = () => fail(sink.unreadyReason?.() ?? `sink ${shown} cannot take events now`);
    return [{ name: `sink ${shown}`, check: async () => void ((await ready().catch(refused)) || refused()) }];
  });
  const outboxes = sinks.flatMap((sink) =>
    sink instanceof WebhookSink
      ? [{ sink: sink.name, durable: sink.outboxStats().durable, stats: () => sink.outboxStats() }]
      : [],
  );

  async function close(signal: AbortSignal): Promise<string[]> {
    const results = await Promise.all(sinks.map((sink) => closeOne(sink, signal)));
    return results.filter((phrase): phrase is string => phrase !== undefined);
  }
  return { sinks, readiness, outboxes, broken, close };
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
    () => {
      if (!signal.aborted) return undefined;
      // a durable outbox keeps what it did not deliver for the next start; an in-memory queue dead-letters it
      const kept = sink instanceof WebhookSink && sink.outboxStats().durable;
      return kept
        ? `sink ${sink.name} (closed after the grace period; its undelivered events wait in its outbox for the next start)`
        : `sink ${sink.name} (closed after the grace period; what it still held went to its dead letters)`;
    },
    (error: unknown) =>
      sink instanceof StdoutSink ? `${sink.buffered} bytes of stdout` : `sink ${sink.name} (${messageOf(error)})`,
  );
  try {
    return await Promise.race([closed, cut]);
  } finally {
    clearTimeout(timer);
  }
}
