/**
 * `convotic/http`: the webhook edge in full. The handler and its shims (also in the root export), the `serve`
 * block configuration, body budgets and fairness, timeouts, the edge's HTTP errors and the default loggers.
 * @packageDocumentation
 */
export * from "../http";
// serve's config file (blocks, sinks, idempotency, limits): its schema lives with the CLI, which reads it
export { fairnessOf, loadConfig, ServerConfigSchema } from "../cli/server-config";
export type { FairnessConfig, InspectConfig, ServerConfig } from "../cli/server-config";
