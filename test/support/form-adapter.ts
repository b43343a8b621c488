import { z } from "zod";
import { constantTimeEqual, defineAdapter, EnvelopeBuilder, headerValue, hmac, SignatureError } from "../../src/core";

/*
 * A test-only platform that posts forms, not JSON: it proves the generic edge (a body parser chosen by the
 * adapter, 415 for other content types, the shape caps on a form) without any real platform's rules. Its
 * signature is an HMAC over the body, in the header below.
 */
const HEADER = "x-formchat-signature";

const FormchatPayload = z.looseObject({ Id: z.string().min(1), From: z.string().min(1), Text: z.string() });
type FormchatPayload = z.output<typeof FormchatPayload>;

const utf8 = new TextDecoder("utf-8", { fatal: true });

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
    if (!constantTimeEqual(given, hmac("sha256", secrets.token, request.rawBody, "base64")))
      throw new SignatureError("signature does not match the request", { platform: "formchat" });
  },
  sign(rawBody, secrets) {
    return { [HEADER]: hmac("sha256", secrets.token, rawBody, "base64") };
  },
  normalize(payload: FormchatPayload, context) {
    const builder = new EnvelopeBuilder("formchat", context);
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
