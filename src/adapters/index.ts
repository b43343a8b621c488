import type { BuiltInPlatform, PlatformAdapter } from "../core";
import { instagram } from "./instagram";
import { messenger } from "./messenger";
import { telegram } from "./telegram";

/**
 * The built-in adapters. `satisfies` keeps the registry exhaustive: a platform without an entry does not compile.
 * `undefined` marks a platform whose adapter is not built yet; the CLI and the server say so.
 */
export const adapters = {
  instagram,
  line: undefined,
  messenger,
  telegram,
  whatsapp: undefined,
} as const satisfies Record<BuiltInPlatform, PlatformAdapter | undefined>;

export { instagram, messenger, telegram };
