import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNormalizer } from "../../src/core";
import { createWebhookHandler } from "../../src/http";
import { describeAdapterConformance, goldenText } from "../../src/testing/conformance";
import { defaultContext, fixtureUrl, isRawBodyFile } from "../../src/testing/fixtures";
import { signedRequest } from "../../src/testing/signing";
import { FORMCHAT_SECRETS, formchat } from "../support/form-adapter";

/*
 * Issue 26: the conformance suite and the signing helpers no longer assume JSON. A platform whose fixtures are
 * forms (`<case>.form`) and whose signature covers the URL runs the same suite: fixtures are posted with their
 * extension's content type and signed for the suite's URL, and a signature made for another URL is refused.
 */
const FORM = "application/x-www-form-urlencoded";
const dir = mkdtempSync(join(tmpdir(), "convotic-formchat-"));
const bodies: Record<string, string> = {
  text: "Id=F1&From=%2B15550001&Text=caf%C3%A9+%26+cr%C3%A8me",
  sticker: "Id=F2&From=%2B15550002&Kind=sticker",
  "no-text": "Id=F3&From=%2B15550003",
};
// the goldens are made here (this test is about the suite's other checks); the adapter's own goldens are reviewed
const normalizer = createNormalizer({ adapters: { formchat } });
for (const [name, body] of Object.entries(bodies)) {
  writeFileSync(join(dir, `${name}.form`), body);
  writeFileSync(
    join(dir, `${name}.golden.json`),
    goldenText(normalizer.normalize("formchat", body, defaultContext("formchat"), FORM)),
  );
}

describeAdapterConformance(formchat, {
  fixturesDir: dir,
  secrets: FORMCHAT_SECRETS,
  cases: { unknown: "sticker", batch: false, poisoned: "no-text" },
});

describe("fixtures and signing beyond JSON", () => {
  it("takes .json, .form and .xml bodies, never goldens or other files", () => {
    expect(["a.json", "a.form", "a.xml"].every(isRawBodyFile)).toBe(true);
    expect(["a.golden.json", "a.txt", "README.md"].some(isRawBodyFile)).toBe(false);
    expect(fixtureUrl("formchat")).toBe("https://convotic.test/webhooks/blk_formchat_test");
  });

  it("signedRequest posts the adapter's content type, signed for the URL the handler sees", async () => {
    const handler = createWebhookHandler({
      normalizer,
      blocks: [{ id: "f1", platform: "formchat", workspace_id: "w", secrets: FORMCHAT_SECRETS.valid }],
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    const request = signedRequest(formchat, bodies["text"]!, FORMCHAT_SECRETS.valid, { blockId: "f1", query: "a=1" });
    expect(request.headers["content-type"]).toBe(FORM);
    expect(request.url).toBe("/webhooks/f1?a=1");
    expect((await handler(request)).status).toBe(200);
  });
});
