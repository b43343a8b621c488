import { constantTimeEqual } from "../../src/core/crypto";

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
