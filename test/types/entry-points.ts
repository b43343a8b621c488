/*
 * Type tests for the entry points: compiled (never run) by test/types.test.ts. The platform of processWebhook
 * is a literal union of the registry's names and `secrets` is that platform's secrets type.
 */
import { createConvotic } from "../../src";
import {
  createNormalizer,
  defineAdapter,
  type Normalizer,
  type NormalizeResult,
  type PlatformOf,
  type SecretsOf,
} from "../../src/core";
import { adapters } from "../../src/adapters";
import { z } from "zod";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

declare const rawBody: Uint8Array;
declare const headers: Record<string, string>;
const context = { workspace_id: "ws_1", block_id: "blk_1" };
const convotic = createConvotic();

assertType<
  Equal<
    PlatformOf<typeof adapters>,
    "instagram" | "line" | "messenger" | "telegram" | "twilio" | "viber" | "wechat" | "whatsapp"
  >
>();
assertType<Equal<SecretsOf<typeof adapters, "telegram">, { secret_token: string } | { allow_unverified: true }>>();

// the right platform with its own secrets compiles, for every built-in platform
const result: NormalizeResult = convotic.processWebhook({
  platform: "telegram",
  rawBody,
  headers,
  secrets: { secret_token: "t" },
  context,
});
void result;
convotic.processWebhook({ platform: "line", rawBody, headers, secrets: { channel_secrets: ["s"] }, context });
convotic.processWebhook({
  platform: "messenger",
  rawBody,
  headers,
  secrets: { app_secrets: ["s"], verify_token: "v" },
  context,
});
convotic.processWebhook({ platform: "whatsapp", rawBody, headers, secrets: { app_secrets: ["s"] }, context });
convotic.processWebhook({ platform: "instagram", rawBody, headers, secrets: { app_secrets: ["s"] }, context });

// @ts-expect-error a misspelt platform is not a registered name
convotic.processWebhook({ platform: "telegarm", rawBody, headers, secrets: { secret_token: "t" }, context });

// @ts-expect-error a misspelt secrets key is not the platform's secrets type
convotic.processWebhook({ platform: "telegram", rawBody, headers, secrets: { secret_tokn: "t" }, context });

// @ts-expect-error another platform's secrets do not fit
convotic.processWebhook({ platform: "telegram", rawBody, headers, secrets: { channel_secrets: ["s"] }, context });

// @ts-expect-error Meta platforms need app_secrets, a list
convotic.processWebhook({ platform: "messenger", rawBody, headers, secrets: { app_secrets: "s" }, context });

// a registry of one's own is typed the same way
const testchat = defineAdapter({
  platform: "testchat",
  payload: z.object({}),
  secrets: z.object({ key: z.string() }),
  emits: [],
  verify() {},
  sign: () => ({}),
  normalize: () => ({ events: [], unhandled: [] }),
});
const own = createNormalizer({ adapters: { testchat } });
own.processWebhook({ platform: "testchat", rawBody, headers, secrets: { key: "k" }, context });
// @ts-expect-error a built-in name is not in this registry
own.processWebhook({ platform: "telegram", rawBody, headers, secrets: { secret_token: "t" }, context });

// a typed normaliser is still a Normalizer, whose names come from configs at run time
const loose: Normalizer = convotic;
declare const fromConfig: string;
loose.processWebhook({ platform: fromConfig, rawBody, headers, secrets: JSON.parse("{}") as unknown, context });
// @ts-expect-error but the typed one wants a registered name
convotic.processWebhook({ platform: fromConfig, rawBody, headers, secrets: { secret_token: "t" }, context });
