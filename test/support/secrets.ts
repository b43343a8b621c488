/**
 * Test secrets per platform: `valid` signs fixtures at run time, `wrong` must be rejected. Every built-in
 * adapter needs an entry; the conformance suite fails for a platform without one.
 */
export const TEST_SECRETS: Readonly<Record<string, { valid: unknown; wrong: unknown }>> = {
  line: { valid: { channel_secrets: ["8c570fa6dd201bb328f1c1eac23a96d8"] }, wrong: { channel_secrets: ["0123456789abcdef0123456789abcdef"] } },
  telegram: { valid: { secret_token: "test-secret_TOKEN-123" }, wrong: { secret_token: "another-secret" } },
  whatsapp: {
    valid: { app_secrets: ["test-whatsapp-app-secret"], verify_token: "test-whatsapp-verify-token" },
    wrong: { app_secrets: ["another-app-secret"], verify_token: "another-verify-token" },
  },
};
