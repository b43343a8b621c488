// Operating the server: structured logs (pino), Prometheus metrics (prom-client), health and readiness.
export { createLogger, LOG_LEVELS, requestScope } from "./log";
export type { LogFormat, LogThreshold } from "./log";
export { createMetrics } from "./metrics";
export type { Metrics, OutboxSource, RequestObservation } from "./metrics";
export { observeHandler } from "./ops";
export type { ObservedHandler, ObserveOptions, ReadinessCheck } from "./ops";
