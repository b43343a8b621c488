import { z } from "zod";
import { constantTimeEqual, defineAdapter, EnvelopeBuilder, headerValue, hmac, SignatureError } from "../../src/core";

/*
 * A test-only platform that posts forms, not JSON: it proves the generic edge (a body parser chosen by the
 * adapter, 415 for other content types, the shape caps on a form, the public URL reaching verification) without
 * any real platform's rules. Its signature is an HMAC over the URL it was sent to, a newline and the body.
 */
const HEADER = "x-formchat-signature";

const FormchatPayload = z.looseObject({
  Id: z.string().min(1),
  From: z.string().min(1),
  Kind: z.string().optional(),
  Text: z.string().optional(),
});
type FormchatPayload = z.output<typeof FormchatPayload>;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function signature(token: string, url: string, rawBody: Uint8Array): string {
  return hmac("sha256", token, Buffer.concat([Buffer.from(`${url}\n`), rawBody]), "base64");
}

export const formchat = defineAdapter({
  platform: "formchat",
  payload: FormchatPayload,
  secrets: z.strictObject({ token: z.string().min(1) }),
  emits: ["messaging.message.received"],
  contentTypes: ["application/x-www-form-urlencoded"],
  parseBody(rawBody) {
    return Object.fromEntries(new URLSearchParams(utf8.decode(rawBody)));
  },
  verify(request, secrets) {
    const given = headerValue(request.headers, HEADER);
    if (given === undefined) throw new SignatureError(`missing ${HEADER} header`, { platform: "formchat" });
    if (request.url === undefined) throw new SignatureError("the request's URL is unknown", { platform: "formchat" });
    if (!constantTimeEqual(given, signature(secrets.token, request.url, request.rawBody)))
      throw new SignatureError("signature does not match the request", { platform: "formchat" });
  },
  sign(rawBody, secrets, options) {
    return { [HEADER]: signature(secrets.token, options?.url ?? "", rawBody) };
  },
  normalize(payload: FormchatPayload, context) {
    const builder = new EnvelopeBuilder("formchat", context);
    const raw = { raw_platform_event_id: payload.Id };
    if (payload.Kind !== undefined && payload.Kind !== "message") builder.unhandled(payload.Kind, payload, raw);
    else if (payload.Text === undefined) builder.unhandled("message", payload, { ...raw, reason: "no Text" });
    else
      builder.event("messaging.message.received", {
        key: payload.Id,
        metadata: { raw_platform_event_id: payload.Id },
        data: {
          contact_id: builder.contactId(payload.From),
          conversation_id: builder.conversationId(payload.From),
          message: { id: builder.messageId(payload.Id), type: "text", direction: "inbound", text: payload.Text },
        },
      });
    return builder.result();
  },
});

export const FORMCHAT_SECRETS = { valid: { token: "formchat-token-5e1d7a" }, wrong: { token: "formchat-other-9c02" } };
