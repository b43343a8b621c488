import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ConfigError, createNormalizer, messageOf, type Normalizer } from "../core";
import { IdempotencyConfigSchema, literalRedisCredentials, type IdempotencyConfig } from "../delivery/config";
import { SinksConfig } from "../delivery/sinks";
import { loadBlocks } from "../http/blocks";
import { resolveEnv, type Env } from "../http/env";
import { developmentSecretFields } from "../http/secret-rules";
import { loadAdapterModules } from "./adapter-modules";
import { COMMANDS } from "./commands";
import { DEFAULT_CONFIG_FILE } from "./config";
import { CliError, EXIT, line, type CliIO } from "./io";
import { ServerConfigSchema } from "./server-config";

export const checkUsage = `usage: ${COMMANDS.check.usage}`;
/** How long one probe may take: a check is run by hand or in a deploy step, where a hung dependency must not hang it. */
export const PROBE_TIMEOUT_MS = 3000;

type Sinks = z.output<typeof SinksConfig>;

/** Every string of the file that holds a `$`, with its path: each is resolved on its own so each gets its own line. */
function references(value: unknown, path: string, found: [string, string][]): [string, string][] {
  if (typeof value === "string" && value.includes("$")) found.push([path, value]);
  else if (Array.isArray(value)) value.forEach((item, index) => references(item, `${path}[${index}]`, found));
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) references(item, path === "" ? key : `${path}.${key}`, found);
  }
  return found;
}

/** A URL for the listing: no credentials, no query (a token could sit there). */
function shownUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

/** One TCP round trip: `send` once connected, resolve with the first line the server writes back. */
function firstLine(host: string, port: number, send: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host, port });
    let text = "";
    const done = (error: Error | undefined, answer?: string) => {
      socket.destroy();
      if (error === undefined) resolvePromise(answer!);
      else reject(error);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on("error", (error: NodeJS.ErrnoException) => done(new Error(error.code ?? error.message)));
    socket.on("connect", () => send !== undefined && socket.write(send));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n");
      if (end !== -1) done(undefined, text.slice(0, end));
    });
  });
}

const resp = (...words: string[]) =>
  `*${words.length}\r\n${words.map((word) => `$${Buffer.byteLength(word)}\r\n${word}\r\n`).join("")}`;

/** Redis answers PING (after AUTH when the URL carries a password) with +PONG; anything else names the problem. */
async function probeRedis(url: string): Promise<string | undefined> {
  const parsed = new URL(url);
  if (parsed.protocol === "rediss:") return "rediss:// (TLS) is not probed; check it from the server";
  const password = decodeURIComponent(parsed.password);
  const user = decodeURIComponent(parsed.username);
  const auth = password === "" ? "" : user === "" ? resp("AUTH", password) : resp("AUTH", user, password);
  const answer = await firstLine(
    parsed.hostname || "127.0.0.1",
    Number(parsed.port || 6379),
    auth + resp("PING"),
    PROBE_TIMEOUT_MS,
  );
  return answer === "+PONG" || answer === "+OK" ? undefined : `answered ${answer.slice(0, 80)}`;
}

/** A NATS server greets every connection with `INFO {…}`: that proves it listens (credentials are not tried). */
async function probeNats(server: string): Promise<string | undefined> {
  const parsed = new URL(/^[a-z]+:\/\//i.test(server) ? server : `nats://${server}`);
  const answer = await firstLine(parsed.hostname, Number(parsed.port || 4222), undefined, PROBE_TIMEOUT_MS);
  return answer.startsWith("INFO ") ? undefined : `answered ${answer.slice(0, 80)} instead of INFO`;
}

/** Any HTTP answer to HEAD (then OPTIONS) means the receiver listens; the status is shown, not judged. */
async function probeHttp(url: string): Promise<{ problem?: string; status?: number }> {
  try {
    const response = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return { status: response.status };
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    return { problem: String(cause?.code ?? cause?.message ?? messageOf(error)) };
  }
}

/**
 * `convotic check --config FILE [--probe]`: everything `serve` would refuse at start, all at once, one line per
 * problem on stderr (exit 1), plus what the file sets up on stdout (blocks and routes, sinks, the store). `--probe`
 * also connects to each dependency. Secret values never appear; a reference is named by its field.
 */
export async function checkCommand(args: string[], io: CliIO, builtIn: Normalizer): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: "string", short: "c" }, probe: { type: "boolean" } },
  });
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${checkUsage}`, EXIT.usage);
  const file = values.config ?? DEFAULT_CONFIG_FILE;
  if (values.config === undefined && !existsSync(file))
    throw new CliError(`no --config given and no ${DEFAULT_CONFIG_FILE} in the current directory`, EXIT.usage);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${messageOf(error)}`, EXIT.input);
  }
  const problems: string[] = [];
  const problem = (message: string) => {
    problems.push(message);
    line(io.stderr, `${file}: ${message}`);
  };
  const env: Env = io.env;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec(messageOf(error))?.[1];
    problem(`not valid JSON${position === undefined ? "" : ` (at position ${position})`}`);
    return EXIT.input;
  }

  // every reference on its own line, whichever section it is in (serve stops at the first)
  for (const [path, value] of references(json, "", [])) {
    try {
      resolveEnv(value, env, "reference", path);
    } catch (error) {
      problem(error instanceof ConfigError ? error.message.replace(/^reference: /, "") : messageOf(error));
    }
  }
  const parsed = ServerConfigSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problem(`${issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".")}: ${issue.message}`);
    return report(io, problems);
  }
  const config = parsed.data;
  const safely = <T>(what: string, work: () => T): T | undefined => {
    try {
      return work();
    } catch (error) {
      // an unset reference was reported above already
      const message = messageOf(error);
      if (!/which is not set|malformed reference/.test(message)) problem(what === "" ? message : `${what}: ${message}`);
      return undefined;
    }
  };

  let normalizer = builtIn;
  if (config.adapters !== undefined) {
    try {
      const added = await loadAdapterModules(config.adapters, dirname(resolve(file)), normalizer.platforms);
      normalizer = createNormalizer({ adapters: { ...normalizer.adapters, ...added } });
    } catch (error) {
      problem(`adapters: ${messageOf(error)}`);
    }
  }
  if (config.blocks.length === 0) problem("blocks is empty");
  // each block alone first, so each bad block is its own line; then together (ids, accounts)
  const each = config.blocks.map((block) => safely("", () => loadBlocks([block], { normalizer, env })));
  const blocks = each.every((set) => set !== undefined)
    ? safely("", () => loadBlocks(config.blocks, { normalizer, env }))
    : undefined;
  for (const block of blocks?.all ?? []) {
    line(
      io.stdout,
      `block ${block.id}: ${block.platform}, workspace ${block.workspace_id}, POST /webhooks/${block.id}`,
    );
    const dev = developmentSecretFields(block.secrets);
    if (dev.length > 0)
      line(
        io.stderr,
        `warning: block ${block.id}: secrets.${dev.join(", ")} hold the example config's development secrets (fine on a laptop only)`,
      );
  }

  let store: IdempotencyConfig | undefined;
  if (config.idempotency !== undefined) {
    const literal = literalRedisCredentials(config.idempotency);
    if (literal !== undefined) problem(`idempotency: ${literal}`);
    else {
      const resolved = safely("idempotency", () => resolveEnv(config.idempotency, env, "idempotency", "idempotency"));
      if (resolved !== undefined) {
        const checked = IdempotencyConfigSchema.safeParse(resolved);
        if (checked.success) store = checked.data;
        else for (const issue of checked.error.issues) problem(`idempotency.${issue.path.join(".")}: ${issue.message}`);
      }
    }
  }
  if (store === false) line(io.stdout, "store: none (idempotency is false: redeliveries run again)");
  else if (store === undefined || store.store === "memory") line(io.stdout, "store: memory (this process only)");
  else line(io.stdout, `store: ${store.store}${"url" in store ? ` ${shownUrl(String(store.url))}` : ""}`);

  let sinks: Sinks | undefined;
  if (config.sinks !== undefined) {
    const resolved = safely("sinks", () => resolveEnv(config.sinks, env, "sinks", "sinks"));
    if (resolved !== undefined) {
      const checked = SinksConfig.safeParse(resolved);
      if (!checked.success)
        for (const issue of checked.error.issues) problem(`sinks.${issue.path.join(".")}: ${issue.message}`);
      else if (checked.data.length === 0) problem("sinks is empty (leave it out for JSON lines on stdout)");
      else sinks = checked.data;
    }
  }
  if (config.sinks === undefined) line(io.stdout, "sink stdout (the default: JSON lines on stdout)");
  for (const sink of sinks ?? []) {
    const fields = sink as { kind: string; name?: string; url?: string; path?: string; servers?: string | string[] };
    const where =
      fields.url !== undefined
        ? ` ${shownUrl(fields.url)}`
        : fields.path !== undefined
          ? ` ${fields.path}`
          : fields.servers !== undefined
            ? ` ${[fields.servers].flat().join(", ")}`
            : "";
    line(io.stdout, `sink ${fields.kind}${fields.name === undefined ? "" : ` "${fields.name}"`}${where}`);
  }

  if (values.probe === true) {
    const probes: { what: string; run: () => Promise<string | undefined> }[] = [];
    if (store !== undefined && store !== false && store.store === "redis" && "url" in store) {
      const url = String(store.url);
      probes.push({ what: `store redis ${shownUrl(url)}`, run: () => probeRedis(url) });
    }
    for (const sink of sinks ?? []) {
      const fields = sink as { kind: string; name?: string; url?: string; servers?: string | string[] };
      const label = `sink ${fields.kind}${fields.name === undefined ? "" : ` "${fields.name}"`}`;
      if (fields.kind === "webhook" && fields.url !== undefined) {
        const url = fields.url;
        probes.push({
          what: `${label} ${shownUrl(url)}`,
          run: async () => {
            const answer = await probeHttp(url);
            return answer.problem;
          },
        });
      }
      for (const server of fields.kind === "jetstream" ? [fields.servers ?? []].flat() : []) {
        probes.push({ what: `${label} ${server}`, run: () => probeNats(server) });
      }
    }
    const outcomes = await Promise.all(
      probes.map(async (probe) => ({ probe, failure: await probe.run().catch((error: unknown) => messageOf(error)) })),
    );
    for (const { probe, failure } of outcomes) {
      if (failure === undefined) line(io.stdout, `probe ${probe.what}: ok`);
      else problem(`probe ${probe.what}: ${failure}`);
    }
  }
  return report(io, problems);
}

function report(io: CliIO, problems: readonly string[]): number {
  line(io.stderr, problems.length === 0 ? "ok: no problems" : `${problems.length} problem(s)`);
  return problems.length === 0 ? EXIT.ok : EXIT.input;
}
