// One HTTP server per process, on 127.0.0.1 and an ephemeral port, for the bench's HTTP phase:
//   node bench/servers.mjs bare-node | bare-express | convotic-express
// It prints `listening <url> <path>` on stdout, then serves until SIGTERM.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { loadLibrary } from "./lib/library.mjs";
import { rawSecret, SECRETS } from "./lib/corpus.mjs";

const kind = process.argv[2];
const secret = rawSecret("whatsapp");

/** The bare receiver: HMAC-SHA256 of the raw bytes compared in constant time, then JSON.parse. */
function authenticAndParsed(rawBody, header) {
  if (typeof header !== "string" || !header.startsWith("sha256=")) return false;
  const given = Buffer.from(header.slice(7), "hex");
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  JSON.parse(rawBody.toString("utf8"));
  return true;
}

async function expressApp() {
  const { default: express } = await import("express");
  return express();
}

let server;
let path = "/webhook";
if (kind === "bare-node") {
  server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      let ok;
      try {
        ok = authenticAndParsed(Buffer.concat(chunks), req.headers["x-hub-signature-256"]);
      } catch {
        ok = false;
      }
      // with its length, like the others (Express's send, serve): a chunked answer would frame the body apart
      const body = ok ? "ok" : "unauthorized";
      res.writeHead(ok ? 200 : 401, { "content-type": "text/plain", "content-length": String(body.length) }).end(body);
    });
  });
} else if (kind === "bare-express") {
  const { default: express } = await import("express");
  const app = await expressApp();
  app.post(path, express.raw({ type: "*/*" }), (req, res) => {
    let ok;
    try {
      ok = authenticAndParsed(req.body, req.get("x-hub-signature-256"));
    } catch {
      ok = false;
    }
    res
      .status(ok ? 200 : 401)
      .type("text/plain")
      .send(ok ? "ok" : "unauthorized");
  });
  server = createServer(app);
} else if (kind === "convotic-express") {
  // the baseline's build when the bench compares against another revision
  const lib = process.env.CONVOTIC_DIST
    ? createRequire(import.meta.url)(join(process.env.CONVOTIC_DIST, "index.js"))
    : loadLibrary();
  const normalizer = lib.createConvotic();
  const router = lib.createRouter();
  const handler = lib.createWebhookHandler({
    normalizer,
    router,
    blocks: [{ id: "wa", platform: "whatsapp", workspace_id: "ws_bench", secrets: SECRETS.whatsapp }],
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const app = await expressApp();
  app.use(lib.convoticExpress(handler));
  server = createServer(app);
  path = "/webhooks/wa";
} else {
  console.error(`unknown server kind: ${kind}`);
  process.exit(2);
}

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port} ${path}\n`);
});
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
