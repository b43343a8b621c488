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

describe("messenger direction and identity", () => {
  it("makes only echoes outbound: a postback, quick reply, reaction or read whose sender is the Page stays the person's", () => {
    const fromPage = { sender: { id: PAGE }, recipient: { id: PAGE }, timestamp: 1795252530000 };
    const result = run(
      page(
        { ...fromPage, postback: { mid: "m_pb", title: "Buy", payload: "BUY" } },
        { ...fromPage, message: { mid: "m_qr", text: "Yes", quick_reply: { payload: "YES" } } },
        { ...fromPage, reaction: { mid: "m_qr", action: "react", emoji: "\u2764\ufe0f" } },
        { ...fromPage, read: { watermark: 1795252530000 } },
      ),
    );
    expect(result.events.map((event) => event.type)).toEqual([
      "messaging.postback",
      "messaging.message.received",
      "messaging.postback",
      "messaging.reaction.added",
      "messaging.message.read",
    ]);
  });

  it("treats a dashboard test of message_echoes as an echo even without is_echo", () => {
    const value = {
      sender: { id: PAGE },
      recipient: { id: PSID },
      timestamp: 1795252530000,
      message: { mid: "m_echo_test", text: "hi" },
    };
    const result = run({
      object: "page",
      entry: [{ id: PAGE, time: 1795252530, changes: [{ field: "message_echoes", value }] }],
    });
    expect(result.events.map((event) => [event.type, event.metadata.platform_user_id])).toEqual([
      ["messaging.message.sent", PSID],
    ]);
  });

  it("keys a checkbox-plugin opt-in without sender on its user_ref", () => {
    const [follow] = ofType(run("optin-checkbox-no-sender"), "messaging.follow");
    expect(follow?.metadata).toMatchObject({
      platform_user_id: "cbx_r8Tq3LmV5Zp1",
      raw_platform_event_id: expect.stringMatching(/^optin:cbx_r8Tq3LmV5Zp1:/),
    });
    expect(follow?.data.contact_id).toBe(contactId(context.block_id, "cbx_r8Tq3LmV5Zp1"));
  });

  it("opens a conversation when a message request is accepted, and reports another answer", () => {
    expect(ofType(run("optin-message-request-accept"), "messaging.conversation.created")[0]?.data.source).toBe(
      "message_request",
    );
    const declined = run(
      page({
        sender: { id: PSID },
        recipient: { id: PAGE },
        timestamp: 1795252530000,
        optin: { message_request: "decline" },
      }),
    );
    expect({ events: declined.events.length, kinds: declined.unhandled.map((item) => item.kind) }).toEqual({
      events: 0,
      kinds: ["optin.message_request"],
    });
  });

  it("reports every item of an entry list Meta does not document", () => {
    const result = run("entry-unknown-list");
    expect(result.events).toHaveLength(1);
    expect(result.unhandled).toMatchObject([{ kind: "entry.message", raw_platform_event_id: "m_in_unknown_list" }]);
  });
});

describe("messenger: a malformed item costs only itself", () => {
  const message = (mid: string, timestamp: unknown = 1795252530000) => ({
    sender: { id: PSID },
    recipient: { id: PAGE },
    timestamp,
    message: { mid, text: "hi" },
  });
  const poisoned = { sender: "nope", recipient: { id: PAGE }, timestamp: "x", message: { mid: "m_bad", text: "?" } };
  const process = (payload: object) => {
    const rawBody = Buffer.from(JSON.stringify(payload));
    return normalizer.processWebhook({ platform, rawBody, headers: signed(rawBody), secrets, context });
  };

  it("maps the two good items of a batch of 3 and reports the poisoned middle one, with the zod path", () => {
    const result = process(page(message("m_1"), poisoned, message("m_3")));
    expect(result.events.map((event) => event.metadata.platform_message_id)).toEqual(["m_1", "m_3"]);
    expect(result.unhandled).toHaveLength(1);
    expect(result.unhandled[0]).toMatchObject({ kind: "message", raw_platform_event_id: "m_bad", raw: poisoned });
    expect(result.unhandled[0]?.reason).toMatch(/sender: /);
  });

  it('keeps the first entry when the second entry\'s item has sender "nope" and timestamp "x"', () => {
    const result = process({
      object: "page",
      entry: [
        { id: PAGE, time: 1795252530900, messaging: [message("m_1")] },
        { id: PAGE, time: 1795252530900, messaging: [poisoned] },
      ],
    });
    expect(result.events.map((event) => event.type)).toEqual(["messaging.message.received"]);
    expect(result.unhandled.map((item) => item.kind)).toEqual(["message"]);
  });

  it("keeps an item with a time at or after the year 10000, and its neighbours, on the receive time", () => {
    const reaction = {
      sender: { id: PSID },
      recipient: { id: PAGE },
      timestamp: 253402300800000,
      reaction: { mid: "m_1", action: "react", emoji: "\u{1F44D}" },
    };
    const result = process(page(message("m_1"), reaction, message("m_3", -5)));
    expect(result.unhandled).toEqual([]);
    expect(
      result.events.map((event) => [
        event.type,
        event.timestamp,
        event.metadata.timestamp_source,
        event.metadata.platform_timestamp,
      ]),
    ).toEqual([
      ["messaging.message.received", "2026-11-21T09:15:30.000Z", undefined, undefined],
      ["messaging.reaction.added", context.received_at, "received", "253402300800000"],
      ["messaging.message.received", context.received_at, "received", "-5"],
    ]);
    // the key keeps what was sent, so a redelivery gives the same id
    expect(process(page(reaction)).events[0]?.id).toBe(result.events[1]?.id);
  });

  it("reports a watermark that is not a time as the item's fault", () => {
    const read = { sender: { id: PSID }, recipient: { id: PAGE }, timestamp: 1795252530000, read: { watermark: 1e20 } };
    const result = process(page(message("m_1"), read));
    expect(result.events).toHaveLength(1);
    expect(result.unhandled[0]).toMatchObject({ kind: "read", reason: expect.stringMatching(/between 1970 and 9999/) });
  });

  it("reports an entry whose lists are not lists, and maps the entries beside it", () => {
    const result = process({
      object: "page",
      entry: [
        { id: PAGE, messaging: { not: "a list" } },
        { id: PAGE, time: 1795252530900, messaging: [message("m_2")] },
      ],
    });
    expect(result.events).toHaveLength(1);
    expect(result.unhandled).toMatchObject([
      { kind: "entry", raw_platform_event_id: PAGE, reason: expect.stringContaining("messaging") },
    ]);
  });

  it("reads kinds and fields named like Object.prototype members as plain names", () => {
    const text = `{"object":"page","entry":[{"id":"${PAGE}","time":1795252530900,"messaging":[
      {"sender":{"id":"${PSID}"},"recipient":{"id":"${PAGE}"},"timestamp":1795252530000,"__proto__":{"polluted":true}},
      {"sender":{"id":"${PSID}"},"recipient":{"id":"${PAGE}"},"timestamp":1795252530000,"constructor":{}}],
      "changes":[{"field":"toString","value":{}},{"field":"__proto__","value":{"polluted":true}}]}]}`;
    const result = process(JSON.parse(text) as object);
    expect(result.events).toEqual([]);
    expect(result.unhandled.map((item) => item.kind)).toEqual([
      "__proto__",
      "constructor",
      "changes.toString",
      "changes.__proto__",
    ]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("bounds kinds named by payload strings, so a huge name cannot inflate reports and logs", () => {
    const huge = "x".repeat(100_000);
    const result = process({
      object: "page",
      entry: [
        {
          id: PAGE,
          time: 1795252530900,
          messaging: [
            {
              sender: { id: PSID },
              recipient: { id: PAGE },
              timestamp: 1795252530000,
              reaction: { mid: "m_1", action: huge },
            },
            { sender: { id: PSID }, [huge]: {} },
          ],
          changes: [
            { field: huge, value: {} },
            { field: "feed", value: { item: huge, verb: huge } },
          ],
          [huge]: [{}],
        },
      ],
    });
    expect(result.unhandled).toHaveLength(5);
    for (const item of result.unhandled) expect(item.kind.length).toBeLessThanOrEqual(140);
    expect(result.unhandled.every((item) => (item.reason ?? "").length < 1_000)).toBe(true);
  });

  it("still refuses a body whose envelope is wrong (400)", () => {
    for (const wrong of [
      { object: "page", entry: {} },
      { object: "page", entry: [{ time: 1 }] },
      { object: "page", entry: [{ id: 7 }] },
      { object: "page" },
    ]) {
      expect(() => run(wrong)).toThrow(PayloadError);
    }
  });
});

describeCoverage(coverage, run);
