import { once } from "node:events";
import { existsSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { messageOf, type Normalizer } from "../core";
import { createWebhookHandler, sharedRoutePath, startServer, type EventSink, type RunningServer } from "../http";
import { createLogger, createMetrics, observeHandler, type LogFormat } from "../observe";
import { readServerConfig } from "./config";
import { COMMANDS } from "./commands";
import { CliError, EXIT, line, type CliIO } from "./io";

export const serveUsage = `usage: ${COMMANDS.serve.usage}`;
const DEFAULT_PORT = 3000;

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
 * logs go to stderr. SIGTERM or SIGINT stops accepting connections, finishes in-flight requests and exits 0.
 */
export async function serveCommand(args: string[], io: CliIO, normalizer: Normalizer, fixturesRoot: string): Promise<number> {
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
  const { path, config } = await readServerConfig(values.config, { normalizer, env: io.env, usage: serveUsage });
  const port = chosenPort ?? config.port ?? DEFAULT_PORT;
  const host = values.host ?? "127.0.0.1";
  const logger = createLogger({ format: format satisfies LogFormat, stream: io.stderr });
  const metrics = createMetrics();

  const sink: EventSink = async (events, unhandled) => {
    metrics.delivered(events, unhandled);
    for (const event of events) {
      if (!io.stdout.write(JSON.stringify(event) + "\n")) await once(io.stdout, "drain");
    }
    for (const item of unhandled) logger.info("unhandled", { platform: item.platform, block: item.block_id, kind: item.kind });
  };
  const webhooks = createWebhookHandler({
    normalizer,
    blocks: config.blocks,
    sink,
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
  const signal = await new Promise<string>((resolve) => {
    const onTerm = () => finish("SIGTERM");
    const onInt = () => finish("SIGINT");
    const finish = (name: string) => {
      signals.removeListener("SIGTERM", onTerm);
      signals.removeListener("SIGINT", onInt);
      resolve(name);
    };
    signals.once("SIGTERM", onTerm);
    signals.once("SIGINT", onInt);
  });
  handler.setDraining();
  logger.info("shutting down: finishing in-flight requests", { signal });
  await server.close();
  logger.info("stopped");
  return EXIT.ok;
}
