// Peers on the same signed bodies, in process, with no network. Each is loaded from bench/node_modules and
// skipped (with the reason) when it is not installed: CI installs only the root package.
import { loadPeer } from "./library.mjs";
import { rawSecret } from "./corpus.mjs";

/** Telegram's getMe, answered in process: no request ever leaves the machine. */
const FAKE_BOT = {
  id: 7000000001,
  is_bot: true,
  first_name: "Bench",
  username: "bench_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
};

const answeredInProcess = new Set();
const refusedFetches = new Set();
let fetchShimInstalled = false;

/**
 * Replaces `fetch` for the peers, so nothing leaves the machine: Telegram Bot API calls are answered in process
 * (`getMe` with the fake bot, any other method with `{ok: true, result: true}`), anything else is refused. Both
 * lists are reported: a peer that calls out on receipt pays for it in the figures (the fake answers are cheap).
 */
function installFetchShim() {
  if (fetchShimInstalled) return;
  fetchShimInstalled = true;
  globalThis.fetch = async (input) => {
    const url = String(input instanceof Request ? input.url : input);
    const telegram = /^https:\/\/api\.telegram\.org\/bot[^/]+\/(\w+)$/.exec(url);
    if (telegram) {
      answeredInProcess.add(`telegram ${telegram[1]}`);
      const result = telegram[1] === "getMe" ? FAKE_BOT : true;
      return new Response(JSON.stringify({ ok: true, result }), { headers: { "content-type": "application/json" } });
    }
    refusedFetches.add(url.split("?")[0]);
    throw new TypeError(`bench: network disabled (${url.split("?")[0]})`);
  };
}

export function networkCalls() {
  return { answered_in_process: [...answeredInProcess], refused: [...refusedFetches] };
}

/** A peer that handled no event (or several) did not do the work it is measured for: the run stops. */
function exactlyOne(handled, peer) {
  if (handled !== 1) throw new Error(`${peer} handled ${handled} events for one body`);
  return handled;
}

const silentLogger = process.env.BENCH_PEER_DEBUG
  ? { child: () => silentLogger, debug: console.error, info: console.error, warn: console.error, error: console.error }
  : { child: () => silentLogger, debug() {}, info() {}, warn() {}, error() {} };

function requestOf(body, path) {
  return new Request(`http://127.0.0.1${path}`, {
    method: "POST",
    body: body.rawBody,
    headers: { ...body.headers, "content-type": "application/json" },
  });
}

/** @returns {Promise<{ contenders: object[], skipped: Record<string, string>, versions: Record<string, string> }>} */
export async function peerContenders(bodies) {
  const contenders = [];
  const skipped = {};
  const versions = {};
  const bodyOf = (platform) => bodies.find((body) => body.platform === platform);

  // @line/bot-sdk: validateSignature + JSON.parse, and its Express-style middleware on a request-like object
  const lineSdk = await loadPeer("@line/bot-sdk");
  if (lineSdk.module === undefined) skipped["@line/bot-sdk"] = lineSdk.skipped;
  else {
    versions["@line/bot-sdk"] = await versionOf("@line/bot-sdk");
    const { validateSignature, middleware } = lineSdk.module;
    const body = bodyOf("line");
    const secret = rawSecret("line");
    const signature = body.headers["x-line-signature"];
    contenders.push({
      id: "line/peer:line-bot-sdk validateSignature+parse",
      platform: "line",
      peer: "@line/bot-sdk validateSignature + JSON.parse",
      run() {
        if (!validateSignature(body.rawBody, secret, signature)) throw new Error("line-bot-sdk: signature refused");
        return JSON.parse(body.rawBody.toString()).events.length;
      },
    });
    const mw = middleware({ channelSecret: secret });
    contenders.push({
      id: "line/peer:line-bot-sdk middleware",
      platform: "line",
      peer: "@line/bot-sdk middleware",
      run() {
        const req = { headers: body.headers, rawBody: body.rawBody };
        return new Promise((resolve, reject) => {
          mw(req, {}, (error) => (error ? reject(error) : resolve(req.body.events.length)));
        });
      },
    });
  }

  // grammY: webhookCallback over a bot whose only middleware does nothing; botInfo given, so it never calls getMe
  const grammy = await loadPeer("grammy");
  if (grammy.module === undefined) skipped["grammy"] = grammy.skipped;
  else {
    versions["grammy"] = await versionOf("grammy");
    const { Bot, webhookCallback } = grammy.module;
    const body = bodyOf("telegram");
    const secretToken = rawSecret("telegram");
    let handled = 0;
    const bot = new Bot("7000000001:bench-token-not-used", { botInfo: FAKE_BOT });
    bot.use(() => {
      handled += 1;
    });
    const lambda = webhookCallback(bot, "aws-lambda-async", { secretToken });
    contenders.push({
      id: "telegram/peer:grammy webhookCallback (aws-lambda-async)",
      platform: "telegram",
      peer: "grammY webhookCallback, aws-lambda-async adapter (string body in)",
      async run() {
        const before = handled;
        const response = await lambda({ body: body.rawBody.toString("utf8"), headers: body.headers }, {});
        if (response.statusCode !== 200) throw new Error(`grammY answered ${response.statusCode}`);
        return exactlyOne(handled - before, this.peer);
      },
    });
    const std = webhookCallback(bot, "std/http", { secretToken });
    contenders.push({
      id: "telegram/peer:grammy webhookCallback (std/http)",
      platform: "telegram",
      peer: "grammY webhookCallback, std/http adapter (fetch Request in)",
      async run() {
        const before = handled;
        const response = await std(requestOf(body, "/telegram"));
        if (response.status !== 200) throw new Error(`grammY answered ${response.status}`);
        return exactlyOne(handled - before, this.peer);
      },
    });
  }

  // Vercel's Chat SDK: `chat` with the adapters published on npm, in-memory state, no-op handlers
  const chat = await loadPeer("chat");
  const stateMemory = await loadPeer("@chat-adapter/state-memory");
  const chatAdapters = {
    whatsapp: await loadPeer("@chat-adapter/whatsapp"),
    telegram: await loadPeer("@chat-adapter/telegram"),
  };
  for (const platform of ["messenger", "instagram", "line"]) {
    skipped[`@chat-adapter/${platform}`] = "not published on npm: the Chat SDK has no such adapter to measure";
  }
  const missing = [
    ["chat", chat],
    ["@chat-adapter/state-memory", stateMemory],
    ...Object.entries(chatAdapters).map(([p, m]) => [`@chat-adapter/${p}`, m]),
  ].filter(([, loaded]) => loaded.module === undefined);
  if (missing.length > 0) for (const [name, loaded] of missing) skipped[name] = loaded.skipped;
  else {
    installFetchShim();
    for (const name of ["chat", "@chat-adapter/whatsapp", "@chat-adapter/telegram", "@chat-adapter/state-memory"])
      versions[name] = await versionOf(name);
    const state = stateMemory.module.createMemoryState();
    // The bench repeats one body, which the SDK's dedupe (message ids; Telegram update ids) would drop after the
    // first time; every op must do the whole job, so a repeated id counts as new (the lookup is still paid).
    const setIfNotExists = state.setIfNotExists.bind(state);
    const isDedupeKey = (key) => key.startsWith("dedupe:") || key.includes(":webhook-update:");
    state.setIfNotExists = async (key, value, ttl) =>
      isDedupeKey(key) ? (await setIfNotExists(key, value, ttl), true) : setIfNotExists(key, value, ttl);
    const whatsapp = chatAdapters.whatsapp.module.createWhatsAppAdapter({
      accessToken: "bench-token-not-used",
      appSecret: rawSecret("whatsapp"),
      phoneNumberId: "106540352242922",
      verifyToken: "bench-verify-token",
      userName: "bench",
      logger: silentLogger,
    });
    const telegram = chatAdapters.telegram.module.createTelegramAdapter({
      botToken: "7000000001:bench-token-not-used",
      secretToken: rawSecret("telegram"),
      mode: "webhook",
      userName: "bench_bot",
      logger: silentLogger,
    });
    const bot = new chat.module.Chat({
      adapters: { whatsapp, telegram },
      state,
      userName: "bench",
      concurrency: "concurrent",
      logger: silentLogger,
    });
    let handled = 0;
    const count = async () => {
      handled += 1;
    };
    bot.onNewMention(count);
    bot.onNewMessage(/[\s\S]*/, count);
    bot.onSubscribedMessage(count);
    for (const platform of ["whatsapp", "telegram"]) {
      const body = bodyOf(platform);
      contenders.push({
        id: `${platform}/peer:chat-sdk`,
        platform,
        peer: `Chat SDK chat.webhooks.${platform} (fetch Request in, handlers awaited)`,
        async run() {
          const before = handled;
          const tasks = [];
          const response = await bot.webhooks[platform](requestOf(body, `/${platform}`), {
            waitUntil: (task) => tasks.push(task),
          });
          if (response.status !== 200) throw new Error(`Chat SDK ${platform} answered ${response.status}`);
          await Promise.all(tasks);
          return exactlyOne(handled - before, this.peer);
        },
      });
    }
  }
  return { contenders, skipped, versions };
}

async function versionOf(name) {
  try {
    const { createRequire } = await import("node:module");
    const { readFileSync } = await import("node:fs");
    const { dirname, join } = await import("node:path");
    const require = createRequire(new URL("../package.json", import.meta.url));
    let dir;
    try {
      dir = dirname(require.resolve(`${name}/package.json`));
    } catch {
      dir = join(new URL("../node_modules", import.meta.url).pathname, name);
    }
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}
