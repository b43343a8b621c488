import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { isEventType, messageOf, type Normalizer, type PlatformAdapter } from "../core";
import { signForEndpoint } from "../testing/signing";
import { GOLDEN_SUFFIX } from "../testing/fixtures";
import { COMMANDS } from "./commands";
import { readConfigBlocks } from "./config";
import { CliError, EXIT, line, type CliIO } from "./io";

export const triggerUsage = `usage: ${COMMANDS.trigger.usage}`;
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * The content type a stored body is sent with, by the fixture file's extension: the layout `fixtures/<platform>/
 * <case>.<ext>` says what the bytes are, so a form- or XML-bodied platform needs no entry here. The headers the
 * adapter's `sign` returns come after and win, so an adapter that knows better says so itself.
 */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  json: "application/json",
  form: "application/x-www-form-urlencoded",
  xml: "text/xml",
  txt: "text/plain",
};

export interface Fixture {
  /** the raw body file */
  readonly file: string;
  readonly types: readonly string[];
  readonly unhandled: number;
}

/** Every fixture of one folder: a `<case>.golden.json` and the raw body beside it, whatever its extension. */
export function fixturesIn(dir: string): Fixture[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).sort();
  const found: Fixture[] = [];
  for (const golden of names.filter((name) => name.endsWith(GOLDEN_SUFFIX))) {
    const stem = golden.slice(0, -GOLDEN_SUFFIX.length);
    const body = names.find(
      (name) => name !== golden && name.startsWith(`${stem}.`) && !name.includes(".", stem.length + 1),
    );
    if (body === undefined) continue;
    const output = JSON.parse(readFileSync(join(dir, golden), "utf8")) as {
      events?: { type?: unknown }[];
      unhandled?: unknown[];
    };
    found.push({
      file: join(dir, body),
      types: (output.events ?? []).map((event) => String(event.type)),
      unhandled: output.unhandled?.length ?? 0,
    });
  }
  return found;
}

/**
 * The fixture to send for a type: the one whose golden starts with it and holds the fewest other things (events,
 * unhandled items), so what arrives is that event as plainly as the corpus has it; ties go to the shortest case name (a plain name for a plain case: `text`, `message-text`), `--fixture` picks
 * another.
 */
export function pickFixture(fixtures: readonly Fixture[], type: string): Fixture | undefined {
  const noise = (fixture: Fixture) => (fixture.types[0] === type ? 0 : 1000) + fixture.types.length + fixture.unhandled;
  return fixtures
    .filter((fixture) => fixture.types.includes(type))
    .sort((a, b) => noise(a) - noise(b) || a.file.length - b.file.length || (a.file < b.file ? -1 : 1))[0];
}

/**
 * Secrets of the adapter's own shape with every secret set to `secret`: each string field gets it and each list of
 * strings gets it once, then the adapter's schema decides (the first member of a union that accepts it wins). This
 * reads the contract's schema, so a new platform's secrets work without a line here.
 */
export function secretsFromOne(adapter: PlatformAdapter, secret: string): unknown {
  const candidates: unknown[] = [];
  const fill = (schema: z.ZodType): void => {
    if (schema instanceof z.ZodUnion) {
      for (const option of schema.options as readonly z.ZodType[]) fill(option);
      return;
    }
    if (!(schema instanceof z.ZodObject)) return;
    const value: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const inner = field instanceof z.ZodOptional ? (field.unwrap() as z.ZodType) : field;
      if (inner instanceof z.ZodString) value[key] = secret;
      else if (inner instanceof z.ZodArray && inner.element instanceof z.ZodString) value[key] = [secret];
    }
    candidates.push(value);
  };
  fill(adapter.secrets as z.ZodType);
  const issues: string[] = [];
  for (const candidate of candidates) {
    const parsed = adapter.secrets.safeParse(candidate);
    if (parsed.success) return parsed.data;
    issues.push(parsed.error.issues.map((issue) => issue.message).join("; "));
  }
  throw new CliError(
    `--secret is not a ${adapter.platform} secret${issues.length > 0 ? ` (${issues.join(" | ")})` : ""}`,
    EXIT.usage,
  );
}

/** A POSIX shell word: single-quoted, with each `'` closed, escaped and reopened. */
const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** The request as one `curl` command line; the body goes inline, byte for byte (`--data-binary`, no reformatting). */
export function curlCommand(url: string, headers: Readonly<Record<string, string>>, body: Buffer): string {
  const parts = ["curl", "-sS", "-X", "POST", shellQuote(url)];
  for (const [name, value] of Object.entries(headers)) parts.push("-H", shellQuote(`${name}: ${value}`));
  parts.push("--data-binary", shellQuote(body.toString("utf8")));
  return parts.join(" ");
}

/**
 * `convotic trigger <event-type> --platform P`: the Stripe CLI's `trigger` for these platforms. Picks the bundled
 * fixture that produces the type, signs it with the adapter's `sign` (a block's secrets from a config, or one
 * `--secret`), and POSTs it to `--to`, or prints it as a `curl` command. Nothing here knows a platform: the fixture's
 * folder, its golden, the adapter's secrets schema and `sign` say everything.
 */
export async function triggerCommand(
  args: string[],
  io: CliIO,
  builtIn: Normalizer,
  roots: { fixtures: string; exampleConfig: string },
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      platform: { type: "string", short: "p" },
      to: { type: "string" },
      block: { type: "string", short: "b" },
      config: { type: "string", short: "c" },
      secret: { type: "string" },
      fixture: { type: "string" },
      fixtures: { type: "string" },
    },
  });
  const [type, ...extra] = positionals;
  if (type === undefined) throw new CliError(`no event type given\n${triggerUsage}`, EXIT.usage);
  if (extra.length > 0) throw new CliError(`one event type at a time\n${triggerUsage}`, EXIT.usage);
  if (!isEventType(type)) throw new CliError(`unknown event type "${type}" (convotic types lists them)`, EXIT.usage);
  const platform = values.platform;
  if (platform === undefined) throw new CliError(`--platform is required\n${triggerUsage}`, EXIT.usage);
  if (values.secret !== undefined && values.config !== undefined)
    throw new CliError(`--secret and --config exclude each other\n${triggerUsage}`, EXIT.usage);

  // the secrets and the block: one --secret, or a block of a config (./convotic.config.json, else the example's)
  let normalizer = builtIn;
  let secrets: unknown;
  let blockId = values.block;
  // the URL the platform calls, when the block declares it (a signature over the URL covers that one, not --to)
  let publicUrl: string | undefined;
  if (values.secret !== undefined) {
    if (!normalizer.platforms.includes(platform))
      throw new CliError(`unknown platform "${platform}" (available: ${normalizer.platforms.join(", ")})`, EXIT.usage);
    secrets = secretsFromOne(normalizer.adapterFor(platform), values.secret);
  } else {
    const file = values.config ?? (existsSync("convotic.config.json") ? undefined : roots.exampleConfig);
    const read = await readConfigBlocks(file, { normalizer, env: io.env, usage: triggerUsage });
    normalizer = read.normalizer;
    const block = values.block === undefined ? read.blocks.ofPlatform(platform)[0] : read.blocks.byId(values.block);
    if (block === undefined)
      throw new CliError(
        values.block === undefined
          ? `no ${platform} block in ${read.path}: add one, pass --block, or sign with --secret`
          : `no block "${values.block}" in ${read.path}`,
        EXIT.usage,
      );
    if (block.platform !== platform)
      throw new CliError(`block "${block.id}" is a ${block.platform} block, not ${platform}`, EXIT.usage);
    secrets = block.secrets;
    blockId = block.id;
    publicUrl = block.public_url;
  }

  const dir = join(values.fixtures ?? roots.fixtures, platform);
  const fixtures = fixturesIn(dir);
  const chosen =
    values.fixture === undefined
      ? pickFixture(fixtures, type)
      : fixtures.find((fixture) => relative(dir, fixture.file).startsWith(`${values.fixture}.`));
  if (chosen === undefined) {
    if (values.fixture !== undefined) throw new CliError(`no fixture "${values.fixture}" in ${dir}`, EXIT.usage);
    const made = [...new Set(fixtures.flatMap((fixture) => fixture.types))].sort();
    throw new CliError(
      made.length === 0
        ? `no fixtures for ${platform} in ${dir}${values.fixtures === undefined ? " (pass --fixtures DIR for your own)" : ""}`
        : `no ${platform} fixture produces ${type}; they produce: ${made.join(", ")}`,
      EXIT.usage,
    );
  }
  if (!chosen.types.includes(type))
    throw new CliError(`fixture ${chosen.file} does not produce ${type} (${chosen.types.join(", ")})`, EXIT.usage);

  let target: URL;
  try {
    target = new URL(values.to ?? "http://127.0.0.1:3000");
  } catch {
    throw new CliError(`--to is not a URL: ${values.to}\n${triggerUsage}`, EXIT.usage);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:")
    throw new CliError(`--to must be an http(s) URL\n${triggerUsage}`, EXIT.usage);
  // a bare origin gets the block route; a URL with a path is used as it is (a shared route, another base path)
  // (printing a curl command without a block, the URL gets a placeholder to edit)
  let placeholder = false;
  if (target.pathname === "/") {
    if (blockId === undefined && values.to !== undefined)
      throw new CliError(`--to has no path: pass the full webhook URL or --block ID\n${triggerUsage}`, EXIT.usage);
    placeholder = blockId === undefined;
    target = new URL(`/webhooks/${encodeURIComponent(blockId ?? "BLOCK_ID")}`, target);
  }

  const raw = await readFile(chosen.file);
  const extension = chosen.file.slice(chosen.file.lastIndexOf(".") + 1);
  // signed as the platform would send it: over the URL it calls (Twilio), with what it adds to the query (WeChat)
  // and the body it sends (WeChat's safe mode encrypts it)
  const signed = signForEndpoint(normalizer.adapterFor(platform), raw, secrets, target, publicUrl);
  if (signed.addedQuery !== "") target = new URL(target.href + signed.addedQuery);
  const body = Buffer.from(signed.rawBody);
  const headers: Record<string, string> = {
    "content-type": CONTENT_TYPES[extension] ?? "application/octet-stream",
    ...signed.headers,
  };
  const shown = relative(process.cwd(), chosen.file) || chosen.file;
  const alternatives = fixtures.filter((fixture) => fixture !== chosen && fixture.types.includes(type)).length;
  const others = alternatives > 0 ? `, ${alternatives} other fixture(s) produce it too (--fixture CASE)` : "";
  if (values.to === undefined) {
    line(io.stdout, curlCommand(target.href, headers, body));
    const edit = placeholder ? "; BLOCK_ID in the URL is yours to fill in (or pass --block)" : "";
    line(io.stderr, `${type}: ${shown} (${chosen.types.length} event(s))${others}; add --to URL to send it${edit}`);
    return EXIT.ok;
  }
  let status: number;
  let answer: string;
  try {
    const response = await fetch(target, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    status = response.status;
    answer = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const why = String(cause?.code ?? cause?.message ?? messageOf(error));
    throw new CliError(`cannot reach ${target.origin}: ${why}`, EXIT.input);
  }
  line(io.stdout, answer);
  line(io.stderr, `${type}: POST ${target.href} ${shown} -> ${status}${others}`);
  return status >= 200 && status < 300 ? EXIT.ok : EXIT.input;
}
