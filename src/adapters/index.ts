import type { PlatformAdapter } from "../core";
import { instagram } from "./instagram";
import { line } from "./line";
import { messenger } from "./messenger";
import { telegram } from "./telegram";
import { viber } from "./viber";
import { wechat } from "./wechat";
import { whatsapp } from "./whatsapp";

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
] as const;
export type BuiltInPlatform = (typeof BUILT_IN_PLATFORMS)[number];

/** The built-in adapters. `satisfies` keeps the registry exhaustive: a platform without an entry does not compile. */
export const adapters = {
  instagram,
  line,
  messenger,
  telegram,
  viber,
  wechat,
  whatsapp,
} as const satisfies Record<BuiltInPlatform, PlatformAdapter>;

export { instagram, line, messenger, telegram, viber, wechat, whatsapp };
