import type { BuiltInPlatform, PlatformAdapter } from "../core";
import { instagram } from "./instagram";
import { line } from "./line";
import { messenger } from "./messenger";
import { telegram } from "./telegram";
import { whatsapp } from "./whatsapp";

/** The built-in adapters. `satisfies` keeps the registry exhaustive: a platform without an entry does not compile. */
export const adapters = {
  instagram,
  line,
  messenger,
  telegram,
  whatsapp,
} as const satisfies Record<BuiltInPlatform, PlatformAdapter>;

export { instagram, line, messenger, telegram, whatsapp };
