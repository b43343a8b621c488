/**
 * Test secrets per platform: `valid` signs fixtures at run time, `wrong` must be rejected. Every built-in
 * adapter needs an entry; the conformance suite fails for a platform without one. `handshake`, for adapters
 * with a GET handshake, is a query string the `valid` secrets accept.
 */
export const TEST_SECRETS: Readonly<Record<string, { valid: unknown; wrong: unknown; handshake?: string }>> = {
  telegram: { valid: { secret_token: "test-secret_TOKEN-123" }, wrong: { secret_token: "another-secret" } },
  messenger: {
    valid: { app_secrets: ["messenger-test-app-secret"], verify_token: "messenger-verify-token" },
    wrong: { app_secrets: ["not-the-messenger-app-secret"] },
    handshake: "hub.mode=subscribe&hub.verify_token=messenger-verify-token&hub.challenge=1158201444",
  },
  instagram: {
    // Meta app secret first (signs by default), Instagram app secret second (Instagram Login apps sign with it)
    valid: { app_secrets: ["meta-test-app-secret", "instagram-test-app-secret"], verify_token: "instagram-verify-token" },
    wrong: { app_secrets: ["not-an-instagram-secret"] },
    handshake: "hub.mode=subscribe&hub.verify_token=instagram-verify-token&hub.challenge=2093746158",
  },
};
