import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adapters } from "../../src/adapters";
import { createEvent, UnifiedEventSchema, type UnifiedEvent } from "../../src/core";
import { fixturesOf } from "../support/fixtures";

/** Every envelope of every fixture golden file, with the fixture it came from. */
export function goldenEnvelopes(): { source: string; event: UnifiedEvent }[] {
  return Object.keys(adapters).flatMap((platform) =>
    fixturesOf(platform).flatMap((fixture) => {
      const golden = JSON.parse(readFileSync(fixture.goldenPath, "utf8")) as { events: unknown[] };
      return golden.events.map((event, index) => ({
        source: `fixtures/${platform}/${fixture.name}.json#${index}`,
        event: UnifiedEventSchema.parse(event),
      }));
    }),
  );
}

/**
 * `automation.draft.created` comes from the application, never from a webhook, so no fixture carries one: this is
 * the envelope `createEvent` builds for an AI draft in the Telegram chat of fixtures/telegram/message-text-private.
 */
export function applicationDraft(): UnifiedEvent {
  return createEvent("automation.draft.created", {
    workspace_id: "ws_test",
    block_id: "blk_telegram_test",
    platform: "telegram",
    key: "draft:conv_0FZG48V5AJBPP3HTTB7F:1",
    timestamp: "2025-07-01T11:20:35.000Z",
    data: {
      conversation_id: "conv_0FZG48V5AJBPP3HTTB7F",
      contact_id: "ct_0FZG48V5AJBPP3HTTB7F",
      draft_text: "Your order #1042 shipped yesterday.",
    },
    metadata: { platform_thread_id: "123456789" },
  });
}

export const GOLDEN_DIR = join(__dirname, "golden");
