// Operating the server: structured logs (pino), Prometheus metrics (prom-client), health and readiness.
export { createLogger, LOG_LEVELS, requestScope } from "./log";
export type { FlushableLogger, LogFormat, LogThreshold } from "./log";
export { createMetrics, DEFAULT_MAX_DRIFT_PATHS } from "./metrics";
export { DEFAULT_MAX_LOGGED_DRIFT, driftReporter } from "./drift";
export type { DriftReporterOptions } from "./drift";
export type { Metrics, OutboxSource, RequestObservation } from "./metrics";
export { observeHandler } from "./ops";
export { startOpsServer } from "./ops-server";
export type { RunningOpsServer } from "./ops-server";
export { aggregateAuthFailures, DEFAULT_AUTH_FAILURE_INTERVAL_MS } from "./auth-failures";
export type { AuthFailureLogger } from "./auth-failures";
export type { ObservedHandler, ObserveOptions, ReadinessCheck } from "./ops";
