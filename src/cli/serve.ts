import { existsSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { messageOf, type Normalizer } from "../core";
import { openStore, ttlOf, type DeliveryObserver } from "../delivery";
import { createWebhookHandler, sharedRoutePath, startServer, type RunningServer } from "../http";
import { developmentSecretFields, isLoopback } from "../http/secret-rules";
import {
  aggregateAuthFailures,
  createLogger,
  createMetrics,
  LOG_LEVELS,
  observeHandler,
  startOpsServer,
  type AuthFailureLogger,
  type LogFormat,
  type LogThreshold,
  type RunningOpsServer,
} from "../observe";
import { readServerConfig } from "./config";
import { COMMANDS } from "./commands";
import { CliError, EXIT, line, type CliIO } from "./io";
import { openSinks, type ServeSinks } from "./serve-sinks";

export const serveUsage = `usage: ${COMMANDS.serve.usage}`;
const DEFAULT_PORT = 3000;
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** kinds of unhandled items named in a request's one `unhandled` line */
const UNHANDLED_KINDS_SHOWN = 5;

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
 * `convotic serve`: the webhook server. Normalised events go to the config's `sinks` (default: one JSON line each
 * on stdout); a request is answered 200 once every sink accepted its events. Logs go to stderr. SIGTERM or SIGINT
 * stops accepting connections and finishes in-flight work and the sinks within the grace period (exit 0), or
 * exits 3 naming what it abandoned; a dead stdout reader (EPIPE) also exits 3.
 */
export async function serveCommand(args: string[], io: CliIO, builtIn: Normalizer, fixturesRoot: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      port: { type: "string", short: "p" },
      host: { type: "string" },
      "ops-port": { type: "string" },
      "ops-host": { type: "string" },
      "log-format": { type: "string" },
      "log-level": { type: "string" },
    },
  });
  const format = values["log-format"] ?? "text";
  if (format !== "json" && format !== "text") throw new CliError(`--log-format is json or text, not "${format}"\n${serveUsage}`, EXIT.usage);
  const level = values["log-level"] ?? "info";
  if (!LOG_LEVELS.includes(level as LogThreshold)) throw new CliError(`--log-level is ${LOG_LEVELS.join(", ")}, not "${level}"\n${serveUsage}`, EXIT.usage);
  const envPort = io.env["PORT"];
  const chosenPort =
    values.port !== undefined ? parsePort(values.port, "--port") : envPort !== undefined && envPort !== "" ? parsePort(envPort, "PORT") : undefined;
  const { path, config, normalizer } = await readServerConfig(values.config, { normalizer: builtIn, env: io.env, usage: serveUsage });
  const port = chosenPort ?? config.port ?? DEFAULT_PORT;
  const host = values.host ?? "127.0.0.1";
  const opsPort = values["ops-port"] !== undefined ? parsePort(values["ops-port"], "--ops-port") : config.ops?.port;
  const opsHost = values["ops-host"] ?? config.ops?.host ?? "127.0.0.1";
  if (values["ops-host"] !== undefined && opsPort === undefined) throw new CliError(`--ops-host needs --ops-port (or "ops": { "port" } in the config)\n${serveUsage}`, EXIT.usage);
  // a flood of forged requests writes one line per route and interval, not one per request
  const logger = aggregateAuthFailures(createLogger({ format: format satisfies LogFormat, stream: io.stderr, level: level as LogThreshold }), {
    ...(config.logs?.auth_failure_interval === undefined ? {} : { intervalMs: config.logs.auth_failure_interval }),
  });
  const metrics = createMetrics();

  // stdout sinks have a bounded buffer: a stalled reader makes requests answer 503, a dead one stops serve
  const outputs = openSinks(config, io, path);
  const observer: DeliveryObserver = {
    ran: (report) => {
      metrics.observer.ran?.(report);
      const unhandled = report.committed.unhandled;
      if (unhandled.length === 0) return;
      // one line per request, whatever the number of items (36,112 unknown items once wrote 36,112 lines)
      const kinds = new Set<string>();
      const blocks = new Set<string>();
      for (const item of unhandled) {
        if (kinds.size < UNHANDLED_KINDS_SHOWN) kinds.add(item.kind);
        blocks.add(item.block_id);
      }
      const tag = report.info.request_id === undefined ? {} : { request_id: report.info.request_id };
      logger.info("unhandled", { ...tag, platform: report.info.platform, blocks: [...blocks], count: unhandled.length, kinds: [...kinds] });
    },
    sinkFailed: (report) => metrics.observer.sinkFailed?.(report),
  };
  const store = openStore(config.idempotency, { onError: (error) => logger.warn("idempotency store", { error: messageOf(error) }) });
  const ttl = ttlOf(config.idempotency);
  const webhooks = createWebhookHandler({
    normalizer,
    blocks: config.blocks,
    sinks: outputs.sinks,
    observer,
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

  // a load balancer sends traffic once the sinks and the idempotency store answer
  const storeReady = store === false ? undefined : store.ready?.bind(store);
  const storeName = `store ${store === false ? "" : store.kind}`;
  // /readyz says which part is not ready, not its address: the store's own errors are in the logs (onError)
  const storeCheck = storeReady === undefined ? undefined : { name: storeName, check: () => Promise.resolve(storeReady()).catch(() => Promise.reject(new Error(`${storeName} does not answer`))) };
  const readiness = storeCheck === undefined ? outputs.readiness : [...outputs.readiness, storeCheck];
  const handler = observeHandler(webhooks, { blocks: config.blocks, metrics, readiness, opsRoutes: opsPort === undefined });

  let server: RunningServer;
  try {
    server = await startServer(handler, { port, host, timeouts });
  } catch (error) {
    throw new CliError(`cannot listen on ${host}:${port}: ${messageOf(error)}`, EXIT.input);
  }
  let opsServer: RunningOpsServer | undefined;
  if (opsPort !== undefined) {
    try {
      opsServer = await startOpsServer(handler, { host: opsHost, port: opsPort });
    } catch (error) {
      await server.close({ graceMs: 0 });
      throw new CliError(`cannot listen on ${opsHost}:${opsPort} (ops): ${messageOf(error)}`, EXIT.input);
    }
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
  const opsUrl = opsServer?.url ?? server.url;
  say(`convotic: health at ${opsUrl}/healthz and ${opsUrl}/readyz, Prometheus metrics at ${opsUrl}/metrics${opsServer === undefined ? "" : " (ops listener)"}`);
  warnDevelopmentSecrets(config.blocks.all, host, logger);
  const where = config.sinks === undefined ? "stdout, one JSON line each" : `the sinks ${outputs.sinks.map((sink) => sink.name).join(", ")}`;
  say(`convotic: events go to ${where}; logs to stderr. SIGTERM or Ctrl-C stops.`);

  const signals = io.signals ?? process;
  let onTerm = () => undefined as void;
  let onInt = () => undefined as void;
  const signalled = new Promise<string>((resolve) => {
    onTerm = () => resolve("SIGTERM");
    onInt = () => resolve("SIGINT");
    signals.once("SIGTERM", onTerm);
    signals.once("SIGINT", onInt);
  });
  const reason = await Promise.race([signalled, outputs.broken.then((error) => ({ error }))]);
  signals.removeListener("SIGTERM", onTerm);
  signals.removeListener("SIGINT", onInt);
  handler.setDraining();
  const graceMs = config.shutdown_grace ?? DEFAULT_SHUTDOWN_GRACE_MS;
  if (typeof reason === "string") logger.info("shutting down: finishing in-flight work", { signal: reason, grace_ms: graceMs });
  // a supervisor must see a dead stdout reader: events can no longer be delivered
  else logger.error("stdout failed; stopping (exit 3) so a supervisor restarts serve", { error: messageOf(reason.error) });
  const code = await stop({ server, outputs, store: store === false ? undefined : store, graceMs, logger, clean: typeof reason === "string" });
  await opsServer?.close();
  return code;
}

/** Stops within the grace period; exit 0 only when nothing was abandoned and stdout was not lost. */
async function stop(parts: {
  server: RunningServer;
  outputs: ServeSinks;
  store: { close(): Promise<void> } | undefined;
  graceMs: number;
  logger: AuthFailureLogger;
  clean: boolean;
}): Promise<number> {
  const { server, outputs, store, graceMs, logger } = parts;
  const ends = Date.now() + graceMs;
  const report = await server.close({ graceMs });
  // the sinks flush (a webhook sink delivers its queue) in what is left of the grace period
  const unflushed = await outputs.close(AbortSignal.timeout(Math.max(1, ends - Date.now())));
  await store?.close();
  const abandoned = [
    report.requests > 0 ? `${report.requests} unanswered request(s)` : "",
    report.background > 0 ? `${report.background} background task(s) of ack "immediate"` : "",
    ...unflushed,
  ].filter(Boolean);
  if (abandoned.length > 0) {
    logger.error(`the shutdown grace period of ${graceMs} ms ended; abandoned ${abandoned.join(", ")}`, { ...report });
    logger.close();
    return EXIT.abandoned;
  }
  logger.info("stopped");
  // the logger writes once per event-loop turn: the last lines go out before the exit code does
  logger.close();
  return parts.clean ? EXIT.ok : EXIT.abandoned;
}

/**
 * The example config's `${VAR:-dev-…}` defaults let anyone who read it sign requests: fine on a laptop, loud
 * anywhere else. One error-level line per block, naming fields and the variable to set, never a value.
 */
function warnDevelopmentSecrets(blocks: readonly { id: string; secrets: unknown }[], host: string, logger: AuthFailureLogger): void {
  if (isLoopback(host)) return;
  for (const block of blocks) {
    const fields = developmentSecretFields(block.secrets);
    if (fields.length === 0) continue;
    logger.error(
      `DEVELOPMENT SECRETS on a non-loopback address: block ${block.id} uses the example config's published secrets ` +
        `(${fields.map((field) => `secrets.${field}`).join(", ")}); anyone can sign requests for it. Set the environment variables the config references`,
      { block: block.id, host },
    );
  }
}
