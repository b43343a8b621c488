/**
 * `convotic/observe`: operating a server. Structured logs (pino), Prometheus metrics (prom-client), health and
 * readiness. Kept out of the root export so that `require("convotic")` loads neither pino nor prom-client.
 * @packageDocumentation
 */
export * from "../observe";
