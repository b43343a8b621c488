import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDeadLetters } from "../../src/delivery/sinks/dead-letter";
import { startBuiltServe } from "../support/built-serve";
import { newSecret } from "./receiver";

/*
 * The built `serve` with a webhook sink on its in-memory queue (`outbox: { durable: false }`), whose subscriber
 * takes the request and never answers: a SIGTERM must cancel the attempt in flight when the grace period ends, and
 * the event it had acknowledged goes to the dead-letter file instead of being lost with the process.
 */
const TOKEN = "stop-test-token_Z1";
let dir: string;
let subscriber: Server;
const sockets = new Set<Socket>();

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "convotic-webhook-stop-"));
  subscriber = createServer(() => undefined); // reads each request and never answers
  subscriber.on("connection", (socket: Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => subscriber.listen(0, "127.0.0.1", resolve));
});

afterEach(async () => {
  subscriber.closeAllConnections();
  await new Promise((resolve) => subscriber.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

it("SIGTERM with a delivery hanging: the attempt is cancelled at the end of the grace, the event dead-lettered", async () => {
  const deadLetter = join(dir, "crm.dead.jsonl");
  const config = join(dir, "convotic.config.json");
  writeFileSync(
    config,
    JSON.stringify({
      shutdown_grace: "1s",
      sinks: [
        {
          kind: "webhook",
          name: "crm",
          url: `http://127.0.0.1:${(subscriber.address() as AddressInfo).port}/hooks`,
          secrets: [newSecret()],
          dead_letter: deadLetter,
          outbox: { durable: false },
        },
      ],
      blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws_stop", secrets: { secret_token: TOKEN } }],
    }),
  );
  const serve = await startBuiltServe(["--config", config, "--port", "0"]);
  const update = {
    update_id: 9001,
    message: {
      message_id: 77,
      date: 1_790_000_000,
      chat: { id: 7, type: "private" },
      from: { id: 7, is_bot: false, first_name: "S" },
      text: "hello",
    },
  };
  const answer = await fetch(`${serve.url}/webhooks/tg`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TOKEN },
    body: JSON.stringify(update),
  });
  expect(answer.status).toBe(200);
  // the delivery is in flight: the subscriber has the connection and will not answer
  for (let waited = 0; sockets.size === 0 && waited < 5_000; waited += 20)
    await new Promise((resolve) => setTimeout(resolve, 20));
  expect(sockets.size).toBe(1);

  const stopping = Date.now();
  const code = await serve.stop();
  const took = Date.now() - stopping;
  // the grace (1 s) ends with the sink still delivering: exit 3 naming it, well before the sink's 15 s timeout
  expect(code).toBe(3);
  expect(took).toBeLessThan(1_000 + 3_500);
  const { records } = parseDeadLetters(readFileSync(deadLetter, "utf8"));
  expect(records).toHaveLength(1);
  expect(records[0]!.event_type).toBe("messaging.message.received");
  expect(records[0]!.last_error).toBe("This operation was aborted; shutdown during retries");
  expect(serve.stderr()).not.toContain(TOKEN);
}, 30_000);
