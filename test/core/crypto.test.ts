import { constantTimeEqual, matchesAnySecret } from "../../src/core/crypto";

describe("constantTimeEqual", () => {
  it("is string equality, whatever the lengths, with the expected side's digest remembered", () => {
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

  it("stays right past the bound of remembered digests (every expected value distinct, then the first again)", () => {
    for (let index = 0; index < 1000; index++) {
      const expected = `token-${index}`;
      expect(constantTimeEqual(expected, expected)).toBe(true);
      expect(constantTimeEqual(`token-${index + 1}`, expected)).toBe(false);
    }
    expect(constantTimeEqual("token-0", "token-0")).toBe(true);
    expect(constantTimeEqual("token-1", "token-0")).toBe(false);
  });
});

describe("matchesAnySecret compares whole strings", () => {
  it("tells apart strings that differ in any one position, or only in a lone surrogate", () => {
    const expected = "sha256=0123456789abcdef";
    const signature = () => expected;
    expect(matchesAnySecret(["s"], expected, signature)).toBe(true);
    for (let index = 0; index < expected.length; index++) {
      const changed = expected.slice(0, index) + String.fromCharCode(expected.charCodeAt(index) ^ 1) + expected.slice(index + 1);
      expect(matchesAnySecret(["s"], changed, signature)).toBe(false);
    }
    expect(matchesAnySecret(["s"], "\ud800", () => "\udfff")).toBe(false); // both are U+FFFD once encoded as UTF-8
  });
});
