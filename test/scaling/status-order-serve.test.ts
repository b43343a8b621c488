import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURES_DIR } from "../support/fixtures";
import { deleteKeys, describeRedis, REDIS_URL, uniquePrefix } from "../support/redis";

/*
 * Statuses that only move forward (issue 27) the way a deployment meets it: two `convotic serve` processes (the built
 * CLI) with `status_order` on share one Redis; WhatsApp statuses of many messages arrive at either instance, in
 * every order and also all at once, and each instance writes what it delivers to its stdout (a real pipe). With the
 * default `skipped: "deliver"` only a `sent` can be held back: it is delivered exactly when it arrives first.
 */
jest.setTimeout(60_000);
const MAIN = join(__dirname, "..", "..", "dist", "cli", "main.js");
const APP_SECRET = "status-order-serve-secret";
const STATUSES = ["sent", "delivered", "read"] as const;
type Status = (typeof STATUSES)[number];

interface Instance {
  readonly child: ChildProcess;
  readonly url: Promise<string>;
  readonly exited: Promise<number | null>;
  delivered(): { type: string; message: string }[];
}

function spawnServe(config: string): Instance {
  const child = spawn(process.execPath, [MAIN, "serve", "--config", config, "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env["PATH"] ?? "" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(stderr);
      if (found) resolve(`${found[1]}/webhooks/wa`);
    });
    child.on("exit", () => reject(new Error(`serve exited before listening: ${stderr}`)));
  });
  url.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const delivered = () =>
    stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { type: string; metadata: { platform_message_id?: string } })
      .map((event) => ({ type: event.type, message: event.metadata.platform_message_id ?? "" }));
  return { child, url, exited, delivered };
}

/** The fixture's status of WhatsApp message `wamid`, signed as Meta signs it. */
function statusBody(status: Status, wamid: string): { body: string; signature: string } {
  const fixture = JSON.parse(readFileSync(join(FIXTURES_DIR, "whatsapp", `status-${status}.json`), "utf8")) as {
    entry: { changes: { value: { statuses: { id: string }[] } }[] }[];
  };
  fixture.entry[0]!.changes[0]!.value.statuses[0]!.id = wamid;
  const body = JSON.stringify(fixture);
  return { body, signature: `sha256=${createHmac("sha256", APP_SECRET).update(body).digest("hex")}` };
}

async function post(url: string, status: Status, wamid: string): Promise<number> {
  const { body, signature } = statusBody(status, wamid);
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": signature },
    body,
  });
  await response.text();
  return response.status;
}

const ORDERS: readonly (readonly Status[])[] = [
  ["sent", "delivered", "read"],
  ["sent", "read", "delivered"],
  ["delivered", "sent", "read"],
  ["delivered", "read", "sent"],
  ["read", "sent", "delivered"],
  ["read", "delivered", "sent"],
];

describeRedis("status order across two serve processes sharing Redis", () => {
  const prefix = uniquePrefix("status-order-serve");
  let dir: string;
  let instances: Instance[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "convotic-status-order-"));
    const config = join(dir, "convotic.config.json");
    writeFileSync(
      config,
      JSON.stringify({
        status_order: true,
        idempotency: { store: "redis", url: REDIS_URL, key_prefix: prefix },
        blocks: [{ id: "wa", platform: "whatsapp", workspace_id: "ws", secrets: { app_secrets: [APP_SECRET] } }],
      }),
    );
    instances = [spawnServe(config), spawnServe(config)];
    await Promise.all(instances.map((instance) => instance.url));
  });

  afterAll(async () => {
    for (const instance of instances) instance.child.kill("SIGTERM");
    await Promise.all(instances.map((instance) => instance.exited));
    rmSync(dir, { recursive: true, force: true });
    await deleteKeys(prefix);
  });

  const deliveredOf = (wamid: string) =>
    instances
      .flatMap((instance) => instance.delivered())
      .filter((event) => event.message === wamid)
      .map((event) => event.type.replace("messaging.message.", ""));

  it("delivers a sent only when it arrives first, whichever instance each status reaches, in all six orders", async () => {
    const urls = await Promise.all(instances.map((instance) => instance.url));
    for (const [index, order] of ORDERS.entries()) {
      const wamid = `wamid.ORDER${index}`;
      // alternate the instances within one message's statuses, so each order crosses processes
      for (const [step, status] of order.entries()) expect(await post(urls[step % 2]!, status, wamid)).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last lines through the pipes
    for (const [index, order] of ORDERS.entries()) {
      const expected = order.filter((status) => status !== "sent" || order[0] === "sent");
      expect([order, deliveredOf(`wamid.ORDER${index}`).sort()]).toEqual([order, [...expected].sort()]);
    }
  });

  it("lets exactly one of each read and delivered through when all three arrive at once at both instances", async () => {
    const urls = await Promise.all(instances.map((instance) => instance.url));
    const messages = Array.from({ length: 20 }, (_, index) => `wamid.RACE${index}`);
    await Promise.all(
      messages.flatMap((wamid, index) =>
        STATUSES.map(async (status, step) => expect(await post(urls[(index + step) % 2]!, status, wamid)).toBe(200)),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const wamid of messages) {
      const delivered = deliveredOf(wamid);
      expect([wamid, delivered.filter((status) => status === "read").length]).toEqual([wamid, 1]);
      expect([wamid, delivered.filter((status) => status === "delivered").length]).toEqual([wamid, 1]);
      expect([wamid, delivered.filter((status) => status === "sent").length <= 1]).toEqual([wamid, true]);
    }
  });
});
