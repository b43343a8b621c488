import { Parser } from "@asyncapi/parser";
import Ajv2020 from "ajv/dist/2020";
import Ajv from "ajv";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EVENT_TYPES } from "../../src/core";
import { THREAD_EVENT_NAMES, toThreadEvent } from "../../src/formats/thread";
import { applicationDraft, goldenEnvelopes } from "./support";
import { runCli } from "../support/run-cli";

const envelopes = [...goldenEnvelopes(), { source: "createEvent", event: applicationDraft() }];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-schemas-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("convotic schema --out", () => {
  let ajv: Ajv2020;
  beforeAll(async () => {
    const result = await runCli(["schema", "--out", dir]);
    expect(result).toMatchObject({ code: 0, stderr: `wrote ${EVENT_TYPES.length + 11} schemas to ${dir}\n` });
    // formats are annotations here: every zod-exported `format` (date-time, …) comes with a `pattern` that ajv checks
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    for (const file of readdirSync(dir)) ajv.addSchema(JSON.parse(readFileSync(join(dir, file), "utf8")) as object);
  });

  it("writes one 2020-12 schema per event type, the union and the nine thread-style events", () => {
    const files = readdirSync(dir).sort();
    expect(files).toEqual(
      [...EVENT_TYPES, "envelope", ...THREAD_EVENT_NAMES.map((name) => `thread.${name}`), "thread"]
        .map((name) => `${name}.json`)
        .sort(),
    );
    const received = JSON.parse(readFileSync(join(dir, "messaging.message.received.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(received).toMatchObject({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "urn:convotic:schema:messaging.message.received",
    });
  });

  it("validates every golden envelope against its type's schema and the union, and every thread projection", () => {
    const union = ajv.getSchema("urn:convotic:schema:envelope")!;
    const thread = ajv.getSchema("urn:convotic:schema:thread")!;
    let projected = 0;
    for (const { source, event } of envelopes) {
      const own = ajv.getSchema(`urn:convotic:schema:${event.type}`)!;
      expect({ source, ok: own(event), errors: own.errors ?? null }).toEqual({ source, ok: true, errors: null });
      expect({ source, ok: union(event) }).toEqual({ source, ok: true });
      const other = EVENT_TYPES.find((type) => type !== event.type)!;
      expect(ajv.getSchema(`urn:convotic:schema:${other}`)!(event)).toBe(false);
      const projection = toThreadEvent(event, "s");
      if (projection !== undefined) {
        projected += 1;
        expect({ source, ok: thread(projection), errors: thread.errors ?? null }).toEqual({
          source,
          ok: true,
          errors: null,
        });
        expect(ajv.getSchema(`urn:convotic:schema:thread.${projection.event}`)!(projection)).toBe(true);
      }
    }
    expect(projected).toBeGreaterThan(100);
  });

  it("rejects an envelope that breaks the contract", () => {
    const { event } = envelopes[0]!;
    const union = ajv.getSchema("urn:convotic:schema:envelope")!;
    expect(union({ ...event, id: "evt_lowercase" })).toBe(false);
    expect(union({ ...event, extra: 1 })).toBe(false);
  });
});

describe("convotic asyncapi", () => {
  it("writes a document @asyncapi/parser accepts, with every message, its payload schema and a valid example", async () => {
    const file = join(dir, "asyncapi.json");
    expect(await runCli(["asyncapi", "--out", file])).toMatchObject({ code: 0 });
    const text = readFileSync(file, "utf8");
    const { document, diagnostics } = await new Parser().parse(text);
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === 0)).toEqual([]);
    expect(document).toBeDefined();
    const names = document!
      .allMessages()
      .all()
      .map((message) => message.name());
    expect(names.sort()).toEqual([...EVENT_TYPES, ...THREAD_EVENT_NAMES].sort());
    expect(
      document!
        .operations()
        .all()
        .every((operation) => operation.isSend()),
    ).toBe(true);

    // the parser does not check v3 examples against payloads (nor draft-07 payload schemas): ajv does
    const raw = JSON.parse(text) as {
      components: {
        messages: Record<string, { payload: { schema: { $ref: string } }; examples?: { payload: unknown }[] }>;
        schemas: Record<string, object>;
      };
    };
    const ajv = new Ajv({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: "doc", definitions: raw.components.schemas });
    for (const [key, message] of Object.entries(raw.components.messages)) {
      expect({ key, examples: message.examples?.length }).toEqual({ key, examples: 1 });
      const validate = ajv.getSchema(`doc#/definitions/${message.payload.schema.$ref.split("/").pop()}`)!;
      expect({ key, ok: validate(message.examples![0]!.payload), errors: validate.errors ?? null }).toEqual({
        key,
        ok: true,
        errors: null,
      });
    }
  });

  it("prints to stdout without --out and refuses stray arguments", async () => {
    const printed = await runCli(["asyncapi"]);
    expect(JSON.parse(printed.stdout)).toMatchObject({ asyncapi: "3.0.0" });
    expect(await runCli(["asyncapi", "extra"])).toMatchObject({ code: 2 });
  });
});
