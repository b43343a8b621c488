import { coverage } from "../src/adapters/whatsapp/coverage";
import { describeCoverage } from "./support/coverage";
import { contactId, messageId, PayloadError, SignatureError, UnifiedEventSchema } from "../src/core";
import { adapterTest, hmacOf, normalizer, ofType } from "./support/adapter";
import { TEST_SECRETS } from "./support/secrets";

/*
 * What the generic golden and conformance suites do not pin down for WhatsApp: byte-exact signing, the GET
 * handshake, splitting a batch per phone number, and mapping details that tie events to each other.
 */
const { context, body: fixture, run } = adapterTest("whatsapp");
const secrets = TEST_SECRETS["whatsapp"]!.valid as { app_secrets: string[]; verify_token: string };
const APP_SECRET = secrets.app_secrets[0]!;
const PNID = "106540352242922";
const only = ofType;

function messagesBody(value: Record<string, unknown>, phoneNumberId = PNID) {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

describe("whatsapp signature", () => {
  const body = fixture("text-non-ascii");
  const signature = `sha256=${hmacOf("sha256", APP_SECRET, body)}`;

  it("accepts an X-Hub-Signature-256 computed independently over the raw bytes, whatever the header's case", () => {
    expect(body.toString("latin1")).toContain("\\u00c7a co\\u00fbte"); // the fixture really is Meta-escaped
    expect(() =>
      normalizer.verify("whatsapp", { rawBody: body, headers: { "X-Hub-Signature-256": signature } }, secrets),
    ).not.toThrow();
  });

  it("rejects the same signature over re-serialised JSON (unescaped non-ASCII and slashes)", () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString("utf8"))), "utf8");
    expect(reserialised.equals(body)).toBe(false);
    expect(() =>
      normalizer.verify("whatsapp", { rawBody: reserialised, headers: { "x-hub-signature-256": signature } }, secrets),
    ).toThrow(SignatureError);
  });

  it("accepts any of several app secrets (rotation) and rejects a sha1-only request by default", () => {
    const rotated = { app_secrets: ["old-secret", APP_SECRET] };
    expect(() =>
      normalizer.verify("whatsapp", { rawBody: body, headers: { "x-hub-signature-256": signature } }, rotated),
    ).not.toThrow();
    const sha1 = `sha1=${hmacOf("sha1", APP_SECRET, body)}`;
    expect(() =>
      normalizer.verify("whatsapp", { rawBody: body, headers: { "x-hub-signature": sha1 } }, secrets),
    ).toThrow(SignatureError);
  });
});

describe("whatsapp handshake", () => {
  const query = (params: Record<string, string>) => ({ query: new URLSearchParams(params), headers: {} });

  it("answers the challenge as plain text and emits platform.webhook.verified", () => {
    const result = normalizer.handshake(
      "whatsapp",
      query({ "hub.mode": "subscribe", "hub.verify_token": secrets.verify_token, "hub.challenge": "1158201444" }),
      secrets,
      context,
    );
    expect(result?.status).toBe(200);
    expect(result?.body).toBe("1158201444");
    expect(result?.events.map((event) => event.type)).toEqual(["platform.webhook.verified"]);
    expect(
      result?.events.every((event) => UnifiedEventSchema.safeParse(event).success && event.platform === "whatsapp"),
    ).toBe(true);
  });

  it("refuses a wrong token, a wrong mode, and a block without a verify token", () => {
    const challenge = { "hub.challenge": "42" };
    const wrongToken = normalizer.handshake(
      "whatsapp",
      query({ "hub.mode": "subscribe", "hub.verify_token": "nope", ...challenge }),
      secrets,
      context,
    );
    const wrongMode = normalizer.handshake(
      "whatsapp",
      query({ "hub.mode": "unsubscribe", "hub.verify_token": secrets.verify_token, ...challenge }),
      secrets,
      context,
    );
    const noToken = normalizer.handshake(
      "whatsapp",
      query({ "hub.mode": "subscribe", "hub.verify_token": secrets.verify_token, ...challenge }),
      { app_secrets: [APP_SECRET] },
      context,
    );
    for (const result of [wrongToken, wrongMode, noToken]) {
      expect(result?.status).toBe(403);
      expect(result?.body).not.toBe("42");
      expect(result?.events).toEqual([]);
    }
  });
});

describe("whatsapp payload shape", () => {
  it("rejects Messenger and Instagram bodies with a PayloadError", () => {
    for (const object of ["page", "instagram"]) {
      expect(() => run({ object, entry: [{ id: "1", time: 1, messaging: [] }] })).toThrow(PayloadError);
    }
  });
});

describe("whatsapp accounts()", () => {
  const adapter = normalizer.adapterFor("whatsapp");

  it("splits a payload spanning two phone numbers and the WABA into whole payloads per account", () => {
    const payload = normalizer.parse("whatsapp", fixture("two-phone-numbers")) as { entry: { changes: unknown[] }[] };
    const management = { field: "account_update", value: { event: "PARTNER_ADDED" } };
    const mixed = {
      ...payload,
      entry: [...payload.entry, { id: "102290129340398", time: 1748477300, changes: [management] }],
    };
    const slices = adapter.accounts!(normalizer.parse("whatsapp", JSON.stringify(mixed)));

    expect(slices.map((slice) => slice.account_id)).toEqual([PNID, "106540352242999", "102290129340398"]);
    const perSlice = slices.map((slice) => normalizer.normalizePayload("whatsapp", slice.payload, context));
    expect(perSlice.map((result) => result.events.map((event) => event.type))).toEqual([
      ["messaging.message.received"],
      ["messaging.message.delivered"],
      ["platform.block.connected"],
    ]);
    for (const [index, slice] of slices.entries()) {
      expect((slice.payload as { object: string }).object).toBe("whatsapp_business_account");
      expect(perSlice[index]!.events.every((event) => event.metadata.platform_account_id === slice.account_id)).toBe(
        true,
      );
    }
    // together the slices say exactly what the whole payload says
    const whole = normalizer
      .normalize("whatsapp", JSON.stringify(mixed), context)
      .events.map((event) => event.id)
      .sort();
    expect(perSlice.flatMap((result) => result.events.map((event) => event.id)).sort()).toEqual(whole);
  });
});

describe("whatsapp mapping details", () => {
  const sheena = { profile: { name: "Sheena Nelson" }, wa_id: "16505551234" };
  const original = "wamid.ORIGINAL";

  it("gives a message's sent, delivered and read three distinct events about the same message id", () => {
    const statuses = ["sent", "delivered", "read"].map((status, index) => ({
      id: original,
      status,
      timestamp: String(1750030073 + index),
      recipient_id: "16505551234",
    }));
    const { events } = run(messagesBody({ statuses }));
    expect(events.map((event) => event.type)).toEqual([
      "messaging.message.sent",
      "messaging.message.delivered",
      "messaging.message.read",
    ]);
    expect(new Set(events.map((event) => event.id)).size).toBe(3);
    expect(events.map((event) => event.metadata.raw_platform_event_id)).toEqual([
      `${original}:sent`,
      `${original}:delivered`,
      `${original}:read`,
    ]);
    const id = messageId(context.block_id, original);
    expect(only(events, "messaging.message.sent")[0]!.data.message).toMatchObject({ id, direction: "outbound" });
    expect(only(events, "messaging.message.delivered")[0]!.data.message_ids).toEqual([id]);
    expect(only(events, "messaging.message.read")[0]!.data.message_ids).toEqual([id]);
  });

  it("links reactions, edits and revokes to the message they target", () => {
    const messages = [
      { from: "16505551234", id: original, timestamp: "1700000000", type: "text", text: { body: "hello" } },
      {
        from: "16505551234",
        id: "wamid.R",
        timestamp: "1700000001",
        type: "reaction",
        reaction: { message_id: original, emoji: "👍" },
      },
      {
        from: "16505551234",
        id: "wamid.E",
        timestamp: "1700000002",
        type: "edit",
        edit: { original_message_id: original, message: { type: "text", text: { body: "hello!" } } },
      },
      {
        from: "16505551234",
        id: "wamid.V",
        timestamp: "1700000003",
        type: "revoke",
        revoke: { original_message_id: original },
      },
    ];
    const { events } = run(messagesBody({ contacts: [sheena], messages }));
    const received = only(events, "messaging.message.received")[0]!.data.message.id;
    expect(only(events, "messaging.reaction.added")[0]!.data.reaction).toEqual({ message_id: received, emoji: "👍" });
    const updated = only(events, "messaging.message.updated")[0]!;
    expect(updated.data.message).toMatchObject({ id: received, text: "hello!", edited_at: "2023-11-14T22:13:22.000Z" });
    expect(updated.metadata.raw_platform_event_id).toBe("wamid.E");
    expect(only(events, "messaging.message.deleted")[0]!.data.message_id).toBe(received);
  });

  it("keys the contact on the BSUID when present, else on wa_id, and keeps the profile name", () => {
    const bsuid = "US.13491208655302741918";
    const both = run(
      messagesBody({
        contacts: [{ ...sheena, user_id: bsuid }],
        messages: [
          {
            from: "16505551234",
            from_user_id: bsuid,
            id: "wamid.B",
            timestamp: "1755100100",
            type: "text",
            text: { body: "hi" },
          },
        ],
      }),
    ).events[0]!;
    expect(both.metadata.platform_user_id).toBe(bsuid);
    expect(both.data).toMatchObject({
      contact_id: contactId(context.block_id, bsuid),
      contact: { name: "Sheena Nelson" },
    });

    const phoneOnly = run(
      messagesBody({
        contacts: [sheena],
        messages: [{ from: "16505551234", id: "wamid.P", timestamp: "1755100100", type: "text", text: { body: "hi" } }],
      }),
    ).events[0]!;
    expect(phoneOnly.data).toMatchObject({ contact_id: contactId(context.block_id, "16505551234") });
  });

  it("matches each message of a batch to its own contact", () => {
    const messages = [
      { from: "16505551234", id: "wamid.1", timestamp: "1750100000", type: "text", text: { body: "a" } },
      { from: "447700900123", id: "wamid.2", timestamp: "1750100001", type: "text", text: { body: "b" } },
    ];
    const contacts = [sheena, { profile: { name: "Oliver Brown" }, wa_id: "447700900123" }];
    const events = only(run(messagesBody({ contacts, messages })).events, "messaging.message.received");
    expect(events.map((event) => event.data.contact?.name)).toEqual(["Sheena Nelson", "Oliver Brown"]);
  });

  it("turns a failed status into messaging.message.failed with the WhatsApp error code", () => {
    const events = only(run("status-failed").events, "messaging.message.failed");
    expect(events[0]!.data.error).toMatchObject({ code: "131049" });
    expect(events[0]!.data.error.message).toContain("healthy ecosystem");
  });

  it("re-keys a number-keyed contact on user_changed_number but only adds the phone to a BSUID-keyed one", () => {
    const system = { body: "changed", wa_id: "16505559999", type: "user_changed_number" };
    const byPhone = only(
      run(
        messagesBody({
          messages: [{ from: "16505551234", id: "wamid.S1", timestamp: "1753851315", type: "system", system }],
        }),
      ).events,
      "crm.contact.updated",
    );
    expect(byPhone[0]!.data.changes).toEqual({ phone: "16505559999", platform_user_id: "16505559999" });
    const byBsuid = only(
      run(
        messagesBody({
          messages: [
            {
              from: "16505551234",
              from_user_id: "US.1",
              id: "wamid.S2",
              timestamp: "1753851315",
              type: "system",
              system,
            },
          ],
        }),
      ).events,
      "crm.contact.updated",
    );
    expect(byBsuid[0]!.data).toMatchObject({
      contact_id: contactId(context.block_id, "US.1"),
      changes: { phone: "16505559999" },
    });
    expect(byBsuid[0]!.data.changes.platform_user_id).toBeUndefined();
  });

  it("reports management fields without a mapping as unhandled under their field name", () => {
    const result = run("template-status-update");
    expect(result.events).toEqual([]);
    expect(result.unhandled.map((item) => item.kind)).toEqual(["message_template_status_update"]);
  });
});

describeCoverage(coverage, run);

describe("whatsapp coverage table", () => {
  it("lists every event type the adapter declares", () => {
    const listed = new Set(coverage.rows.flatMap((row) => row.emits ?? []));
    const declared = normalizer.adapterFor("whatsapp").emits.filter((type) => type !== "platform.webhook.verified");
    expect(declared.filter((type) => !listed.has(type))).toEqual([]);
  });
});
