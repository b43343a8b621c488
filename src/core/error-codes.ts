/**
 * Every `code` a `ConvoticError` can carry: the `{"error": {"code"}}` of an HTTP answer, the `code` of a log line.
 * A new failure adds its code here, so a typo is a compile error and docs/http.md's table has one source.
 */
export type ErrorCode =
  // the request's bytes (4xx: the sender's problem, never retried into a 5xx)
  | "invalid_json"
  | "invalid_payload"
  | "invalid_signature"
  | "invalid_event"
  | "invalid_cloudevent"
  | "too_many_keys"
  | "too_many_items"
  // the edge's own refusals
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "unsupported_encoding"
  | "server_busy"
  | "client_closed_request"
  | "request_timeout"
  | "body_already_parsed"
  // configuration
  | "invalid_config"
  | "unknown_platform"
  | "unknown_event_type"
  // our faults (500: the platform redelivers)
  | "invalid_envelope"
  | "handler_failed"
  | "internal_error"
  // delivery: sinks, store, deadline (500 failed, 503 later)
  | "sink_failed"
  | "sink_unavailable"
  | "sink_backpressure"
  | "sink_closed"
  | "sink_not_flushed"
  | "store_unavailable"
  | "deadline_exceeded"
  | "in_flight";

/**
 * What every error takes after its message (the one constructor convention: `new XError(message, options)`).
 * Subclasses fix what they imply (a `SignatureError` is always `invalid_signature`, 401) and accept the rest.
 */
export interface ErrorOptions {
  readonly code: ErrorCode;
  readonly status: number;
  readonly platform?: string | undefined;
  readonly cause?: unknown;
}
