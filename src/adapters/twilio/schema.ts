import { z } from "zod";
import { FORM_MEDIA_TYPE, mediaTypeOf } from "../../core/content-type";

/*
 * A Twilio Messaging webhook is a flat set of string parameters (https://www.twilio.com/docs/messaging/guides/webhook-request,
 * https://www.twilio.com/docs/messaging/guides/track-outbound-message-status). Every message and status callback
 * names its `MessageSid`; the rest is read where it is used, each field optional, since Twilio's parameter sets
 * "vary by channel and event type" and grow without notice.
 */
export const TwilioWebhook = z.looseObject({ MessageSid: z.string().min(1) });
export type TwilioWebhook = z.output<typeof TwilioWebhook>;

/** The parameters an inbound message must have to be mapped (checked per item, so a bad one is reported). */
export const TwilioInbound = z.looseObject({
  MessageSid: z.string().min(1),
  From: z.string().min(1),
  To: z.string().min(1),
});
export type TwilioInbound = z.output<typeof TwilioInbound> & Readonly<Record<string, string | undefined>>;

/** The parameters a status callback must have to be mapped. */
export const TwilioStatus = z.looseObject({
  MessageSid: z.string().min(1),
  MessageStatus: z.string().min(1),
  To: z.string().min(1),
});
export type TwilioStatus = z.output<typeof TwilioStatus> & Readonly<Record<string, string | undefined>>;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The body's parameters as one flat object of strings: a form (what Twilio sends, and what a stored body without
 * a content type is read as unless it is a JSON object), or a JSON object, whose scalar values become strings so
 * both read alike. A name sent twice keeps its first value (the signature covered all of them).
 */
export function parseTwilioBody(rawBody: Uint8Array, contentType: string | undefined): Record<string, unknown> {
  const text = utf8.decode(rawBody);
  const type = mediaTypeOf(contentType);
  const json = type === undefined ? text.trimStart().startsWith("{") : type !== FORM_MEDIA_TYPE;
  if (json) {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new Error("a JSON body must be an object of parameters");
    const out: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value))
      put(out, name, typeof item === "number" || typeof item === "boolean" ? String(item) : item);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [name, item] of new URLSearchParams(text)) if (!Object.hasOwn(out, name)) put(out, name, item);
  return out;
}

/** An own data property whatever the name: a parameter called `__proto__` must not become the prototype. */
function put(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}
