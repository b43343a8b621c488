// The pipeline's public shapes: its inputs, the Normalizer it returns and the types that narrow it per registry
// (split from pipeline.ts, which builds it).
import type { z } from "zod";
import type { AccountSlice, HandshakeRequest, HandshakeResult, HeaderMap, PlatformAdapter } from "./adapter";
import type { NormalizeResult } from "./envelope";
/** Adapters by platform name. Core never imports an adapter: the registry is always injected. */
export type AdapterRegistry = Readonly<Record<string, PlatformAdapter | undefined>>;

export interface ContextInput {
  readonly workspace_id: string;
  readonly block_id: string;
  /** when the request arrived; defaults to now */
  readonly received_at?: Date | string | number;
}

export interface WebhookInput {
  readonly platform: string;
  readonly rawBody: Uint8Array | string;
  readonly headers: HeaderMap;
  /** this block's secrets, validated against the adapter's secrets schema */
  readonly secrets: unknown;
  readonly context: ContextInput;
  /** the request's `Content-Type`, for adapters that parse more than JSON (`parseBody`); defaults to the header's */
  readonly contentType?: string;
  /** the full URL the platform called, with its query: required by adapters whose signature covers it (Twilio) */
  readonly url?: string;
}

/** A request to verify: the bytes and headers, and the URL the platform called when the signature covers it. */
export interface VerifyInput {
  readonly rawBody: Uint8Array | string;
  readonly headers: HeaderMap;
  /** the full URL the platform called (with its query string, as received) */
  readonly url?: string | undefined;
  /** the query parameters; read from `url` when not given */
  readonly query?: URLSearchParams;
}

/** The platform names of a registry: a literal union for the built-in registry, `string` for a dynamic one. */
export type PlatformOf<R extends AdapterRegistry> = Extract<keyof R, string>;

/** What a block of one platform configures: the type its adapter's secrets schema accepts. */
export type SecretsOf<R extends AdapterRegistry, P extends PlatformOf<R>> =
  NonNullable<R[P]> extends { readonly secrets: z.ZodType<infer Secrets> } ? Secrets : unknown;

/** A webhook for one platform of a registry, its secrets typed by that platform (a union discriminated by `platform`). */
export type WebhookInputOf<R extends AdapterRegistry, P extends PlatformOf<R> = PlatformOf<R>> =
  P extends PlatformOf<R>
    ? Omit<WebhookInput, "platform" | "secrets"> & { readonly platform: P; readonly secrets: SecretsOf<R, P> }
    : never;

/** The pipeline over a registry whose names are only known at run time (configs, the CLI, the HTTP edge). */
export interface Normalizer {
  readonly adapters: AdapterRegistry;
  readonly platforms: readonly string[];
  /** the adapter of a platform; `UnknownPlatformError` for a name the registry does not have */
  adapterFor(platform: string): PlatformAdapter;
  /**
   * bytes → the adapter's raw payload type; `PayloadError` for bad UTF-8, bad JSON (or a body the adapter's
   * `parseBody` cannot read) or another platform's body. `contentType` reaches `parseBody`.
   */
  parse(platform: string, rawBody: Uint8Array | string, contentType?: string): unknown;
  /** parses and normalises a body that is already trusted (stored fixtures, replays, verified elsewhere) */
  normalize(
    platform: string,
    rawBody: Uint8Array | string,
    context: ContextInput,
    contentType?: string,
  ): NormalizeResult;
  /** normalises an already parsed payload (for instance one account's slice of a batch) */
  normalizePayload(platform: string, payload: unknown, context: ContextInput): NormalizeResult;
  /**
   * validates the block's secrets (fail closed) and verifies the raw bytes; throws `SignatureError`. Returns the
   * bytes to parse: the raw bytes, or the plaintext an adapter decrypted from them (see `PlatformAdapter.verify`)
   */
  verify(platform: string, request: VerifyInput, secrets: unknown): Uint8Array;
  /** verify first, then parse and normalise */
  processWebhook(input: WebhookInput): NormalizeResult;
  /** answers a GET handshake; `undefined` when the platform has none */
  handshake(
    platform: string,
    request: HandshakeRequest,
    secrets: unknown,
    context: ContextInput,
  ): HandshakeResult | undefined;
  /** splits a parsed payload per account for shared routes; `undefined` when the adapter does not batch accounts */
  accounts(platform: string, payload: unknown): AccountSlice<unknown>[] | undefined;
  /**
   * One platform's operations, its adapter looked up once: the edge asks for them once per request instead of
   * passing the platform name to each step. `UnknownPlatformError` for a name the registry does not have.
   */
  operationsFor(platform: string): PlatformOperations;
}

/** What the edge does with one platform, the adapter already found (same behaviour as the `Normalizer` methods). */
export interface PlatformOperations {
  readonly platform: string;
  readonly adapter: PlatformAdapter;
  /** whether the platform answers a GET handshake (`handshake` returns `undefined` when not) */
  readonly hasHandshake: boolean;
  /** whether the adapter splits payloads per account (shared routes) */
  readonly splitsAccounts: boolean;
  /** the media types the adapter parses (its `contentTypes`, or JSON): the edge answers 415 to the others */
  readonly contentTypes: readonly string[];
  /** the bytes to parse, as `Normalizer.verify` returns them */
  verify(request: VerifyInput, secrets: unknown): Uint8Array;
  parse(rawBody: Uint8Array | string, contentType?: string): unknown;
  normalizePayload(payload: unknown, context: ContextInput): NormalizeResult;
  handshake(request: HandshakeRequest, secrets: unknown, context: ContextInput): HandshakeResult | undefined;
  accounts(payload: unknown): AccountSlice<unknown>[] | undefined;
}

/**
 * What `createNormalizer` returns: `processWebhook`, the entry point for requests, is typed from the registry, so
 * with the built-in adapters a misspelt platform or a secrets object of the wrong shape does not compile (secrets
 * are still validated at run time, for config files). It is usable wherever a `Normalizer` is expected.
 */
export interface NormalizerOf<R extends AdapterRegistry> extends Omit<Normalizer, "adapters" | "processWebhook"> {
  readonly adapters: R;
  /** verify first, then parse and normalise: the order that keeps unauthenticated bytes away from the parser */
  processWebhook(input: WebhookInputOf<R>): NormalizeResult;
}
