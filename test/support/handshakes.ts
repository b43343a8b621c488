/**
 * How to answer each platform's GET handshake in tests, for adapters that have one: the secrets to configure (the
 * test secrets plus whatever the handshake needs) and a query that must succeed and one that must fail. The HTTP
 * suites run the handshake cases for every adapter with `handshake` and fail for one that has no entry here.
 */
export interface HandshakeCase {
  readonly secrets: unknown;
  readonly valid: string;
  readonly invalid: string;
  /** what a successful handshake answers as its plain-text body */
  readonly body: string;
}

const CHALLENGE = "1158201444";

/** Meta's `hub.challenge` handshake (meta-platforms.md §1.2): the verify token is part of the block's secrets. */
function meta(secrets: unknown): HandshakeCase {
  const given = (secrets ?? {}) as { verify_token?: unknown };
  const token = typeof given.verify_token === "string" ? given.verify_token : "test-verify-token-meta";
  return {
    secrets: { ...(secrets as object), verify_token: token },
    valid: `hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=${CHALLENGE}`,
    invalid: `hub.mode=subscribe&hub.verify_token=not-the-token&hub.challenge=${CHALLENGE}`,
    body: CHALLENGE,
  };
}

export const HANDSHAKES: Readonly<Record<string, (secrets: unknown) => HandshakeCase>> = {
  messenger: meta,
  instagram: meta,
  whatsapp: meta,
};
