import type { z } from "zod";
import type { EventType } from "./catalogue";
import type { DriftCatalogue } from "./drift";
import type { NormalizeResult, UnifiedEvent } from "./envelope";
import type { HeaderMap } from "./headers";

/** Where a payload was received: the connected account (block) and when. Time and ids come only from here. */
export interface NormalizeContext {
  readonly workspace_id: string;
  readonly block_id: string;
  /** ISO 8601 UTC with milliseconds */
  readonly received_at: string;
}

// in their own leaf module so core/crypto.ts can read headers without importing the adapter contract (a circle)
export { headerValue, type HeaderMap } from "./headers";

export interface VerifyRequest {
  /** the exact bytes received; signatures are computed over these, never over re-serialised JSON */
  readonly rawBody: Uint8Array;
  readonly headers: HeaderMap;
  /**
   * The URL the platform called, with the query string exactly as received, for signatures that cover it
   * (Twilio's). Behind a proxy it is not the URL the server sees: the edge builds it from the block's
   * `public_url` (or trusted `X-Forwarded-*` headers, opt-in), see docs/http.md. `undefined` when the caller did
   * not say (a library call without `url`): an adapter that needs it refuses the request.
   */
  readonly url: string | undefined;
  /** the request's query parameters (empty when it has none), for signatures carried in the query (WeChat's) */
  readonly query: URLSearchParams;
}

export interface HandshakeRequest {
  readonly query: URLSearchParams;
  readonly headers: HeaderMap;
  /** the URL the platform called, as for `VerifyRequest.url`, when the edge knows it */
  readonly url?: string;
}

/** What `sign` may need besides the bytes: the URL the request is sent to, for signatures that cover it. */
export interface SignOptions {
  /** the full URL (with its query string) the platform would call; required by adapters whose signature covers it */
  readonly url?: string;
}

/**
 * A request as the platform would send it, for adapters whose signature is not a header of the given bytes:
 * WeChat signs in the query string, and its safe mode sends the body encrypted.
 */
export interface SignedRequest {
  /** the headers to send (content type aside) */
  readonly headers: Record<string, string>;
  /** `SignOptions.url` with the platform's query parameters added; a bare `?query` when no URL was given */
  readonly url: string | undefined;
  /** the bytes to send: the body given, or what the platform sends in its place */
  readonly rawBody: Uint8Array;
}

export interface HandshakeResult {
  readonly status: number;
  /** plain text answered to the platform (the challenge on success) */
  readonly body: string;
  /** the answer's `Content-Type` when it is not `text/plain; charset=utf-8` */
  readonly contentType?: string;
  /** `platform.webhook.verified` on success */
  readonly events: UnifiedEvent[];
}

/**
 * What a platform expects back for a delivery it made successfully, when it expects more than a 2xx: Twilio an
 * empty TwiML document (`text/xml`), WeChat the text `success`. Without one the edge answers its JSON counts.
 */
export interface Acknowledgement {
  /** a 2xx status */
  readonly status: number;
  /** the `Content-Type` of the answer, e.g. `text/xml` */
  readonly contentType: string;
  readonly body: string;
}

/** One account's share of a payload that batches several accounts (Meta `entry[]`, LINE `destination`). */
export interface AccountSlice<Raw> {
  readonly account_id: string;
  readonly payload: Raw;
}

/**
 * What an adapter is. Methods use method syntax on purpose: a registry holds adapters of different `Raw` and
 * `Secrets` types as `PlatformAdapter`, which method parameter bivariance allows.
 */
export interface PlatformAdapter<Raw = unknown, Secrets = unknown> {
  /** the `platform` value of every envelope it emits */
  readonly platform: string;
  /** loose schema of the raw webhook body: only what normalize reads */
  readonly payload: z.ZodType<Raw>;
  /** what a block of this platform must configure to verify requests (fail closed when absent) */
  readonly secrets: z.ZodType<Secrets>;
  /** every event type normalize can produce; the pipeline enforces it and the conformance suite checks it */
  readonly emits: readonly EventType[];
  /**
   * Throws `SignatureError` unless the raw bytes are authentic. Returns nothing when the bytes received are the
   * body to parse; a platform that encrypts its bodies (WeChat's safe mode) returns the plaintext it authenticated
   * and decrypted, and that is what `parseBody` reads.
   */
  verify(request: VerifyRequest, secrets: Secrets): void | Uint8Array;
  /**
   * the headers the platform would send with these bytes: used by replay, tests and the conformance suite.
   * `options.url` is the URL the request goes to (with its query), for signatures that cover the URL.
   */
  sign(rawBody: Uint8Array, secrets: Secrets, options?: SignOptions): Record<string, string>;
  /**
   * The whole request the platform would send, when `sign`'s headers cannot say it (a signature in the query, a
   * body sent encrypted). Whoever signs (replay, the test kit, the conformance suite) calls `signRequest()` from
   * core, which uses this when present and `sign` otherwise.
   */
  signRequest?(rawBody: Uint8Array, secrets: Secrets, options?: SignOptions): SignedRequest;
  /**
   * the answer to a delivery that was handled (or accepted, in `immediate` mode), when the platform expects a
   * given body; failures are still answered with the edge's JSON error
   */
  readonly acknowledgement?: Acknowledgement;
  /** answers a GET subscription handshake, when the platform has one */
  handshake?(request: HandshakeRequest, secrets: Secrets, context: NormalizeContext): HandshakeResult;
  /**
   * The media types (lowercase, without parameters) this platform posts; any other `Content-Type` is answered 415
   * before the signature is checked. Default `["application/json"]`. A UTF-8 (or absent) charset is accepted.
   */
  readonly contentTypes?: readonly string[];
  /**
   * Reads the exact bytes into the value `payload` validates, for a body that is not JSON (a form, XML) or that
   * `JSON.parse` would damage. `contentType` is the request's `Content-Type` (already one of `contentTypes`), or
   * `undefined` when the bytes come without one (a stored fixture read by a caller that does not know its type).
   * Throws on bytes that are not such a body: the pipeline answers that as a `PayloadError` (400). Runs after
   * verification and after the body's size and shape bounds. When present, `parseJson` is not used.
   */
  parseBody?(rawBody: Uint8Array, contentType: string | undefined): unknown;
  /**
   * Reads the body text when `JSON.parse` would lose something the platform sends, e.g. integers beyond 2^53
   * that must stay exact (Viber's `message_token`). Throws like `JSON.parse` on text that is not JSON.
   */
  parseJson?(text: string): unknown;
  /** pure: no I/O, no clock, no randomness */
  normalize(payload: Raw, context: NormalizeContext): NormalizeResult;
  /** splits a payload batching several accounts so a shared route can hand each part to its own block */
  accounts?(payload: Raw): AccountSlice<Raw>[];
  /**
   * What the platform documents its bodies to hold, read or not (docs/drift.md): fields and values outside it are
   * reported as `drift` beside the events. Data only; the pipeline compiles it once. No catalogue, no drift.
   */
  readonly drift?: DriftCatalogue;
}

/** Identity helper that types an adapter value against the contract (as hono and grammY do). */
export function defineAdapter<Raw, Secrets>(adapter: PlatformAdapter<Raw, Secrets>): PlatformAdapter<Raw, Secrets> {
  return adapter;
}
