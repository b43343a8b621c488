import fc from "fast-check";
import { constantTimeEqual, matchesAnySecret } from "../../src/core/crypto";
import { headerValue } from "../../src/core/adapter";

describe("constantTimeEqual", () => {
  it("is string equality, whatever the lengths", () => {
    const secret = "s3cr3t_token-ABC";
    for (let round = 0; round < 3; round++) {
      expect(constantTimeEqual(secret, secret)).toBe(true);
      expect(constantTimeEqual(`${secret}x`, secret)).toBe(false);
      expect(constantTimeEqual(secret.slice(0, -1), secret)).toBe(false);
      expect(constantTimeEqual("", secret)).toBe(false);
      expect(constantTimeEqual(secret, "")).toBe(false);
      expect(constantTimeEqual("", "")).toBe(true);
    }
  });

  it("stays right over many distinct expected values (then the first again)", () => {
    for (let index = 0; index < 1000; index++) {
      const expected = `token-${index}`;
      expect(constantTimeEqual(expected, expected)).toBe(true);
      expect(constantTimeEqual(`token-${index + 1}`, expected)).toBe(false);
    }
    expect(constantTimeEqual("token-0", "token-0")).toBe(true);
    expect(constantTimeEqual("token-1", "token-0")).toBe(false);
  });

  it("tells apart strings of one length that differ in any one position, or only in a lone surrogate", () => {
    const expected = "s3cr3t_token-ABC";
    for (let index = 0; index < expected.length; index++) {
      const changed =
        expected.slice(0, index) + String.fromCharCode(expected.charCodeAt(index) ^ 1) + expected.slice(index + 1);
      expect(constantTimeEqual(changed, expected)).toBe(false);
    }
    expect(constantTimeEqual("\ud800", "\udfff")).toBe(false); // both are U+FFFD once encoded as UTF-8
    expect(constantTimeEqual("\ud800", "\ud800")).toBe(true);
  });
});

describe("constantTimeEqual against the definition (===)", () => {
  // one-byte and two-byte strings, lone surrogates, and pairs of one length that differ in one unit
  const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 12 }));
  const sameLength = text.chain((a) =>
    fc
      .tuple(fc.constant(a), fc.nat({ max: Math.max(0, a.length - 1) }), fc.integer({ min: 1, max: 0xffff }))
      .map(
        ([s, at, flip]) =>
          [
            s,
            s.length === 0 ? s : s.slice(0, at) + String.fromCharCode(s.charCodeAt(at) ^ flip) + s.slice(at + 1),
          ] as const,
      ),
  );
  it("answers given === expected, whatever the expected values before it", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.tuple(text, text), sameLength), { minLength: 1, maxLength: 6 }), (pairs) => {
        for (const [given, expected] of pairs) {
          expect(constantTimeEqual(given, expected)).toBe(given === expected);
          expect(constantTimeEqual(expected, expected)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("matchesAnySecret compares whole strings", () => {
  it("tells apart strings that differ in any one position, or only in a lone surrogate", () => {
    const expected = "sha256=0123456789abcdef";
    const signature = () => expected;
    expect(matchesAnySecret(["s"], expected, signature)).toBe(true);
    for (let index = 0; index < expected.length; index++) {
      const changed =
        expected.slice(0, index) + String.fromCharCode(expected.charCodeAt(index) ^ 1) + expected.slice(index + 1);
      expect(matchesAnySecret(["s"], changed, signature)).toBe(false);
    }
    expect(matchesAnySecret(["s"], "\ud800", () => "\udfff")).toBe(false); // both are U+FFFD once encoded as UTF-8
  });
});

describe("headerValue", () => {
  it("matches names case-insensitively, skips undefined values, takes the first of an array and the first matching key", () => {
    expect(headerValue({ "x-a": "1" }, "X-A")).toBe("1");
    expect(headerValue({ "X-A": "1" }, "x-a")).toBe("1");
    expect(headerValue({ "X-A": "upper", "x-a": "lower" }, "x-a")).toBe("upper");
    expect(headerValue({ "x-a": undefined, "X-A": "later" }, "x-a")).toBe("later");
    expect(headerValue({ "x-a": ["first", "second"] }, "x-a")).toBe("first");
    expect(
      headerValue(Object.assign(Object.create({ "x-a": "inherited" }) as object, { other: "1" }), "x-a"),
    ).toBeUndefined();
    expect(headerValue({}, "x-a")).toBeUndefined();
  });
});
