// `node bench/hostile-cost.mjs` (after `npm run build`): what one signed hostile body costs the event loop at the
// default limits (1 MiB body, 100,000 keys, 10,000 items), in ms per request and µs per KiB of body. The figures
// of docs/reliability.md, "What input can cost". LIMIT=16777216 repeats it with a raised body limit.
import { createConvotic, createWebhookHandler } from "../dist/index.js";

const LIMIT = Number(process.env.LIMIT ?? 1024 * 1024);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const normalizer = createConvotic();
const secrets = {
  telegram: { secret_token: "bench-secret_TOKEN-123" },
  whatsapp: { app_secrets: ["bench-whatsapp-app-secret"], verify_token: "bench-verify" },
  messenger: { app_secrets: ["bench-messenger-app-secret"], verify_token: "bench-verify" },
};
const blocks = Object.entries(secrets).map(([platform, given]) => ({
  id: `b-${platform}`,
  platform,
  workspace_id: "ws",
  secrets: given,
}));
const silent = { info() {}, warn() {}, error() {} };
const handler = createWebhookHandler({ normalizer, blocks, logger: silent, bodyLimit: LIMIT });

/** `prefix` + `count` units joined by commas + `suffix`; `count` Infinity fills the body limit. */
function repeat(prefix, suffix, unit, count = Infinity) {
  const room = LIMIT - prefix.length - suffix.length;
  const parts = [];
  let size = 0;
  for (let index = 0; index < count; index++) {
    const next = unit(index);
    if (size + next.length + 1 > room) break;
    parts.push(next);
    size += next.length + 1;
  }
  return prefix + parts.join(",") + suffix;
}

const TG =
  '{"update_id":1,"message":{"message_id":1,"date":1750000000,"chat":{"id":1,"type":"private"},"text":"hi"},"x":';
const WA = '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[';
const WA_MESSAGES = `${WA}{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},"messages":[`;
const unknownMessage = (index) =>
  `{"from":"16505551234","id":"wamid.${index}","timestamp":"1749416383","type":"zzz${index % 7}"}`;
const textChange = (index) =>
  `{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.b${index}","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]}}`;
const key = (index) => `"${index.toString(36)}":0`;

const SHAPES = [
  ["a real batch: 1,000 WhatsApp text messages", "whatsapp", () => repeat(WA, "]}]}", textChange, 1_000)],
  ["one string filling the body", "telegram", () => `${TG}"${"a".repeat(LIMIT - TG.length - 3)}"}`],
  ["keys filling the body (over the cap)", "telegram", () => repeat(`${TG}{`, "}}", key)],
  ["99,990 keys in one object", "telegram", () => repeat(`${TG}{`, "}}", key, 99_990)],
  ["zeros filling the body (over the cap)", "telegram", () => repeat(`${TG}[`, "]}", () => "0")],
  ["9,990 empty objects in an unknown field", "telegram", () => repeat(`${TG}[`, "]}", () => "{}", 9_990)],
  ["9,990 nested arrays", "telegram", () => `${TG}${"[".repeat(9_990)}${"]".repeat(9_990)}}`],
  ["9,990 empty WhatsApp changes (each unhandled)", "whatsapp", () => repeat(WA, "]}]}", () => "{}", 9_990)],
  ["9,990 WhatsApp messages of unknown types", "whatsapp", () => repeat(WA_MESSAGES, "]}}]}]}", unknownMessage, 9_990)],
  [
    "9,990 empty Messenger entries",
    "messenger",
    () => repeat('{"object":"page","entry":[', "]}", (index) => `{"id":"${index}","time":1,"messaging":[]}`, 9_990),
  ],
  ["empty WhatsApp changes filling the body (over the cap)", "whatsapp", () => repeat(WA, "]}]}", () => "{}")],
];

const rows = [];
for (const [name, platform, make] of SHAPES) {
  const body = Buffer.from(make());
  const headers = {
    "content-type": "application/json",
    // the URL the handler sees for this request (no Host header): what a signature over the URL covers
    ...normalizer
      .adapterFor(platform)
      .sign(body, secrets[platform], { url: `http://localhost/webhooks/b-${platform}` }),
  };
  const times = [];
  let answer;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    answer = await handler({ method: "POST", url: `/webhooks/b-${platform}`, headers, rawBody: body });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  const kib = body.length / 1024;
  const code = answer.status === 200 ? "" : ` ${JSON.parse(answer.body).error.code}`;
  rows.push({
    name,
    kib: Math.round(kib),
    status: `${answer.status}${code}`,
    ms: Math.round(ms * 10) / 10,
    usPerKiB: Math.round((ms * 1000) / kib),
    usPerLimitKiB: Math.round((ms * 1000) / (LIMIT / 1024)),
  });
}
console.log(`body limit ${LIMIT} bytes, median of ${ROUNDS}, node ${process.version}`);
console.log("| body | KiB | answer | ms | µs/KiB of body | µs/KiB of the limit |");
console.log("|---|---|---|---|---|---|");
for (const row of rows)
  console.log(`| ${row.name} | ${row.kib} | ${row.status} | ${row.ms} | ${row.usPerKiB} | ${row.usPerLimitKiB} |`);
