import { z } from "zod";
import { adapters } from "../../src/adapters";
import { type DriftCatalogue, type DriftRecord, type NormalizeResult } from "../../src/core";
import { compileDrift, MAX_DRIFT_PER_BODY } from "../../src/core/engine";
import { addCatalogue, emptyNode, finish, type DriftNode } from "../../src/core/engine/drift-tree";
import { FIXTURE_CONTENT_TYPES } from "../../src/testing/fixtures";
import { normalizer } from "../support/adapter";
import { fixtureContext, fixturesOf, type Fixture } from "../support/fixtures";

/*
 * The catalogues are honest (docs/drift.md): no fixture, written from the platforms' documentation, holds a field
 * or value its catalogue does not know, except the fixtures of kinds the platforms do not document (listed below
 * with what they must report); and a field added anywhere the catalogue describes, or an unknown value of an
 * enumerated field, is reported, the events unchanged.
 */

/** Fixtures of made-up or undocumented kinds: the drift each must report, exactly. */
const DRIFTING: Readonly<Record<string, readonly string[]>> = {
  "instagram/entry-unknown-list": ["field entry[].message"],
  "line/message-unknown-content": ["value events[].message.type"],
  "line/unknown-event-type": ["value events[].type", "field events[].reaction"],
  "messenger/entry-unknown-list": ["field entry[].message"],
  "telegram/managed-bot": ["field managed_bot"],
  "telegram/subscription": ["field subscription"],
  "viber/unknown-event": ["value event"],
  // a malformed item (its type a number): reported unhandled, and its value is not one WhatsApp documents
  "whatsapp/poisoned-batch": ["value entry[].changes[].value.messages[].type"],
  // a Mini Program card: a customer-service message of Mini Programs, not one Official Accounts document
  "wechat/miniprogram-page": ["value MsgType"],
};

const PROBE = "zz_drift_probe";
const UNKNOWN_VALUE = "zz_unknown_value";

// every platform declares a catalogue: JSON, form (Twilio) and XML (WeChat) bodies are walked and probed alike
const all: Fixture[] = normalizer.platforms.flatMap((platform) => fixturesOf(platform));

/** The media type a fixture is read as (its extension's), JSON unless it says otherwise. */
const typeOf = (fixture: Fixture): string => fixture.contentType ?? "application/json";

function run(platform: string, body: unknown, contentType: string): NormalizeResult | undefined {
  try {
    return normalizer.normalize(platform, serialize(body, contentType), fixtureContext(platform), contentType);
  } catch {
    return undefined; // fixtures of bodies the pipeline refuses as a whole (they have no drift to report)
  }
}

const typeAndData = (event: { type: string; data: unknown }) => [event.type, event.data];

const summary = (drift: readonly Pick<DriftRecord, "change" | "path">[] | undefined) =>
  (drift ?? []).map((d) => `${d.change} ${d.path}`);

/**
 * A fixture's body as its adapter reads it: its own `parseBody` (a form's parameters, an XML push's elements),
 * else JSON. Viber's large tokens are beyond 2^53 and read as such by JSON.parse, which is fine here.
 */
function bodyOf(fixture: Fixture): unknown {
  const adapter = normalizer.adapterFor(fixture.platform);
  if (adapter.parseBody !== undefined) return adapter.parseBody(fixture.body, typeOf(fixture));
  return JSON.parse(fixture.body.toString("utf8"));
}

/** A (probed) body back to the bytes its platform sends: JSON, a form, or WeChat's `<xml>` of elements. */
function serialize(body: unknown, contentType: string): string {
  if (contentType === FIXTURE_CONTENT_TYPES[".form"])
    return new URLSearchParams(Object.entries(body as Record<string, string>)).toString();
  if (contentType === FIXTURE_CONTENT_TYPES[".xml"]) return `<xml>${elements(body as Record<string, unknown>)}</xml>`;
  return JSON.stringify(body);
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function elements(record: Record<string, unknown>): string {
  const one = (name: string, value: unknown): string =>
    typeof value === "object" && value !== null
      ? `<${name}>${elements(value as Record<string, unknown>)}</${name}>`
      : `<${name}>${escapeXml(String(value))}</${name}>`;
  return Object.entries(record)
    .map(([name, value]) => (Array.isArray(value) ? value.map((item) => one(name, item)).join("") : one(name, value)))
    .join("");
}

/** What a probe adds: an object where the body can hold one, a string in a form (its values are all strings). */
const probeValue = (fixture: Fixture): unknown =>
  typeOf(fixture) === FIXTURE_CONTENT_TYPES[".form"] ? "value" : { nested: "value" };

/** The compiled trie of a platform's catalogue, to tell whether a path is described (not under `**` or a map). */
function trieOf(platform: string): DriftNode {
  const root = emptyNode();
  addCatalogue(root, adapters[platform as keyof typeof adapters].drift!);
  finish(root);
  return root;
}

type Step = string | number;

/** Every object in a body with its path of keys and indexes. */
function objectsOf(value: unknown, path: Step[] = [], out: { path: Step[]; value: object }[] = []) {
  if (value === null || typeof value !== "object") return out;
  if (!Array.isArray(value)) out.push({ path, value });
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  for (const [key, child] of entries) objectsOf(child, [...path, key], out);
  return out;
}

/** Whether the catalogue describes the object at `path` key by key (so a new key there must be reported). */
function described(root: DriftNode, body: unknown, path: readonly Step[]): boolean {
  const shape = (at: DriftNode, object: unknown): DriftNode | undefined => {
    if (at.variant === undefined) return at;
    const chosen = (object as Record<string, unknown>)[at.variant.by];
    return typeof chosen === "string" ? at.variant.cases.get(chosen) : undefined;
  };
  let node: DriftNode | undefined = root;
  let value: unknown = body;
  for (const step of path) {
    if (node === undefined || node.open) return false;
    if (typeof step === "number") node = node.items;
    else {
      // a key the catalogue names; under a map (`*`) any key is known, so a probe there is not news
      node = shape(node, value)?.keys?.get(step);
    }
    value = (value as Record<string, unknown>)[step as string];
  }
  if (node === undefined || node.open) return false;
  const here = shape(node, value);
  return here !== undefined && here.any === undefined;
}

const at = (path: readonly Step[], key?: string) =>
  [...path.map((step) => (typeof step === "number" ? "[]" : step)), ...(key === undefined ? [] : [key])]
    .map((part, index) => (part === "[]" || index === 0 ? part : `.${part}`))
    .join("");

function withProbe(body: unknown, path: readonly Step[], key: string, value: unknown): unknown {
  const copy = structuredClone(body);
  let target: Record<string, unknown> = copy as Record<string, unknown>;
  for (const step of path) target = target[step as string] as Record<string, unknown>;
  target[key] = value;
  return copy;
}

describe("drift catalogues", () => {
  it("know every field and value of every fixture, but the undocumented kinds, which report exactly theirs", () => {
    const seen: Record<string, string[]> = {};
    for (const fixture of all) {
      const result = run(fixture.platform, bodyOf(fixture), typeOf(fixture));
      const drift = summary(result?.drift);
      if (drift.length > 0) seen[`${fixture.platform}/${fixture.name}`] = drift;
    }
    expect(seen).toEqual(DRIFTING);
    expect(all.length).toBeGreaterThan(300);
  });

  it("report a field added to any object they describe, in any fixture, and still normalise the item", () => {
    let probed = 0;
    // every platform's fixtures are probed: a body that no longer reads back would otherwise be skipped silently
    const byPlatform: Record<string, number> = {};
    for (const fixture of all) {
      const body = bodyOf(fixture);
      const before = run(fixture.platform, body, typeOf(fixture));
      if (before === undefined) continue;
      const root = trieOf(fixture.platform);
      for (const { path } of objectsOf(body)) {
        if (!described(root, body, path)) continue;
        const after = run(fixture.platform, withProbe(body, path, PROBE, probeValue(fixture)), typeOf(fixture))!;
        const where = `${fixture.platform}/${fixture.name} at ${at(path, PROBE)}`;
        expect([where, summary(after.drift)]).toEqual([where, expect.arrayContaining([`field ${at(path, PROBE)}`])]);
        // the same events; ids derived from an item's whole content (an error without an id) may change with it
        expect([where, after.events.map(typeAndData)]).toEqual([where, before.events.map(typeAndData)]);
        probed += 1;
        byPlatform[fixture.platform] = (byPlatform[fixture.platform] ?? 0) + 1;
      }
      // the body itself is always described, unless it is of a kind its catalogue does not name (a WeChat `MsgType`)
      const kindUnknown = DRIFTING[`${fixture.platform}/${fixture.name}`]?.includes(`value ${root.variant?.by}`);
      expect([fixture.name, described(root, body, [])]).toEqual([fixture.name, kindUnknown !== true]);
    }
    expect(Object.keys(byPlatform).sort()).toEqual([...normalizer.platforms].sort());
    expect(probed).toBeGreaterThan(2000);
  });

  /** Enumerated fields, by platform: an unknown value at any of them, in any fixture, is reported. */
  const ENUMERATED: Readonly<Record<string, readonly RegExp[]>> = {
    viber: [/^event$/, /^message\.type$/],
    telegram: [/\.chat\.type$/, /^message\.entities\[\]\.type$/, /_chat_member\.status$/, /reaction\[\]\.type$/],
    line: [/^events\[\]\.type$/, /^events\[\]\.source\.type$/, /^events\[\]\.message\.type$/, /^events\[\]\.mode$/],
    whatsapp: [
      /^entry\[\]\.changes\[\]\.field$/,
      /^entry\[\]\.changes\[\]\.value\.messages\[\]\.type$/,
      /^entry\[\]\.changes\[\]\.value\.statuses\[\]\.status$/,
      /\.interactive\.type$/,
    ],
    messenger: [/^entry\[\]\.changes\[\]\.field$/, /\.attachments\[\]\.type$/, /\.reaction\.action$/],
    instagram: [/^entry\[\]\.changes\[\]\.field$/, /\.attachments\[\]\.type$/, /\.reaction\.action$/],
    twilio: [/^MessageStatus$/, /^SmsStatus$/, /^ButtonType$/, /^EventType$/],
    wechat: [/^MsgType$/, /^Event$/],
  };

  it("report an unknown value of an enumerated field in any fixture, and never fail the body for it", () => {
    let probed = 0;
    // every platform's fixtures are probed: a body that no longer reads back would otherwise be skipped silently
    const byPlatform: Record<string, number> = {};
    for (const fixture of all) {
      const body = bodyOf(fixture);
      if (run(fixture.platform, body, typeOf(fixture)) === undefined || DRIFTING[`${fixture.platform}/${fixture.name}`])
        continue;
      const root = trieOf(fixture.platform);
      for (const { path, value } of objectsOf(body)) {
        // inside a kind known with everything below it (a Telegram `chat_boost`), no value is news
        if (!described(root, body, path)) continue;
        for (const [key, field] of Object.entries(value)) {
          const where = at(path, key);
          if (typeof field !== "string" || !ENUMERATED[fixture.platform]!.some((pattern) => pattern.test(where)))
            continue;
          const after = run(fixture.platform, withProbe(body, path, key, UNKNOWN_VALUE), typeOf(fixture));
          expect([fixture.name, where, after !== undefined]).toEqual([fixture.name, where, true]);
          expect([fixture.name, summary(after!.drift)]).toEqual([
            fixture.name,
            expect.arrayContaining([`value ${where}`]),
          ]);
          probed += 1;
          byPlatform[fixture.platform] = (byPlatform[fixture.platform] ?? 0) + 1;
        }
      }
    }
    expect(Object.keys(byPlatform).sort()).toEqual([...normalizer.platforms].sort());
    expect(probed).toBeGreaterThan(450);
  });
});

describe("drift records", () => {
  const Item = z.looseObject({ kind: z.enum(["a", "b"]), user: z.looseObject({ id: z.string() }).optional() });
  const Body = z.looseObject({ items: z.array(Item), meta: z.record(z.string(), z.number()).optional() });
  const catalogue: DriftCatalogue = {
    schemas: [{ at: "", schema: Body }],
    ignored: ["extra.**", "items[].note"],
    variants: [{ at: "changes[]", by: "field", cases: { x: { values: { "value.state": ["on", "off"] } } } }],
  };
  const detect = compileDrift(catalogue);

  it("name the path with [] for items, say what changed, count, and give a short example", () => {
    const text = "x".repeat(500);
    const found = detect({
      items: [
        { kind: "a", new_one: text },
        { kind: "c", new_one: 1 },
      ],
      meta: { anything: 1 },
      extra: { deep: { er: true } },
      changes: [
        { field: "x", value: { state: "maybe" } },
        { field: "y", value: {} },
      ],
      top: null,
    });
    expect(found).toEqual([
      { path: "items[].new_one", change: "field", value_kind: "string", example: expect.any(String), count: 2 },
      { path: "items[].kind", change: "value", value_kind: "string", example: '"c"', count: 1 },
      { path: "changes[].value.state", change: "value", value_kind: "string", example: '"maybe"', count: 1 },
      { path: "changes[].field", change: "value", value_kind: "string", example: '"y"', count: 1 },
      { path: "top", change: "field", value_kind: "null", example: "null", count: 1 },
    ]);
    expect(found![0]!.example.length).toBeLessThanOrEqual(64);
    expect(detect({ items: [{ kind: "b", note: "x", user: { id: "1" } }] })).toBeUndefined();
  });

  it("shorten and escape what a platform controls: keys in paths, examples of objects", () => {
    const key = `a\nb${"k".repeat(200)}`;
    const [record] = detect({ items: [], [key]: { one: 1, two: 2, three: 3, four: 4, five: 5 } })!;
    expect(record!.path).not.toContain("\n");
    expect(record!.path.length).toBeLessThanOrEqual(70);
    expect(record!.example).toBe('{"one", "two", "three", "four", …}');
  });

  it(`keep at most ${MAX_DRIFT_PER_BODY} distinct paths per body`, () => {
    const body: Record<string, unknown> = { items: [] };
    for (let index = 0; index < 1000; index++) body[`k${index}`] = index;
    expect(detect(body)).toHaveLength(MAX_DRIFT_PER_BODY);
  });

  it("know numbered members (`name{N}`) under one path, and only decimal numbers after the name", () => {
    const numbered = compileDrift({
      ignored: ["MediaUrl{N}", "Sid"],
      values: { "MediaContentType{N}": ["image/jpeg"] },
    });
    expect(numbered({ Sid: "1", MediaUrl0: "a", MediaUrl12: "b", MediaContentType3: "image/jpeg" })).toBeUndefined();
    expect(summary(numbered({ MediaUrl: "a", MediaUrlX: "b", MediaUrl01: "c", MediaContentType0: "text/x" }))).toEqual([
      "field MediaUrl",
      "field MediaUrlX",
      "field MediaUrl01",
      "value MediaContentType{N}",
    ]);
  });

  it("refuse a malformed catalogue when it is compiled, not per body", () => {
    expect(() => compileDrift({ ignored: ["a..b"] })).toThrow(/bad path/);
  });
});

describe("drift of form and XML bodies", () => {
  const context = fixtureContext("wechat");

  it("checks the parameters a form parsed to: a new one, a new status, numbered media beyond the fixtures", () => {
    const form = new URLSearchParams({
      MessageSid: "SM1",
      MessageStatus: "sent",
      To: "+14155550100",
      MediaUrl9: "https://example.com/m",
      MediaContentType9: "image/png",
      BrandNewParameter: "1",
    });
    const result = normalizer.normalize("twilio", form.toString(), context, FIXTURE_CONTENT_TYPES[".form"]);
    expect(summary(result.drift)).toEqual(["field BrandNewParameter"]);
    form.set("MessageStatus", "teleported");
    form.delete("BrandNewParameter");
    const status = normalizer.normalize("twilio", form.toString(), context, FIXTURE_CONTENT_TYPES[".form"]);
    expect(summary(status.drift)).toEqual(["value MessageStatus"]);
  });

  it("checks the elements an XML push parsed to, by MsgType: an element of another type is new here", () => {
    const push = (inner: string) =>
      `<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1767225600</CreateTime>${inner}</xml>`;
    const image = push(
      "<MsgType>image</MsgType><PicUrl>u</PicUrl><MediaId>m</MediaId><MsgId>1</MsgId><Content>x</Content>",
    );
    expect(summary(normalizer.normalize("wechat", image, context, "text/xml").drift)).toEqual(["field Content"]);
    const scan = push(
      "<MsgType>event</MsgType><Event>scancode_push</Event><ScanCodeInfo><ScanType>qrcode</ScanType><Extra>1</Extra></ScanCodeInfo>",
    );
    expect(summary(normalizer.normalize("wechat", scan, context, "text/xml").drift)).toEqual([
      "field ScanCodeInfo.Extra",
    ]);
    const event = push("<MsgType>event</MsgType><Event>user_enter_tempsession</Event>");
    expect(summary(normalizer.normalize("wechat", event, context, "text/xml").drift)).toEqual(["value Event"]);
  });
});
