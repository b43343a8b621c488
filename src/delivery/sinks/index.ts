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
export { BatchRenderer, render, SinkFilter, SinkFormat } from "./render";
export type { Rendered, SkipCounts } from "./render";
export { backoffMs, retryAfterMs } from "./retry";
export { signatureHeader, standardWebhookHeaders, WhsecSecret } from "./standard-webhooks";
export { DEFAULT_MAX_BUFFERED_BYTES, StdoutSink, StdoutSinkConfig } from "./stdout";
export type { StdoutSinkOptions } from "./stdout";
export { WebhookSink, WebhookSinkConfig } from "./webhook";
export type { Delivery as WebhookDelivery, DeliveryQueue } from "./webhook-queue";
export type { WebhookSinkOptions, WebhookSinkStats } from "./webhook";

export { createSink, SINKS, sinkNameOf, SinkConfig, SinksConfig } from "./registry";
export type { SinkKind } from "./registry";
export type { SinkConfigSchema, SinkDefinition, SinkEnvironment } from "./contract";
