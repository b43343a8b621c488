/**
 * Convotic normaliser: raw platform webhooks in, one typed event envelope out, routed by event type.
 * @packageDocumentation
 */
import { adapters } from "./adapters";
import { createNormalizer } from "./core";

export * from "./core";
export * from "./http";
// serve's config file: read by the CLI, exported from the root as before
export { fairnessOf, loadConfig, ServerConfigSchema } from "./cli/server-config";
export type { FairnessConfig, ServerConfig } from "./cli/server-config";
export * from "./observe";
export { adapters, BUILT_IN_PLATFORMS } from "./adapters";
export type { BuiltInPlatform } from "./adapters";
export { instagram, line, messenger, telegram, viber, whatsapp } from "./adapters";

/** A normaliser over every built-in adapter. */
export function createConvotic() {
  return createNormalizer({ adapters });
}
export * from "./formats";
export * from "./delivery/sinks";
export type { Sink, SinkBatch } from "./delivery/sink";
export * from "./delivery";
