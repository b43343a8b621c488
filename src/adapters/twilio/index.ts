import { z } from "zod";
import { defineAdapter } from "../../core/adapter";
import { FORM_MEDIA_TYPE } from "../../core/content-type";
import { ConfigError } from "../../core/errors";
import { twilioDrift } from "./drift";
import { normalizeTwilio } from "./normalize";
import { parseTwilioBody, TwilioWebhook } from "./schema";
import { SIGNATURE_HEADER, twilioSignature, verifyTwilio } from "./signature";

export { bodySha256, twilioSignature, withBodyHash } from "./signature";

/**
 * The account's Auth Token(s). Twilio signs with the primary token only; list the secondary next to it while
 * you promote it, so callbacks signed before and after the promotion both verify.
 */
export const TwilioSecrets = z.strictObject({ auth_tokens: z.array(z.string().min(1)).min(1) });
export type TwilioSecrets = z.output<typeof TwilioSecrets>;

/**
 * What Twilio expects back from a messaging webhook that sends no reply: an empty TwiML document as `text/xml`
 * (https://www.twilio.com/docs/usage/webhooks/messaging-webhooks); status callbacks accept it too (any 200).
 */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** Twilio Programmable Messaging webhooks (SMS, MMS, WhatsApp through Twilio). See docs/adapters/twilio.md. */
export const twilio = defineAdapter({
  platform: "twilio",
  payload: TwilioWebhook,
  secrets: TwilioSecrets,
  emits: [
    "messaging.message.received",
    "messaging.postback",
    "messaging.message.sent",
    "messaging.message.delivered",
    "messaging.message.read",
    "messaging.message.failed",
  ],
  contentTypes: [FORM_MEDIA_TYPE, "application/json"],
  parseBody: parseTwilioBody,
  acknowledgement: { status: 200, contentType: "text/xml", body: EMPTY_TWIML },
  verify(request, secrets) {
    verifyTwilio(request, secrets.auth_tokens);
  },
  sign(rawBody, secrets, options) {
    // the signature covers the URL: without it there is nothing Twilio would have signed
    if (options?.url === undefined)
      throw new ConfigError("twilio signs the URL it calls: pass sign(body, secrets, { url })");
    return { [SIGNATURE_HEADER]: twilioSignature(secrets.auth_tokens[0]!, options.url, rawBody) };
  },
  normalize: normalizeTwilio,
  drift: twilioDrift,
});
