import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adapters } from "../../src/adapters";
import { createNormalizer } from "../../src/core";
import { createSink, type JetStreamSink } from "../../src/delivery/sinks";
import { loadConfig } from "../../src/cli/server-config";
import { CLI, spawnConsumer, until, workload } from "../support/consumers";
import { NATS_URL, natsUp, uniqueName, useJetStream } from "../support/nats";
import { deleteKeys, REDIS_URL, redisUp } from "../support/redis";
import { runCli } from "../support/run-cli";
import { describeWhen } from "../support/service";

/* `convotic consume --config FILE`: the file `serve` reads, with a `consume` section beside its jetstream sink. */
jest.setTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "convotic-consume-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

const block = { id: "tg", platform: "telegram", workspace_id: "ws_a", secrets: { secret_token: "t" } };

describe("convotic consume: bad usage", () => {
  it.each([
    [["--config", "x.json", "extra"], /unexpected argument "extra"/],
    [["--stream", "S"], /--stream and --durable are required/],
    [["--stream", "S", "--durable", "d", "--ack-wait", "soon"], /--ack-wait is a duration/],
    [["--stream", "S", "--durable", "d", "--max-deliver", "0"], /--max-deliver is a whole number/],
    [["--stream", "S", "--durable", "d", "--redis", "http://127.0.0.1:6379"], /--redis is a redis:\/\//],
    [["--stream", "S", "--durable", "d", "--partitions", "0"], /--partitions is a whole number of at least 1/],
    [["--stream", "S", "--durable", "d", "--only", "0,1"], /go with --partitions/],
    [
      ["--stream", "S", "--durable", "d", "--partitions", "4", "--only", "4"],
      /ordered.only lists partitions from 0 to 3/,
    ],
    [
      ["--stream", "S", "--durable", "d", "--partitions", "4", "--reorder-window", "50ms"],
      /needs maxAckPending above 1/,
    ],
  ])("%j exits 2 with the reason and the usage", async (args, reason) => {
    const { code, stderr } = await runCli(["consume", ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(reason);
    expect(stderr).toContain("usage: convotic consume");
  });

  it("a config whose consume section is invalid exits 2 naming the field; a missing file exits 1", async () => {
    const bad = configFile("bad.json", { blocks: [block], consume: { durable: "d", max_deliver: 0 } });
    const invalid = await runCli(["consume", "--config", bad, "--stream", "S"]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/consume.*max_deliver/);
    const missing = await runCli(["consume", "--config", join(dir, "none.json")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/none\.json cannot be read/);
  });

  it("--help lists --config and --redis and exits 0", async () => {
    const { code, stdout } = await runCli(["consume", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--config FILE/);
    expect(stdout).toMatch(/--redis URL/);
  });
});

describeWhen(natsUp && redisUp)("convotic consume --config (real NATS and Redis)", () => {
  const js = useJetStream();
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  it("takes NATS, the stream, the store and the consume settings from serve's config file", async () => {
    const stream = uniqueName("convotic_test_cfg");
    const prefix = uniqueName("cc");
    const keyPrefix = `convotic:test:${prefix}:`;
    js.streams.push(stream);
    const sinkConfig = {
      kind: "jetstream",
      servers: "${NATS_URL}",
      subject_prefix: prefix,
      stream: { name: stream, storage: "memory" },
    } as const;
    const config = {
      idempotency: { store: "redis", url: "${REDIS_URL}", key_prefix: keyPrefix },
      sinks: [sinkConfig],
      consume: { durable: "from_file", filter: "messaging.*", ack_wait: "5s", max_deliver: 3 },
      blocks: [block],
    };
    const path = configFile("good.json", config);
    const env = { NATS_URL, REDIS_URL };
    // the same file is one serve accepts
    expect(() => loadConfig(config, { normalizer: createNormalizer({ adapters }), env })).not.toThrow();

    const events = workload(200, prefix);
    const sink = createSink({ ...sinkConfig, servers: NATS_URL }) as JetStreamSink;
    await sink.write({ events, unhandled: [] }, AbortSignal.timeout(10_000));
    await sink.close(AbortSignal.timeout(5000));
    const messaging = events.filter((event) => event.type.startsWith("messaging."));
    expect(messaging.length).toBeGreaterThan(0);
    expect(messaging.length).toBeLessThan(events.length);

    const lines: string[] = [];
    const child = spawnConsumer(CLI, ["consume", "--config", path], (line) => lines.push(line), children, env);
    await until(
      () => lines.length >= messaging.length || child.child.exitCode !== null,
      20_000,
      "the messaging events printed",
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(child.stderr()).toMatch(/as durable from_file \(idempotency: redis\)/);
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id).sort()).toEqual(
      messaging.map((event) => event.id).sort(),
    );
    const info = await js.jsm.consumers.info(stream, "from_file");
    expect(info.config.max_deliver).toBe(3);
    expect(info.config.ack_wait).toBe(5_000_000_000);
    await deleteKeys(keyPrefix);
  });

  it("orders by conversation with the sink's partitions and the consume section's max_ack_pending and only", async () => {
    const stream = uniqueName("convotic_test_cfg_ord");
    const prefix = uniqueName("co");
    js.streams.push(stream);
    const sinkConfig = {
      kind: "jetstream",
      servers: "${NATS_URL}",
      subject_prefix: prefix,
      partitions: 4,
      stream: { name: stream, storage: "memory" },
    } as const;
    const config = {
      sinks: [sinkConfig],
      consume: { durable: "ord", max_ack_pending: 2, only: [0, 1, 2, 3], reorder_window: "20ms" },
      blocks: [block],
    };
    const path = configFile("ordered.json", config);
    const env = { NATS_URL };
    expect(() => loadConfig(config, { normalizer: createNormalizer({ adapters }), env })).not.toThrow();
    const events = workload(60, prefix);
    const sink = createSink({ ...sinkConfig, servers: NATS_URL }) as JetStreamSink;
    await sink.write({ events, unhandled: [] }, AbortSignal.timeout(10_000));
    await sink.close(AbortSignal.timeout(5000));
    const lines: string[] = [];
    const child = spawnConsumer(CLI, ["consume", "--config", path], (line) => lines.push(line), children, env);
    await until(() => lines.length >= events.length || child.child.exitCode !== null, 20_000, "every event printed");
    child.child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(child.stderr()).toMatch(/in order per conversation over 4 partitions/);
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id).sort()).toEqual(
      events.map((event) => event.id).sort(),
    );
    const info = await js.jsm.consumers.info(stream, "ord-p02");
    expect(info.config.filter_subject).toBe(`${prefix}.p02.>`);
    expect(info.config.max_ack_pending).toBe(2);
  });
});
