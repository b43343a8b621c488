import { existsSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { messageOf, type Normalizer } from "../core";
import { openStore, StreamSink, ttlOf, type Sink } from "../delivery";
import { createSink } from "../delivery/sinks";
import { createWebhookHandler, sharedRoutePath, startServer, type RunningServer } from "../http";
import { createLogger, createMetrics, observeHandler, type LogFormat } from "../observe";
import { readServerConfig } from "./config";
import { COMMANDS } from "./commands";
import { CliError, EXIT, line, type CliIO } from "./io";

export const serveUsage = `usage: ${COMMANDS.serve.usage}`;
const DEFAULT_PORT = 3000;
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** A path as the user would type it from the current directory. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

function parsePort(value: string, source: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new CliError(`${source} is not a port number: ${value}\n${serveUsage}`, EXIT.usage);
  return port;
}

/**
 * `convotic serve`: the webhook server. Each normalised event is one JSON line on stdout (the embedded sink);
 * logs go to stderr. SIGTERM or SIGINT stops accepting connections and finishes in-flight work within the grace
 * period (exit 0), or exits 3 naming what it abandoned; a dead stdout reader (EPIPE) also exits 3.
 */
export async function serveCommand(args: string[], io: CliIO, builtIn: Normalizer, fixturesRoot: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      port: { type: "string", short: "p" },
      host: { type: "string" },
      "log-format": { type: "string" },
    },
  });
  const format = values["log-format"] ?? "text";
  if (format !== "json" && format !== "text") throw new CliError(`--log-format is json or text, not "${format}"\n${serveUsage}`, EXIT.usage);
  const envPort = io.env["PORT"];
  const chosenPort =
    values.port !== undefined ? parsePort(values.port, "--port") : envPort !== undefined && envPort !== "" ? parsePort(envPort, "PORT") : undefined;
  const { path, config, normalizer } = await readServerConfig(values.config, { normalizer: builtIn, env: io.env, usage: serveUsage });
  const port = chosenPort ?? config.port ?? DEFAULT_PORT;
  const host = values.host ?? "127.0.0.1";
  const logger = createLogger({ format: format satisfies LogFormat, stream: io.stderr });
  const metrics = createMetrics();

  // stdout is a sink with a bounded buffer: a stalled reader makes requests answer 503, a dead one stops serve
  let stdoutFailed: (error: unknown) => void = () => undefined;
  const stdoutBroken = new Promise<unknown>((resolve) => (stdoutFailed = resolve));
  const stdout = new StreamSink(io.stdout, {
    ...(config.stdout_buffer_bytes === undefined ? {} : { maxBufferedBytes: config.stdout_buffer_bytes }),
    onAccepted: (batch) => {
      metrics.delivered(batch.events, batch.unhandled);
      for (const item of batch.unhandled) logger.info("unhandled", { platform: item.platform, block: item.block_id, kind: item.kind });
    },
    onBroken: (error) => stdoutFailed(error),
  });
  const store = openStore(config.idempotency, { onError: (error) => logger.warn("idempotency store", { error: messageOf(error) }) });
  const ttl = ttlOf(config.idempotency);
  let extraSinks: Sink[];
  try {
    extraSinks = (config.sinks ?? []).map((sink) => createSink(sink));
  } catch (error) {
    throw new CliError(`${path}: sinks: ${messageOf(error)}`, EXIT.input);
  }
  const webhooks = createWebhookHandler({
    normalizer,
    blocks: config.blocks,
    sinks: [stdout, ...extraSinks],
    idempotency: store,
    ...(ttl === undefined ? {} : { ttl }),
    ...(config.deadlines === undefined ? {} : { deadlines: config.deadlines }),
    logger,
    ...(config.ack === undefined ? {} : { ack: config.ack }),
    ...(config.body_limit === undefined ? {} : { bodyLimit: config.body_limit }),
    ...(config.max_in_flight_bytes === undefined ? {} : { maxInFlightBytes: config.max_in_flight_bytes }),
  });
  const { headers_ms, request_ms, keep_alive_ms } = config.timeouts ?? {};
  const timeouts = {
    ...(headers_ms === undefined ? {} : { headersTimeoutMs: headers_ms }),
    ...(request_ms === undefined ? {} : { requestTimeoutMs: request_ms }),
    ...(keep_alive_ms === undefined ? {} : { keepAliveTimeoutMs: keep_alive_ms }),
  };

  const handler = observeHandler(webhooks, { blocks: config.blocks, metrics });

  let server: RunningServer;
  try {
    server = await startServer(handler, { port, host, timeouts });
  } catch (error) {
    throw new CliError(`cannot listen on ${host}:${port}: ${messageOf(error)}`, EXIT.input);
  }

  // the start-up notes are for a person: plain lines, or one record each when the logs are JSON
  const say = (text: string) => (format === "json" ? logger.info(text.trim()) : line(io.stderr, text));
  say(`convotic: listening on ${server.url} (ack: ${config.ack ?? "after-dispatch"})`);
  const storeStats = store === false ? undefined : store.stats();
  say(
    storeStats === undefined
      ? "convotic: idempotency off: every delivery runs"
      : `convotic: idempotency: ${storeStats["kind"]} store${storeStats["max_entries"] === undefined ? "" : `, at most ${storeStats["max_entries"]} event ids`} (see docs/reliability.md)`,
  );
  say("convotic: POST webhooks to:");
  for (const block of config.blocks.all) {
    say(`  ${server.url}${handler.basePath}/${block.id}    ${block.platform} block ${block.id}, workspace ${block.workspace_id}`);
  }
  for (const platform of normalizer.platforms) {
    if (normalizer.adapterFor(platform).accounts === undefined) continue;
    for (const group of config.blocks.sharedGroups(platform)) {
      const ids = group.blocks.map((block) => block.id).join(", ");
      say(`  ${server.url}${handler.basePath}/${sharedRoutePath(group)}    ${platform}, shared by ${ids} (routed by account)`);
    }
  }
  const platforms = [...new Set(config.blocks.all.map((block) => block.platform))];
  const dirs = platforms.map((platform) => join(fixturesRoot, platform)).filter((dir) => existsSync(dir));
  if (dirs.length > 0) {
    say("convotic: replay the bundled fixtures at it (signed with the blocks' secrets) with:");
    say(`  node ${shown(join(__dirname, "main.js"))} replay ${dirs.map(shown).join(" ")} --to ${server.url} --config ${shown(path)}`);
  }
  say(`convotic: health at ${server.url}/healthz and ${server.url}/readyz, Prometheus metrics at ${server.url}/metrics`);
  say("convotic: events go to stdout, one JSON line each; logs to stderr. SIGTERM or Ctrl-C stops.");

  const signals = io.signals ?? process;
  let onTerm = () => undefined as void;
  let onInt = () => undefined as void;
  const signalled = new Promise<string>((resolve) => {
    onTerm = () => resolve("SIGTERM");
    onInt = () => resolve("SIGINT");
    signals.once("SIGTERM", onTerm);
    signals.once("SIGINT", onInt);
  });
  const reason = await Promise.race([signalled, stdoutBroken.then((error) => ({ error }))]);
  signals.removeListener("SIGTERM", onTerm);
  signals.removeListener("SIGINT", onInt);
  handler.setDraining();
  const graceMs = config.shutdown_grace ?? DEFAULT_SHUTDOWN_GRACE_MS;
  if (typeof reason === "string") logger.info("shutting down: finishing in-flight work", { signal: reason, grace_ms: graceMs });
  // a supervisor must see a dead stdout reader: events can no longer be delivered
  else logger.error("stdout failed; stopping (exit 3) so a supervisor restarts serve", { error: messageOf(reason.error) });
  return stop({ server, stdout, sinks: extraSinks, store: store === false ? undefined : store, graceMs, logger, clean: typeof reason === "string" });
}

/** Stops within the grace period; exit 0 only when nothing was abandoned and stdout was not lost. */
async function stop(parts: {
  server: RunningServer;
  stdout: StreamSink;
  sinks: readonly Sink[];
  store: { close(): Promise<void> } | undefined;
  graceMs: number;
  logger: ReturnType<typeof createLogger>;
  clean: boolean;
}): Promise<number> {
  const { server, stdout, store, graceMs, logger } = parts;
  const ends = Date.now() + graceMs;
  const report = await server.close({ graceMs });
  let unwritten = 0;
  try {
    await stdout.close(AbortSignal.timeout(Math.max(1, ends - Date.now())));
  } catch {
    unwritten = stdout.buffered;
  }
  await Promise.all(parts.sinks.map((sink) => sink.close(AbortSignal.timeout(Math.max(1, ends - Date.now()))).catch(() => undefined)));
  await store?.close();
  const abandoned = [
    report.requests > 0 ? `${report.requests} unanswered request(s)` : "",
    report.background > 0 ? `${report.background} background task(s) of ack "immediate"` : "",
    unwritten > 0 ? `${unwritten} bytes of stdout` : "",
  ].filter(Boolean);
  if (abandoned.length > 0) {
    logger.error(`the shutdown grace period of ${graceMs} ms ended; abandoned ${abandoned.join(", ")}`, { ...report, stdout_bytes: unwritten });
    return EXIT.abandoned;
  }
  logger.info("stopped");
  return parts.clean ? EXIT.ok : EXIT.abandoned;
}
