import type { PlatformAdapter } from "../core";
import { lazyRecord } from "../core/lazy";
import { createNormalizer } from "../core/pipeline";

/**
 * The platforms this package ships adapters for. Core names none of them (it takes an injected registry); an
 * added adapter may use any lower-case name.
 */
export const BUILT_IN_PLATFORMS = [
  "instagram",
  "line",
  "messenger",
  "whatsapp",
  "telegram",
  "viber",
  "wechat",
  "twilio",
] as const;
export type BuiltInPlatform = (typeof BUILT_IN_PLATFORMS)[number];

/**
 * The built-in adapters. Each is loaded (its module required, its schemas built) the first time its entry is read,
 * and is a plain property from then on (`lazyRecord`): a process pays only for the platforms it serves.
 * `satisfies` keeps the registry exhaustive: a platform without an entry does not compile.
 */
export const adapters = lazyRecord({
  instagram: () => (require("./instagram") as typeof import("./instagram")).instagram,
  line: () => (require("./line") as typeof import("./line")).line,
  messenger: () => (require("./messenger") as typeof import("./messenger")).messenger,
  telegram: () => (require("./telegram") as typeof import("./telegram")).telegram,
  twilio: () => (require("./twilio") as typeof import("./twilio")).twilio,
  viber: () => (require("./viber") as typeof import("./viber")).viber,
  wechat: () => (require("./wechat") as typeof import("./wechat")).wechat,
  whatsapp: () => (require("./whatsapp") as typeof import("./whatsapp")).whatsapp,
}) satisfies Record<BuiltInPlatform, PlatformAdapter>;

/** A normaliser over every built-in adapter (each loaded when its platform is first used). */
export function createConvotic() {
  return createNormalizer({ adapters });
}
