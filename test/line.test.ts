import { line } from "../src/adapters/line";
import { ConfigError, messageId, SignatureError, type UnifiedEvent } from "../src/core";
import { adapterTest, hmacOf, normalizer } from "./support/adapter";
import { coverage } from "../src/adapters/line/coverage";
import { describeCoverage } from "./support/coverage";
import { fixturesOf } from "./support/fixtures";
import { TEST_SECRETS } from "./support/secrets";

/* What the generic suites do not cover for LINE: byte-exact signing, rotation, Verify, big ids, mapping details. */
const { context, body: fixtureBody, run } = adapterTest("line");
const secrets = TEST_SECRETS["line"]!.valid as { channel_secrets: string[] };
const fixtures = fixturesOf("line");
/** LINE's algorithm computed here with node:crypto, independently of the adapter. */
const lineSignature = (body: Uint8Array | string, secret: string) => hmacOf("sha256", secret, body, "base64");
const events = (name: string) => run(name).events;
const only = (name: string): UnifiedEvent => {
  const result = events(name);
  expect(result).toHaveLength(1);
  return result[0]!;
};

describe("line fixtures", () => {
  // golden output, tampering and wrong secrets are checked for every fixture by test/golden.test.ts
  it("has at least 25 fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))("%s is signed as LINE computes it", (_name, f) => {
    expect(line.sign(f.body, secrets)["x-line-signature"]).toBe(lineSignature(f.body, secrets.channel_secrets[0]!));
  });
});

/** A 1:1 text with emoji and Japanese: the bytes LINE signs are UTF-8, unescaped. */
const body = fixtureBody("message-text");

describe("line signature", () => {
  it("is computed over the exact UTF-8 bytes of a body with emoji and non-ASCII text", () => {
    const text = body.toString("utf8");
    expect(text).toContain("😀");
    expect(text).toContain("こんにちは");
    const headers = { "x-line-signature": lineSignature(body, secrets.channel_secrets[0]!) };
    expect(() => normalizer.verify("line", { rawBody: body, headers }, secrets)).not.toThrow();
    // the same JSON re-serialised with escaped non-ASCII (what a body parser + JSON.stringify may do) is other bytes
    const escaped = JSON.stringify(JSON.parse(text)).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    expect(JSON.parse(escaped)).toEqual(JSON.parse(text));
    expect(() => normalizer.verify("line", { rawBody: Buffer.from(escaped), headers }, secrets)).toThrow(
      SignatureError,
    );
    // and the text decoded as latin1 instead of UTF-8 is other bytes as well
    expect(() => normalizer.verify("line", { rawBody: Buffer.from(text, "latin1"), headers }, secrets)).toThrow(
      SignatureError,
    );
  });

  it("reads the header case-insensitively", () => {
    const headers = { "X-Line-Signature": lineSignature(body, secrets.channel_secrets[0]!) };
    expect(() => normalizer.verify("line", { rawBody: body, headers }, secrets)).not.toThrow();
  });

  it("rejects a missing, empty or malformed header with a 401 SignatureError", () => {
    for (const headers of [
      {},
      { "x-line-signature": "" },
      { "x-line-signature": "not-base64!" },
      { "x-hub-signature-256": "sha256=00" },
    ]) {
      let caught: unknown;
      try {
        normalizer.verify("line", { rawBody: body, headers }, secrets);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SignatureError);
      expect((caught as SignatureError).status).toBe(401);
    }
  });

  it("accepts any configured channel secret, so a secret can be rotated", () => {
    const rotating = { channel_secrets: ["old-channel-secret", "new-channel-secret"] };
    for (const secret of rotating.channel_secrets) {
      const headers = { "x-line-signature": lineSignature(body, secret) };
      expect(() => normalizer.verify("line", { rawBody: body, headers }, rotating)).not.toThrow();
    }
    const retired = { "x-line-signature": lineSignature(body, "retired-secret") };
    expect(() => normalizer.verify("line", { rawBody: body, headers: retired }, rotating)).toThrow(SignatureError);
  });

  it("fails closed on an empty secret list, an empty secret or unknown keys", () => {
    const headers = line.sign(body, secrets);
    for (const bad of [
      { channel_secrets: [] },
      { channel_secrets: [""] },
      { ...secrets, channel_secret: "x" },
      { secret_token: "x" },
    ]) {
      expect(() => normalizer.verify("line", { rawBody: body, headers }, bad)).toThrow(ConfigError);
    }
  });
});

describe("line Verify request (empty events)", () => {
  const body = fixtureBody("verify-request");

  it("is one platform.webhook.verified event with method verify_request and the receive time", () => {
    const event = only("verify-request");
    expect(event.type).toBe("platform.webhook.verified");
    expect(event.data).toEqual({ method: "verify_request" });
    expect(event.metadata.platform_account_id).toBe("U53387d548170020e6cedef5f41d1e01d");
    expect(event.metadata.timestamp_source).toBe("received");
    expect(event.timestamp).toBe(context.received_at);
  });

  it("must be signed like any other request", () => {
    expect(() => normalizer.processWebhook({ platform: "line", rawBody: body, headers: {}, secrets, context })).toThrow(
      SignatureError,
    );
  });
});

describe("line ids", () => {
  it("keeps message ids larger than 2^53 exact", () => {
    const raw = "595988571795226693";
    expect(BigInt(raw) > 2n ** 53n).toBe(true);
    // proof the check below can fail: as a JS number the id loses digits
    expect(String(Number(raw))).not.toBe(raw);
    const event = only("message-text");
    expect(event.metadata.platform_message_id).toBe(raw);
    if (event.type !== "messaging.message.received") throw new Error(event.type);
    expect(event.data.message.id).toBe(messageId(context.block_id, raw));
    expect(event.data.message.id).not.toBe(messageId(context.block_id, String(Number(raw))));
  });

  it("reports a message id sent as a JSON number as unhandled rather than map it lossily", () => {
    const text = fixtureBody("message-text")
      .toString("utf8")
      .replace('"id":"595988571795226693"', '"id":595988571795226693');
    expect(text).toContain('"id":595988571795226693');
    const result = run(Buffer.from(text));
    expect(result.events).toEqual([]);
    expect(result.unhandled).toMatchObject([{ kind: "message", raw_platform_event_id: "01KEMH6NRRRZ7E5JC5QTA9YRZE" }]);
    expect(result.unhandled[0]?.reason).toMatch(/message\.id/);
  });

  it("derives the same event ids for a redelivered event, flagged is_redelivery", () => {
    const original = only("message-text");
    const redelivered = only("message-text-redelivered");
    expect(redelivered.id).toBe(original.id);
    expect(redelivered.metadata.raw_platform_event_id).toBe("01KEMH6NRRRZ7E5JC5QTA9YRZE");
    expect(original.metadata.is_redelivery).toBe(false);
    expect(redelivered.metadata.is_redelivery).toBe(true);
  });

  it("gives an unsent message the id of the message event it deletes", () => {
    const [received, , , , deleted] = events("batch-mixed");
    if (received?.type !== "messaging.message.received" || deleted?.type !== "messaging.message.deleted")
      throw new Error("order");
    expect(deleted.data.message_id).toBe(received.data.message.id);
  });
});

describe("line mapping details", () => {
  it("emits a batch of events of several users and types in body order", () => {
    const result = run("batch-mixed");
    const inOrder = ["message.received", "follow", "conversation.created", "member.joined", "message.deleted"].map(
      (type) => `messaging.${type}`,
    );
    expect(result.events.map((event) => event.type)).toEqual(inOrder);
    expect(result.unhandled).toEqual([]);
    expect(new Set(result.events.map((event) => event.metadata.raw_platform_event_id)).size).toBe(4);
  });

  it("opens a conversation on a first follow only, not on an unblock", () => {
    expect(events("follow").map((event) => event.type)).toEqual(["messaging.follow", "messaging.conversation.created"]);
    const unblock = only("follow-unblocked");
    expect(unblock.type).toBe("messaging.follow");
    expect(unblock.data).toMatchObject({ unblocked: true });
  });

  it("uses the group or room as the conversation and the user as the contact", () => {
    const group = only("message-text-group-mention-quote");
    const room = only("message-text-room");
    const direct = only("message-video-external");
    expect(group.metadata.platform_thread_id).toBe("Ca18e766e2730654fc1ca2573a14e01e2");
    expect(group.metadata.platform_user_id).toBe("U2a0a2c5054c4fa12b78a1d059411e39c");
    expect(room.metadata.platform_thread_id).toBe("Rb1a7e0c2d0000000000000000000000");
    // the same user in a room and in a 1:1 chat is one contact in two conversations
    expect(room.data).toMatchObject({ contact_id: (direct.data as { contact_id: string }).contact_id });
    expect((room.data as { conversation_id: string }).conversation_id).not.toBe(
      (direct.data as { conversation_id: string }).conversation_id,
    );
  });

  it("falls back to the group as the contact when LINE withholds the userId", () => {
    const event = only("message-text-group-no-user");
    expect(event.metadata.platform_user_id).toBeUndefined();
    const data = event.data as { contact_id: string; conversation_id: string };
    expect(data.contact_id.slice("ct_".length)).toBe(data.conversation_id.slice("conv_".length));
  });

  it("maps the quoted message to reply_to and mentions (with the bot's own) to Message.mentions", () => {
    const event = only("message-text-group-mention-quote");
    if (event.type !== "messaging.message.received") throw new Error(event.type);
    expect(event.data.message.reply_to).toEqual({ message_id: messageId(context.block_id, "468789532432007169") });
    expect(event.data.message.mentions).toEqual([
      { offset: 0, length: 8, platform_user_id: "U53387d548170020e6cedef5f41d1e01d", is_self: true },
    ]);
  });

  it("converts media durations from ms to seconds and keeps LINE-hosted content fetchable by message id", () => {
    const audio = only("message-audio");
    if (audio.type !== "messaging.message.received") throw new Error(audio.type);
    expect(audio.data.message.attachments).toEqual([{ type: "audio", media_id: "325709", duration: 12.5 }]);
    const video = only("message-video-external");
    if (video.type !== "messaging.message.received") throw new Error(video.type);
    expect(video.data.message.attachments).toEqual([
      { type: "video", url: "https://example.com/original.mp4", duration: 60 },
    ]);
  });

  it("keeps string postback params and drops values that are not strings", () => {
    const body = JSON.stringify({
      destination: "U53387d548170020e6cedef5f41d1e01d",
      events: [
        {
          type: "postback",
          mode: "active",
          timestamp: 1513669370318,
          source: { type: "user", userId: "Uabc" },
          webhookEventId: "01TESTPOSTBACKPARAMS000000",
          deliveryContext: { isRedelivery: false },
          postback: { data: "d", params: { datetime: "2017-12-25T01:00", weird: 3 } },
        },
      ],
    });
    const [event] = run(Buffer.from(body)).events;
    expect(event?.data).toMatchObject({ postback: { payload: "d", params: { datetime: "2017-12-25T01:00" } } });
  });

  it("flags events of a standby channel and records no reply token", () => {
    const event = only("message-text-standby");
    expect(event.metadata.is_standby).toBe(true);
    expect(event.metadata.reply_token).toBeUndefined();
  });

  it("reports an unknown event type as unhandled with its kind instead of failing", () => {
    const result = run("unknown-event-type");
    expect(result.events).toEqual([]);
    expect(result.unhandled).toHaveLength(1);
    expect(result.unhandled[0]).toMatchObject({
      kind: "reactionAdded",
      raw_platform_event_id: "01KZZZZZZZZZZZZZZZZZZZZZZZ",
    });
  });
});

describe("line accounts", () => {
  it("returns one slice keyed by destination", () => {
    const payload = normalizer.parse("line", fixtureBody("delivery"));
    expect(normalizer.accounts("line", payload)).toEqual([
      { account_id: "Uc7472b39e21dab71c2347e02714630d6", payload },
    ]);
  });
});

describe("line real-world shapes (issue 11)", () => {
  it("marks an @All mention as everyone, unlike a mention whose user id LINE withheld", () => {
    const event = only("message-text-group-mention-all");
    if (event.type !== "messaging.message.received") throw new Error(event.type);
    const [all, bob] = event.data.message.mentions ?? [];
    expect(all).toEqual({ offset: 0, length: 4, everyone: true });
    expect(bob?.everyone).toBeUndefined();
    expect(bob?.platform_user_id).toBe("U91eeaf62d9aaaaaaaaaaaaaaaaaaaaaaa");
  });

  it("never returns two envelopes with one id when events share a webhookEventId", () => {
    const result = run("repeated-webhook-event-id");
    // three events: an exact repeat of the first collapses, the different third one is re-keyed
    expect(result.events).toHaveLength(2);
    expect(new Set(result.events.map((event) => event.id)).size).toBe(2);
    expect(result.events.map((event) => event.metadata.platform_user_id)).toEqual([
      "U4af4980629aaaaaaaaaaaaaaaaaaaaaaa",
      "U91eeaf62d9aaaaaaaaaaaaaaaaaaaaaaa",
    ]);
  });

  it("maps messageEdited to messaging.message.updated on the edited message's id, edits in any order", () => {
    const [later, earlier] = events("message-edited-out-of-order");
    if (later?.type !== "messaging.message.updated" || earlier?.type !== "messaging.message.updated")
      throw new Error("types");
    expect(later.data.message.id).toBe(messageId(context.block_id, "612345678901234567"));
    expect(earlier.data.message.id).toBe(later.data.message.id);
    expect(later.id).not.toBe(earlier.id);
    // the latest state is the edit with the largest time, whatever the arrival order
    expect(later.data.message.edited_at! > earlier.data.message.edited_at!).toBe(true);
    expect(later.data.message.text).toBe("Meeting moved to 15:00");
  });

  it("maps memberJoined and memberLeft to one member event per member", () => {
    const joined = events("member-joined");
    expect(joined.map((event) => [event.type, event.metadata.platform_user_id])).toEqual([
      ["messaging.member.joined", "U4af4980629aaaaaaaaaaaaaaaaaaaaaaa"],
      ["messaging.member.joined", "U91eeaf62d9aaaaaaaaaaaaaaaaaaaaaaa"],
    ]);
    expect(new Set(joined.map((event) => event.id)).size).toBe(2);
    expect(only("member-left").type).toBe("messaging.member.left");
  });

  it.each(["legacy-2021-no-webhook-event-id", "legacy-2018-no-destination"])(
    "accepts stored history (%s) with derived keys and legacy_shape",
    (name) => {
      const result = run(name);
      expect(result.unhandled).toEqual([]);
      expect(result.events.length).toBeGreaterThanOrEqual(2);
      for (const event of result.events) {
        expect(event.metadata.legacy_shape).toBe(true);
        expect(event.metadata.raw_platform_event_id).toMatch(/^legacy:/);
      }
      // deterministic: derived from the content, so the same body gives the same ids
      expect(run(name).events.map((event) => event.id)).toEqual(result.events.map((event) => event.id));
    },
  );

  it("derives the legacy key from the event's content: type, time, chat, user and message id", () => {
    const [message] = events("legacy-2021-no-webhook-event-id");
    expect(message?.metadata.raw_platform_event_id).toBe(
      "legacy:message:1609459200123::U206d25c2ea6bd87c17655609a1c37cb8:13311111111111",
    );
    expect(message?.metadata.platform_account_id).toBe("Uea8667adaf43586706170ff25ff47ae6");
    const [old] = events("legacy-2018-no-destination");
    expect(old?.metadata.platform_account_id).toBeUndefined();
  });

  it("routes a body without destination to no account on a shared route", () => {
    expect(normalizer.accounts("line", normalizer.parse("line", fixtureBody("legacy-2018-no-destination")))).toEqual(
      [],
    );
  });
});

describeCoverage(coverage, run);
