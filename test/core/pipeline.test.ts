import { z } from "zod";
import {
  createNormalizer,
  defineAdapter,
  EnvelopeBuilder,
  EnvelopeError,
  PayloadError,
  UnknownPlatformError,
  type NormalizeContext,
  type VerifyRequest,
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
    if (payload.mode === "extra-field")
      b.event("messaging.follow", { key: "k", data: { ...data, secret: "x" } as typeof data, metadata });
    else if (payload.mode === "isolated") {
      // three items; the middle one cannot be represented: it alone is reported
      for (const key of ["a", "b", "c"]) {
        b.item({ key }, { kind: "follow", rawId: key }, () => {
          const extra = key === "b" ? { secret: "x" } : {};
          b.event("messaging.follow", {
            key,
            data: { ...data, ...extra } as typeof data,
            metadata: { raw_platform_event_id: key },
          });
        });
      }
    } else if (payload.mode === "undeclared") b.event("messaging.unfollow", { key: "k", data, metadata });
    else if (payload.mode === "smuggled" || payload.mode === "swapped" || payload.mode === "swapped-same-id") {
      // a builder's result, then an envelope the builder never validated put into its events array
      b.event("messaging.follow", { key: "k", data, metadata });
      const result = b.result();
      const id = payload.mode === "swapped-same-id" ? result.events[0]!.id : "evt_not-an-id";
      const foreign = {
        ...result.events[0]!,
        id,
        data: { ...data, secret: "x" },
      } as unknown as (typeof result.events)[number];
      if (payload.mode === "smuggled") result.events.push(foreign);
      else result.events[0] = foreign;
      return result;
    } else if (payload.mode === "copied") {
      // a plain copy of a builder's result whose envelope was changed after the builder validated it
      b.event("messaging.follow", { key: "k", data, metadata });
      const result = b.result();
      (result.events[0] as unknown as { data: Record<string, unknown> }).data["secret"] = "x";
      return { events: [...result.events], unhandled: [...result.unhandled] };
    } else if (payload.mode === "bad-time")
      b.event("messaging.follow", { key: "k", timestamp: payload.at, data, metadata });
    else
      b.event("messaging.follow", {
        key: "k",
        ...(payload.at === undefined ? {} : { timestamp: payload.at }),
        data,
        metadata,
      });
    return b.result();
  },
});

const normalizer = createNormalizer({ adapters: { sloppy } });
const context = { workspace_id: "ws", block_id: "blk", received_at: "2026-11-22T12:00:00Z" };

describe("pipeline", () => {
  it("uses the receive time, and says so, when the payload has no time", () => {
    const [event] = normalizer.normalize("sloppy", '{"mode":"ok"}', context).events;
    expect(event?.timestamp).toBe("2026-11-22T12:00:00.000Z");
    expect(event?.metadata).toEqual({
      raw_platform_event_id: "r1",
      received_at: "2026-11-22T12:00:00.000Z",
      timestamp_source: "received",
    });
  });

  it("uses the platform time when there is one, without receive-time metadata", () => {
    const [event] = normalizer.normalize("sloppy", '{"mode":"ok","at":"1751368800"}', context).events;
    expect(event?.timestamp).toBe("2025-07-01T11:20:00.000Z");
    expect(event?.metadata).toEqual({ raw_platform_event_id: "r1" });
  });

  it("never answers 5xx for an envelope the input made invalid: outside an item the body is a 400", () => {
    const attempt = () => normalizer.normalize("sloppy", '{"mode":"extra-field"}', context);
    expect(attempt).toThrow(PayloadError);
    expect(attempt).toThrow(/\[sloppy\] invalid messaging.follow envelope: data: Unrecognized key: "secret"/);
    try {
      attempt();
    } catch (error) {
      expect((error as PayloadError).cause).toBeInstanceOf(EnvelopeError);
    }
  });

  it("inside items, an envelope that cannot be represented costs only its item", () => {
    const result = normalizer.normalize("sloppy", '{"mode":"isolated"}', context);
    expect(result.events.map((event) => event.metadata.raw_platform_event_id)).toEqual(["a", "c"]);
    expect(result.unhandled).toHaveLength(1);
    expect(result.unhandled[0]).toMatchObject({ kind: "follow", raw_platform_event_id: "b", raw: { key: "b" } });
    expect(result.unhandled[0]?.reason).toMatch(/item could not be mapped: .*Unrecognized key: "secret"/);
  });

  it("reports an event type the adapter does not declare as unhandled, with the reason", () => {
    const result = normalizer.normalize("sloppy", '{"mode":"undeclared"}', context);
    expect(result.events).toEqual([]);
    expect(result.unhandled).toMatchObject([
      { kind: "envelope.messaging.unfollow", reason: expect.stringMatching(/does not declare in emits/) },
    ]);
  });

  it.each([["smuggled"], ["swapped"], ["swapped-same-id"]])(
    "validates an envelope put into a builder's result by hand (%s)",
    (mode) => {
      const result = normalizer.normalize("sloppy", JSON.stringify({ mode }), context);
      expect(result.events.map((event) => event.id)).toEqual(
        mode === "smuggled" ? [expect.stringMatching(/^evt_[0-9A-Z]{20}$/)] : [],
      );
      expect(result.unhandled).toMatchObject([
        { kind: "envelope.messaging.follow", reason: expect.stringMatching(/invalid messaging.follow envelope/) },
      ]);
    },
  );

  it("validates in full a result that is not the builder's own (a plain copy vouches for nothing)", () => {
    const result = normalizer.normalize("sloppy", JSON.stringify({ mode: "copied" }), context);
    expect(result.events).toEqual([]);
    expect(result.unhandled).toMatchObject([
      { kind: "envelope.messaging.follow", reason: expect.stringMatching(/invalid messaging.follow envelope/) },
    ]);
  });

  it.each([["soon"], [-1], [253402300800000], ["+010000-01-01T00:00:00Z"], ["1e400"]])(
    "takes the receive time for a platform time that is not one (%p), keeping what was sent",
    (at) => {
      const [event] = normalizer.normalize("sloppy", JSON.stringify({ mode: "bad-time", at }), context).events;
      expect(event?.timestamp).toBe("2026-11-22T12:00:00.000Z");
      expect(event?.metadata).toEqual({
        raw_platform_event_id: "r1",
        received_at: "2026-11-22T12:00:00.000Z",
        timestamp_source: "received",
        platform_timestamp: String(at),
      });
    },
  );

  it("names the zod issue path of a payload that is not the platform's", () => {
    expect(() => normalizer.normalize("sloppy", '{"mode":7}', context)).toThrow(
      "[sloppy] body is not a sloppy webhook: mode:",
    );
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

  it("gives verify the bytes and headers, the URL as given and one query (from the URL unless given)", () => {
    const seen: VerifyRequest[] = [];
    const watching = createNormalizer({
      adapters: { sloppy: { ...sloppy, verify: (request) => void seen.push(request) } },
    });
    const input = { platform: "sloppy", headers: { "x-a": "1" }, secrets: { token: "t" }, context } as const;
    watching.processWebhook({ ...input, rawBody: '{"mode":"ok"}', url: "https://h/p?a=1&b=2#frag" });
    watching.processWebhook({ ...input, rawBody: new TextEncoder().encode('{"mode":"ok"}') });
    const given = new URLSearchParams("c=3");
    watching.verify("sloppy", { rawBody: "{}", headers: {}, url: "https://h/p?a=1", query: given }, { token: "t" });
    const [fromUrl, bare, withQuery] = seen;
    expect(Buffer.from(fromUrl!.rawBody).toString("utf8")).toBe('{"mode":"ok"}');
    expect(fromUrl!.headers).toBe(input.headers);
    expect(fromUrl!.url).toBe("https://h/p?a=1&b=2#frag");
    expect([...fromUrl!.query]).toEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
    expect(fromUrl!.query).toBe(fromUrl!.query);
    expect(bare!.url).toBeUndefined();
    expect([...bare!.query]).toEqual([]);
    expect(withQuery!.query).toBe(given);
    expect(withQuery!.url).toBe("https://h/p?a=1");
  });
});
