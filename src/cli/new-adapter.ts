import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { PlatformName } from "../core";
import { defaultContext } from "../testing/fixtures";
import { CliError, EXIT, line, type CliIO } from "./io";

export const newAdapterUsage =
  "usage: convotic new-adapter <name> [--dir DIR] [--fixtures DIR] [--module esm|cjs] [--import-from MODULE] [--testing-from MODULE]\n" +
  "  writes DIR/<name>/{schema,normalize,index}.ts, a conformance test, and FIXTURES/<name>/example.json with its golden\n" +
  "  (defaults: --dir adapters, --fixtures fixtures, --module from package.json's type, --import-from convotic/adapters)";

export type ModuleKind = "esm" | "cjs";

/** The module system of the project in `dir`: the `type` of the nearest package.json, as Node decides it. */
export function projectModuleKind(dir: string): ModuleKind {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const manifest = join(at, "package.json");
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: unknown }).type === "module" ? "esm" : "cjs";
      } catch {
        return "cjs";
      }
    }
    if (dirname(at) === at) return "cjs";
  }
}

const EXAMPLE = { events: [{ id: "evt-0001", type: "example", timestamp: 1767225600000 }] };

/**
 * `convotic new-adapter`: the one shape every adapter has (docs/adding-an-adapter.md), ready to fill in. The
 * generated conformance test passes what the stub already does (signatures, bad bodies, unknown kinds) and fails,
 * saying what to write, on what is left: batches and per-item isolation, then every type added to `emits`.
 */
export function newAdapterCommand(args: string[], io: CliIO): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dir: { type: "string" },
      fixtures: { type: "string" },
      "import-from": { type: "string" },
      "testing-from": { type: "string" },
      module: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) {
    line(io.stdout, newAdapterUsage);
    return EXIT.ok;
  }
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0)
    throw new CliError(`give one adapter name\n${newAdapterUsage}`, EXIT.usage);
  if (!PlatformName.safeParse(name).success || name.includes("-")) {
    throw new CliError(
      `"${name}" is not a platform name: lower-case letters, digits and _ , starting with a letter`,
      EXIT.usage,
    );
  }
  if (values.module !== undefined && values.module !== "esm" && values.module !== "cjs")
    throw new CliError(`--module must be esm or cjs\n${newAdapterUsage}`, EXIT.usage);
  // ES modules need file extensions in relative imports and have no __dirname: the files follow the project
  const kind: ModuleKind = (values.module as ModuleKind | undefined) ?? projectModuleKind(process.cwd());
  const ext = kind === "esm" ? ".js" : "";
  const dir = resolve(values.dir ?? "adapters", name);
  const fixtures = resolve(values.fixtures ?? "fixtures", name);
  // the adapter kit is the `convotic/adapters` entry point; an --import-from module (a source tree) has both
  const from = values["import-from"] ?? "convotic/adapters";
  const testingFrom =
    values["testing-from"] ??
    (values["import-from"] === undefined ? "convotic/testing" : `${values["import-from"]}/testing`);
  for (const path of [dir, fixtures]) {
    if (existsSync(path)) throw new CliError(`${path} already exists: choose another name or remove it`, EXIT.input);
  }
  const Name = name[0]!.toUpperCase() + name.slice(1).replace(/_(\w)/g, (_match, c: string) => c.toUpperCase());
  const files: Record<string, string> = {
    [join(dir, "schema.ts")]: schemaSource(Name, from),
    [join(dir, "normalize.ts")]: normalizeSource(name, Name, from, ext),
    [join(dir, "index.ts")]: indexSource(name, Name, from, ext),
    [join(dir, `${name}.conformance.test.ts`)]: testSource(name, relative(dir, fixtures), testingFrom, kind),
    [join(fixtures, "example.json")]: JSON.stringify(EXAMPLE) + "\n",
    [join(fixtures, "example.golden.json")]: exampleGolden(name),
  };
  mkdirSync(dir, { recursive: true });
  mkdirSync(fixtures, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    writeFileSync(path, text);
    line(io.stdout, `wrote ${relative(process.cwd(), path)}`);
  }
  line(
    io.stderr,
    `${kind === "esm" ? "ES module" : "CommonJS"} files (--module to choose); they need only convotic (zod comes from ` +
      `${from}). next: fill in ${relative(process.cwd(), join(dir, "schema.ts"))}, then follow docs/adding-an-adapter.md`,
  );
  return EXIT.ok;
}

function exampleGolden(name: string): string {
  const [item] = EXAMPLE.events;
  // The scaffolded golden is produced with the conformance suite's own context, so it passes as written.
  const context = defaultContext(name);
  const result = {
    events: [],
    unhandled: [
      {
        platform: name,
        workspace_id: context.workspace_id,
        block_id: context.block_id,
        kind: item!.type,
        reason: `no catalogue type maps ${name} "${item!.type}"`,
        raw_platform_event_id: item!.id,
        received_at: context.received_at,
        raw: item,
      },
    ],
  };
  return JSON.stringify(result, null, 2) + "\n";
}

function schemaSource(Name: string, from: string): string {
  return `import { z } from "${from}";

/*
 * What a ${Name} webhook body holds, as far as normalise reads it. Link the platform's webhook reference here.
 * Loose objects: platforms add fields without notice, and that must not break parsing. Declare only what the
 * mapping reads. Ids that can exceed 2^53 must be read as strings.
 */

/**
 * The body's envelope: what must hold for the request to be accepted at all (a wrong one is a 400). Keep the items
 * \`unknown\` here: each is parsed on its own with \`${Name}Item\`, so one malformed item costs only itself.
 * TODO: the envelope of the platform's body.
 */
export const ${Name}Webhook = z.looseObject({ events: z.array(z.unknown()) });
export type ${Name}Webhook = z.output<typeof ${Name}Webhook>;

/** One raw item. TODO: the fields of each kind that normalise reads. */
export const ${Name}Item = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  /** TODO: the platform's unit (ms, seconds, ISO string) */
  timestamp: z.union([z.number(), z.string()]).optional(),
});
export type ${Name}Item = z.output<typeof ${Name}Item>;
`;
}

function normalizeSource(name: string, Name: string, from: string, ext: string): string {
  return `import { EnvelopeBuilder, type NormalizeContext, type NormalizeResult } from "${from}";
import { ${Name}Item, type ${Name}Webhook } from "./schema${ext}";

/*
 * Mapping table: fill it in as you write the cases below, and keep docs/adapters/${name}.md in step.
 *
 * | ${name} kind | event type                  | dedupe key         | time          |
 * |${"-".repeat(name.length + 6)}|-----------------------------|--------------------|---------------|
 * | TODO         | messaging.message.received  | the message's id   | item.timestamp |
 * | (the rest)   | unhandled, with the reason  |                    |               |
 */

const PLATFORM = "${name}";

/** Pure: no I/O, no clock, no randomness. Time and ids come from the context and the payload. */
export function normalize${Name}(body: ${Name}Webhook, context: NormalizeContext): NormalizeResult {
  const b = new EnvelopeBuilder(PLATFORM, context);
  for (const raw of body.events) {
    // each item in isolation: a malformed one is reported unhandled, its neighbours go through
    b.item(raw, { kind: kindOf(raw), rawId: idOf(raw), schema: ${Name}Item }, (item) => {
      const m = b.mapper({ kind: item.type, raw: item, key: item.id, timestamp: item.timestamp, metadata: { raw_platform_event_id: item.id } });
      switch (item.type) {
        // TODO: one case per kind, e.g.
        // case "message":
        //   return void m.emit("messaging.message.received", { contact_id: b.contactId(user), conversation_id: b.conversationId(user), message });
        default:
          return m.unhandled();
      }
    });
  }
  return b.result();
}

/** The item's kind before parsing, for the unhandled record of an item that does not parse. */
function kindOf(raw: unknown): string {
  const type = typeof raw === "object" && raw !== null ? (raw as { type?: unknown }).type : undefined;
  return typeof type === "string" ? type.slice(0, 64) : "event";
}

function idOf(raw: unknown): string | undefined {
  const id = typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id.slice(0, 128) : undefined;
}
`;
}

function indexSource(name: string, Name: string, from: string, ext: string): string {
  return `import { defineAdapter, hmacHeaderAuth, z } from "${from}";
import { normalize${Name} } from "./normalize${ext}";
import { ${Name}Webhook } from "./schema${ext}";

/** What a block of this platform configures. Several secrets let a block rotate without refusing requests. */
export const ${Name}Secrets = z.strictObject({ secrets: z.array(z.string().min(1)).min(1) });
export type ${Name}Secrets = z.output<typeof ${Name}Secrets>;

/**
 * TODO: the header the platform signs its webhooks in, and how (link its documentation). Here: hex HMAC-SHA256 of
 * the exact body bytes; every secret is tried in constant time. A platform that signs otherwise writes its own
 * verify and sign.
 */
const auth = hmacHeaderAuth<${Name}Secrets>(
  { platform: "${name}", header: "x-${name}-signature", algorithm: "sha256", encoding: "hex" },
  (secrets) => secrets.secrets,
);

export const ${name} = defineAdapter({
  platform: "${name}",
  payload: ${Name}Webhook,
  secrets: ${Name}Secrets,
  /** TODO: every event type normalize can produce; the conformance suite checks each against the fixtures */
  emits: [],
  ...auth,
  normalize: normalize${Name},
});
`;
}

function testSource(name: string, fixturesPath: string, testingFrom: string, kind: ModuleKind): string {
  const path = JSON.stringify(fixturesPath.split("\\").join("/"));
  // an ES module has import.meta.url where CommonJS has __dirname
  const [imports, fixturesDir] =
    kind === "esm"
      ? [
          `import { fileURLToPath } from "node:url";`,
          `fileURLToPath(new URL(${JSON.stringify(`${fixturesPath.split("\\").join("/")}/`)}, import.meta.url))`,
        ]
      : [`import { join } from "node:path";`, `join(__dirname, ${path})`];
  return `${imports}
import { describeAdapterConformance } from "${testingFrom}";
import { ${name} } from "./index${kind === "esm" ? ".js" : ""}";

/*
 * Every check an adapter must pass (docs/adding-an-adapter.md). On a fresh scaffold the suite fails only on what
 * is left to write; each failure says what. jest, vitest and mocha lend it their describe/it; under node --test
 * it uses node:test.
 */
describeAdapterConformance(${name}, {
  fixturesDir: ${fixturesDir},
  secrets: { valid: { secrets: ["${name}-test-secret"] }, wrong: { secrets: ["not-the-${name}-secret"] } },
  cases: {
    unknown: "example",
    // TODO: write a fixture batching several items and one with a malformed item among good ones, then e.g.
    // batch: { fixture: "a-batch", items: 3 }, poisoned: "a-batch-with-one-malformed-item"
    // (batch: false when the platform sends one item per body; poisoned is then a body whose item is malformed)
  },
});
`;
}
