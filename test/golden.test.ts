import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { adapters } from "../src/adapters";
import { createNormalizer, SignatureError, type Normalizer } from "../src/core";
import { fixtureContext, fixturesOf, goldenText } from "./support/fixtures";
import { TEST_SECRETS } from "./support/secrets";

/*
 * Every raw fixture goes through the whole pipeline (signed at run time with the test secret, verified, parsed,
 * normalised, validated) and must equal its golden file; the same bytes with one byte changed inside, or signed
 * with the wrong secret, must be refused. UPDATE_GOLDEN=1 rewrites the goldens; review the diff like code and
 * say why in the commit.
 */
// platforms come from a loop over the registry, so the run-time-checked Normalizer type fits
const normalizer: Normalizer = createNormalizer({ adapters });
const update = process.env["UPDATE_GOLDEN"] === "1";
const built = normalizer.platforms;

describe.each(built)("%s golden files", (platform) => {
  const adapter = normalizer.adapterFor(platform);
  const fixtures = fixturesOf(platform);
  const secrets = TEST_SECRETS[platform]?.valid;
  const wrong = TEST_SECRETS[platform]?.wrong;

  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))("%s", (_name, fixture) => {
    const result = normalizer.processWebhook({
      platform,
      rawBody: fixture.body,
      headers: adapter.sign(fixture.body, secrets),
      secrets,
      context: fixtureContext(platform),
    });
    const text = goldenText(result);
    if (update || !existsSync(fixture.goldenPath)) {
      if (!update) throw new Error(`no golden file for ${fixture.name}; run with UPDATE_GOLDEN=1 and review it`);
      writeFileSync(fixture.goldenPath, text);
    }
    expect(text).toBe(readFileSync(fixture.goldenPath, "utf8"));

    const forged = { rawBody: fixture.body, headers: adapter.sign(fixture.body, wrong) };
    expect(() => normalizer.verify(platform, forged, secrets)).toThrow(SignatureError);
    // one byte inside the JSON, not only appended; a static secret header (Telegram) does not cover the body
    const tampered = Buffer.from(fixture.body);
    const middle = Math.floor(tampered.length / 2);
    tampered[middle] = tampered[middle]! ^ 0x01;
    const headers = adapter.sign(fixture.body, secrets);
    if (JSON.stringify(adapter.sign(tampered, secrets)) !== JSON.stringify(headers)) {
      expect(() => normalizer.verify(platform, { rawBody: tampered, headers }, secrets)).toThrow(SignatureError);
    }
  });
});
