import type { BuiltInPlatform, PlatformAdapter } from "../core";
import { line } from "./line";
import { telegram } from "./telegram";
import { whatsapp } from "./whatsapp";

/**
 * The built-in adapters. `satisfies` keeps the registry exhaustive: a platform without an entry does not compile.
 * `undefined` marks a platform whose adapter is not built yet; the CLI and the server say so.
 */
export const adapters = {
  instagram: undefined,
  line,
  messenger: undefined,
  telegram,
  whatsapp,
} as const satisfies Record<BuiltInPlatform, PlatformAdapter | undefined>;

export { line, telegram, whatsapp };
