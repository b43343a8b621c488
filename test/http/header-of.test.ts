import fc from "fast-check";
import { headerValue, type HeaderMap } from "../../src/core";
import { headerOf } from "../../src/http/checks";

// names whose case variants (and the characters that lower-case into them: K from U+212A, i from U+0130) make
// case-blind matches, plus unrelated ones of the same and other lengths
const keyParts = [
  "content-",
  "encoding",
  "type",
  "Content-",
  "ENCODING",
  "Type",
  "\u212A",
  "\u0130",
  "x-",
  "-",
  "e",
  "",
];
const key = fc.array(fc.constantFrom(...keyParts), { maxLength: 4 }).map((parts) => parts.join(""));
const value = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 8 }),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
);
const headers = fc
  .array(fc.tuple(key, value), { maxLength: 8 })
  .map((entries) => Object.fromEntries(entries) as HeaderMap);

describe("headerOf", () => {
  test("answers as core's headerValue for lower-case names", () => {
    fc.assert(
      fc.property(headers, fc.constantFrom("content-encoding", "content-type", "x-e", "e"), (given, name) => {
        expect(headerOf(given, name)).toBe(headerValue(given, name));
      }),
      { numRuns: 2000 },
    );
  });

  test("matches a differently cased name and takes a repeated header's first value", () => {
    expect(headerOf({ "Content-Encoding": ["gzip", "br"] }, "content-encoding")).toBe("gzip");
    expect(headerOf({ "x-a": "1", "CONTENT-TYPE": "text/plain" }, "content-type")).toBe("text/plain");
    expect(headerOf({ "content-type": undefined, "Content-Type": "a" }, "content-type")).toBe("a");
    expect(headerOf({ "content-typ": "a" }, "content-type")).toBeUndefined();
  });
});
