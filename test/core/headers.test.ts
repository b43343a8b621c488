import fc from "fast-check";
import { headerValue, type HeaderMap } from "../../src/core";
import { headerLookup } from "../../src/core/headers";

/** The definition: the first own key, in enumeration order, whose lower case is the name's, and its first value. */
function reference(headers: HeaderMap, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === "string" ? value : value[0];
  }
  return undefined;
}

// names whose case variants, and the characters that lower-case into them (K from U+212A KELVIN SIGN, `i` and
// U+0307 from U+0130), make case-blind matches, plus unrelated ones of the same and other lengths
const keyParts = ["content-", "encoding", "type", "Content-", "ENCODING", "Type", "\u212A", "\u0130", "i\u0307", "x-"];
const key = fc.array(fc.constantFrom(...keyParts, "-", "e", ""), { maxLength: 4 }).map((parts) => parts.join(""));
const value = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 8 }),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
);
const headers = fc
  .array(fc.tuple(key, value), { maxLength: 8 })
  .map((entries) => Object.fromEntries(entries) as HeaderMap);
const name = fc.oneof(
  fc.constantFrom("content-encoding", "Content-Type", "x-e", "e", "i\u0307", "x-i\u0307", "\u0130"),
  key,
);

describe("headerValue", () => {
  test("answers as the definition, for names of every case and the characters whose lower case grows", () => {
    fc.assert(
      fc.property(headers, name, (given, wanted) => {
        expect(headerValue(given, wanted)).toBe(reference(given, wanted));
      }),
      { numRuns: 3000 },
    );
  });

  test("a longer key whose lower case is the name (U+0130) is still found", () => {
    expect(headerValue({ "X-\u0130": "a" }, "x-i\u0307")).toBe("a");
    expect(headerValue({ "Content-Encoding": ["gzip", "br"] }, "content-encoding")).toBe("gzip");
    expect(headerValue({ "content-type": undefined, "Content-Type": "a" }, "content-type")).toBe("a");
    expect(headerValue({ "content-typ": "a" }, "content-type")).toBeUndefined();
  });
});

describe("headerLookup", () => {
  test("a lookup made once for a name answers as the definition, on every header map after", () => {
    fc.assert(
      fc.property(name, fc.array(headers, { minLength: 1, maxLength: 4 }), (wanted, maps) => {
        const lookUp = headerLookup(wanted);
        for (const given of maps) expect(lookUp(given)).toBe(reference(given, wanted));
      }),
      { numRuns: 2000 },
    );
  });

  test("Telegram's secret header in any case, and a longer key lower-casing to a name with U+0307", () => {
    const secret = headerLookup("X-Telegram-Bot-Api-Secret-Token");
    expect(secret({ "x-telegram-bot-api-secret-token": "a" })).toBe("a");
    expect(secret({ "X-TELEGRAM-BOT-API-SECRET-TOKEN": ["b", "c"] })).toBe("b");
    expect(secret({ "x-telegram-bot-api-secret-toke": "a" })).toBeUndefined();
    expect(headerLookup("x-i\u0307")({ "X-\u0130": "a" })).toBe("a");
  });
});
