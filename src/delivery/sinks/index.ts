import type { Writable } from "node:stream";
import { z } from "zod";
import { ConfigError } from "../../core";
import type { Logger } from "../../core";
import type { Sink, SinkDeliveryObserver } from "../sink";
import { FileSink, FileSinkConfig } from "./file";
import { JetStreamSink, JetStreamSinkConfig } from "./jetstream";
import { StdoutSink, StdoutSinkConfig } from "./stdout";
import { WebhookSink, WebhookSinkConfig } from "./webhook";

export { DeadLetterRecord, appendDeadLetters, parseDeadLetters } from "./dead-letter";
export { SinkBackpressureError, SinkClosedError, SinkUnavailableError } from "./errors";
export { FileSink, FileSinkConfig } from "./file";
export {
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_SUBJECT_PREFIX,
  escapeSubjectToken,
  JetStreamSink,
  JetStreamSinkConfig,
  JetStreamStreamConfig,
  subjectOf,
  unescapeSubjectToken,
} from "./jetstream";
export { render, SinkFilter, SinkFormat } from "./render";
export type { Rendered, SkipCounts } from "./render";
export { backoffMs, retryAfterMs } from "./retry";
export { signatureHeader, standardWebhookHeaders, WhsecSecret } from "./standard-webhooks";
export { DEFAULT_MAX_BUFFERED_BYTES, StdoutSink, StdoutSinkConfig } from "./stdout";
export type { StdoutSinkOptions } from "./stdout";
export { WebhookSink, WebhookSinkConfig } from "./webhook";
export type { Delivery as WebhookDelivery, DeliveryQueue } from "./webhook-queue";
export type { WebhookSinkOptions, WebhookSinkStats } from "./webhook";

/** One entry of `sinks: [...]` in the serve config. */
export const SinkConfig = z.discriminatedUnion("kind", [StdoutSinkConfig, FileSinkConfig, WebhookSinkConfig, JetStreamSinkConfig]);
export type SinkConfig = z.input<typeof SinkConfig>;

/** The `sinks` member of the serve config: sink names must be unique (they key delivery ids and logs). */
export const SinksConfig = z.array(SinkConfig).superRefine((sinks, context) => {
  const seen = new Set<string>();
  sinks.forEach((sink, index) => {
    const name =
      sink.name ?? (sink.kind === "file" ? `file:${sink.path}` : sink.kind === "jetstream" ? `jetstream:${sink.stream.name}` : sink.kind);
    if (seen.has(name)) context.addIssue({ code: "custom", path: [index, "name"], message: `duplicate sink name "${name}"` });
    seen.add(name);
  });
});

export interface SinkEnvironment {
  /** where `stdout` sinks write; defaults to process.stdout */
  readonly stdout?: Writable;
  /** a `stdout` sink's stream broke (EPIPE); serve exits non-zero */
  readonly onBroken?: (error: unknown) => void;
  /** where sinks with a durable outbox keep it (default `./.convotic`) */
  readonly dataDir?: string;
  /** hears a later-delivering sink's retries and dead letters */
  readonly logger?: Logger;
  readonly observer?: SinkDeliveryObserver;
}

/** Builds one sink from its (already env-resolved) config; throws `ConfigError` naming the field, never a secret. */
export function createSink(config: SinkConfig, environment: SinkEnvironment = {}): Sink {
  switch (config.kind) {
    case "stdout":
      return new StdoutSink(config, environment.stdout ?? process.stdout, environment);
    case "file":
      return new FileSink(config);
    case "webhook":
      return new WebhookSink(config, {
        ...(environment.dataDir === undefined ? {} : { dataDir: environment.dataDir }),
        ...(environment.logger === undefined ? {} : { logger: environment.logger }),
        ...(environment.observer === undefined ? {} : { observer: environment.observer }),
      });
    case "jetstream":
      return new JetStreamSink(config);
    default:
      throw new ConfigError(`unknown sink kind "${String((config as { kind?: unknown }).kind)}"`);
  }
}
