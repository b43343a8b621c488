import { join } from "node:path";
import { adapters } from "../src/adapters";
import type { PlatformAdapter } from "../src/core";
import { describeAdapterConformance, type ConformanceOptions } from "../src/testing";
import { FIXTURES_DIR } from "./support/fixtures";
import { TEST_SECRETS } from "./support/secrets";

/*
 * Every built-in adapter runs through the conformance suite that `convotic/testing` exports to users, so the
 * suite that judges an added platform is the one that judges ours. Golden files, signatures per fixture,
 * handshakes, determinism, catalogue validity, `emits`, unknown kinds, batches and per-item isolation.
 */
const CASES: Record<keyof typeof adapters, NonNullable<ConformanceOptions<unknown>["cases"]>> = {
  instagram: {
    unknown: "mentions-and-story-insights",
    batch: { fixture: "multi-entry-batch", items: 3 },
    poisoned: "poisoned-batch",
    drift: ["entry-unknown-list"],
  },
  line: {
    unknown: "unknown-event-type",
    batch: { fixture: "batch-mixed", items: 4 },
    poisoned: "poisoned-batch",
    drift: ["unknown-event-type", "message-unknown-content"],
  },
  messenger: {
    unknown: "unhandled-kinds",
    batch: { fixture: "multi-entry-batch", items: 3 },
    poisoned: "poisoned-batch",
    drift: ["entry-unknown-list"],
  },
  // one update per body: a malformed one is its own batch
  telegram: {
    unknown: "inline-query",
    batch: false,
    poisoned: "poisoned-update",
    drift: ["managed-bot", "subscription"],
  },
  // one callback per body, like Telegram; a queued status is the kind with no catalogue type
  twilio: { unknown: "status-queued", batch: false, poisoned: "poisoned-inbound", drift: [] },
  viber: { unknown: "unknown-event", batch: false, poisoned: "poisoned-update", drift: ["unknown-event"] },
  // one push per body; a Mini Program card is not a MsgType Official Accounts document
  wechat: { unknown: "location-report", batch: false, poisoned: "poisoned-push", drift: ["miniprogram-page"] },
  whatsapp: {
    unknown: "template-status-update",
    batch: { fixture: "multi-status-batch", items: 4 },
    poisoned: "poisoned-batch",
    drift: ["poisoned-batch"],
  },
};

const registry: Readonly<Record<string, PlatformAdapter>> = adapters;

it("registers every built-in adapter under its own platform name, with test secrets", () => {
  for (const [platform, adapter] of Object.entries(registry)) {
    expect(adapter.platform).toBe(platform);
    expect(TEST_SECRETS[platform]).toBeDefined();
  }
});

for (const [platform, adapter] of Object.entries(registry)) {
  const secrets = TEST_SECRETS[platform]!;
  describeAdapterConformance(adapter, {
    fixturesDir: join(FIXTURES_DIR, platform),
    secrets: { valid: secrets.valid, wrong: secrets.wrong },
    ...(secrets.handshake === undefined
      ? {}
      : {
          handshake: {
            query: secrets.handshake.query,
            challenge: secrets.handshake.challenge,
            invalidQuery: secrets.handshake.invalid,
          },
        }),
    cases: CASES[platform as keyof typeof adapters],
  });
}
