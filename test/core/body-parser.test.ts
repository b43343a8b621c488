import { acceptsContentType, createNormalizer, exceedsShapeOf, mediaTypeOf, PayloadError } from "../../src/core";
import { createWebhookHandler } from "../../src/http";
import { adapters } from "../../src/adapters";
import { FORMCHAT_SECRETS, formchat } from "../support/form-adapter";

/*
 * Issue 26: the body parser is the adapter's (`contentTypes` + `parseBody`), not JSON for everyone. The edge
 * answers 415 to a content type the adapter does not list, applies the size and shape caps to a form before
 * parsing it, and answers 400 for bytes the adapter's parser refuses.
 */
const FORM = "application/x-www-form-urlencoded";
const normalizer = createNormalizer({ adapters: { ...adapters, formchat } });
const context = { workspace_id: "ws_form", block_id: "blk_form", received_at: "2026-11-22T12:00:00.000Z" };
const body = Buffer.from("Id=F1&From=%2B15550001&Text=caf%C3%A9+ok");

function handler(options: { maxKeys?: number } = {}) {
  return createWebhookHandler({
    normalizer,
    blocks: [{ id: "form1", platform: "formchat", workspace_id: "ws_form", secrets: FORMCHAT_SECRETS.valid }],
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    ...options,
  });
}

const post = (rawBody: Buffer, contentType: string | undefined, options: { maxKeys?: number } = {}) =>
  handler(options)({
    method: "POST",
    url: "/webhooks/form1",
    headers: {
      ...(contentType === undefined ? {} : { "content-type": contentType }),
      ...formchat.sign(rawBody, FORMCHAT_SECRETS.valid, { url: "http://localhost/webhooks/form1" }),
    },
    rawBody,
  });

describe("content types", () => {
  it("reads the media type and accepts a UTF-8 or absent charset only", () => {
    expect(mediaTypeOf(" Application/X-WWW-Form-Urlencoded ; charset=UTF-8")).toBe(FORM);
    expect(mediaTypeOf(undefined)).toBeUndefined();
    expect(acceptsContentType([FORM], FORM)).toBe(true);
    expect(acceptsContentType([FORM], `${FORM}; charset="utf-8"`)).toBe(true);
    expect(acceptsContentType([FORM], `${FORM}; charset=iso-8859-1`)).toBe(false);
    expect(acceptsContentType([FORM], "application/json")).toBe(false);
    expect(acceptsContentType([FORM], undefined)).toBe(false);
  });
});

describe("a body parser chosen by the adapter", () => {
  it("parses a form through the adapter's parseBody, in the library and over HTTP", async () => {
    const result = normalizer.normalize("formchat", body, context, FORM);
    expect(result.events.map((event) => event.type)).toEqual(["messaging.message.received"]);
    expect((result.events[0]!.data as { message: { text: string } }).message.text).toBe("café ok");
    const response = await post(body, `${FORM}; charset=utf-8`);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: true, events: 1, unhandled: 0 });
  });

  it("answers 415 to a content type the adapter does not list, and JSON adapters still refuse forms", async () => {
    for (const type of ["application/json", "text/plain", undefined]) {
      const response = await post(body, type);
      expect(response.status).toBe(415);
      expect(JSON.parse(response.body).error.code).toBe("unsupported_media_type");
      expect(JSON.parse(response.body).error.message).toContain(FORM);
    }
    const telegram = createWebhookHandler({
      normalizer,
      blocks: [
        { id: "tg", platform: "telegram", workspace_id: "w", secrets: { secret_token: "test-secret_TOKEN-123" } },
      ],
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    const refused = await telegram({
      method: "POST",
      url: "/webhooks/tg",
      headers: { "content-type": FORM },
      rawBody: body,
    });
    expect(refused.status).toBe(415);
  });

  it("answers 400 invalid_payload for bytes the parser refuses, and a PayloadError in the library", async () => {
    const broken = Buffer.from([0x49, 0x64, 0x3d, 0xff]);
    const response = await post(broken, FORM);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).error.code).toBe("invalid_payload");
    expect(() => normalizer.normalize("formchat", broken, context)).toThrow(PayloadError);
    expect(() => normalizer.normalize("formchat", "Id=1", context)).toThrow(PayloadError);
  });

  it("counts a form's fields against max_keys before parsing it", async () => {
    const fields = Array.from({ length: 50 }, (_, index) => `X${index}=1`).join("&");
    const many = Buffer.from(`Id=F2&From=a&Text=b&${fields}`);
    expect((await post(many, FORM, { maxKeys: 60 })).status).toBe(200);
    const response = await post(many, FORM, { maxKeys: 40 });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error.code).toBe("too_many_keys");
  });

  it("counts forms by fields, XML by tags and anything else as JSON", () => {
    const limits = { maxKeys: 3, maxItems: 3 };
    expect(exceedsShapeOf(Buffer.from("a=1&b=2&c=3"), limits, FORM)).toBeUndefined();
    expect(exceedsShapeOf(Buffer.from("a=1&b=2&c=3&d=4"), limits, FORM)).toEqual({ what: "keys", limit: 3 });
    expect(exceedsShapeOf(Buffer.from("<a><b>1</b><c/></a>"), limits, "text/xml")).toBeUndefined();
    expect(exceedsShapeOf(Buffer.from("<a><b/><c/><d/></a>"), limits, "application/xml")).toEqual({
      what: "keys",
      limit: 3,
    });
    expect(exceedsShapeOf(Buffer.from('{"a":1,"b":2,"c":3,"d":4}'), { maxKeys: 3, maxItems: 3 }, undefined)).toEqual({
      what: "keys",
      limit: 3,
    });
  });
});

describe("the content type processWebhook hands on", () => {
  it("reads the header for an adapter that parses its own body, and never for a JSON adapter", () => {
    const seen: (string | undefined)[] = [];
    const spying = {
      ...formchat,
      parseBody: (raw: Uint8Array, type?: string) => (seen.push(type), formchat.parseBody!(raw, type)),
    };
    const forms = createNormalizer({ adapters: { formchat: spying } });
    const url = "http://localhost/webhooks/form1";
    const signed = formchat.sign(body, FORMCHAT_SECRETS.valid, { url });
    const input = { platform: "formchat", rawBody: body, url, secrets: FORMCHAT_SECRETS.valid, context } as const;
    forms.processWebhook({ ...input, headers: { ...signed, "Content-Type": FORM } });
    forms.processWebhook({ ...input, headers: { ...signed, "content-type": "text/plain" }, contentType: FORM });
    expect(seen).toEqual([FORM, FORM]);

    // a JSON adapter's body is JSON whatever the header says: the lookup is not made at all
    let reads = 0;
    const secret = "test-secret_TOKEN-123";
    const update = {
      update_id: 1,
      message: { message_id: 1, date: 1751368805, chat: { id: 5, type: "private" }, text: "hi" },
    };
    const headers = { "x-telegram-bot-api-secret-token": secret };
    Object.defineProperty(headers, "content-type", { enumerable: true, get: () => (reads++, "application/json") });
    const result = normalizer.processWebhook({
      platform: "telegram",
      rawBody: Buffer.from(JSON.stringify(update)),
      headers,
      secrets: { secret_token: secret },
      context,
    });
    expect(result.events.map((event) => event.type)).toEqual(["messaging.message.received"]);
    expect(reads).toBe(0);
  });
});
