import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { adapters } from "../../src/adapters";
import { createNormalizer } from "../../src/core";
import { MemoryStore } from "../../src/delivery";
import { convoticExpress, createWebhookHandler } from "../../src/http";
import { createInspector, type InspectedRequest, type Inspector } from "../../src/public/observe";
import { defaultContext } from "../../src/testing/fixtures";

/*
 * The inspector as a library user mounts it: `createWebhookHandler({ inspector })` in a real Express app beside
 * `inspector.node`, over real HTTP; and `inspector.fetch` for fetch apps. Bodies are signed at run time.
 */
const MAIN = join(__dirname, "..", "..", "dist", "cli", "main.js");
const normalizer = createNormalizer({ adapters });
const META = { app_secrets: ["inspector-test-app-secret"], verify_token: "inspector-verify" };
const OTHER = { app_secrets: ["inspector-other-app-secret"] };
const body = readFileSync(join(__dirname, "..", "..", "fixtures", "messenger", "text-message.json"));
const dir = mkdtempSync(join(tmpdir(), "convotic-inspector-"));
let inspector: Inspector;
let server: Server;
let base: string;

beforeAll(async () => {
  inspector = createInspector({ fixturesDir: join(dir, "fixtures") });
  const handler = createWebhookHandler({
    normalizer,
    blocks: [
      { id: "fb-main", platform: "messenger", workspace_id: "ws", secrets: META },
      { id: "fb-other", platform: "messenger", workspace_id: "ws", secrets: OTHER },
    ],
    idempotency: new MemoryStore(),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    inspector,
  });
  const app = express();
  app.use(inspector.node);
  app.use(convoticExpress(handler));
  server = await new Promise<Server>((resolve) => {
    const started = app.listen(0, "127.0.0.1", () => resolve(started));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  inspector.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const sign = (secrets: unknown, bytes: Uint8Array = body) => normalizer.adapterFor("messenger").sign(bytes, secrets);
const post = (headers: Record<string, string>, bytes: Uint8Array = body, path = "/webhooks/fb-main") =>
  fetch(base + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: bytes });
/** What the JSON routes answer, as far as these tests read it. */
interface Answer {
  readonly error?: string | { code: string };
  readonly body?: string | { exact: string };
  readonly envelopes?: unknown[];
  readonly headers?: Record<string, string>;
  readonly diagnosis?: { explanations: unknown[] };
  readonly status?: number;
  readonly entry?: number;
  readonly golden?: string;
  readonly command?: string;
}
const api = async (path: string, init: RequestInit = {}) => {
  const response = await fetch(`${base}/_convotic/api/entries${path}`, init);
  return { status: response.status, data: (await response.json()) as Answer };
};
const action = (path: string, payload?: unknown) =>
  api(path, {
    method: "POST",
    headers: { "x-convotic-inspector": "1", "content-type": "application/json" },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  });

/** Reads the event stream until `count` entries arrived after the snapshot. */
async function streamed(
  count: number,
  during: () => Promise<void>,
): Promise<{ snapshot: unknown[]; entries: InspectedRequest[] }> {
  const response = await fetch(`${base}/_convotic/events`);
  expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const events = () =>
    [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((match) => ({
      event: match[1]!,
      data: JSON.parse(match[2]!),
    }));
  while (!events().some((item) => item.event === "snapshot")) text += decoder.decode((await reader.read()).value);
  await during();
  while (events().filter((item) => item.event === "entry").length < count)
    text += decoder.decode((await reader.read()).value);
  await reader.cancel();
  const all = events();
  return {
    snapshot: all.find((item) => item.event === "snapshot")!.data as unknown[],
    entries: all.filter((item) => item.event === "entry").map((item) => item.data as InspectedRequest),
  };
}

test("lists requests live with their verdicts, links a redelivery to its first delivery, masks signatures", async () => {
  const { entries } = await streamed(3, async () => {
    expect((await post(sign(META))).status).toBe(200);
    expect((await post(sign(META))).status).toBe(200);
    expect((await post(sign(OTHER))).status).toBe(401);
  });
  expect(entries.map((entry) => [entry.route, entry.status, entry.verdict])).toEqual([
    ["/webhooks/fb-main", 200, "delivered"],
    ["/webhooks/fb-main", 200, "duplicate"],
    ["/webhooks/fb-main", 401, "invalid_signature"],
  ]);
  const [first, again, forged] = entries as [InspectedRequest, InspectedRequest, InspectedRequest];
  expect(first.platform).toBe("messenger");
  expect(first.blocks).toEqual(["fb-main"]);
  expect(first.events).toBeGreaterThan(0);
  expect(again.duplicate_of).toBe(first.id);

  const detail = await api(`/${first.id}`);
  expect(detail.status).toBe(200);
  expect(detail.data.body).toMatchObject({ exact: body.toString("utf8") });
  expect(detail.data.envelopes?.length).toBe(first.events);
  expect(detail.data.headers?.["x-hub-signature-256"]).toMatch(/^•••• \(masked, 71 characters\)$/);
  expect(JSON.stringify(detail.data)).not.toContain(sign(META)["x-hub-signature-256"]!.slice(7));

  const failed = await api(`/${forged.id}`);
  expect(failed.data.error).toMatchObject({ code: "invalid_signature" });
  expect(failed.data.diagnosis?.explanations).toEqual([
    expect.objectContaining({
      kind: "wrong_secret",
      message: "wrong secret for this route: block fb-other's secret matches",
    }),
  ]);
  expect(JSON.stringify(failed.data)).not.toContain("inspector-other-app-secret");
});

test("replay runs the stored body through the handler again and names the new entry", async () => {
  const first = inspector.entries().find((entry) => entry.verdict === "delivered")!;
  const { status, data } = await action(`/${first.id}/replay`);
  expect(status).toBe(200);
  expect(data.status).toBe(200);
  const replayed = inspector.entries().find((entry) => entry.id === data.entry)!;
  expect(replayed).toMatchObject({ replay_of: first.id, verdict: "duplicate", duplicate_of: first.id });
});

test("save as fixture writes the exact body and a golden that `convotic replay DIR` accepts", async () => {
  const first = inspector.entries().find((entry) => entry.verdict === "delivered")!;
  const { status, data } = await action(`/${first.id}/fixture`, { name: "saved-text" });
  expect(status).toBe(200);
  expect(data.body).toBe(join(dir, "fixtures", "messenger", "saved-text.json"));
  expect(readFileSync(data.body as string)).toEqual(body);
  const golden = JSON.parse(readFileSync(data.golden!, "utf8"));
  expect(golden).toEqual(
    JSON.parse(JSON.stringify(normalizer.normalize("messenger", body, defaultContext("messenger")))),
  );
  const again = await action(`/${first.id}/fixture`, { name: "saved-text" });
  expect(again.status).toBe(422);
  expect(again.data.error).toMatch(/exists already/);
  expect((await action(`/${first.id}/fixture`, { name: "../escape" })).status).toBe(422);
  const review = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
    execFile(process.execPath, [MAIN, "replay", join(dir, "fixtures")], (error, _stdout, stderr) =>
      resolve({ code: error === null ? 0 : (error.code as number), stderr }),
    ),
  );
  expect(review.stderr).toMatch(/files 1, equal 1, changed 0, new 0, failed 0/);
  expect(review.code).toBe(0);
});

test("copy as curl: a command signed now that curl itself gets accepted, without the secret in it", async () => {
  const forged = inspector.entries().find((entry) => entry.verdict === "invalid_signature")!;
  const { status, data } = await action(`/${forged.id}/curl`);
  expect(status).toBe(200);
  const command = data.command as string;
  expect(command).toContain(`${base}/webhooks/fb-main`);
  expect(command).not.toContain("inspector-test-app-secret");
  const output = await new Promise<string>((resolve, reject) =>
    execFile("sh", ["-c", command], (error, stdout) => (error === null ? resolve(stdout) : reject(error))),
  );
  // signed with fb-main's own secret this time: accepted (a redelivery of the first request's events)
  expect(JSON.parse(output)).toMatchObject({ ok: true });
  expect(inspector.entries().at(-1)).toMatchObject({ status: 200, verdict: "duplicate" });
});

test("actions need the inspector's header; other host names are refused (DNS rebinding)", async () => {
  const first = inspector.entries()[0]!;
  const bare = await fetch(`${base}/_convotic/api/entries/${first.id}/replay`, { method: "POST" });
  expect(bare.status).toBe(403);
  const rebound = await new Promise<number>((resolve, reject) => {
    const request = require("node:http").request(
      `${base}/_convotic/api/entries`,
      { headers: { host: "attacker.example:80" } },
      (response: { statusCode: number; resume(): void }) => {
        response.resume();
        resolve(response.statusCode);
      },
    );
    request.on("error", reject);
    request.end();
  });
  expect(rebound).toBe(403);
  expect((await fetch(`${base}/_convotic`)).headers.get("content-security-policy")).toMatch(/default-src 'none'/);
});

test("the page and its JSON through a fetch app", async () => {
  const page = await inspector.fetch(new Request("http://localhost/_convotic"));
  expect(page!.status).toBe(200);
  expect(await page!.text()).toContain("<title>convotic inspector</title>");
  const list = await inspector.fetch(new Request("http://localhost/_convotic/api/entries"));
  expect(((await list!.json()) as { entries: unknown[] }).entries.length).toBe(inspector.entries().length);
  expect(await inspector.fetch(new Request("http://localhost/webhooks/fb-main"))).toBeUndefined();
});

test("a GET handshake is listed as one; an unhandled-only redelivery names its first delivery too", async () => {
  const handshake = await fetch(
    `${base}/webhooks/fb-main?hub.mode=subscribe&hub.verify_token=inspector-verify&hub.challenge=4242`,
  );
  expect(await handshake.text()).toBe("4242");
  expect(inspector.entries().at(-1)).toMatchObject({ method: "GET", status: 200, verdict: "handshake", events: 1 });

  const roles = readFileSync(join(__dirname, "..", "..", "fixtures", "messenger", "app-roles.json"));
  expect((await post(sign(META, roles), roles)).status).toBe(200);
  const first = inspector.entries().at(-1)!;
  expect(first).toMatchObject({ verdict: "unhandled", events: 0, unhandled: 1 });
  expect((await post(sign(META, roles), roles)).status).toBe(200);
  expect(inspector.entries().at(-1)).toMatchObject({ verdict: "duplicate", duplicate_of: first.id });
});

test("the event stream through the fetch shim starts with the list and ends on close()", async () => {
  const response = (await inspector.fetch(new Request("http://localhost/_convotic/events")))!;
  expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
  const reader = response.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  expect(first).toMatch(/^retry: 2000\nevent: snapshot\ndata: \[/);
  inspector.close();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  expect(text).toContain("event: bye");
  // once closed, a new stream is refused: a stopping server must not gain long-lived requests
  expect((await inspector.fetch(new Request("http://localhost/_convotic/events")))!.status).toBe(503);
});
