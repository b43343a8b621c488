import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { messageOf, type Normalizer } from "../core";
import type { Block } from "../http";
import { readConfigAdapters, readConfigBlocks } from "./config";
import { fixtureContentType, isRawBodyFile } from "../testing/fixtures";
import { signForEndpoint } from "../testing/signing";
import { COMMANDS } from "./commands";
import { CliError, EXIT, line, type CliIO } from "./io";
import { resendDeadLetters } from "./dead-letter";
import { reviewCommand, type ReviewFormat } from "./review";
import { REVIEW_FORMATS } from "../formats/output";

export const replayUsage = `usage: ${COMMANDS.replay.usage}`;
/** Connection failures in a row after which the server is taken to be down and the rest is not tried. */
export const MAX_CONNECTION_FAILURES = 3;
/** How long one POST may take before it counts as unanswered. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Raw bodies: files as given, directories walked for `*.json`, `*.form` and `*.xml` (golden files skipped), sorted. */
export async function collect(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (isRawBodyFile(entry.name)) files.push(path);
    }
  }
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new CliError(`cannot read ${path}: ${messageOf(error)}`, EXIT.input);
    }
    if (info.isDirectory()) await walk(path);
    else files.push(path);
  }
  return files;
}

/** The error message of a rejection, from our `{error: {code, message}}` body when there is one. */
function reason(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === "string") return body.error.message;
  } catch {
    // not our JSON: show the start of the text
  }
  return text.slice(0, 200);
}

/**
 * `convotic replay`: without `--to`, a golden review of stored raw bodies (review.ts). With `--to`, POSTs them to a
 * running server, byte for byte, with the headers the platform would send, signed with the block's secret from the
 * same config; exit 0 when every body was accepted (2xx).
 */
export async function replayCommand(args: string[], io: CliIO, builtIn: Normalizer): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      to: { type: "string" },
      block: { type: "string", short: "b" },
      config: { type: "string", short: "c" },
      platform: { type: "string", short: "p" },
      update: { type: "boolean" },
      format: { type: "string", short: "f" },
      subscriber: { type: "string" },
      "dead-letter": { type: "string" },
      "secret-env": { type: "string" },
    },
  });
  const deadLetter = values["dead-letter"];
  if (deadLetter !== undefined) {
    if (positionals.length > 0) throw new CliError(`--dead-letter takes no FILE|DIR\n${replayUsage}`, EXIT.usage);
    const secretEnv = values["secret-env"];
    if (secretEnv === undefined)
      throw new CliError(`--dead-letter needs --secret-env NAME\n${replayUsage}`, EXIT.usage);
    return resendDeadLetters(
      { file: deadLetter, secretEnv, timeoutMs: 15_000, ...(values.to === undefined ? {} : { to: values.to }) },
      io,
    );
  }
  if (values["secret-env"] !== undefined)
    throw new CliError(`--secret-env is for --dead-letter\n${replayUsage}`, EXIT.usage);
  if (positionals.length === 0) throw new CliError(`no FILE or DIR given\n${replayUsage}`, EXIT.usage);
  if (values.to === undefined) {
    const format = values.format;
    if (format !== undefined && !(REVIEW_FORMATS as readonly string[]).includes(format)) {
      throw new CliError(`--format must be one of ${REVIEW_FORMATS.join(", ")}\n${replayUsage}`, EXIT.usage);
    }
    if (values.block !== undefined) throw new CliError(`--block needs --to\n${replayUsage}`, EXIT.usage);
    // --config here only adds the config's own adapters, so their fixtures can be reviewed like the built-in ones
    const normalizer =
      values.config === undefined
        ? builtIn
        : await readConfigAdapters(values.config, { normalizer: builtIn, usage: replayUsage });
    const files = await collect(positionals);
    if (files.length === 0)
      throw new CliError(`no raw bodies (*.json, *.form, *.xml) found in ${positionals.join(", ")}`, EXIT.input);
    return reviewCommand(
      files,
      {
        update: values.update === true,
        subscriber: values.subscriber ?? "replay",
        ...(values.platform === undefined ? {} : { platform: values.platform }),
        ...(format === undefined ? {} : { format: format as ReviewFormat }),
      },
      io,
      normalizer,
    );
  }
  for (const flag of ["platform", "update", "format", "subscriber"] as const) {
    if (values[flag] !== undefined)
      throw new CliError(`--${flag} is for the review without --to\n${replayUsage}`, EXIT.usage);
  }
  let base: URL;
  try {
    base = new URL(values.to);
  } catch {
    throw new CliError(`--to is not a URL: ${values.to}\n${replayUsage}`, EXIT.usage);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:")
    throw new CliError(`--to must be an http(s) URL\n${replayUsage}`, EXIT.usage);
  // only the blocks' references must resolve: the sinks' and the store's secrets are serve's business
  const { blocks, normalizer } = await readConfigBlocks(values.config, {
    normalizer: builtIn,
    env: io.env,
    usage: replayUsage,
  });

  const chosen = values.block === undefined ? undefined : blocks.byId(values.block);
  if (values.block !== undefined && chosen === undefined)
    throw new CliError(`no block "${values.block}" in the config\n${replayUsage}`, EXIT.usage);
  const files = await collect(positionals);
  if (files.length === 0)
    throw new CliError(`no raw bodies (*.json, *.form, *.xml) found in ${positionals.join(", ")}`, EXIT.input);
  const plan: { file: string; block: Block }[] = [];
  const missing = new Set<string>();
  for (const file of files) {
    const platform = basename(dirname(file));
    const block = chosen ?? blocks.ofPlatform(platform)[0];
    if (block === undefined) missing.add(platform);
    else plan.push({ file, block });
  }
  if (missing.size > 0) {
    throw new CliError(
      `no block for ${[...missing].map((name) => `"${name}"`).join(", ")} (the platform is the file's folder name): add one to the config or pass --block\n${replayUsage}`,
      EXIT.usage,
    );
  }

  // a bare origin gets the block route; a URL with a path is used as it is (a shared route, another prefix)
  const endpoint = (block: Block) =>
    base.pathname === "/" ? new URL(`/webhooks/${encodeURIComponent(block.id)}`, base) : base;
  const tty = io.stderr.isTTY === true;
  const progress = (done: number, label: string) => {
    if (!tty) return;
    const width = 30;
    const filled = Math.round((done / plan.length) * width);
    io.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${plan.length} ${label}\x1b[K`);
  };
  const clear = () => tty && io.stderr.write("\r\x1b[K");

  let accepted = 0;
  let sent = 0;
  let unanswered = 0;
  // bodies that got no answer since the last answer: reported one by one only if the server answers again
  let pending: { file: string; block: Block; why: string }[] = [];
  const unreachable = (url: URL) => {
    const last = pending[pending.length - 1]!;
    return new CliError(
      `cannot reach ${url.origin}: ${last.why} (${pending.length} connection failure(s) in a row); stopped: sent ${sent} of ${plan.length}, accepted ${accepted}`,
      EXIT.input,
    );
  };
  const rejected = new Map<string, number>();
  for (const [index, { file, block }] of plan.entries()) {
    progress(index, basename(file));
    const raw = await readFile(file);
    const endpointUrl = endpoint(block);
    // signed for the URL the server verifies against: the block's public URL (with the query sent) when it has one
    const adapter = normalizer.adapterFor(block.platform);
    const signed = signForEndpoint(adapter, raw, block.secrets, endpointUrl, block.public_url);
    const url = signed.addedQuery === "" ? endpointUrl : new URL(endpointUrl.href + signed.addedQuery);
    const body = signed.rawBody;
    const headers = { ...signed.headers, "content-type": fixtureContentType(file) };
    let status: string;
    let detail: string;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      status = String(response.status);
      detail = response.ok ? "" : reason(text);
    } catch (error) {
      // no answer (refused, reset, timed out): the body does not count as sent
      const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      pending.push({ file, block, why: String(cause?.code ?? cause?.message ?? messageOf(error)) });
      unanswered += 1;
      if (pending.length >= MAX_CONNECTION_FAILURES || (sent === 0 && index === plan.length - 1)) {
        clear();
        throw unreachable(url);
      }
      continue;
    }
    clear();
    for (const item of pending) line(io.stderr, `no answer ${item.file} (block ${item.block.id}): ${item.why}`);
    pending = [];
    sent += 1;
    if (/^2\d\d$/.test(status)) accepted += 1;
    else {
      rejected.set(status, (rejected.get(status) ?? 0) + 1);
      line(io.stderr, `rejected ${status} ${file} (block ${block.id}): ${detail}`);
    }
  }
  clear();
  for (const item of pending) line(io.stderr, `no answer ${item.file} (block ${item.block.id}): ${item.why}`);
  progress(plan.length, "done");
  clear();
  const failed = sent - accepted;
  const byStatus = [...rejected.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([status, count]) => `${status}: ${count}`);
  const notSent = unanswered > 0 ? `, not sent ${unanswered} (no answer)` : "";
  line(
    io.stderr,
    `sent ${sent}, accepted ${accepted}, rejected ${failed}${byStatus.length > 0 ? ` (${byStatus.join(", ")})` : ""}${notSent}`,
  );
  return failed === 0 && unanswered === 0 ? EXIT.ok : EXIT.input;
}
