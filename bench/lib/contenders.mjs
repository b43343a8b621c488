// The floor, a naive normaliser and ours. Each returns how many events it produced, so the bench can check
// every contender did the work it claims to do.
import { createHmac, timingSafeEqual } from "node:crypto";
import { CONTEXT, rawSecret, SECRETS } from "./corpus.mjs";

const SIGNATURE_HEADER = {
  whatsapp: "x-hub-signature-256",
  messenger: "x-hub-signature-256",
  instagram: "x-hub-signature-256",
  line: "x-line-signature",
  telegram: "x-telegram-bot-api-secret-token",
};

/**
 * What any correct receiver must do: authenticate the raw bytes (HMAC-SHA256 compared in constant time, or the
 * Telegram secret token compared in constant time), decode them and `JSON.parse` them.
 */
function authenticator(platform) {
  const secret = rawSecret(platform);
  const header = SIGNATURE_HEADER[platform];
  const secretBytes = Buffer.from(secret, "utf8");
  let authentic;
  if (platform === "telegram") {
    authentic = (body) => {
      const given = Buffer.from(body.headers[header] ?? "", "utf8");
      return given.length === secretBytes.length && timingSafeEqual(given, secretBytes);
    };
  } else {
    const encoding = platform === "line" ? "base64" : "hex";
    const prefix = platform === "line" ? "" : "sha256=";
    authentic = (body) => {
      const value = body.headers[header] ?? "";
      if (!value.startsWith(prefix)) return false;
      const given = Buffer.from(value.slice(prefix.length), encoding);
      const expected = createHmac("sha256", secret).update(body.rawBody).digest();
      return given.length === expected.length && timingSafeEqual(given, expected);
    };
  }
  return (body) => {
    if (!authentic(body)) throw new Error(`${platform}: signature mismatch`);
  };
}

export function floor(platform) {
  const authenticate = authenticator(platform);
  return (body) => {
    authenticate(body);
    JSON.parse(body.rawBody.toString("utf8"));
    return 1;
  };
}

/** No validation: a time that is not one is simply left out. */
function iso(ms) {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

// A naive normaliser: the floor plus a mapping to flat objects, with no validation at all.
function flatMeta(platform, payload, out) {
  for (const entry of payload.entry ?? []) {
    for (const item of entry.messaging ?? []) {
      out.push({
        platform,
        account: entry.id,
        sender: item.sender?.id,
        recipient: item.recipient?.id,
        timestamp: iso(item.timestamp),
        kind: item.message
          ? "message"
          : Object.keys(item).find((key) => !["sender", "recipient", "timestamp"].includes(key)),
        id: item.message?.mid,
        text: item.message?.text,
      });
    }
    for (const change of entry.changes ?? []) {
      const value = change.value ?? {};
      if (platform !== "whatsapp") {
        out.push({ platform, account: entry.id, kind: change.field, value });
        continue;
      }
      for (const message of value.messages ?? []) {
        out.push({
          platform,
          account: value.metadata?.phone_number_id,
          kind: "message",
          sender: message.from,
          name: value.contacts?.find((contact) => contact.wa_id === message.from)?.profile?.name,
          id: message.id,
          timestamp: iso(Number(message.timestamp) * 1000),
          type: message.type,
          text: message.text?.body,
        });
      }
      for (const status of value.statuses ?? []) {
        out.push({
          platform,
          account: value.metadata?.phone_number_id,
          kind: "status",
          id: status.id,
          status: status.status,
          recipient: status.recipient_id,
          timestamp: iso(Number(status.timestamp) * 1000),
        });
      }
    }
  }
}

function flatLine(payload, out) {
  for (const event of payload.events ?? []) {
    out.push({
      platform: "line",
      account: payload.destination,
      kind: event.type,
      id: event.webhookEventId,
      sender: event.source?.userId,
      timestamp: iso(event.timestamp),
      text: event.message?.text,
    });
  }
}

function flatTelegram(update, out) {
  const kind = Object.keys(update).find((key) => key !== "update_id");
  const item = kind === undefined ? undefined : update[kind];
  out.push({
    platform: "telegram",
    kind,
    id: update.update_id,
    sender: item?.from?.id,
    chat: item?.chat?.id,
    timestamp: iso(item?.date * 1000),
    text: item?.text,
  });
}

export function naive(platform) {
  const authenticate = authenticator(platform);
  return (body) => {
    authenticate(body);
    const payload = JSON.parse(body.rawBody.toString("utf8"));
    const out = [];
    if (platform === "line") flatLine(payload, out);
    else if (platform === "telegram") flatTelegram(payload, out);
    else flatMeta(platform, payload, out);
    return out.length;
  };
}

/** Ours, as an app calls it: verification on, the output validated as shipped, `received_at` = now. */
export function ours(normalizer, platform) {
  const secrets = SECRETS[platform];
  const context = CONTEXT(platform);
  return (body) =>
    normalizer.processWebhook({ platform, rawBody: body.rawBody, headers: body.headers, secrets, context }).events
      .length;
}
