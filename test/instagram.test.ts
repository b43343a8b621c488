import { contactId, PayloadError, SignatureError } from "../src/core";
import { adapterTest, hmacOf, metaSigned, normalizer, ofType } from "./support/adapter";
import { coverage } from "../src/adapters/instagram/coverage";
import { describeCoverage } from "./support/coverage";

/*
 * What the generic suites do not pin down for Instagram: either app secret signs, byte-exact escaped bodies,
 * the handshake, account splitting, stories, unsends, comments and dashboard test payloads.
 */
const { platform, context, body, run } = adapterTest("instagram");
const META_SECRET = "the-meta-app-secret";
const INSTAGRAM_SECRET = "the-instagram-app-secret";
const secrets = { app_secrets: [META_SECRET, INSTAGRAM_SECRET], verify_token: "ig-verify-456" };
const ACCOUNT = "17841405726653026";
const IGSID = "6627363697318245";

const hex = (algorithm: "sha1" | "sha256", secret: string, bytes: Uint8Array) => hmacOf(algorithm, secret, bytes);
const signed = (bytes: Uint8Array, secret: string) => metaSigned(bytes, secret);

describe("instagram signature", () => {
  const escaped = body("text-non-ascii-escaped");

  it("verifies the exact escaped bytes signed with either the Meta or the Instagram app secret", () => {
    expect(escaped.toString("latin1")).toContain("42\\/B, voir https:\\/\\/maisonbleue.example\\/p\\/42");
    expect(escaped.toString("latin1")).toContain("\\ud83d\\ude4f");
    for (const secret of [META_SECRET, INSTAGRAM_SECRET]) {
      const result = normalizer.processWebhook({
        platform,
        rawBody: escaped,
        headers: signed(escaped, secret),
        secrets,
        context,
      });
      expect(ofType(result, "messaging.message.received")[0]?.data.message.text).toBe(
        "\u00bfTen\u00e9is la talla S? \u00c7a m'int\u00e9resse \u{1F64F}\u2764\ufe0f \u2014 r\u00e9f. 42/B, voir https://maisonbleue.example/p/42",
      );
    }
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(escaped.toString("utf8"))), "utf8");
    expect(() =>
      normalizer.verify(platform, { rawBody: reserialised, headers: signed(escaped, META_SECRET) }, secrets),
    ).toThrow(SignatureError);
  });

  it("rejects a tampered body, a secret not in the list and a missing header", () => {
    const tampered = Buffer.from(escaped.toString("latin1").replace("talla S", "talla M"), "latin1");
    expect(() =>
      normalizer.verify(platform, { rawBody: tampered, headers: signed(escaped, INSTAGRAM_SECRET) }, secrets),
    ).toThrow(SignatureError);
    expect(() =>
      normalizer.verify(platform, { rawBody: escaped, headers: signed(escaped, "a-rotated-out-secret") }, secrets),
    ).toThrow(SignatureError);
    expect(() => normalizer.verify(platform, { rawBody: escaped, headers: {} }, secrets)).toThrow(
      "missing x-hub-signature-256",
    );
  });

  it("accepts sha1 only when allow_sha1 is set", () => {
    const legacy = { "x-hub-signature": `sha1=${hex("sha1", INSTAGRAM_SECRET, escaped)}` };
    expect(() => normalizer.verify(platform, { rawBody: escaped, headers: legacy }, secrets)).toThrow(SignatureError);
    expect(() =>
      normalizer.verify(platform, { rawBody: escaped, headers: legacy }, { ...secrets, allow_sha1: true }),
    ).not.toThrow();
  });
});

describe("instagram handshake", () => {
  const query = (token: string) =>
    new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "2093746158" });

  it("answers the challenge when the token matches, 403 otherwise or when no token is configured", () => {
    const ok = normalizer.handshake(platform, { query: query("ig-verify-456"), headers: {} }, secrets, context);
    expect({ status: ok?.status, body: ok?.body, types: ok?.events.map((event) => event.type) }).toEqual({
      status: 200,
      body: "2093746158",
      types: ["platform.webhook.verified"],
    });
    expect(normalizer.handshake(platform, { query: query("nope"), headers: {} }, secrets, context)?.status).toBe(403);
    expect(
      normalizer.handshake(
        platform,
        { query: query("ig-verify-456"), headers: {} },
        { app_secrets: [META_SECRET] },
        context,
      )?.status,
    ).toBe(403);
  });
});

describe("instagram envelope and accounts", () => {
  it("rejects a Page body with a PayloadError", () => {
    expect(() => normalizer.normalize(platform, '{"object":"page","entry":[]}', context)).toThrow(PayloadError);
  });

  it("keeps ids above 2^53 as exact strings", () => {
    const [event] = run("text-message").events;
    expect(event?.metadata.platform_account_id).toBe(ACCOUNT);
    expect(event?.metadata.platform_user_id).toBe(IGSID);
  });

  it("splits a batch per account, messaging and changes entries alike, in order", () => {
    const slices = normalizer.accounts(platform, normalizer.parse(platform, body("multi-account-batch"))) ?? [];
    expect(slices.map((slice) => slice.account_id)).toEqual([ACCOUNT, "17841400000000042"]);
    const mine = slices[0]?.payload as { object: string; entry: { messaging?: unknown[]; changes?: unknown[] }[] };
    expect(mine.object).toBe("instagram");
    expect(mine.entry.map((entry) => (entry.messaging ? "messaging" : "changes"))).toEqual(["messaging", "changes"]);
    const types = normalizer.normalizePayload(platform, mine, context).events.map((event) => event.type);
    expect(types).toEqual(["messaging.message.received", "messaging.comment.created"]);
  });

  it("maps a dashboard test sent in changes[] without crashing", () => {
    const result = run("dashboard-test-message");
    expect(result.events.map((event) => [event.type, event.timestamp, event.metadata.platform_account_id])).toEqual([
      ["messaging.message.received", "2018-05-27T22:23:44.000Z", "0"],
    ]);
  });
});

describe("instagram mapping", () => {
  it("maps story replies and story mentions to story_reply.received, but an echoed mention to sent", () => {
    const [reply] = ofType(run("story-reply"), "messaging.story_reply.received");
    expect(reply?.data.story).toEqual({
      id: "17920000000000001",
      url: expect.stringContaining("asset_id=17920000000000001"),
    });
    expect(reply?.data.message.text).toBe("Love this! \u{1F60D}");
    const [mention] = ofType(run("story-mention"), "messaging.story_reply.received");
    expect(mention?.data.message.attachments?.[0]?.type).toBe("story");
    expect(run("story-mention-echo").events.map((event) => event.type)).toEqual(["messaging.message.sent"]);
  });

  it("maps an unsend to message.deleted naming the original message", () => {
    const [deleted] = ofType(run("message-deleted"), "messaging.message.deleted");
    const [original] = ofType(run("text-message"), "messaging.message.received");
    expect(deleted?.data.message_id).toBe(original?.data.message.id);
    expect(deleted?.id).not.toBe(original?.id);
  });

  it("maps messaging_seen to a read of that one message, and echoes to sent with the user as contact", () => {
    const [echo] = ofType(run("echo-text"), "messaging.message.sent");
    expect(echo?.data.contact_id).toBe(contactId(context.block_id, IGSID));
    const [seen] = ofType(run("messaging-seen"), "messaging.message.read");
    expect(seen?.data.message_ids).toEqual([echo?.data.message.id]);
    expect(seen?.data.watermark).toBeUndefined();
  });

  it("keeps one post of the share + ig_post transition pair", () => {
    const message = ofType(run("share-ig-post-transition"), "messaging.message.received")[0]?.data.message;
    expect(message?.type).toBe("share");
    expect(message?.attachments).toEqual([expect.objectContaining({ type: "post", media_id: "18139494541428835" })]);
  });

  it("maps like_heart, reels and unsupported content", () => {
    expect(ofType(run("like-heart"), "messaging.message.received")[0]?.data.message.attachments).toEqual([
      { type: "sticker", emoji: "\u2764\ufe0f" },
    ]);
    expect(
      ofType(run("attachment-ig-reel"), "messaging.message.received")[0]?.data.message.attachments?.[0],
    ).toMatchObject({
      type: "reel",
      media_id: "17906265141506851",
    });
    expect(ofType(run("unsupported"), "messaging.message.received")[0]?.data.message.type).toBe("unsupported");
  });

  it("maps icebreakers to a postback that starts a conversation", () => {
    expect(run("postback-icebreaker-get-started").events.map((event) => event.type)).toEqual([
      "messaging.postback",
      "messaging.conversation.created",
    ]);
    expect(run("postback-button").events.map((event) => event.type)).toEqual(["messaging.postback"]);
  });

  it("normalises a seconds timestamp", () => {
    expect(run("timestamp-seconds").events[0]?.timestamp).toBe("2026-11-21T09:15:30.000Z");
  });

  it("maps comments and live comments, skips the account's own, and reports mentions unhandled", () => {
    const [reply] = ofType(run("comments-reply"), "messaging.comment.created");
    expect(reply?.data.comment).toEqual({
      id: "17865799348089040",
      text: "@jane.doe it's 79\u20ac",
      post_id: "17918195224117851",
      parent_id: "17865799348089039",
    });
    expect(reply?.data.contact).toEqual({ username: "marc.d" });
    expect(reply?.timestamp).toBe("2026-11-21T09:16:40.000Z");
    expect(ofType(run("live-comments"), "messaging.comment.created")).toHaveLength(1);
    expect(run("own-comment").events).toHaveLength(0);
    const mentions = run("mentions-and-story-insights");
    expect(mentions.events).toHaveLength(0);
    expect(mentions.unhandled.map((item) => [item.kind, item.raw_platform_event_id])).toEqual([
      ["changes.mentions", "17894227972186120"],
      ["changes.mentions", "17918195224118000"],
      ["changes.story_insights", undefined],
    ]);
  });

  it("reports DM kinds Instagram does not have (deliveries) as unhandled", () => {
    const text = JSON.stringify({
      object: "instagram",
      entry: [
        {
          id: ACCOUNT,
          time: 1795252530785,
          messaging: [
            {
              sender: { id: IGSID },
              recipient: { id: ACCOUNT },
              timestamp: 1795252530000,
              delivery: { watermark: 1795252530000 },
            },
          ],
        },
      ],
    });
    const result = normalizer.normalize(platform, text, context);
    expect(result.events).toHaveLength(0);
    expect(result.unhandled.map((item) => item.kind)).toEqual(["delivery"]);
  });
});

describe("instagram: a malformed item costs only itself", () => {
  const dm = (mid: string) => ({
    sender: { id: IGSID },
    recipient: { id: ACCOUNT },
    timestamp: 1795252530000,
    message: { mid, text: "hi" },
  });
  const badDm = {
    sender: { id: IGSID },
    recipient: { id: ACCOUNT },
    timestamp: 1795252530000,
    message: { mid: 42, text: "?" },
  };
  const comment = (id: string) => ({
    field: "comments",
    value: { id, text: "nice", from: { id: IGSID, username: "jane" }, media: { id: "17918195224117851" } },
  });
  const process = (entry: unknown[]) => {
    const rawBody = Buffer.from(JSON.stringify({ object: "instagram", entry }));
    return normalizer.processWebhook({ platform, rawBody, headers: signed(rawBody, META_SECRET), secrets, context });
  };
  const entry = (lists: object) => ({ id: ACCOUNT, time: 1795252530, ...lists });

  it.each([
    ["messaging[]", entry({ messaging: [dm("m_1"), badDm, dm("m_3")] }), "message"],
    ["standby[]", entry({ standby: [dm("m_1"), badDm, dm("m_3")] }), "message"],
    [
      "changes[]",
      entry({
        changes: [
          comment("c_1"),
          { field: "comments", value: { id: "c_2", from: "nope", media: { id: "1" } } },
          comment("c_3"),
        ],
      }),
      "changes.comments",
    ],
    ["changes[] with no field", entry({ changes: [comment("c_1"), { value: {} }, comment("c_3")] }), "changes"],
  ])("maps the two good items of %s and reports the poisoned middle one", (_name, one, kind) => {
    const result = process([one]);
    expect(result.events).toHaveLength(2);
    expect(result.unhandled.map((item) => item.kind)).toEqual([kind]);
  });

  it("maps the two good entries of three and reports the middle entry whose lists are not lists", () => {
    const result = process([
      entry({ messaging: [dm("m_1")] }),
      entry({ changes: "nope" }),
      entry({ messaging: [dm("m_3")] }),
    ]);
    expect(result.events).toHaveLength(2);
    expect(result.unhandled).toMatchObject([
      { kind: "entry", raw_platform_event_id: ACCOUNT, reason: expect.stringContaining("changes") },
    ]);
  });
});

describeCoverage(coverage, run);
