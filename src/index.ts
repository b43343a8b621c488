/**
 * Convotic normaliser: raw platform webhooks in, one typed event envelope out, routed by event type.
 * @packageDocumentation
 */
import { adapters } from "./adapters";
import { createNormalizer } from "./core";

export * from "./core";
export * from "./http";
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
