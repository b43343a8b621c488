export interface TestSecrets {
  /** signs fixtures at run time */
  readonly valid: unknown;
  /** must be rejected */
  readonly wrong: unknown;
  /** for adapters with a GET handshake: a query `valid` accepts (answered with `challenge`) and one it refuses */
  readonly handshake?: { readonly query: string; readonly invalid: string; readonly challenge: string };
}

/**
 * Test secrets per platform. Every built-in adapter needs an entry, and one with a handshake needs a handshake
 * query; the conformance suite fails for a platform without them.
 */
export const TEST_SECRETS: Readonly<Record<string, TestSecrets>> = {
  line: {
    valid: { channel_secrets: ["8c570fa6dd201bb328f1c1eac23a96d8"] },
    wrong: { channel_secrets: ["0123456789abcdef0123456789abcdef"] },
  },
  telegram: { valid: { secret_token: "test-secret_TOKEN-123" }, wrong: { secret_token: "another-secret" } },
  // the worked example's Auth Token (docs/adapters/twilio.md), and another 32-hex token
  twilio: {
    valid: { auth_tokens: ["7f2c9e41d8a35b06e1c4f9a2b7d30e58"] },
    wrong: { auth_tokens: ["0f1e2d3c4b5a69788796a5b4c3d2e1f0"] },
  },
  viber: {
    valid: { auth_tokens: ["445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"] },
    wrong: { auth_tokens: ["not-the-viber-auth-token"] },
  },
  // safe mode (the worked example's token, AppID and EncodingAESKey): bodies are encrypted when signed, so the
  // cipher is exercised by every suite that signs; test/wechat.test.ts runs the conformance suite in plain mode too
  wechat: {
    valid: {
      tokens: ["wxTestToken2026"],
      app_id: "wxd1c2b3a4f5e6d7c8",
      encoding_aes_keys: ["rO5sJNY6TX3XYtXho5T4EWtazbKqNpQERNE2PRpQ5OE"],
    },
    wrong: {
      tokens: ["anotherToken"],
      app_id: "wxd1c2b3a4f5e6d7c8",
      encoding_aes_keys: ["A".repeat(43)],
    },
    handshake: {
      query:
        "signature=fe54070374c2f5ee20463f4508999a1a4ace2ed5&timestamp=1767225000&nonce=987654321&echostr=7391758426",
      invalid:
        "signature=fe54070374c2f5ee20463f4508999a1a4ace2ed6&timestamp=1767225000&nonce=987654321&echostr=7391758426",
      challenge: "7391758426",
    },
  },
  whatsapp: {
    valid: { app_secrets: ["test-whatsapp-app-secret"], verify_token: "test-whatsapp-verify-token" },
    wrong: { app_secrets: ["another-app-secret"], verify_token: "another-verify-token" },
    handshake: {
      query: "hub.mode=subscribe&hub.verify_token=test-whatsapp-verify-token&hub.challenge=1158201444",
      invalid: "hub.mode=subscribe&hub.verify_token=not-the-token&hub.challenge=1158201444",
      challenge: "1158201444",
    },
  },
  messenger: {
    valid: { app_secrets: ["messenger-test-app-secret"], verify_token: "messenger-verify-token" },
    wrong: { app_secrets: ["not-the-messenger-app-secret"] },
    handshake: {
      query: "hub.mode=subscribe&hub.verify_token=messenger-verify-token&hub.challenge=1158201444",
      invalid: "hub.mode=subscribe&hub.verify_token=not-the-token&hub.challenge=1158201444",
      challenge: "1158201444",
    },
  },
  instagram: {
    // Meta app secret first (signs by default), Instagram app secret second (Instagram Login apps sign with it)
    valid: {
      app_secrets: ["meta-test-app-secret", "instagram-test-app-secret"],
      verify_token: "instagram-verify-token",
    },
    wrong: { app_secrets: ["not-an-instagram-secret"] },
    handshake: {
      query: "hub.mode=subscribe&hub.verify_token=instagram-verify-token&hub.challenge=2093746158",
      invalid: "hub.mode=subscribe&hub.verify_token=not-the-token&hub.challenge=2093746158",
      challenge: "2093746158",
    },
  },
};
