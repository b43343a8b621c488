// The contenders `bench/instructions.mjs` counts, one per process: each is set up here in the child and returns a
// `run()` giving how many events it handled (or a promise of it), so a contender that did no work is caught.
import { batchBody, CONTEXT, rawSecret, SECRETS, singleBodies, SINGLE_BODIES } from "./corpus.mjs";
import { floor, ours } from "./contenders.mjs";
import { loadPeer } from "./library.mjs";

const PLATFORM_OF_BATCH = { "whatsapp-statuses": "whatsapp", "meta-entries": "messenger" };
export const BATCH_SIZE = 100;

/** Every micro contender id, in report order: `single/<platform>/<who>`, `batch/<kind>/<who>`, `peer/<platform>/<who>`. */
export const MICRO_IDS = [
  ...SINGLE_BODIES.flatMap(({ platform }) => [`single/${platform}/floor`, `single/${platform}/ours`]),
  ...Object.keys(PLATFORM_OF_BATCH).flatMap((kind) => [`batch/${kind}/floor`, `batch/${kind}/ours`]),
  "peer/line/line-bot-sdk middleware",
  "peer/telegram/grammy webhookCallback (aws-lambda-async)",
  "peer/telegram/grammy webhookCallback (std/http)",
];

function bodyFor(lib, group, key) {
  if (group === "batch") return batchBody(lib, `${key}:${BATCH_SIZE}`);
  return singleBodies(lib).find((body) => body.platform === key);
}

/** @returns {Promise<{ run: () => number | Promise<number>, events: number, bytes: number }>} */
export async function setUp(lib, id) {
  const [group, key, who] = id.split("/");
  if (group === "single" || group === "batch") {
    const body = bodyFor(lib, group, key);
    const platform = body.platform;
    const normalizer = lib.createConvotic();
    const run = who === "floor" ? floor(platform) : ours(normalizer, platform);
    // the floor parses once per body; what ours emits is what every contender of the body is credited with
    const events = ours(normalizer, platform)(body);
    return { run: () => (run(body), events), events, bytes: body.bytes };
  }
  if (group === "peer") return setUpPeer(lib, key, who);
  throw new Error(`unknown contender ${id}`);
}

async function setUpPeer(lib, platform, who) {
  const body = singleBodies(lib).find((b) => b.platform === platform);
  if (who === "line-bot-sdk middleware") {
    const sdk = await loadPeer("@line/bot-sdk");
    if (sdk.module === undefined) throw new Error(sdk.skipped);
    const mw = sdk.module.middleware({ channelSecret: rawSecret("line") });
    const run = () => {
      const req = { headers: body.headers, rawBody: body.rawBody };
      return new Promise((resolve, reject) =>
        mw(req, {}, (error) => (error ? reject(error) : resolve(req.body.events.length))),
      );
    };
    return { run, events: 1, bytes: body.bytes };
  }
  const grammy = await loadPeer("grammy");
  if (grammy.module === undefined) throw new Error(grammy.skipped);
  const { Bot, webhookCallback } = grammy.module;
  let handled = 0;
  const bot = new Bot("7000000001:bench-token-not-used", {
    botInfo: { id: 7000000001, is_bot: true, first_name: "Bench", username: "bench_bot" },
  });
  bot.use(() => {
    handled += 1;
  });
  const secretToken = rawSecret("telegram");
  const once = (before) => {
    if (handled - before !== 1) throw new Error(`grammY handled ${handled - before} updates for one body`);
    return 1;
  };
  if (who === "grammy webhookCallback (aws-lambda-async)") {
    const lambda = webhookCallback(bot, "aws-lambda-async", { secretToken });
    const run = async () => {
      const before = handled;
      const response = await lambda({ body: body.rawBody.toString("utf8"), headers: body.headers }, {});
      if (response.statusCode !== 200) throw new Error(`grammY answered ${response.statusCode}`);
      return once(before);
    };
    return { run, events: 1, bytes: body.bytes };
  }
  const std = webhookCallback(bot, "std/http", { secretToken });
  const run = async () => {
    const before = handled;
    const request = new Request("http://127.0.0.1/telegram", {
      method: "POST",
      body: body.rawBody,
      headers: { ...body.headers, "content-type": "application/json" },
    });
    const response = await std(request);
    if (response.status !== 200) throw new Error(`grammY answered ${response.status}`);
    return once(before);
  };
  return { run, events: 1, bytes: body.bytes };
}

export { CONTEXT, SECRETS };
