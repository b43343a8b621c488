import { adapters } from "../src/adapters";
import {
  ConfigError,
  createNormalizer,
  PayloadError,
  SignatureError,
  UnifiedEventSchema,
  type NormalizeResult,
} from "../src/core";
import { fixtureContext, fixturesOf } from "./support/fixtures";
import { TEST_SECRETS } from "./support/secrets";

/*
 * One suite over every adapter in the registry: adding an adapter adds it to every check below, with nothing
 * listed by hand. An adapter that declares an event type no fixture produces fails here.
 */
const normalizer = createNormalizer({ adapters });

describe.each(normalizer.platforms)("%s adapter conformance", (platform) => {
  const adapter = normalizer.adapterFor(platform);
  const fixtures = fixturesOf(platform);
  const secrets = TEST_SECRETS[platform];
  const context = fixtureContext(platform);
  const results = new Map<string, NormalizeResult>(
    fixtures.map((fixture) => [fixture.name, normalizer.normalize(platform, fixture.body, context)]),
  );

  it("is registered under its own platform name", () => {
    expect(adapter.platform).toBe(platform);
  });

  it("has fixtures and test secrets", () => {
    expect(fixtures.length).toBeGreaterThan(0);
    expect(secrets).toBeDefined();
  });

  it("emits every declared type from at least one fixture, and nothing undeclared", () => {
    const produced = new Set([...results.values()].flatMap((result) => result.events.map((event) => event.type)));
    // a GET handshake, not a POSTed body, is what produces the verification event of platforms that have one
    for (const event of handshakeEvents()) produced.add(event.type);
    expect([...produced].sort()).toEqual([...new Set(adapter.emits)].sort());
  });

  function handshakeEvents() {
    if (adapter.handshake === undefined) return [];
    const handshake = secrets?.handshake;
    if (handshake === undefined) throw new Error(`${platform} has a handshake but no TEST_SECRETS handshake query`);
    const answer = normalizer.handshake(platform, { query: new URLSearchParams(handshake.query), headers: {} }, secrets!.valid, context);
    expect(answer).toMatchObject({ status: 200, body: handshake.challenge });
    return answer?.events ?? [];
  }

  it("answers its GET handshake only for the configured verify token, when it has one", () => {
    if (adapter.handshake === undefined) {
      expect(normalizer.handshake(platform, { query: new URLSearchParams(), headers: {} }, secrets!.valid, context)).toBeUndefined();
      return;
    }
    expect(handshakeEvents().map((event) => event.type)).toEqual(["platform.webhook.verified"]);
    const query = new URLSearchParams(secrets!.handshake!.query);
    expect(normalizer.handshake(platform, { query, headers: {} }, secrets!.wrong, context)).toMatchObject({ status: 403, events: [] });
    const invalid = new URLSearchParams(secrets!.handshake!.invalid);
    expect(normalizer.handshake(platform, { query: invalid, headers: {} }, secrets!.valid, context)).toMatchObject({ status: 403, events: [] });
    expect(normalizer.handshake(platform, { query: new URLSearchParams(), headers: {} }, secrets!.valid, context)).toMatchObject({
      status: 403,
      events: [],
    });
  });

  it("is deterministic: the same bytes give the same output", () => {
    for (const fixture of fixtures) {
      expect(normalizer.normalize(platform, fixture.body, context)).toEqual(results.get(fixture.name));
    }
  });

  it("produces envelopes that match the catalogue, with unique ids", () => {
    for (const [name, result] of results) {
      const ids = result.events.map((event) => event.id);
      expect({ name, duplicates: ids.filter((id, index) => ids.indexOf(id) !== index) }).toEqual({ name, duplicates: [] });
      for (const event of result.events) {
        expect(UnifiedEventSchema.safeParse(event).success).toBe(true);
        expect(event.platform).toBe(platform);
        expect(event.block_id).toBe(context.block_id);
      }
    }
  });

  it("reports unhandled events with their kind and the raw event, never dropping a fixture silently", () => {
    for (const [name, result] of results) {
      expect({ name, empty: result.events.length + result.unhandled.length === 0 }).toEqual({ name, empty: false });
      for (const item of result.unhandled) {
        expect(item.kind.length).toBeGreaterThan(0);
        expect(item.raw).toBeDefined();
      }
    }
  });

  // a wrong secret and a tampered body are refused for every fixture by test/golden.test.ts
  it("accepts a body signed with the test secret and rejects one without its headers", () => {
    const fixture = fixtures[0]!;
    const headers = adapter.sign(fixture.body, secrets!.valid);
    expect(() => normalizer.verify(platform, { rawBody: fixture.body, headers }, secrets!.valid)).not.toThrow();
    expect(() => normalizer.verify(platform, { rawBody: fixture.body, headers: {} }, secrets!.valid)).toThrow(SignatureError);
  });

  it("fails closed when the block has no secrets", () => {
    const fixture = fixtures[0]!;
    const headers = adapter.sign(fixture.body, secrets!.valid);
    expect(() => normalizer.verify(platform, { rawBody: fixture.body, headers }, undefined)).toThrow(ConfigError);
    expect(() => normalizer.verify(platform, { rawBody: fixture.body, headers }, {})).toThrow(ConfigError);
  });

  it("rejects bodies that are not JSON or not this platform's shape with a PayloadError", () => {
    for (const body of ["", "{", "not json", "\u00ff"]) {
      expect(() => normalizer.normalize(platform, body, context)).toThrow(PayloadError);
    }
    for (const body of ["[]", "null", "42", '"text"', '{"hello":"world"}']) {
      const attempt = () => normalizer.normalize(platform, body, context);
      expect(attempt).toThrow(PayloadError);
      expect(attempt).toThrow(`[${platform}]`);
    }
    expect(() => normalizer.normalize(platform, Buffer.from([0x7b, 0xff, 0x7d]), context)).toThrow("not valid UTF-8");
  });
});
