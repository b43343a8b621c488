// The hand-written receiver `convotic serve` is measured against, per request (bench/instructions.mjs): node:http,
// HMAC-SHA256 in constant time, JSON.parse, a bounded Map dedupe, one JSON line per event on stdout, one pino line
// per request on stderr, a prom-client counter and histogram. WhatsApp only, as the bench posts WhatsApp bodies.
//   node bench/hand-receiver.mjs   (prints `listening on http://127.0.0.1:PORT` on stderr)
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import pino from "pino";
import { Counter, Histogram } from "prom-client";
import { rawSecret } from "./lib/corpus.mjs";

const secret = rawSecret("whatsapp");
const log = pino({ base: undefined }, pino.destination({ fd: 2 }));
const received = new Counter({ name: "webhooks_total", help: "webhooks", labelNames: ["status"] });
const latency = new Histogram({ name: "webhook_seconds", help: "handling time" });
const seen = new Map();
const SEEN_MAX = 100_000;

function authentic(raw, header) {
  if (typeof header !== "string" || !header.startsWith("sha256=")) return false;
  const given = Buffer.from(header.slice(7), "hex");
  const expected = createHmac("sha256", secret).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function handle(raw, header) {
  if (!authentic(raw, header)) return 401;
  const payload = JSON.parse(raw.toString("utf8"));
  for (const entry of payload.entry ?? []) {
    for (const change of entry.changes ?? []) {
      const value = change.value ?? {};
      for (const message of value.messages ?? []) {
        if (seen.has(message.id)) continue;
        seen.set(message.id, true);
        if (seen.size > SEEN_MAX) seen.delete(seen.keys().next().value);
        const line = {
          id: message.id,
          platform: "whatsapp",
          account: value.metadata?.phone_number_id,
          from: message.from,
          time: new Date(Number(message.timestamp) * 1000).toISOString(),
          type: message.type,
          text: message.text?.body,
        };
        process.stdout.write(JSON.stringify(line) + "\n");
      }
    }
  }
  return 200;
}

const server = createServer((req, res) => {
  const end = latency.startTimer();
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    let status;
    try {
      status = handle(Buffer.concat(chunks), req.headers["x-hub-signature-256"]);
    } catch {
      status = 400;
    }
    const body = status === 200 ? "ok" : "refused";
    res.writeHead(status, { "content-type": "text/plain", "content-length": String(body.length) }).end(body);
    received.inc({ status });
    end();
    log.info({ status, path: req.url }, "webhook");
  });
});
server.listen(0, "127.0.0.1", () => process.stderr.write(`listening on http://127.0.0.1:${server.address().port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
