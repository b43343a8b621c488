import { contactId, messageId, PayloadError, SignatureError } from "../src/core";
import { adapterTest, hmacOf, metaSigned, normalizer, ofType } from "./support/adapter";
import { coverage } from "../src/adapters/messenger/coverage";
import { describeCoverage } from "./support/coverage";

/*
 * What the generic golden and conformance suites do not pin down for Messenger: byte-exact signing of
 * Meta-escaped bodies, sha1 opt-in, the handshake, account splitting and specific mapping rules.
 */
const { platform, context, body, run } = adapterTest("messenger");
const APP_SECRET = "a-messenger-app-secret";
const secrets = { app_secrets: [APP_SECRET], verify_token: "verify-me-123" };
const PAGE = "112233445566778";
const PSID = "6543219876543210";

const hex = (algorithm: "sha1" | "sha256", secret: string, bytes: Uint8Array) => hmacOf(algorithm, secret, bytes);
const signed = (bytes: Uint8Array, secret = APP_SECRET) => metaSigned(bytes, secret);
const page = (...items: unknown[]) => ({
  object: "page",
  entry: [{ id: PAGE, time: 1795252530900, messaging: items }],
});

describe("messenger signature", () => {
  const escaped = body("fallback-link-non-ascii-escaped");

  it("keeps the escaped fixture exactly as Meta sends it", () => {
    const text = escaped.toString("latin1");
    expect(text).toContain("https:\\/\\/youtu.be\\/");
    expect(text).toContain("M\\u00fcnchen \\ud83d\\ude00");
    expect(text).not.toContain("\n");
    expect([...escaped].every((byte) => byte < 0x80)).toBe(true);
  });

  it("verifies the signature over the exact bytes, not over re-serialised JSON", () => {
    const headers = signed(escaped);
    const result = normalizer.processWebhook({ platform, rawBody: escaped, headers, secrets, context });
    const [received] = ofType(result, "messaging.message.received");
    expect(received?.data.message.text).toBe(
      "Gr\u00fc\u00dfe aus M\u00fcnchen \u{1F600} \u2013 \u00e4\u00f6\u00e5! Here is where I want to go: https://youtu.be/bbo_fZAjIhg",
    );
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(escaped.toString("utf8"))), "utf8");
    expect(reserialised.equals(escaped)).toBe(false);
    expect(() => normalizer.verify(platform, { rawBody: reserialised, headers }, secrets)).toThrow(SignatureError);
  });

  it("rejects a tampered body, a wrong secret, a malformed and a missing header (401)", () => {
    const tampered = Buffer.from(escaped.toString("latin1").replace("M\\u00fcnchen", "M\\u00fcnchem"), "latin1");
    expect(tampered.length).toBe(escaped.length);
    expect(() => normalizer.verify(platform, { rawBody: tampered, headers: signed(escaped) }, secrets)).toThrow(
      SignatureError,
    );
    expect(() =>
      normalizer.verify(platform, { rawBody: escaped, headers: signed(escaped, "another-secret") }, secrets),
    ).toThrow(SignatureError);
    expect(() =>
      normalizer.verify(
        platform,
        { rawBody: escaped, headers: { "x-hub-signature-256": hex("sha256", APP_SECRET, escaped) } },
        secrets,
      ),
    ).toThrow("malformed");
    let missing: unknown;
    try {
      normalizer.verify(platform, { rawBody: escaped, headers: {} }, secrets);
    } catch (error) {
      missing = error;
    }
    expect(missing).toBeInstanceOf(SignatureError);
    expect((missing as SignatureError).status).toBe(401);
  });

  it("accepts upper-case hex and any header-name case", () => {
    const headers = { "X-HUB-SIGNATURE-256": `sha256=${hex("sha256", APP_SECRET, escaped).toUpperCase()}` };
    expect(() => normalizer.verify(platform, { rawBody: escaped, headers }, secrets)).not.toThrow();
  });

  it("accepts the legacy sha1 header only when allow_sha1 is set, and never over a sha256 header", () => {
    const legacy = { "X-Hub-Signature": `sha1=${hex("sha1", APP_SECRET, escaped)}` };
    expect(() => normalizer.verify(platform, { rawBody: escaped, headers: legacy }, secrets)).toThrow(SignatureError);
    const allowing = { ...secrets, allow_sha1: true };
    expect(() => normalizer.verify(platform, { rawBody: escaped, headers: legacy }, allowing)).not.toThrow();
    const wrongSha1 = { "X-Hub-Signature": `sha1=${hex("sha1", "another-secret", escaped)}` };
    expect(() => normalizer.verify(platform, { rawBody: escaped, headers: wrongSha1 }, allowing)).toThrow(
      SignatureError,
    );
    const wrongSha256 = { ...signed(escaped, "another-secret"), ...legacy };
    expect(() => normalizer.verify(platform, { rawBody: escaped, headers: wrongSha256 }, allowing)).toThrow(
      SignatureError,
    );
  });
});

describe("messenger handshake", () => {
  const query = (token: string, challenge = "1158201444", mode = "subscribe") =>
    new URLSearchParams({ "hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge });

  it("answers the challenge as plain text and emits platform.webhook.verified", () => {
    const result = normalizer.handshake(platform, { query: query("verify-me-123"), headers: {} }, secrets, context);
    expect(result?.status).toBe(200);
    expect(result?.body).toBe("1158201444");
    expect(result?.events.map((event) => event.type)).toEqual(["platform.webhook.verified"]);
    expect(result?.events[0]?.platform).toBe("messenger");
  });

  it("refuses a wrong token, another mode or a missing challenge with 403", () => {
    for (const request of [
      query("wrong-token"),
      query("verify-me-123", "1158201444", "unsubscribe"),
      new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": "verify-me-123" }),
    ]) {
      const result = normalizer.handshake(platform, { query: request, headers: {} }, secrets, context);
      expect({ status: result?.status, events: result?.events.length }).toEqual({ status: 403, events: 0 });
    }
  });

  it("refuses every token when no verify_token is configured", () => {
    const result = normalizer.handshake(
      platform,
      { query: query(""), headers: {} },
      { app_secrets: [APP_SECRET] },
      context,
    );
    expect(result?.status).toBe(403);
    expect(result?.body).not.toBe("1158201444");
  });
});

describe("messenger envelope", () => {
  it("rejects another product's object with a PayloadError", () => {
    for (const object of ["instagram", "whatsapp_business_account", "user"]) {
      const text = JSON.stringify({ object, entry: [] });
      expect(() => normalizer.normalize(platform, text, context)).toThrow(PayloadError);
      expect(() => normalizer.normalize(platform, text, context)).toThrow("object");
    }
    expect(normalizer.normalize(platform, '{"object":"page","entry":[]}', context)).toEqual({
      events: [],
      unhandled: [],
    });
  });

  it("keeps 17-digit ids as exact strings", () => {
    const result = run("feed-comment-add");
    expect(result.events[0]?.metadata.platform_user_id).toBe("24601234567890123");
  });

  it("walks every entry of a batch, messaging and standby alike", () => {
    const result = run("multi-entry-batch");
    expect(result.events.map((event) => event.type)).toEqual([
      "messaging.message.received",
      "messaging.message.delivered",
      "messaging.message.read",
      "messaging.message.received",
    ]);
    expect(result.events.map((event) => event.metadata.is_standby ?? false)).toEqual([false, false, false, true]);
  });

  it("keeps one event when Meta repeats an item in one POST", () => {
    expect(run("duplicate-message-in-batch").events).toHaveLength(1);
  });
});

describe("messenger accounts", () => {
  it("splits a batch per Page, in order, with the same object", () => {
    const payload = normalizer.parse(platform, body("multi-account-batch"));
    const slices = normalizer.accounts(platform, payload) ?? [];
    expect(slices.map((slice) => slice.account_id)).toEqual([PAGE, "998877665544332"]);
    const [first, second] = slices.map(
      (slice) => slice.payload as { object: string; entry: { id: string; time: number }[] },
    );
    expect(first?.object).toBe("page");
    expect(second?.object).toBe("page");
    expect(first?.entry.map((entry) => entry.time)).toEqual([1795252531100, 1795252532100]);
    expect(second?.entry.map((entry) => entry.id)).toEqual(["998877665544332"]);

    // each slice, normalised for its own block, yields exactly that Page's events
    const whole = run("multi-account-batch");
    const perSlice = slices.flatMap((slice) =>
      normalizer
        .normalizePayload(platform, slice.payload, { ...context, block_id: `blk_${slice.account_id}` })
        .events.map((event) => {
          expect(event.metadata.platform_account_id).toBe(slice.account_id);
          return event.metadata.raw_platform_event_id;
        }),
    );
    expect(perSlice.sort()).toEqual(whole.events.map((event) => event.metadata.raw_platform_event_id).sort());
  });
});

describe("messenger mapping", () => {
  it("takes the contact from the recipient of an echo and links derived ids", () => {
    const [echo] = ofType(run("echo-text"), "messaging.message.sent");
    const [inbound] = ofType(run("text-message"), "messaging.message.received");
    expect(echo?.data.contact_id).toBe(contactId(context.block_id, PSID));
    expect(echo?.data.contact_id).toBe(inbound?.data.contact_id);
    expect(echo?.data.message.direction).toBe("outbound");
    expect(echo?.metadata.platform_account_id).toBe(PAGE);

    const target = echo?.data.message.id;
    expect(ofType(run("reaction-react"), "messaging.reaction.added")[0]?.data.reaction.message_id).toBe(target);
    expect(ofType(run("delivery-mids"), "messaging.message.delivered")[0]?.data.message_ids[0]).toBe(target);
    expect(ofType(run("reply-to"), "messaging.message.received")[0]?.data.message.reply_to?.message_id).toBe(target);
  });

  it("tells an echo from an inbound message with the same mid by type", () => {
    const mid = "m_same_mid";
    const result = run(
      page(
        { sender: { id: PSID }, recipient: { id: PAGE }, timestamp: 1795252530000, message: { mid, text: "in" } },
        {
          sender: { id: PAGE },
          recipient: { id: PSID },
          timestamp: 1795252530000,
          message: { mid, text: "in", is_echo: true },
        },
      ),
    );
    expect(result.events.map((event) => event.type)).toEqual(["messaging.message.received", "messaging.message.sent"]);
    expect(new Set(result.events.map((event) => event.id)).size).toBe(2);
    expect(
      result.events.every(
        (event) => "message" in event.data && event.data.message.id === messageId(context.block_id, mid),
      ),
    ).toBe(true);
  });

  it("keys reactions by target, action, emoji and time: a retry repeats the id, a re-react does not", () => {
    const react = (timestamp: number, action = "react") => ({
      sender: { id: PSID },
      recipient: { id: PAGE },
      timestamp,
      reaction: { mid: "m_target", action, emoji: "\u2764\ufe0f", reaction: "love" },
    });
    const first = run(page(react(1795252530000))).events[0];
    const retried = run(page(react(1795252530000))).events[0];
    const removed = run(page(react(1795252531000, "unreact"))).events[0];
    const again = run(page(react(1795252532000))).events[0];
    expect(retried?.id).toBe(first?.id);
    expect(removed?.type).toBe("messaging.reaction.removed");
    expect(new Set([first?.id, removed?.id, again?.id]).size).toBe(3);
  });

  it("normalises a seconds timestamp sent where ms are documented", () => {
    const [event] = run("referral-ad-timestamp-seconds").events;
    expect(event?.timestamp).toBe("2026-11-21T09:15:30.000Z");
    expect(event?.metadata.timestamp_source).toBeUndefined();
  });

  it("keeps one sticker of the sticker + image transition pair, and reads a legacy sticker image as a sticker", () => {
    for (const name of ["sticker-transition", "sticker-legacy-image"]) {
      const message = ofType(run(name), "messaging.message.received")[0]?.data.message;
      expect(message?.type).toBe("sticker");
      expect(message?.attachments).toEqual([expect.objectContaining({ type: "sticker", media_id: "369239263222822" })]);
    }
  });

  it("reports a quick reply as a message and a postback, and Get Started as a new conversation", () => {
    expect(run("quick-reply").events.map((event) => event.type)).toEqual([
      "messaging.message.received",
      "messaging.postback",
    ]);
    const [postback] = ofType(run("quick-reply"), "messaging.postback");
    expect(postback?.data.postback).toEqual({ payload: "SIZE_M", title: "Size M" });
    const started = ofType(run("postback-get-started-referral"), "messaging.conversation.created")[0];
    expect(started?.data).toMatchObject({
      source: "referral",
      referral: { ref: "qr_store_paris", source: "SHORTLINK" },
    });
    expect(ofType(run("postback"), "messaging.conversation.created")).toHaveLength(0);
  });

  it("flags standby items, whose postbacks have no payload", () => {
    const [postback] = ofType(run("standby-postback-no-payload"), "messaging.postback");
    expect(postback?.metadata.is_standby).toBe(true);
    expect(postback?.data.postback.payload).toBe("");
    expect(run("text-message").events[0]?.metadata.is_standby).toBeUndefined();
  });

  it("maps handover to conversation updates and handoff requests", () => {
    const [passed] = ofType(run("handover-pass-thread-control"), "messaging.conversation.updated");
    expect(passed?.data.changes).toMatchObject({
      thread_owner_app_id: "263902037430900",
      previous_thread_owner_app_id: null,
    });
    const [requested] = ofType(run("handover-request-thread-control"), "messaging.handoff.requested");
    expect(requested?.data.requested_by).toBe("263902037430900");
  });

  it("maps Page feed comments and skips the Page's own", () => {
    const [reply] = ofType(run("feed-comment-reply"), "messaging.comment.created");
    expect(reply?.data.comment.parent_id).toBe("139560936744456_1071234567890123");
    expect(ofType(run("feed-comment-add"), "messaging.comment.created")[0]?.data.comment.parent_id).toBeUndefined();
    const own = run("feed-page-own-comment");
    expect(own.events).toHaveLength(0);
    expect(own.unhandled.map((item) => item.kind)).toEqual(["feed.comment.add"]);
    expect(run("feed-other-items").unhandled.map((item) => item.kind)).toEqual([
      "feed.comment.edited",
      "feed.comment.remove",
      "feed.reaction.add",
      "feed.status.add",
      "changes.mention",
    ]);
  });

  it("reports kinds with no mapping with their kind and raw item", () => {
    const result = run("unhandled-kinds");
    expect(result.events).toHaveLength(0);
    expect(result.unhandled.map((item) => item.kind)).toEqual([
      "account_linking",
      "account_linking",
      "response_feedback",
      "game_play",
    ]);
    expect(run("app-roles").unhandled[0]?.raw).toMatchObject({
      app_roles: { "1517776481860111": ["primary_receiver"] },
    });
  });

  it("reports a changes value of the wrong shape instead of failing the whole batch", () => {
    const text = JSON.stringify({
      object: "page",
      entry: [
        {
          id: PAGE,
          time: 1795252530,
          changes: [{ field: "feed", value: { item: "comment", verb: "add", from: "not-an-object" } }],
        },
      ],
    });
    const result = normalizer.normalize(platform, text, context);
    expect(result.events).toHaveLength(0);
    expect(result.unhandled[0]?.kind).toBe("changes.feed");
    expect(result.unhandled[0]?.reason).toContain("from");
  });
});

describeCoverage(coverage, run);
