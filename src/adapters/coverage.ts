import type { CoverageTable } from "../core";
import type { BuiltInPlatform } from "./index";
import { coverage as instagram } from "./instagram/coverage";
import { coverage as line } from "./line/coverage";
import { coverage as messenger } from "./messenger/coverage";
import { coverage as telegram } from "./telegram/coverage";
import { coverage as twilio } from "./twilio/coverage";
import { coverage as viber } from "./viber/coverage";
import { coverage as wechat } from "./wechat/coverage";
import { coverage as whatsapp } from "./whatsapp/coverage";

/**
 * The coverage declarations of the built-in adapters, one per folder (`<platform>/coverage.ts`). `convotic coverage`
 * and docs/coverage.md derive from them; no adapter imports its table, so serving a platform never loads one.
 */
export const COVERAGE = {
  instagram,
  line,
  messenger,
  telegram,
  twilio,
  viber,
  wechat,
  whatsapp,
} as const satisfies Record<BuiltInPlatform, CoverageTable>;
