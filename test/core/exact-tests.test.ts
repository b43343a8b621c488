import fc from "fast-check";
import { schemas } from "../../src/core";
import { compileParse, REJECTED } from "../../src/core/engine";
import { exactTestOf } from "../../src/core/engine/exact-tests";
import {
  contactId,
  conversationId,
  eventId,
  ID_PREFIXES,
  idPattern,
  messageId,
  type IdKind,
} from "../../src/core/engine/ids";

/*
 * The ids' patterns are answered by registered tests (engine/exact-tests.ts) that first compare a string with the
 * id of its kind returned last. Their definition is the pattern: the test must give `pattern.test`'s answer for
 * every string, whatever ids were made before it, and the schemas and compiled parsers must use it.
 */

const KINDS = Object.keys(ID_PREFIXES) as IdKind[];

/** Strings near an id: the right length, another prefix, lower case, I/L/O/U, a trailing newline (`$` is not `\Z`). */
function nearMisses(id: string): string[] {
  return [
    id,
    id + "\n",
    "\n" + id,
    id.slice(1),
    id.slice(0, -1) + "I",
    id.slice(0, -1) + "U",
    id.toLowerCase(),
    id.replace(/^[a-z]+_/, "evt_"),
    id.replace(/^[a-z]+_/, "ct_"),
    id.replace(/^[a-z]+_/, "conv_"),
    id.replace(/^[a-z]+_/, "msg_"),
    id + id,
    "",
  ];
}

/** Makes one id of each kind from the inputs, so each kind's "last returned" is set. */
function makeIds(block: string, key: string | number): string[] {
  return [
    contactId(block, key),
    conversationId(block, key),
    messageId(block, key),
    eventId("whatsapp", block, String(key), "messaging.message.read"),
  ];
}

describe("the ids' exact tests", () => {
  it("answer what the pattern answers, for any string, after any ids were made", () => {
    const patterns = KINDS.map((kind) => idPattern(kind));
    fc.assert(
      fc.property(
        fc.string(),
        fc.oneof(fc.string(), fc.integer()),
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.stringMatching(/^(ct|conv|msg|evt)_[0-9A-Z]{18,21}$/)),
        (block, key, other) => {
          const made = makeIds(block, key);
          for (const pattern of patterns) {
            const test = exactTestOf(pattern)!;
            for (const value of [...made.flatMap(nearMisses), other]) {
              expect([pattern.source, value, test(value)]).toEqual([pattern.source, value, pattern.test(value)]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("accept the id just made of their kind, and refuse it for another kind", () => {
    const [contact, conversation, message] = makeIds("blk", "user");
    expect(exactTestOf(idPattern("contact"))!(contact!)).toBe(true);
    expect(exactTestOf(idPattern("conversation"))!(conversation!)).toBe(true);
    expect(exactTestOf(idPattern("message"))!(message!)).toBe(true);
    expect(exactTestOf(idPattern("message"))!(contact!)).toBe(false);
    expect(exactTestOf(idPattern("contact"))!(conversation!)).toBe(false);
  });

  it("are what the id schemas and their compiled parsers check with", () => {
    const cases: [z: typeof schemas.ContactId, kind: IdKind][] = [
      [schemas.ContactId, "contact"],
      [schemas.ConversationId, "conversation"],
      [schemas.MessageId, "message"],
      [schemas.EventId, "event"],
    ];
    for (const [schema, kind] of cases) {
      const check = (schema as unknown as { _zod: { def: { checks: { _zod: { def: { pattern: RegExp } } }[] } } })._zod
        .def.checks[0]!._zod.def.pattern;
      expect(exactTestOf(check)).toBeDefined();
      for (const codegen of [true, false]) {
        const parse = compileParse(schema, undefined, { codegen })!;
        const [contact, conversation, message, event] = makeIds("blk", codegen ? 1 : 2);
        for (const value of [contact, conversation, message, event, ...nearMisses(contact!), 42, null]) {
          const expected = schema.safeParse(value).success;
          expect([kind, codegen, value, parse(value) !== REJECTED]).toEqual([kind, codegen, value, expected]);
        }
      }
    }
  });
});
