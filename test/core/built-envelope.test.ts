import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EnvelopeBuilder, EnvelopeError, type UnifiedEvent } from "../../src/core";
import { completeBuiltEnvelope, isEnvelopeContext, validateEnvelope } from "../../src/core/envelope";
import { describeIssues } from "../../src/core/issues";
import { IsoTimestamp } from "../../src/core/schemas";
import { nowIso, platformTime } from "../../src/core/engine";
import { FIXTURES_DIR } from "../support/fixtures";

/** Every envelope the goldens hold: what the builders emit, each validated by the full envelope schema. */
function goldenEvents(): UnifiedEvent[] {
  const events: UnifiedEvent[] = [];
  for (const platform of readdirSync(FIXTURES_DIR, { withFileTypes: true })) {
    if (!platform.isDirectory()) continue;
    const dir = join(FIXTURES_DIR, platform.name);
    for (const file of readdirSync(dir).filter((name) => name.endsWith(".golden.json")))
      events.push(...(JSON.parse(readFileSync(join(dir, file), "utf8")) as { events: UnifiedEvent[] }).events);
  }
  return events;
}

/** What the two validators said, comparable: the envelope as JSON (key order included), or zod's issues. */
function outcome(checked: ReturnType<typeof validateEnvelope>): string {
  return checked.success ? JSON.stringify(checked.data) : `rejected: ${describeIssues(checked.error)}`;
}

describe("completeBuiltEnvelope (data and metadata only) against validateEnvelope (all of it)", () => {
  const events = goldenEvents();

  it("completes every golden envelope in place into what validateEnvelope returns, with copies of data and metadata", () => {
    expect(events.length).toBeGreaterThan(300);
    for (const event of events) {
      const envelope = { ...event };
      expect(completeBuiltEnvelope(event.type, envelope)).toBe(true);
      expect(JSON.stringify(envelope)).toBe(outcome(validateEnvelope(event.type, event)));
      expect(envelope.data).not.toBe(event.data);
      expect(envelope.metadata).not.toBe(event.metadata);
    }
  });

  it("leaves what the adapter gave wrongly untouched, for validateEnvelope to refuse with zod's own issues", () => {
    for (const event of events.slice(0, 60)) {
      const broken = [
        { ...event, data: { ...event.data, secret: "x" } },
        { ...event, metadata: { ...event.metadata, raw_platform_event_id: "" } },
        { ...event, metadata: { ...event.metadata, extra: 1 } },
        { ...event, data: null },
      ] as unknown as UnifiedEvent[];
      for (const envelope of broken) {
        const { data, metadata } = envelope;
        expect(completeBuiltEnvelope(event.type, envelope)).toBe(false);
        expect(envelope.data).toBe(data);
        expect(envelope.metadata).toBe(metadata);
        expect(outcome(validateEnvelope(event.type, envelope))).toMatch(/^rejected: /);
      }
    }
  });
});

describe("isEnvelopeContext", () => {
  const valid = { workspace_id: "ws", block_id: "blk", received_at: "2026-11-22T12:00:00.000Z" };

  it("accepts what the envelope schema accepts and refuses the rest, also right after a valid one", () => {
    for (const [platform, context, expected] of [
      ["test", valid, true],
      ["test", { ...valid, workspace_id: "" }, false],
      ["test", valid, true],
      ["test", { ...valid, block_id: "" }, false],
      ["Not A Platform", valid, false],
      ["test", { ...valid, received_at: "2026-11-22" }, false],
      ["test", { ...valid, received_at: "2026-11-22T12:00:00.001Z" }, true],
      ["test", { ...valid, received_at: nowIso() }, true],
      ["other", valid, true],
    ] as const)
      expect([platform, context, isEnvelopeContext(platform, context)]).toEqual([platform, context, expected]);
  });

  it("leaves a builder with an invalid context failing every event, as before", () => {
    expect(isEnvelopeContext("test", valid)).toBe(true);
    const b = new EnvelopeBuilder("test", { ...valid, block_id: "" });
    const data = { contact_id: b.contactId(1), conversation_id: b.conversationId(1) };
    const emit = () => b.event("messaging.follow", { key: "k", data, metadata: { raw_platform_event_id: "k" } });
    expect(emit).toThrow(EnvelopeError);
    expect(emit).toThrow(/block_id/);
  });
});

describe("the times a builder makes", () => {
  it("are envelope timestamps at the ends of the range and in between (so they need no check)", () => {
    const latest = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    const samples = [0, 1, 999, 86_399_999, 951_782_400_000, 1_709_164_800_123, latest, latest - 86_400_000];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * latest));
    for (const millis of samples) {
      // numbers below 1e11 are read as seconds: those times are given in seconds
      if (millis >= 100_000_000_000) expect(IsoTimestamp.safeParse(platformTime(millis)).success).toBe(true);
      expect(IsoTimestamp.safeParse(platformTime(Math.floor(millis / 1000))).success).toBe(true);
      expect(IsoTimestamp.safeParse(platformTime(String(Math.floor(millis / 1000)))).success).toBe(true);
    }
    expect(IsoTimestamp.safeParse(nowIso()).success).toBe(true);
  });
});
