import { adapters } from "../../src/adapters";
import { catalogueMarkdown } from "../../src/cli/catalogue-docs";
import { loadExamples } from "../../src/cli/examples";
import { EVENT_TYPES, UnifiedEventSchema } from "../../src/core";
import { FIXTURES_DIR } from "../support/fixtures";

describe("docs/events.md examples", () => {
  const examples = loadExamples(FIXTURES_DIR, Object.keys(adapters));

  it("has a valid example for every type: from a fixture golden when an adapter emits the type", () => {
    for (const type of EVENT_TYPES) {
      const example = examples.get(type);
      expect({ type, has: example !== undefined }).toEqual({ type, has: true });
      expect(UnifiedEventSchema.parse(example!.event).type).toBe(type);
      const emitted = Object.values(adapters).some((adapter) => adapter.emits.includes(type));
      if (emitted && example!.source === "createEvent")
        throw new Error(`${type} is emitted by an adapter but no fixture shows it`);
    }
  });

  it("lists per type the emitting platforms and the example", () => {
    const markdown = catalogueMarkdown(adapters, examples);
    const section = markdown.slice(
      markdown.indexOf("### messaging.message.received"),
      markdown.indexOf("### messaging.message.sent"),
    );
    expect(section).toContain("Emitted by: instagram, line, messenger, telegram, twilio, viber, wechat, whatsapp.");
    expect(section).toMatch(/Example \(from `fixtures\/[a-z]+\/[a-z0-9-]+\.golden\.json`\):/);
    expect(section).toContain('"type": "messaging.message.received"');
    const draft = markdown.slice(markdown.indexOf("### automation.draft.created"));
    expect(draft).toContain("Emitted by: the application");
    expect(draft).toContain("built with `createEvent`");
  });
});
