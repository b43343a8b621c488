// Bodies as platforms send them: fixture JSON re-serialised compactly, signed with the bench's secrets.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./library.mjs";

/** One secret per platform (a single app secret, as most deployments have), used by every contender. */
export const SECRETS = {
  whatsapp: { app_secrets: ["bench-meta-app-secret"], verify_token: "bench-verify-token" },
  messenger: { app_secrets: ["bench-meta-app-secret"], verify_token: "bench-verify-token" },
  instagram: { app_secrets: ["bench-meta-app-secret"], verify_token: "bench-verify-token" },
  line: { channel_secrets: ["bench-line-channel-secret"] },
  telegram: { secret_token: "bench-telegram-secret-token" },
};

/** The raw secret the floor and the peers use: the same bytes our adapters verify with. */
export function rawSecret(platform) {
  const secrets = SECRETS[platform];
  return secrets.app_secrets?.[0] ?? secrets.channel_secrets?.[0] ?? secrets.secret_token;
}

export const CONTEXT = (platform) => ({ workspace_id: "ws_bench", block_id: `blk_${platform}_bench` });

/** The single-event body per platform the table uses. */
export const SINGLE_BODIES = [
  { platform: "whatsapp", fixture: "text", label: "WhatsApp text" },
  { platform: "messenger", fixture: "text-message", label: "Messenger text" },
  { platform: "instagram", fixture: "text-message", label: "Instagram DM" },
  { platform: "line", fixture: "message-text", label: "LINE text" },
  { platform: "telegram", fixture: "message-text-private", label: "Telegram text" },
];

export const PLATFORMS = ["whatsapp", "messenger", "instagram", "line", "telegram"];

export function fixtureJson(platform, name) {
  return JSON.parse(readFileSync(join(ROOT, "fixtures", platform, `${name}.json`), "utf8"));
}

export function fixtureNames(platform) {
  return readdirSync(join(ROOT, "fixtures", platform))
    .filter((file) => file.endsWith(".json") && !file.endsWith(".golden.json"))
    .map((file) => file.slice(0, -".json".length))
    .sort();
}

/**
 * A signed request body: the bytes, the headers the platform would send, and how many events ours emits. `url`
 * is the URL the request is verified against, for platforms whose signature covers it.
 */
export function signedBody(lib, platform, value, label, url = `http://localhost/webhooks/${platform}`) {
  const rawBody = Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8");
  const headers = lib.adapters[platform].sign(rawBody, SECRETS[platform], { url });
  const lower = Object.fromEntries(Object.entries(headers).map(([name, v]) => [name.toLowerCase(), v]));
  return { platform, label, rawBody, headers: lower, bytes: rawBody.length };
}

export function singleBodies(lib) {
  return SINGLE_BODIES.map(({ platform, fixture, label }) =>
    signedBody(lib, platform, fixtureJson(platform, fixture), `${label} (${fixture})`),
  );
}

/** Every fixture body ours accepts, all platforms, for the mixed corpus; the rejected ones are counted. */
export function mixedCorpus(lib, normalizer) {
  const bodies = [];
  let rejected = 0;
  for (const platform of PLATFORMS) {
    for (const name of fixtureNames(platform)) {
      const body = signedBody(lib, platform, fixtureJson(platform, name), `${platform}/${name}`);
      try {
        normalizer.processWebhook({
          platform,
          rawBody: body.rawBody,
          headers: body.headers,
          secrets: SECRETS[platform],
          context: CONTEXT(platform),
        });
        bodies.push(body);
      } catch {
        rejected += 1;
      }
    }
  }
  return { bodies, rejected };
}

const DISTINCT_USERS = 10;
const pad = (n, width) => String(n).padStart(width, "0");

/**
 * Batches of `size` items. Senders and recipients cycle over 10 distinct users, as a busy account's batch does;
 * every message and status id is distinct.
 */
export const BATCH_KINDS = {
  "meta-entries": {
    platform: "messenger",
    label: "Messenger entries",
    build(size) {
      const base = fixtureJson("messenger", "text-message");
      const page = base.entry[0];
      const item = page.messaging[0];
      const entry = Array.from({ length: size }, (_, i) => ({
        id: page.id,
        time: page.time + i,
        messaging: [
          {
            ...item,
            sender: { id: `65432198765${pad(i % DISTINCT_USERS, 5)}` },
            timestamp: item.timestamp + i,
            message: { ...item.message, mid: `m_bench${pad(i, 8)}${item.message.mid.slice(15)}` },
          },
        ],
      }));
      return { ...base, entry };
    },
  },
  "whatsapp-statuses": {
    platform: "whatsapp",
    label: "WhatsApp statuses (sent, delivered, read in turn)",
    build(size) {
      const base = fixtureJson("whatsapp", "status-delivered");
      const change = base.entry[0].changes[0];
      // a busy number's batch mixes the three receipts, each with the fields Meta sends for it
      const cycle = ["status-sent", "status-delivered", "status-read"].map(
        (name) => fixtureJson("whatsapp", name).entry[0].changes[0].value.statuses[0],
      );
      const statuses = Array.from({ length: size }, (_, i) => ({
        ...cycle[i % cycle.length],
        id: `wamid.bench${pad(i, 8)}${cycle[i % cycle.length].id.slice(19)}`,
        recipient_id: `165055${pad(i % DISTINCT_USERS, 5)}`,
      }));
      return { ...base, entry: [{ ...base.entry[0], changes: [{ ...change, value: { ...change.value, statuses } }] }] };
    },
  },
  "whatsapp-messages": {
    platform: "whatsapp",
    label: "WhatsApp messages + contacts",
    build(size) {
      const base = fixtureJson("whatsapp", "text");
      const change = base.entry[0].changes[0];
      const message = change.value.messages[0];
      const contact = change.value.contacts[0];
      const users = Math.min(size, DISTINCT_USERS);
      const waId = (i) => `165055${pad(i % DISTINCT_USERS, 5)}`;
      const contacts = Array.from({ length: users }, (_, i) => ({
        ...contact,
        wa_id: waId(i),
        profile: { name: `Bench User ${i}` },
      }));
      const messages = Array.from({ length: size }, (_, i) => ({
        ...message,
        from: waId(i),
        id: `wamid.bench${pad(i, 8)}${message.id.slice(19)}`,
      }));
      return {
        ...base,
        entry: [{ ...base.entry[0], changes: [{ ...change, value: { ...change.value, contacts, messages } }] }],
      };
    },
  },
};

/** `kind:size`, e.g. `whatsapp-statuses:100`, as one signed body. */
export function batchBody(lib, spec) {
  const [kind, size] = spec.split(":");
  const batch = BATCH_KINDS[kind];
  if (batch === undefined) throw new Error(`unknown batch kind ${kind}: ${Object.keys(BATCH_KINDS).join(", ")}`);
  return signedBody(lib, batch.platform, batch.build(Number(size ?? 100)), `${batch.label} × ${size ?? 100}`);
}

/**
 * `count` distinct WhatsApp text messages (one event each, every message id new), signed as Meta signs them, ready
 * for autocannon's `setupRequest`: what a receiver sees in real traffic, where no event repeats.
 */
export function distinctWhatsAppBodies(lib, count, tag) {
  const template = fixtureJson("whatsapp", "text");
  const out = new Array(count);
  for (let i = 0; i < count; i += 1) {
    const value = structuredClone(template);
    value.entry[0].changes[0].value.messages[0].id = `wamid.bench${tag}${String(i).padStart(8, "0")}`;
    const rawBody = Buffer.from(JSON.stringify(value), "utf8");
    const headers = Object.fromEntries(
      Object.entries(lib.adapters.whatsapp.sign(rawBody, SECRETS.whatsapp)).map(([k, v]) => [k.toLowerCase(), v]),
    );
    out[i] = { body: rawBody, headers: { ...headers, "content-type": "application/json" } };
  }
  return out;
}

/**
 * A cursor over a pool of bodies for autocannon's `setupRequest`: `next()` gives the following body, starting over
 * (and setting `wrapped`) at the end, so whoever reads through one cursor sees no body twice until then.
 */
export function bodyCursor(pool) {
  const cursor = {
    wrapped: false,
    position: 0,
    next() {
      const item = pool[cursor.position];
      cursor.position += 1;
      if (cursor.position === pool.length) {
        cursor.position = 0;
        cursor.wrapped = true;
      }
      return item;
    },
  };
  return cursor;
}
