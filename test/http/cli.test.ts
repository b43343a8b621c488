import { EventEmitter } from "node:events";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { adapters } from "../../src/adapters";
import { createNormalizer, type UnifiedEvent } from "../../src/core";
import { run } from "../../src/cli/main";
import { FIXTURES_DIR, fixturesOf } from "../support/fixtures";
import { sentHeaderValues } from "./support";

/*
 * `convotic serve` and `convotic replay` end to end through run(): a real server started by the command, real
 * POSTs, shutdown by a SIGTERM delivered through the injected signal source.
 */
const normalizer = createNormalizer({ adapters });
const TOKEN = "cli-secret-token_7Qx";
const OTHER_TOKEN = "cli-other-token_2Zp";
const dir = mkdtempSync(join(tmpdir(), "convotic-cli-"));
const telegramFixtures = fixturesOf("telegram");

function writeConfig(name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof config === "string" ? config : JSON.stringify(config));
  return path;
}

const configPath = writeConfig("convotic.config.json", {
  blocks: [{ id: "tg-cli", platform: "telegram", workspace_id: "ws_cli", secrets: { secret_token: "${TG_SECRET}" } }],
});
const wrongConfigPath = writeConfig("wrong.json", {
  blocks: [{ id: "tg-cli", platform: "telegram", workspace_id: "ws_cli", secrets: { secret_token: OTHER_TOKEN } }],
});

function capture(options: { tty?: boolean; gate?: Promise<void>; highWaterMark?: number } = {}) {
  const chunks: string[] = [];
  const stream = new Writable({
    ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }),
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      if (options.gate === undefined) callback();
      else void options.gate.then(() => callback());
    },
  });
  if (options.tty === true) Object.assign(stream, { isTTY: true });
  return { stream, text: () => chunks.join("") };
}

function invoke(
  argv: string[],
  options: { env?: Record<string, string>; stdout?: ReturnType<typeof capture>; tty?: boolean } = {},
) {
  const stdout = options.stdout ?? capture();
  const stderr = capture({ tty: options.tty ?? false });
  const signals = new EventEmitter();
  const exit = run(argv, {
    stdin: new PassThrough(),
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: options.env ?? {},
    signals,
  });
  return { stdout, stderr, signals, exit };
}

async function until<T>(probe: () => T | undefined, what: string, exit?: Promise<number>): Promise<T> {
  let exited: number | undefined;
  void exit?.then((code) => (exited = code));
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const value = probe();
    if (value !== undefined) return value;
    if (exited !== undefined) throw new Error(`command exited with ${exited} before ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function startServe(args: string[] = [], options: { stdout?: ReturnType<typeof capture> } = {}) {
  const served = invoke(["serve", "--config", configPath, "--port", "0", ...args], {
    env: { TG_SECRET: TOKEN },
    ...options,
  });
  const url = await until(
    () => /listening on (http:\/\/\S+)/.exec(served.stderr.text())?.[1],
    "listening",
    served.exit,
  );
  return { ...served, url };
}

function postTelegram(url: string, body: Uint8Array, token = TOKEN) {
  sentHeaderValues.add(token);
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": token },
    body,
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("convotic serve", () => {
  it("serves the config's blocks, writes events as JSON lines to stdout, logs to stderr and stops on SIGTERM", async () => {
    const served = await startServe();
    const banner = served.stderr.text();
    expect(banner).toContain(`${served.url}/webhooks/tg-cli`);
    expect(banner).toMatch(/replay .*fixtures[/\\]telegram --to http:\/\/127\.0\.0\.1:\d+ --config /);

    const fixture = telegramFixtures.find((item) => item.name.startsWith("message"))!;
    const accepted = await postTelegram(`${served.url}/webhooks/tg-cli`, fixture.body);
    expect(accepted.status).toBe(200);
    const refused = await postTelegram(`${served.url}/webhooks/tg-cli`, fixture.body, OTHER_TOKEN);
    expect(refused.status).toBe(401);

    const lines = served.stdout
      .text()
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text) as UnifiedEvent);
    const want = normalizer.normalize("telegram", fixture.body, { workspace_id: "ws_cli", block_id: "tg-cli" }).events;
    expect(lines.map((event) => [event.id, event.type])).toEqual(want.map((event) => [event.id, event.type]));

    served.signals.emit("SIGTERM");
    expect(await served.exit).toBe(0);
    expect(served.stderr.text()).toContain("stopped");
    await expect(fetch(`${served.url}/webhooks/tg-cli`)).rejects.toThrow();
    for (const secret of [TOKEN, OTHER_TOKEN]) expect(served.stderr.text()).not.toContain(secret);
  });

  it("finishes an in-flight request after SIGTERM before exiting 0", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stdout = capture({ gate, highWaterMark: 1 });
    const served = await startServe([], { stdout });
    const fixture = telegramFixtures.find((item) => item.name.startsWith("message"))!;
    const inFlight = postTelegram(`${served.url}/webhooks/tg-cli`, fixture.body);
    await until(() => (stdout.text().length > 0 ? true : undefined), "the event to reach stdout");
    served.signals.emit("SIGTERM");
    let exited = false;
    void served.exit.then(() => (exited = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(exited).toBe(false);
    release();
    expect((await inFlight).status).toBe(200);
    expect(await served.exit).toBe(0);
  });

  it("takes the port from PORT when --port is absent, before the config's port", async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const busyPort = (busy.address() as AddressInfo).port;
    const config = writeConfig("busy.json", {
      port: busyPort,
      blocks: [{ id: "tg-cli", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } }],
    });
    const inUse = invoke(["serve", "--config", config]);
    expect(await inUse.exit).toBe(1);
    expect(inUse.stderr.text()).toContain(`cannot listen on 127.0.0.1:${busyPort}`);
    const viaEnv = invoke(["serve", "--config", config], { env: { PORT: "0" } });
    await until(() => (viaEnv.stderr.text().includes("listening on") ? true : undefined), "listening", viaEnv.exit);
    viaEnv.signals.emit("SIGINT");
    expect(await viaEnv.exit).toBe(0);
    busy.close();
  });

  it("fails with exit 2 on bad usage and exit 1 on a bad config, never quoting secrets", async () => {
    expect(await invoke(["serve", "--config", configPath, "--port", "eighty"]).exit).toBe(2);
    expect(await invoke(["serve", "--config", configPath], { env: { PORT: "-1" } }).exit).toBe(2);
    expect(await invoke(["serve", "--bogus"]).exit).toBe(2);

    const broken = writeConfig("broken.json", `{"blocks":[{"secrets":{"secret_token":"${TOKEN}"},}]}`);
    const badJson = invoke(["serve", "--config", broken]);
    expect(await badJson.exit).toBe(1);
    expect(badJson.stderr.text()).toContain("is not valid JSON");
    expect(badJson.stderr.text()).not.toContain(TOKEN);

    const invalid = writeConfig("invalid.json", {
      blocks: [
        { id: "tg-bad", platform: "telegram", workspace_id: "ws", secrets: { secret_token: `${TOKEN} with spaces` } },
      ],
    });
    const badSecret = invoke(["serve", "--config", invalid]);
    expect(await badSecret.exit).toBe(1);
    expect(badSecret.stderr.text()).toContain('block "tg-bad": secrets are missing or invalid');
    expect(badSecret.stderr.text()).not.toContain(TOKEN);

    const unset = invoke(["serve", "--config", configPath]);
    expect(await unset.exit).toBe(1);
    expect(unset.stderr.text()).toContain("${TG_SECRET}, which is not set");

    const missing = invoke(["serve", "--config", join(dir, "absent.json")]);
    expect(await missing.exit).toBe(1);
    expect(missing.stderr.text()).toContain("cannot read");
  });
});

describe("convotic replay", () => {
  let served: Awaited<ReturnType<typeof startServe>>;
  beforeAll(async () => {
    served = await startServe();
  });
  afterAll(async () => {
    served.signals.emit("SIGTERM");
    await served.exit;
  });

  it("replays the bundled fixtures, signed from the config, and every one is accepted", async () => {
    const before = served.stdout.text().length;
    const replay = invoke(["replay", join(FIXTURES_DIR, "telegram"), "--to", served.url, "--config", configPath], {
      env: { TG_SECRET: TOKEN },
    });
    expect(await replay.exit).toBe(0);
    const n = telegramFixtures.length;
    expect(replay.stderr.text()).toBe(`sent ${n}, accepted ${n}, rejected 0\n`);
    const events = served.stdout.text().slice(before).trim().split("\n").length;
    const want = telegramFixtures.reduce(
      (sum, fixture) =>
        sum + normalizer.normalize("telegram", fixture.body, { workspace_id: "w", block_id: "b" }).events.length,
      0,
    );
    expect(events).toBe(want);
  });

  it("draws a progress bar only when stderr is a terminal", async () => {
    const replay = invoke(["replay", join(FIXTURES_DIR, "telegram"), "--to", served.url, "--config", configPath], {
      env: { TG_SECRET: TOKEN },
      tty: true,
    });
    expect(await replay.exit).toBe(0);
    const n = telegramFixtures.length;
    expect(replay.stderr.text()).toContain(`] ${n}/${n}`);
    expect(replay.stderr.text()).toContain("\r[");
  });

  it("reports rejections by status and exits 1 when a secret does not match", async () => {
    const replay = invoke(["replay", join(FIXTURES_DIR, "telegram"), "--to", served.url, "--config", wrongConfigPath]);
    expect(await replay.exit).toBe(1);
    const n = telegramFixtures.length;
    expect(replay.stderr.text()).toContain(`sent ${n}, accepted 0, rejected ${n} (401: ${n})`);
    expect(replay.stderr.text()).not.toContain(OTHER_TOKEN);
    // the server's own log of those 401s names neither the expected nor the presented token
    for (const secret of [TOKEN, OTHER_TOKEN]) expect(served.stderr.text()).not.toContain(secret);
    expect(served.stderr.text()).toContain("status=401");
  });

  it("walks directories for *.json without golden files, posts exact bytes, and counts a bad body as 400", async () => {
    const root = join(dir, "bodies", "telegram");
    mkdirSync(root, { recursive: true });
    const good = telegramFixtures[0]!;
    copyFileSync(good.path, join(root, "good.json"));
    copyFileSync(good.goldenPath, join(root, "good.golden.json"));
    writeFileSync(join(root, "bad.json"), "{oops");
    writeFileSync(join(root, "notes.txt"), "ignored");
    const replay = invoke(
      ["replay", join(dir, "bodies"), "--to", `${served.url}/webhooks/tg-cli`, "--config", configPath],
      {
        env: { TG_SECRET: TOKEN },
      },
    );
    expect(await replay.exit).toBe(1);
    expect(replay.stderr.text()).toContain("sent 2, accepted 1, rejected 1 (400: 1)");
    expect(replay.stderr.text()).toMatch(
      /rejected 400 .*bad\.json \(block tg-cli\): \[telegram\] body is not valid JSON/,
    );
  });

  it("chooses the block with --block and refuses files of a platform with no block", async () => {
    const lineDir = join(dir, "other", "line");
    mkdirSync(lineDir, { recursive: true });
    copyFileSync(telegramFixtures[0]!.path, join(lineDir, "x.json"));
    const noBlock = invoke(["replay", lineDir, "--to", served.url, "--config", configPath], {
      env: { TG_SECRET: TOKEN },
    });
    expect(await noBlock.exit).toBe(2);
    expect(noBlock.stderr.text()).toContain('no block for "line"');
    const chosen = invoke(["replay", lineDir, "--to", served.url, "--config", configPath, "--block", "tg-cli"], {
      env: { TG_SECRET: TOKEN },
    });
    expect(await chosen.exit).toBe(0);
    const unknown = invoke(["replay", lineDir, "--to", served.url, "--config", configPath, "--block", "nope"], {
      env: { TG_SECRET: TOKEN },
    });
    expect(await unknown.exit).toBe(2);
  });

  it("fails on bad usage and counts an unreachable server as errors", async () => {
    // --config without --to reviews with the config's adapters (issue 25); --block still needs --to
    expect(await invoke(["replay", join(FIXTURES_DIR, "telegram"), "--block", "tg"]).exit).toBe(2);
    expect(await invoke(["replay", "--to", served.url, "--config", configPath]).exit).toBe(2);
    expect(
      await invoke(["replay", join(FIXTURES_DIR, "telegram"), "--to", "not a url", "--config", configPath]).exit,
    ).toBe(2);
    const closed: Server = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = invoke([
      "replay",
      telegramFixtures[0]!.path,
      "--to",
      `http://127.0.0.1:${port}`,
      "--config",
      wrongConfigPath,
    ]);
    expect(await down.exit).toBe(1);
    expect(down.stderr.text()).toBe(
      `convotic: cannot reach http://127.0.0.1:${port}: ECONNREFUSED (1 connection failure(s) in a row); stopped: sent 0 of 1, accepted 0\n`,
    );
  });
});
