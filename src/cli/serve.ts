import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { messageOf, type Normalizer } from "../core";
import { DEFAULT_DATA_DIR, openStore, StoreUnavailableError, ttlOf, type DeliveryObserver } from "../delivery";
import { createWebhookHandler, sharedRoutePath, startServer, type RunningServer } from "../http";
import { developmentSecretFields, isLoopback } from "../http/secret-rules";
import { inspectorOf, intercepting } from "./serve-inspect";
import {
  aggregateAuthFailures,
  createLogger,
  createMetrics,
  driftReporter,
  LOG_LEVELS,
  observeHandler,
  startOpsServer,
  type AuthFailureLogger,
  type LogFormat,
  type LogThreshold,
  type RunningOpsServer,
} from "../observe";
import { readServerConfig } from "./config";
import { fairnessOf, statusOrderOf } from "./server-config";
import { COMMANDS } from "./commands";
import { CliError, EXIT, line, type CliIO } from "./io";
import { attachHealth, dependencyWarnings } from "./serve-dependencies";
import { listenForStop } from "./serve-signals";
import { openSinks } from "./serve-sinks";
import { stop, STOP_SLACK_MS, withinLimit } from "./serve-stop";

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
  if (!/^\d+$/.test(value) || port > 65535)
    throw new CliError(`${source} is not a port number: ${value}\n${serveUsage}`, EXIT.usage);
  return port;
}

/**
 * `convotic serve`: the webhook server. Normalised events go to the config's `sinks` (default: one JSON line each
 * on stdout); a request is answered 200 once every sink accepted its events. Logs go to stderr. SIGTERM or SIGINT
 * stops accepting connections and finishes in-flight work and the sinks within the grace period (exit 0), or
 * exits 3 naming what it abandoned; further signals meanwhile are logged and do not cut the grace short. A dead
 * stdout reader (EPIPE) is one error line and exit 3.
 */
export async function serveCommand(
  args: string[],
  io: CliIO,
  builtIn: Normalizer,
  fixturesRoot: string,
): Promise<number> {
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
      inspect: { type: "boolean" },
      "inspect-allow-remote": { type: "boolean" },
      "inspect-fixtures": { type: "string" },
    },
  });
  const format = values["log-format"] ?? "text";
  if (format !== "json" && format !== "text")
    throw new CliError(`--log-format is json or text, not "${format}"\n${serveUsage}`, EXIT.usage);
  const level = values["log-level"] ?? "info";
  if (!LOG_LEVELS.includes(level as LogThreshold))
    throw new CliError(`--log-level is ${LOG_LEVELS.join(", ")}, not "${level}"\n${serveUsage}`, EXIT.usage);
  const envPort = io.env["PORT"];
  const chosenPort =
    values.port !== undefined
      ? parsePort(values.port, "--port")
      : envPort !== undefined && envPort !== ""
        ? parsePort(envPort, "PORT")
        : undefined;
  const { path, config, normalizer } = await readServerConfig(values.config, {
    normalizer: builtIn,
    env: io.env,
    usage: serveUsage,
  });
  const port = chosenPort ?? config.port ?? DEFAULT_PORT;
  // HOST as PORT is: a container sets HOST=0.0.0.0 once instead of editing the command (an empty HOST is unset)
  const envHost = io.env["HOST"];
  const host = values.host ?? (envHost === undefined || envHost === "" ? "127.0.0.1" : envHost);
  // the file's `inspect` and the flags; refused (a usage error) on a non-loopback host unless allowed
  const inspector = inspectorOf(values, config.inspect, { host, configDir: dirname(resolve(path)), usage: serveUsage });
  const opsPort = values["ops-port"] !== undefined ? parsePort(values["ops-port"], "--ops-port") : config.ops?.port;
  const opsHost = values["ops-host"] ?? config.ops?.host ?? "127.0.0.1";
  if (values["ops-host"] !== undefined && opsPort === undefined)
    throw new CliError(`--ops-host needs --ops-port (or "ops": { "port" } in the config)\n${serveUsage}`, EXIT.usage);
  // a flood of forged requests writes one line per route and interval, not one per request
  const logger = aggregateAuthFailures(
    createLogger({ format: format satisfies LogFormat, stream: io.stderr, level: level as LogThreshold }),
    {
      ...(config.logs?.auth_failure_interval === undefined ? {} : { intervalMs: config.logs.auth_failure_interval }),
    },
  );
  const metrics = createMetrics();

  // stdout sinks have a bounded buffer: a stalled reader makes requests answer 503, a dead one stops serve
  // durable state (webhook outboxes) lives next to the config file unless `data_dir` says otherwise
  const dataDir = resolve(dirname(resolve(path)), config.data_dir ?? DEFAULT_DATA_DIR);
  const outputs = openSinks(config, io, path, { dataDir, logger, observer: metrics.sinkObserver });
  for (const outbox of outputs.outboxes) metrics.watchOutbox(outbox);
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
      const tag = report.info.requestId === undefined ? {} : { request_id: report.info.requestId };
      logger.info("unhandled", {
        ...tag,
        platform: report.info.platform,
        blocks: [...blocks],
        count: unhandled.length,
        kinds: [...kinds],
      });
    },
    sinkFailed: (report) => metrics.observer.sinkFailed?.(report),
  };
  // the store's health logs a connection outage once per interval; each reconnect attempt is detail
  const store = openStore(config.idempotency, {
    onError: (error) => logger.debug?.("idempotency store connection", { error: messageOf(error) }),
  });
  const ttl = ttlOf(config.idempotency);
  const webhooks = createWebhookHandler({
    normalizer,
    blocks: config.blocks,
    sinks: outputs.sinks,
    observer,
    // what platforms send that the catalogues do not know: counted, and logged once per path (docs/drift.md)
    onDrift: driftReporter({ logger, metrics }),
    idempotency: store,
    ...(ttl === undefined ? {} : { ttl }),
    ...(config.deadlines === undefined ? {} : { deadlines: config.deadlines }),
    ...(config.status_order === undefined ? {} : { statusOrder: statusOrderOf(config.status_order) }),
    logger,
    ...(config.ack === undefined ? {} : { ack: config.ack }),
    ...(config.body_limit === undefined ? {} : { bodyLimit: config.body_limit }),
    ...(config.max_in_flight_bytes === undefined ? {} : { maxInFlightBytes: config.max_in_flight_bytes }),
    ...(config.max_keys === undefined ? {} : { maxKeys: config.max_keys }),
    ...(config.max_items === undefined ? {} : { maxItems: config.max_items }),
    ...(config.fairness === undefined ? {} : { fairness: fairnessOf(config.fairness) }),
    ...(inspector === undefined ? {} : { inspector }),
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
  // /readyz says which part is not ready and what happened ("Redis did not answer within 1000 ms"), never its address
  const storeCheck =
    storeReady === undefined
      ? undefined
      : {
          name: storeName,
          check: () =>
            Promise.resolve(storeReady()).catch((error: unknown) =>
              Promise.reject(new Error(`${storeName} does not answer: ${storeProblem(error)}`)),
            ),
        };
  const readiness = storeCheck === undefined ? outputs.readiness : [...outputs.readiness, storeCheck];
  const handler = observeHandler(webhooks, {
    blocks: config.blocks,
    metrics,
    readiness,
    opsRoutes: opsPort === undefined,
  });

  // heard from before the "listening" line on, so a signal sent as soon as it appears is never Node's default death
  const stopSignals = listenForStop(io.signals ?? process, logger, io.env["npm_command"]);
  const graceMs = config.shutdown_grace ?? DEFAULT_SHUTDOWN_GRACE_MS;
  let server: RunningServer;
  try {
    server = await startServer(handler, {
      port,
      host,
      timeouts,
      ...(inspector === undefined ? {} : { intercept: intercepting(inspector) }),
    });
  } catch (error) {
    stopSignals.stopped();
    throw new CliError(`cannot listen on ${host}:${port}: ${messageOf(error)}`, EXIT.input);
  }
  let opsServer: RunningOpsServer | undefined;
  if (opsPort !== undefined) {
    try {
      opsServer = await startOpsServer(handler, { host: opsHost, port: opsPort });
    } catch (error) {
      await server.close({ graceMs: 0 });
      stopSignals.stopped();
      throw new CliError(`cannot listen on ${opsHost}:${opsPort} (ops): ${messageOf(error)}`, EXIT.input);
    }
  }

  // the start-up notes are for a person: plain lines, or one record each when the logs are JSON, whose message is
  // the text without its padding and whose fields carry what a program reads (the url, the route's block)
  const say = (text: string, fields?: Record<string, string>) =>
    format === "json" ? logger.info(text.trim().replace(/\s{2,}/g, " "), fields) : line(io.stderr, text);
  say(`convotic: listening on ${server.url} (ack: ${config.ack ?? "after-dispatch"})`, {
    url: server.url,
    ack: config.ack ?? "after-dispatch",
  });
  const storeStats = store === false ? undefined : store.stats();
  say(
    storeStats === undefined
      ? "convotic: idempotency off: every delivery runs"
      : `convotic: idempotency: ${storeStats["kind"]} store${storeStats["max_entries"] === undefined ? "" : `, at most ${storeStats["max_entries"]} event ids`} (see docs/reliability.md)`,
  );
  // a dependency that goes down is logged once per interval with a count, not per request (docs/reliability.md)
  attachHealth(logger, outputs.sinks, store === false ? undefined : store);
  const platformsServed = [...new Set(config.blocks.all.map((block) => block.platform))];
  const deadlines = webhooks.delivery.policy.deadlines;
  for (const warning of dependencyWarnings({
    sinks: outputs.sinks,
    store: store === false ? undefined : store,
    platforms: platformsServed,
    deadlines,
  })) {
    logger.warn(warning);
  }
  say("convotic: POST webhooks to:");
  for (const block of config.blocks.all) {
    const url = `${server.url}${handler.basePath}/${block.id}`;
    say(`  ${url}    ${block.platform} block ${block.id}, workspace ${block.workspace_id}`, {
      url,
      platform: block.platform,
      block: block.id,
      workspace: block.workspace_id,
    });
  }
  for (const platform of normalizer.platforms) {
    if (normalizer.adapterFor(platform).accounts === undefined) continue;
    for (const group of config.blocks.sharedGroups(platform)) {
      const ids = group.blocks.map((block) => block.id).join(", ");
      const url = `${server.url}${handler.basePath}/${sharedRoutePath(group)}`;
      say(`  ${url}    ${platform}, shared by ${ids} (routed by account)`, { url, platform, blocks: ids });
    }
  }
  const dirs = platformsServed.map((platform) => join(fixturesRoot, platform)).filter((dir) => existsSync(dir));
  if (dirs.length > 0) {
    say("convotic: replay the bundled fixtures at it (signed with the blocks' secrets) with:");
    say(
      `  node ${shown(join(__dirname, "main.js"))} replay ${dirs.map(shown).join(" ")} --to ${server.url} --config ${shown(path)}`,
    );
  }
  const opsUrl = opsServer?.url ?? server.url;
  say(
    `convotic: health at ${opsUrl}/healthz and ${opsUrl}/readyz, Prometheus metrics at ${opsUrl}/metrics${opsServer === undefined ? "" : " (ops listener)"}`,
  );
  warnDevelopmentSecrets(config.blocks.all, host, logger);
  if (inspector !== undefined)
    say(
      `convotic: inspector at ${server.url}${inspector.path} (development tool: it shows and replays request bodies${isLoopback(host) ? "" : "; reachable from other machines"})`,
    );
  const where =
    config.sinks === undefined
      ? "stdout, one JSON line each"
      : `the sinks ${outputs.sinks.map((sink) => sink.name).join(", ")}`;
  say(`convotic: events go to ${where}; logs to stderr. SIGTERM or Ctrl-C stops.`);
  for (const outbox of outputs.outboxes) {
    const { depth } = outbox.stats();
    say(
      outbox.durable
        ? `convotic: sink ${outbox.sink}: durable outbox in ${shown(dataDir)}${depth > 0 ? `, resuming ${depth} undelivered event(s)` : ""}`
        : `convotic: sink ${outbox.sink}: in-memory queue (outbox.durable false): a crash loses the events it holds`,
    );
  }

  try {
    const reason = await Promise.race([stopSignals.first, outputs.broken.then((error) => ({ error }))]);
    stopSignals.stopping(graceMs);
    handler.setDraining();
    // its event streams never end by themselves: they would hold the graceful stop to its grace period
    inspector?.close();
    if (typeof reason === "string")
      logger.info("shutting down: finishing in-flight work", { signal: reason, grace_ms: graceMs });
    // a supervisor must see a dead stdout reader: events can no longer be delivered
    else
      logger.error(
        `stdout failed (its reader is gone); stopping with exit ${EXIT.abandoned} so a supervisor restarts serve`,
        { error: messageOf(reason.error) },
      );
    const parts = {
      server,
      outputs,
      store: store === false ? undefined : store,
      graceMs,
      logger,
      clean: typeof reason === "string",
    };
    const code = await withinLimit(stop(parts), graceMs + STOP_SLACK_MS, logger);
    await opsServer?.close();
    return code;
  } finally {
    stopSignals.stopped();
  }
}

/**
 * The example config's `${VAR:-dev-…}` defaults let anyone who read it sign requests: fine on a laptop, loud
 * anywhere else. One error-level line per block, naming fields and the variable to set, never a value.
 */
function warnDevelopmentSecrets(
  blocks: readonly { id: string; secrets: unknown }[],
  host: string,
  logger: AuthFailureLogger,
): void {
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

/** What a store's failure says, without a URL or an address: `/readyz` may be reachable by anyone. */
function storeProblem(error: unknown): string {
  const cause = error instanceof StoreUnavailableError && error.cause !== undefined ? error.cause : error;
  return messageOf(cause)
    .replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, "<url>")
    .replace(/\[[0-9a-f:.]+\](:\d+)?|\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/gi, "<address>");
}
