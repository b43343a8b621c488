import { z } from "zod";
import {
  createNormalizer,
  defineAdapter,
  EnvelopeBuilder,
  EnvelopeError,
  PayloadError,
  UnknownPlatformError,
  type NormalizeContext,
} from "../../src/core";

/** A deliberately sloppy adapter: what it emits depends on the payload, to prove the pipeline checks output. */
const sloppy = defineAdapter({
  platform: "sloppy",
  payload: z.looseObject({ mode: z.string(), at: z.union([z.number(), z.string()]).optional() }),
  secrets: z.strictObject({ token: z.string() }),
  emits: ["messaging.follow"],
  verify() {},
  sign() {
    return {};
  },
  normalize(payload, context: NormalizeContext) {
    const b = new EnvelopeBuilder("sloppy", context);
    const data = { contact_id: b.contactId(1), conversation_id: b.conversationId(1) };
    const metadata = { raw_platform_event_id: "r1" };
    if (payload.mode === "extra-field") b.event("messaging.follow", { key: "k", data: { ...data, secret: "x" } as typeof data, metadata });
    else if (payload.mode === "undeclared") b.event("messaging.unfollow", { key: "k", data, metadata });
    else if (payload.mode === "bad-time") b.event("messaging.follow", { key: "k", timestamp: payload.at, data, metadata });
    else b.event("messaging.follow", { key: "k", ...(payload.at === undefined ? {} : { timestamp: payload.at }), data, metadata });
    return b.result();
  },
});

const normalizer = createNormalizer({ adapters: { sloppy } });
const context = { workspace_id: "ws", block_id: "blk", received_at: "2026-11-22T12:00:00Z" };

describe("pipeline", () => {
  it("uses the receive time, and says so, when the payload has no time", () => {
    const [event] = normalizer.normalize("sloppy", '{"mode":"ok"}', context).events;
    expect(event?.timestamp).toBe("2026-11-22T12:00:00.000Z");
    expect(event?.metadata).toEqual({ raw_platform_event_id: "r1", received_at: "2026-11-22T12:00:00.000Z", timestamp_source: "received" });
  });

  it("uses the platform time when there is one, without receive-time metadata", () => {
    const [event] = normalizer.normalize("sloppy", '{"mode":"ok","at":"1751368800"}', context).events;
    expect(event?.timestamp).toBe("2025-07-01T11:20:00.000Z");
    expect(event?.metadata).toEqual({ raw_platform_event_id: "r1" });
  });

  it("rejects an envelope with an undocumented field as an adapter bug (500)", () => {
    const attempt = () => normalizer.normalize("sloppy", '{"mode":"extra-field"}', context);
    expect(attempt).toThrow(EnvelopeError);
    expect(attempt).toThrow(/\[sloppy\] invalid messaging.follow envelope: data: Unrecognized key: "secret"/);
  });

  it("rejects an event type the adapter does not declare", () => {
    expect(() => normalizer.normalize("sloppy", '{"mode":"undeclared"}', context)).toThrow(/does not declare in emits/);
  });

  it("turns an unreadable platform time into a PayloadError", () => {
    expect(() => normalizer.normalize("sloppy", '{"mode":"bad-time","at":"soon"}', context)).toThrow(PayloadError);
  });

  it("names the zod issue path of a payload that is not the platform's", () => {
    expect(() => normalizer.normalize("sloppy", '{"mode":7}', context)).toThrow("[sloppy] body is not a sloppy webhook: mode:");
    try {
      normalizer.normalize("sloppy", "{oops", context);
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadError);
      expect((error as PayloadError).code).toBe("invalid_json");
      expect((error as PayloadError).status).toBe(400);
      expect((error as PayloadError).toJSON().error.message).toMatch(/^\[sloppy\] body is not valid JSON/);
    }
  });

  it("answers an unknown platform with UnknownPlatformError listing the known ones", () => {
    expect(() => normalizer.normalize("myspace", "{}", context)).toThrow(UnknownPlatformError);
    expect(() => normalizer.normalize("myspace", "{}", context)).toThrow("known: sloppy");
  });

  it("refuses an empty workspace or block", () => {
    expect(() => normalizer.normalize("sloppy", '{"mode":"ok"}', { ...context, block_id: "" })).toThrow("non-empty");
  });
});
