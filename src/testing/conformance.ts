import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import {
  ConfigError,
  createNormalizer,
  ConvoticError,
  PayloadError,
  SignatureError,
  UnifiedEventSchema,
  type NormalizeResult,
  type PlatformAdapter,
  type SignedRequest,
  signRequest,
} from "../core";
import {
  defaultContext,
  fixtureContentType,
  fixtureName,
  fixtureUrl,
  goldenPathOf,
  goldenText,
  rawBodyFiles,
} from "./fixtures";
import { jsonDiff } from "./json-diff";
import type { ConformanceOptions, Fixture, TestRunner } from "./conformance-types";

export { goldenText };
export type { ConformanceOptions, TestRunner } from "./conformance-types";

const EARLIEST_PLAUSIBLE = Date.UTC(2000, 0, 1);
const LATEST_PLAUSIBLE = Date.UTC(2100, 0, 1);

function fail(message: string): never {
  throw new Error(message);
}

/**
 * The runner's globals (jest, vitest with globals, mocha), else `node:test`, built into Node: a test file run with
 * `node --test` has no globals, and needs no `runner` option for that.
 */
function runnerOf(options: { runner?: TestRunner }): TestRunner {
  if (options.runner !== undefined) return options.runner;
  const globals = globalThis as unknown as Partial<TestRunner>;
  if (typeof globals.describe === "function" && typeof globals.it === "function") return globals as TestRunner;
  return require("node:test") as TestRunner;
}

function expectThrows(what: string, attempt: () => unknown, type: new (...args: never[]) => Error): void {
  try {
    attempt();
  } catch (error) {
    if (error instanceof type) return;
    fail(
      `${what}: expected a ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  fail(`${what}: expected a ${type.name}, but nothing was thrown`);
}

/**
 * Registers, in the caller's test runner, every check an adapter must pass: golden files, signatures (missing
 * header, wrong secret, one byte changed, re-serialised and re-escaped bodies), fail-closed secrets, the
 * handshake, bad bodies, determinism, catalogue validity, timestamps, raw ids, `emits`, unknown kinds, batches and
 * per-item isolation. Each failure says what to write or fix.
 */
export function describeAdapterConformance<R, S>(adapter: PlatformAdapter<R, S>, options: ConformanceOptions<S>): void {
  const runner = runnerOf(options);
  const platform = adapter.platform;
  const normalizer = createNormalizer({ adapters: { [platform]: adapter as PlatformAdapter } });
  const context = options.context ?? defaultContext(platform);
  const update = options.update ?? (typeof process !== "undefined" && process.env["UPDATE_GOLDEN"] === "1");
  const fixtures: Fixture[] = rawBodyFiles(options.fixturesDir).map((path) => ({
    name: fixtureName(path),
    path,
    goldenPath: goldenPathOf(path),
    body: readFileSync(path),
    contentType: fixtureContentType(path),
  }));
  const { valid, wrong } = options.secrets;
  const url = options.url ?? fixtureUrl(platform);
  // the whole request the platform would send: headers, or a signature in the query and a body sent encrypted (WeChat)
  const sign = (body: Uint8Array, secrets: S, to = url): SignedRequest =>
    signRequest(adapter as PlatformAdapter<unknown, S>, body, secrets, { url: to });
  /** what a signed request says about its bytes and URL: its headers, what it added to the URL, and its body */
  const signatureOf = (signed: SignedRequest, to = url): string =>
    JSON.stringify([
      signed.headers,
      signed.url?.startsWith(to) === true ? signed.url.slice(to.length) : signed.url,
      Buffer.from(signed.rawBody).toString("base64"),
    ]);
  const run = (fixture: Fixture): NormalizeResult => {
    const signed = sign(fixture.body, valid);
    return normalizer.processWebhook({
      platform,
      rawBody: signed.rawBody,
      headers: signed.headers,
      contentType: fixture.contentType,
      url: signed.url ?? url,
      secrets: valid,
      context,
    });
  };
  const named = (name: string): Fixture =>
    fixtures.find((fixture) => fixture.name === name) ??
    fail(`no fixture "${name}" (${name}.json, .form or .xml) in ${options.fixturesDir}: write it`);
  const results = new Map<string, NormalizeResult>();
  const resultOf = (fixture: Fixture): NormalizeResult => {
    let result = results.get(fixture.name);
    if (result === undefined) results.set(fixture.name, (result = run(fixture)));
    return result;
  };
  /** whether the adapter's signature covers the body (Telegram's static secret header does not) */
  const signsBody = (body: Buffer): boolean => {
    const changed = Buffer.from(body);
    changed[changed.length >> 1] = changed[changed.length >> 1]! ^ 0x01;
    const [a, b] = [sign(changed, valid), sign(body, valid)];
    return JSON.stringify([a.headers, a.url]) !== JSON.stringify([b.headers, b.url]);
  };

  function checkSignatures(fixture: Fixture): void {
    const verify = (signed: SignedRequest, rawBody = signed.rawBody) =>
      normalizer.verify(platform, { rawBody, headers: signed.headers, url: signed.url ?? url }, valid);
    verify(sign(fixture.body, valid));
    expectThrows(
      `${fixture.name} without signature headers`,
      () => verify({ headers: {}, url, rawBody: fixture.body }),
      SignatureError,
    );
    expectThrows(
      `${fixture.name} signed with the wrong secret`,
      () => verify(sign(fixture.body, wrong)),
      SignatureError,
    );
    // a signature that covers the URL (Twilio's) must not verify for another URL: a request replayed elsewhere
    const elsewhere = `${url.replace(/[?#].*$/, "")}-elsewhere`;
    const signedElsewhere = sign(fixture.body, valid, elsewhere);
    if (signatureOf(signedElsewhere, elsewhere) !== signatureOf(sign(fixture.body, valid)))
      expectThrows(
        `${fixture.name} signed for another URL`,
        () => verify({ ...signedElsewhere, url: signedElsewhere.url?.replace(elsewhere, url) }),
        SignatureError,
      );
    if (!signsBody(fixture.body)) return;
    const signed = sign(fixture.body, valid);
    // one byte of what is sent changed (the ciphertext, for a platform that encrypts)
    const changed = Buffer.from(signed.rawBody);
    changed[changed.length >> 1] = changed[changed.length >> 1]! ^ 0x01;
    expectThrows(`${fixture.name} with one byte changed`, () => verify(signed, changed), SignatureError);
    // the re-serialisations below are JSON's; a form or XML body's own variants belong in the adapter's tests
    if (fixture.contentType !== "application/json") return;
    // the same JSON in other bytes: a receiver must verify what was sent, never a re-serialisation
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(fixture.body.toString("utf8"))), "utf8");
    if (!reserialised.equals(fixture.body))
      expectThrows(`${fixture.name} re-serialised`, () => verify(signed, reserialised), SignatureError);
    const escaped = Buffer.from(
      fixture.body
        .toString("utf8")
        .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
      "utf8",
    );
    if (!escaped.equals(fixture.body))
      expectThrows(`${fixture.name} with non-ASCII re-escaped`, () => verify(signed, escaped), SignatureError);
  }

  runner.describe(`${platform} adapter conformance`, () => {
    runner.it("has fixtures", () => {
      if (fixtures.length === 0)
        fail(`no fixtures in ${options.fixturesDir}: add raw webhook bodies as <case>.json (or .form, .xml)`);
    });

    for (const fixture of fixtures) {
      runner.it(`${fixture.name}: produces its reviewed golden file`, () => {
        const text = goldenText(resultOf(fixture));
        if (update) return writeFileSync(fixture.goldenPath, text);
        if (!existsSync(fixture.goldenPath))
          fail(`${fixture.name}: no golden file; run with UPDATE_GOLDEN=1 and review ${basename(fixture.goldenPath)}`);
        const golden = readFileSync(fixture.goldenPath, "utf8");
        if (golden === text) return;
        // the lines `convotic replay` prints for a changed golden file, so a failure here reads like a review there
        const diff = jsonDiff(JSON.parse(golden), JSON.parse(text));
        fail(
          [`changed ${basename(fixture.goldenPath)}${diff.length === 0 ? ": formatting only" : ""}`, ...diff].join(
            "\n",
          ),
        );
      });
      runner.it(`${fixture.name}: accepts its own signature; refuses none, a wrong secret and changed bytes`, () => {
        checkSignatures(fixture);
      });
    }

    if (adapter.drift !== undefined) {
      runner.it(
        "knows every field and value of its fixtures (its drift catalogue), but those listed as drifting",
        () => {
          const drifting = new Set(options.cases?.drift ?? []);
          for (const fixture of fixtures) {
            let result: NormalizeResult;
            try {
              result = resultOf(fixture);
            } catch {
              continue; // a body refused as a whole has no drift to report
            }
            const paths = (result.drift ?? []).map((record) => `${record.change} ${record.path}`);
            if (drifting.has(fixture.name) && paths.length === 0)
              fail(`${fixture.name}: listed as drifting, but its catalogue knows everything in it`);
            if (!drifting.has(fixture.name) && paths.length > 0)
              fail(
                `${fixture.name}: the drift catalogue does not know ${paths.join(", ")} (declare the documented ones; list the fixture in cases.drift if it shows an undocumented kind)`,
              );
          }
        },
      );
    }

    runner.it("is deterministic: the same bytes give the same output, byte for byte", () => {
      for (const fixture of fixtures) {
        if (goldenText(run(fixture)) !== goldenText(resultOf(fixture)))
          fail(`${fixture.name}: two runs differ (use only the context's time and ids)`);
      }
    });

    runner.it("emits envelopes that match the catalogue, with unique ids, raw ids and plausible times", () => {
      for (const fixture of fixtures) {
        const { events, unhandled } = resultOf(fixture);
        if (events.length + unhandled.length === 0)
          fail(`${fixture.name}: no event and no unhandled record (report what you do not map)`);
        const ids = new Set<string>();
        for (const event of events) {
          const checked = UnifiedEventSchema.safeParse(event);
          if (!checked.success)
            fail(`${fixture.name}: ${event.type} does not match the catalogue: ${checked.error.message}`);
          if (ids.has(event.id)) fail(`${fixture.name}: two envelopes with id ${event.id}`);
          ids.add(event.id);
          if (event.platform !== platform) fail(`${fixture.name}: envelope platform is "${event.platform}"`);
          if (event.metadata.raw_platform_event_id === "")
            fail(`${fixture.name}: ${event.type} has no metadata.raw_platform_event_id`);
          const time = Date.parse(event.timestamp);
          if (
            event.metadata.timestamp_source !== "received" &&
            (time < EARLIEST_PLAUSIBLE || time >= LATEST_PLAUSIBLE)
          ) {
            fail(
              `${fixture.name}: ${event.type} at ${event.timestamp}: read the platform's time unit (seconds or ms?)`,
            );
          }
        }
        for (const record of unhandled) {
          if (record.kind === "" || record.raw === undefined)
            fail(`${fixture.name}: an unhandled record needs its kind and raw event`);
        }
      }
    });

    runner.it("emits every declared type from some fixture, and nothing undeclared", () => {
      const produced = new Set(fixtures.flatMap((fixture) => resultOf(fixture).events.map((event) => event.type)));
      if (adapter.handshake !== undefined && options.handshake !== undefined) produced.add("platform.webhook.verified");
      const missing = adapter.emits.filter((type) => !produced.has(type));
      if (missing.length > 0)
        fail(
          `emits declares ${missing.join(", ")}, which no fixture produces: add a fixture for each, or drop it from emits`,
        );
    });

    runner.it("fails closed when the block has no secrets", () => {
      const fixture = fixtures[0] ?? fail("no fixtures");
      const signedFixture = sign(fixture.body, valid);
      for (const secrets of [undefined, {}]) {
        expectThrows(
          "verify without secrets",
          () => normalizer.verify(platform, { ...signedFixture, url: signedFixture.url ?? url }, secrets),
          ConfigError,
        );
      }
    });

    runner.it("answers its GET handshake only for the configured token, when it has one", () => {
      if (adapter.handshake === undefined) {
        if (normalizer.handshake(platform, { query: new URLSearchParams(), headers: {} }, valid, context) !== undefined)
          fail("handshake answered without a handshake");
        return;
      }
      const handshake =
        options.handshake ??
        fail("the adapter has a handshake: give options.handshake { query, challenge, invalidQuery }");
      const ask = (query: string, secrets: S) =>
        normalizer.handshake(platform, { query: new URLSearchParams(query), headers: {} }, secrets, context);
      const ok = ask(handshake.query, valid);
      if (ok?.status !== 200 || ok.body !== handshake.challenge)
        fail(`the handshake must answer 200 with "${handshake.challenge}"`);
      if (!ok.events.every((event) => event.type === "platform.webhook.verified"))
        fail("a handshake emits only platform.webhook.verified");
      for (const [what, query, secrets] of [
        ["a wrong token", handshake.invalidQuery, valid],
        ["another block's secrets", handshake.query, wrong],
        ["no query", "", valid],
      ] as const) {
        const refused = ask(query, secrets);
        if (refused === undefined || refused.status < 400 || refused.events.length > 0)
          fail(`the handshake must refuse ${what} (4xx, no events)`);
      }
    });

    runner.it("refuses bodies that are not this platform's (or not its syntax) with a PayloadError", () => {
      // in each content type the adapter takes, and without one (a stored body whose type is unknown)
      for (const type of [...(adapter.contentTypes ?? ["application/json"]), undefined]) {
        for (const body of ["", "{", "not json", "[]", "null", "42", '{"hello":"world"}', "hello=world", "<a/>"]) {
          expectThrows(
            `body ${JSON.stringify(body)} as ${type ?? "no content type"}`,
            () => normalizer.normalize(platform, body, context, type),
            PayloadError,
          );
        }
        expectThrows(
          `invalid UTF-8 as ${type ?? "no content type"}`,
          () => normalizer.normalize(platform, Buffer.from([0x7b, 0xff, 0x7d]), context, type),
          PayloadError,
        );
      }
    });

    runner.it("acknowledges with a 2xx and a content type, when it names its own answer", () => {
      const ack = adapter.acknowledgement;
      if (ack === undefined) return;
      if (!Number.isInteger(ack.status) || ack.status < 200 || ack.status > 299)
        fail(`acknowledgement.status must be a 2xx, got ${ack.status}`);
      if (ack.contentType.trim() === "") fail("acknowledgement.contentType is empty: say what the body is");
    });

    runner.it("reports a kind it does not map as unhandled, never thrown or dropped", () => {
      const name =
        options.cases?.unknown ?? fail("give options.cases.unknown: a fixture with a kind the adapter does not map");
      const result = resultOf(named(name));
      if (result.unhandled.length === 0)
        fail(`${name}: the unmapped kind must come out as an unhandled record (builder.unhandled / mapper.unhandled)`);
    });

    runner.it("emits or reports every item of a batch", () => {
      const batch =
        options.cases?.batch ??
        fail(
          "write a fixture batching several raw items and give options.cases.batch: { fixture, items } (or false when the platform sends one item per body)",
        );
      if (batch === false) return;
      const result = resultOf(named(batch.fixture));
      const reported = new Set([
        ...result.events.map((event) => event.metadata.raw_platform_event_id),
        ...result.unhandled.map((record, index) => record.raw_platform_event_id ?? `unhandled#${index}`),
      ]);
      if (reported.size < batch.items)
        fail(`${batch.fixture}: ${batch.items} items in, ${reported.size} came out: map every item of every list`);
    });

    runner.it("isolates a malformed item: it alone is reported, its neighbours are emitted", () => {
      const name =
        options.cases?.poisoned ??
        fail(
          "write a fixture batching good items and one malformed item, give it as options.cases.poisoned, and map each item inside builder.item()",
        );
      let result: NormalizeResult;
      try {
        result = resultOf(named(name));
      } catch (error) {
        if (error instanceof ConvoticError)
          fail(
            `${name}: one malformed item refused the whole body (${error.code}): map each item inside builder.item()`,
          );
        throw error;
      }
      const batches = options.cases?.batch !== false;
      if ((batches && result.events.length === 0) || result.unhandled.length === 0) {
        fail(
          `${name}: expected the good items as events and the malformed one unhandled, got ${result.events.length} event(s), ${result.unhandled.length} unhandled`,
        );
      }
    });
  });
}
