import { readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { FIXTURES_DIR } from "../support/fixtures";
import { counts, deliver, expectSound, pathsOf, withAt, wrongTypeFor, type Json, type Path } from "./support";

/*
 * The hostile corpus (docs/reliability.md): generated and hand-written inputs for every platform, each signed and
 * posted through the real webhook handler. Every case asserts its outcome — the status, the events kept and the
 * unhandled records — and, whatever the input, the production bar: never a 5xx, never an untyped exception,
 * every envelope valid, Object.prototype untouched, the result serialisable.
 */

interface PlatformSpec {
  /** a fixture holding one inbound text message (one event) */
  readonly text: string;
  /** paths that make up the body's envelope: a wrong type there is a 400; `deletable` when the body stands without it */
  readonly envelope: readonly { readonly path: Path; readonly deletable: boolean }[];
  /** time fields of the text fixture: a time that is not one never costs the event */
  readonly times: readonly Path[];
  /** a batch of three items built from the text fixture, the middle one replaced by `poisoned` when given */
  readonly batch?: (text: Json, poisoned?: Json) => Json;
  /** a malformed item (or, for Telegram, a whole update) */
  readonly poison: Json;
  /** a body with `count` empty items (100,000 fit within the 1 MiB limit) */
  readonly manyItems?: (count: number) => Json;
}

const clone = (value: Json): Json => JSON.parse(JSON.stringify(value)) as Json;
const obj = (value: Json) => value as { [key: string]: Json };
const arr = (value: Json) => value as Json[];

/** Three copies of the first item under `listPath`, each with its own ids, and optionally a poisoned middle. */
function tripled(listPath: Path, distinct: (item: Json, n: number) => Json) {
  return (text: Json, poisoned?: Json): Json => {
    let list: Json = text;
    for (const key of listPath) list = (list as Record<string | number, Json>)[key]!;
    const first = arr(list)[0]!;
    const items = [1, 2, 3].map((n) => distinct(clone(first), n));
    if (poisoned !== undefined) items[1] = poisoned;
    return withAt(text, listPath, items);
  };
}

const emptyItems = (count: number): Json[] => Array.from({ length: count }, () => ({}));

/**
 * Meta bodies: `object`, and `entry[]` of objects naming their account (`id`), which routes a batch to its blocks;
 * the items inside an entry are what a bad value can cost.
 */
const META_ENVELOPE = [
  { path: ["object"], deletable: false },
  { path: ["entry"], deletable: false },
  { path: ["entry", 0], deletable: true },
  { path: ["entry", 0, "id"], deletable: false },
];

const SPECS: Record<string, PlatformSpec> = {
  messenger: {
    text: "text-message",
    envelope: META_ENVELOPE,
    times: [
      ["entry", 0, "messaging", 0, "timestamp"],
      ["entry", 0, "time"],
    ],
    batch: tripled(["entry", 0, "messaging"], (item, n) => withAt(item, ["message", "mid"], `m_hostile_${n}`)),
    poison: { sender: "nope", recipient: { id: "112233445566778" }, timestamp: "x", message: { mid: "m_poison" } },
    manyItems: (count) => ({
      object: "page",
      entry: [{ id: "112233445566778", time: 1795252530900, messaging: emptyItems(count) }],
    }),
  },
  instagram: {
    text: "text-message",
    envelope: META_ENVELOPE,
    times: [
      ["entry", 0, "messaging", 0, "timestamp"],
      ["entry", 0, "time"],
    ],
    batch: tripled(["entry", 0, "messaging"], (item, n) => withAt(item, ["message", "mid"], `aWdf_hostile_${n}`)),
    poison: { sender: { id: 42 }, recipient: "nope", timestamp: -1, message: [] },
    manyItems: (count) => ({
      object: "instagram",
      entry: [{ id: "17841405726653026", time: 1795252530785, messaging: emptyItems(count) }],
    }),
  },
  whatsapp: {
    text: "text",
    envelope: [...META_ENVELOPE, { path: ["entry", 0, "changes"], deletable: false }],
    times: [["entry", 0, "changes", 0, "value", "messages", 0, "timestamp"]],
    batch: tripled(["entry", 0, "changes", 0, "value", "messages"], (message, n) =>
      withAt(message, ["id"], `wamid.hostile${n}`),
    ),
    poison: { from: 16505551234, id: "wamid.poison", timestamp: "x", type: 42, text: "nope" },
    manyItems: (count) => ({
      object: "whatsapp_business_account",
      entry: [{ id: "102290129340398", changes: emptyItems(count) }],
    }),
  },
  line: {
    text: "message-text",
    envelope: [
      { path: ["destination"], deletable: true },
      { path: ["events"], deletable: false },
    ],
    times: [["events", 0, "timestamp"]],
    batch: tripled(["events"], (event, n) =>
      withAt(withAt(event, ["webhookEventId"], `01HOSTILE${n}`), ["message", "id"], `59598857179522669${n}`),
    ),
    poison: { type: "message", timestamp: "x", source: "nope", webhookEventId: "01POISON", message: 5 },
    manyItems: (count) => ({ destination: "U53387d548170020e6cedef5f41d1e01d", events: emptyItems(count) }),
  },
  telegram: {
    text: "message-text-private",
    envelope: [{ path: ["update_id"], deletable: false }],
    times: [["message", "date"]],
    poison: { update_id: 812345799, message: { message_id: "x", date: -1, chat: "nope" } },
  },
};

const fixtureJson = (platform: string, name: string): Json =>
  JSON.parse(readFileSync(join(FIXTURES_DIR, platform, `${name}.json`), "utf8")) as Json;

interface Case {
  readonly name: string;
  readonly body: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly expected: {
    status: number;
    events?: number;
    unhandled?: number;
    code?: string;
    atLeastOneReported?: boolean;
  };
}

function casesFor(platform: string, spec: PlatformSpec): Case[] {
  const text = fixtureJson(platform, spec.text);
  const raw = JSON.stringify(text);
  const single = { status: 200, events: 1 };
  const cases: Case[] = [];
  const add = (name: string, body: Buffer | string, expected: Case["expected"], headers?: Record<string, string>) =>
    cases.push(headers === undefined ? { name, body, expected } : { name, body, expected, headers });

  // the body as a whole: not JSON, not an object, not this platform's
  for (const body of ["", "   \n\t", "null", "[]", "{}", "42", '"text"', "true", "[{}]"])
    add(`body ${JSON.stringify(body)}`, body, { status: 400 });
  // the WHATWG UTF-8 decoder drops a leading byte-order mark, so the body reads as the JSON after it
  add("a byte-order mark before the JSON", `\uFEFF${raw}`, single);
  for (const share of [0.1, 0.5, 0.9])
    add(`truncated at ${share * 100}%`, raw.slice(0, Math.floor(raw.length * share)), { status: 400 });
  add("truncated by one byte", raw.slice(0, -1), { status: 400 });
  add(
    "invalid UTF-8 inside a string",
    Buffer.concat([Buffer.from(raw.slice(0, -2)), Buffer.from([0xc3, 0x28]), Buffer.from(raw.slice(-2))]),
    { status: 400 },
  );
  add(
    "an overlong UTF-8 encoding",
    Buffer.concat([Buffer.from(raw.slice(0, -1)), Buffer.from([0xc0, 0xaf]), Buffer.from("}")]),
    { status: 400 },
  );
  // each level is an item of the one around it: past the item cap (docs/reliability.md) before the parser runs
  add("100,000 levels of nesting as the body", "[".repeat(100_000) + "]".repeat(100_000), {
    status: 413,
    code: "too_many_items",
  });
  add("over the 1 MiB body limit", raw.slice(0, -1) + `,"padding":"${"x".repeat(1024 * 1024)}"}`, { status: 413 });

  // keys and values that reach for prototypes
  add("a __proto__ key at the top", `{"__proto__":{"polluted":"yes"},${raw.slice(1)}`, single);
  add(
    "constructor and prototype keys at the top",
    `{"constructor":{"prototype":{"polluted":"yes"}},${raw.slice(1)}`,
    single,
  );
  add(
    "duplicate keys (the last wins)",
    raw.replace(/^\{/, `{"${platform === "telegram" ? "update_id" : Object.keys(obj(text))[0]}":"duplicate",`),
    single,
  );
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    const typed =
      platform === "telegram"
        ? withAt(withAt(text, ["message"], undefined), [name], { x: 1 })
        : kindReplaced(platform, text, name);
    add(`the kind named "${name}"`, JSON.stringify(typed), { status: 200, events: 0, unhandled: 1 });
  }

  // numbers and strings at their limits
  add("a text of 500 KB", JSON.stringify(textReplaced(platform, text, "x".repeat(500_000))), single);
  add("lone surrogates in the text", JSON.stringify(textReplaced(platform, text, "\ud800 and \udfff")), single);
  add(
    "100,000 levels of nesting inside an unknown field",
    raw.slice(0, -1) + `,"extra":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
    { status: 413, code: "too_many_items" },
  );
  add(
    "5,000 levels of nesting inside an unknown field",
    raw.slice(0, -1) + `,"extra":${"[".repeat(5_000)}${"]".repeat(5_000)}}`,
    single,
  );

  // floods of keys and items: a body's work is capped by its counts, not only its size
  const keys = (count: number) => Array.from({ length: count }, (_, index) => `"${index.toString(36)}":0`).join(",");
  add("an unknown field of 100,001 keys", raw.slice(0, -1) + `,"extra":{${keys(100_001)}}}`, {
    status: 413,
    code: "too_many_keys",
  });
  add("an unknown field of 90,000 keys", raw.slice(0, -1) + `,"extra":{${keys(90_000)}}}`, single);
  add("an unknown field of 10,001 zeros", raw.slice(0, -1) + `,"extra":[${"0,".repeat(10_000)}0]}`, {
    status: 413,
    code: "too_many_items",
  });
  add("an unknown field of 9,000 zeros", raw.slice(0, -1) + `,"extra":[${"0,".repeat(8_999)}0]}`, single);
  add("an unknown field of 100,000 empty objects", raw.slice(0, -1) + `,"extra":[${"{},".repeat(99_999)}{}]}`, {
    status: 413,
    code: "too_many_items",
  });

  // compressed bodies: the platforms send identity, so any other coding is refused before the signature
  const encoded = {
    gzip: gzipSync(raw),
    deflate: deflateSync(raw),
    br: brotliCompressSync(raw),
    "x-unknown": Buffer.from(raw),
  };
  for (const [coding, bytes] of Object.entries(encoded)) {
    add(
      `content-encoding ${coding}`,
      bytes,
      { status: 415, code: "unsupported_encoding" },
      { "content-encoding": coding },
    );
  }
  add("content-encoding identity", raw, single, { "content-encoding": "identity" });

  // times that are not times never cost the event: the receive time stands in
  for (const path of spec.times) {
    for (const value of [253402300800000, -1, "x", "+010000-01-01T00:00:00Z", 1e21]) {
      add(`time ${path.join(".")} = ${JSON.stringify(value)}`, JSON.stringify(withAt(text, path, value)), single);
    }
    // 1e400 parses as Infinity, which a number schema refuses: the item is reported, never the whole body
    const infinite = JSON.stringify(withAt(text, path, 0)).replace(
      /(:\s*)0([,}])/,
      (_match, colon: string, end: string) => `${colon}1e400${end}`,
    );
    add(`time ${path.join(".")} = 1e400`, infinite, { status: 200, atLeastOneReported: true });
  }

  // wrong types at every level and every missing field of the text fixture
  const envelopePaths = new Map(spec.envelope.map((entry) => [JSON.stringify(entry.path), entry]));
  for (const path of pathsOf(text)) {
    const envelope = envelopePaths.get(JSON.stringify(path));
    const wrong = wrongTypeFor(valueAt(text, path));
    add(
      `${path.join(".")} of the wrong type`,
      JSON.stringify(withAt(text, path, wrong)),
      envelope ? { status: 400 } : { status: 200, atLeastOneReported: true },
    );
    add(
      `${path.join(".")} missing`,
      JSON.stringify(withAt(text, path, undefined)),
      envelope && !envelope.deletable ? { status: 400 } : { status: 200 },
    );
  }

  // batches: three good items, then the middle one poisoned (an input can only cost the item it is in)
  if (spec.batch !== undefined) {
    add("a batch of three", JSON.stringify(spec.batch(text)), { status: 200, events: 3, unhandled: 0 });
    add("a batch of three, the middle one poisoned", JSON.stringify(spec.batch(text, spec.poison)), {
      status: 200,
      events: 2,
      unhandled: 1,
    });
    add("arrays where objects belong in a batch", JSON.stringify(spec.batch(text, [])), {
      status: 200,
      events: 2,
      unhandled: 1,
    });
  } else {
    add("a poisoned update", JSON.stringify(spec.poison), { status: 200, events: 0, unhandled: 1 });
  }
  if (spec.manyItems !== undefined) {
    add("100,000 empty items", JSON.stringify(spec.manyItems(100_000)), { status: 413, code: "too_many_items" });
    add("9,000 empty items", JSON.stringify(spec.manyItems(9_000)), { status: 200, events: 0, unhandled: 9_000 });
  }
  return cases;
}

function valueAt(value: Json, path: Path): Json {
  let current = value;
  for (const key of path) current = (current as Record<string | number, Json>)[key]!;
  return current;
}

/** The text fixture with its kind (message type, event type) replaced by `kind`. */
function kindReplaced(platform: string, text: Json, kind: string): Json {
  if (platform === "line") return withAt(text, ["events", 0, "type"], kind);
  if (platform === "whatsapp") return withAt(text, ["entry", 0, "changes", 0, "field"], kind);
  // Meta DMs: the item holds only the unknown key, so it is reported as that kind
  return withAt(text, ["entry", 0, "messaging", 0], {
    sender: { id: "6543219876543210" },
    recipient: { id: "1" },
    timestamp: 1795252530000,
    [kind]: { x: 1 },
  });
}

function textReplaced(platform: string, text: Json, value: string): Json {
  const paths: Record<string, Path> = {
    messenger: ["entry", 0, "messaging", 0, "message", "text"],
    instagram: ["entry", 0, "messaging", 0, "message", "text"],
    whatsapp: ["entry", 0, "changes", 0, "value", "messages", 0, "text", "body"],
    line: ["events", 0, "message", "text"],
    telegram: ["message", "text"],
  };
  return withAt(text, paths[platform]!, value);
}

const ALL = Object.entries(SPECS).flatMap(([platform, spec]) =>
  casesFor(platform, spec).map((entry) => ({ platform, ...entry })),
);

describe("hostile corpus", () => {
  it("has at least 250 cases across the five platforms", () => {
    expect(ALL.length).toBeGreaterThanOrEqual(250);
    expect(new Set(ALL.map((entry) => entry.platform)).size).toBe(5);
  });

  it.each(ALL.map((entry) => [`${entry.platform}: ${entry.name}`, entry] as const))("%s", async (_name, entry) => {
    const outcome = await deliver(entry.platform, entry.body, entry.headers);
    expectSound(outcome);
    const got = counts(outcome);
    const { atLeastOneReported, ...expected } = entry.expected;
    expect(got).toMatchObject(expected);
    if (atLeastOneReported === true) expect(got.events + got.unhandled).toBeGreaterThan(0);
  });
});
