import type { AccountSlice, HandshakeRequest, HandshakeResult, NormalizeContext, PlatformAdapter } from "./adapter";
import type { DriftRecord } from "./drift";
import { DEFAULT_CONTENT_TYPES } from "./content-type";
import { headerValue } from "./headers";
import { InputRequest, VerifyingRequest } from "./verify-request";
import { validateEnvelope, type NormalizeResult, type UnifiedEvent } from "./envelope";
import { ConfigError, EnvelopeError, messageOf, PayloadError, UnknownPlatformError } from "./errors";
import { presentKeys } from "./lazy";
import { boundedRaw } from "./objects";
import { isEventType } from "./catalogue";
import { describeIssues } from "./issues";
// the engine's modules by name, not its barrel: the barrel's re-exports are accessors on an object V8 keeps in
// dictionary mode, and every call through one is a slow property load (about 300 instructions)
import { BuiltResult } from "./engine/built-result";
import { driftDetector, type FoundDrift } from "./engine/drift";
import { parseCompiled } from "./engine/parse";
import { REJECTED } from "./engine/zod-def";
import { checkSecretsOnce } from "./engine/secrets-cache";
import { InvalidTimestampError, normalizeTimestamp, nowIso } from "./engine/time";
import type {
  AdapterRegistry,
  ContextInput,
  NormalizerOf,
  PlatformOperations,
  VerifyInput,
  WebhookInput,
} from "./normalizer";

export type {
  AdapterRegistry,
  ContextInput,
  Normalizer,
  NormalizerOf,
  PlatformOf,
  PlatformOperations,
  SecretsOf,
  VerifyInput,
  WebhookInput,
  WebhookInputOf,
} from "./normalizer";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The pipeline: raw bytes → verified → parsed → validated against the raw schema → normalised → every envelope
 * validated against the catalogue. Each step fails with a typed error naming the platform.
 */
export function createNormalizer<R extends AdapterRegistry>(options: {
  adapters: R;
  /** report fields and values the adapters' catalogues do not know (`drift` in results); default true */
  drift?: boolean;
}): NormalizerOf<R> {
  const { adapters } = options;
  const reportDrift = options.drift !== false;
  // a lazy registry's entries stay unloaded until a request for their platform comes (core/lazy.ts)
  const platforms = presentKeys(adapters);

  function adapterFor(platform: string): PlatformAdapter {
    const adapter = Object.hasOwn(adapters, platform) ? adapters[platform] : undefined;
    if (adapter === undefined) throw new UnknownPlatformError(platform, platforms);
    return adapter;
  }

  function context(input: ContextInput): NormalizeContext {
    if (input.workspace_id === "" || input.block_id === "") {
      throw new ConfigError("workspace_id and block_id must be non-empty");
    }
    return {
      workspace_id: input.workspace_id,
      block_id: input.block_id,
      received_at: input.received_at === undefined ? nowIso() : normalizeTimestamp(input.received_at),
    };
  }

  /** Bytes → the adapter's raw payload type; `PayloadError` for bad UTF-8, bad JSON or another platform's body. */
  function parse(platform: string, rawBody: Uint8Array | string, contentType?: string): unknown {
    return parseBody(platform, adapterFor(platform), rawBody, contentType);
  }

  function parseBody(
    platform: string,
    adapter: PlatformAdapter,
    rawBody: Uint8Array | string,
    contentType?: string,
  ): unknown {
    return validatePayload(platform, adapter, readBody(platform, adapter, rawBody, contentType));
  }

  /**
   * Bytes → the value the body holds, before the payload schema: what JSON (or the adapter's `parseBody`, for a
   * form or XML) made of it. Drift is checked on this value, not on the schema's output, which may drop members
   * a non-loose schema does not declare.
   */
  function readBody(
    platform: string,
    adapter: PlatformAdapter,
    rawBody: Uint8Array | string,
    contentType: string | undefined,
  ): unknown {
    if (adapter.parseBody !== undefined) return readOwnBody(platform, adapter, adapter.parseBody, rawBody, contentType);
    let text: string;
    try {
      text = typeof rawBody === "string" ? rawBody : utf8.decode(rawBody);
    } catch (cause) {
      throw new PayloadError("body is not valid UTF-8", { platform, cause, code: "invalid_json" });
    }
    try {
      return adapter.parseJson === undefined ? JSON.parse(text) : adapter.parseJson(text);
    } catch (cause) {
      const detail = messageOf(cause);
      throw new PayloadError(`body is not valid JSON: ${detail}`, { platform, cause, code: "invalid_json" });
    }
  }

  /** A body the adapter reads itself (a form, XML): what it throws is the sender's fault, a 400 naming why. */
  function readOwnBody(
    platform: string,
    adapter: PlatformAdapter,
    read: NonNullable<PlatformAdapter["parseBody"]>,
    rawBody: Uint8Array | string,
    contentType: string | undefined,
  ): unknown {
    const bytes = typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody;
    try {
      return read.call(adapter, bytes, contentType);
    } catch (cause) {
      if (cause instanceof PayloadError) throw cause;
      throw new PayloadError(`body cannot be read: ${messageOf(cause)}`, {
        platform,
        cause,
        code: "invalid_payload",
        quotesBody: true,
      });
    }
  }

  function validatePayload(platform: string, adapter: PlatformAdapter, json: unknown): unknown {
    // what `parseWith` answers, without its result object when the compiled parser accepts (zod decides the rest)
    const data = parseCompiled(adapter.payload, json);
    if (data !== REJECTED) return data;
    const parsed = adapter.payload.safeParse(json);
    if (!parsed.success) {
      throw new PayloadError(`body is not a ${platform} webhook: ${describeIssues(parsed.error)}`, {
        platform,
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /**
   * Checks what an adapter produced against the catalogue, so we emit exactly what we document. Envelopes a
   * `BuiltResult` vouches for were validated as the builder emitted them; others (an adapter that builds envelopes itself) are
   * validated here. An envelope that fails is reported as unhandled with the reason, never answered 5xx: the
   * bytes that caused it would be redelivered forever, and the events beside it must go through.
   */
  function validate(adapter: PlatformAdapter, ctx: NormalizeContext, result: NormalizeResult): NormalizeResult {
    // the result as it came while every envelope passes (the usual case: no copies); fresh arrays from the first one that does not
    let events: UnifiedEvent[] | undefined;
    let unhandled: NormalizeResult["unhandled"] | undefined;
    const given = result.events;
    const built = result instanceof BuiltResult ? result : undefined;
    for (let index = 0; index < given.length; index++) {
      const event = given[index]!;
      const problem = envelopeProblem(adapter, ctx, event, given, built);
      if (problem === undefined) {
        events?.push(event);
        continue;
      }
      if (events === undefined || unhandled === undefined) {
        events = given.slice(0, index);
        unhandled = [...result.unhandled];
      }
      unhandled.push({
        platform: adapter.platform,
        workspace_id: ctx.workspace_id,
        block_id: ctx.block_id,
        kind: `envelope.${String(event.type)}`,
        reason: problem,
        received_at: ctx.received_at,
        raw: boundedRaw(event),
      });
    }
    return events === undefined || unhandled === undefined ? result : { events, unhandled };
  }

  function envelopeProblem(
    adapter: PlatformAdapter,
    ctx: NormalizeContext,
    event: UnifiedEvent,
    events: readonly UnifiedEvent[],
    built: BuiltResult | undefined,
  ): string | undefined {
    if (!isEventType(event.type) || !adapter.emits.includes(event.type)) {
      return `adapter emitted "${event.type}", which it does not declare in emits`;
    }
    if (
      event.platform !== adapter.platform ||
      event.block_id !== ctx.block_id ||
      event.workspace_id !== ctx.workspace_id
    ) {
      return `envelope ${event.id} does not belong to this platform and block`;
    }
    if (built !== undefined && built.vouchesFor(event, events)) return undefined;
    const checked = validateEnvelope(event.type, event);
    return checked.success ? undefined : `invalid ${event.type} envelope: ${describeIssues(checked.error)}`;
  }

  /** `parsed` is what drift is checked on: the body as read, before the payload schema (the payload by default) */
  function runAdapter(
    adapter: PlatformAdapter,
    payload: unknown,
    ctx: NormalizeContext,
    parsed: unknown = payload,
  ): NormalizeResult {
    let result: NormalizeResult;
    try {
      result = validate(adapter, ctx, adapter.normalize(payload, ctx));
    } catch (error) {
      // outside any item (`EnvelopeBuilder.item` isolates those): the body as a whole cannot be mapped
      if (error instanceof InvalidTimestampError || error instanceof EnvelopeError) {
        throw new PayloadError(error.message, { platform: adapter.platform, cause: error });
      }
      throw error;
    }
    if (!reportDrift || adapter.drift === undefined) return result;
    // most bodies have no drift: that path stays here, small enough to be compiled with the caller
    const found = driftDetector(adapter.drift)(parsed);
    return found === undefined ? result : withDrift(adapter, found, ctx, result);
  }

  /**
   * The result with the body's drift beside it (docs/drift.md). After normalising, so a body that cannot be
   * normalised is refused as before; the events and unhandled records are the very ones normalise returned.
   */
  function withDrift(
    adapter: PlatformAdapter,
    found: readonly FoundDrift[],
    ctx: NormalizeContext,
    result: NormalizeResult,
  ): NormalizeResult {
    const stamp = { platform: adapter.platform, workspace_id: ctx.workspace_id, block_id: ctx.block_id };
    const drift: DriftRecord[] = found.map((item) => ({ ...stamp, ...item }));
    return { events: result.events, unhandled: result.unhandled, drift };
  }

  /** Parses and normalises a body that is already trusted (stored fixtures, replays, verified elsewhere). */
  function normalize(
    platform: string,
    rawBody: Uint8Array | string,
    contextInput: ContextInput,
    contentType?: string,
  ): NormalizeResult {
    return normalizeBody(platform, adapterFor(platform), rawBody, contextInput, contentType);
  }

  function normalizeBody(
    platform: string,
    adapter: PlatformAdapter,
    rawBody: Uint8Array | string,
    contextInput: ContextInput,
    contentType: string | undefined,
  ): NormalizeResult {
    const ctx = context(contextInput);
    const parsed = readBody(platform, adapter, rawBody, contentType);
    return runAdapter(adapter, validatePayload(platform, adapter, parsed), ctx, parsed);
  }

  /** Normalises an already parsed payload (for instance one account's slice of a batch). */
  function normalizePayload(platform: string, payload: unknown, contextInput: ContextInput): NormalizeResult {
    return runAdapter(adapterFor(platform), payload, context(contextInput));
  }

  /** Validates the block's secrets (fail closed; once per secrets object, see `checkSecretsOnce`) and verifies the raw bytes; throws `SignatureError`. */
  function verify(platform: string, request: VerifyInput, secrets: unknown): Uint8Array {
    return verifyBody(adapterFor(platform), request, secrets);
  }

  /** The bytes to parse once verified: the raw bytes, or the plaintext the adapter decrypted from them. */
  function verifyBody(adapter: PlatformAdapter, request: VerifyInput, secrets: unknown): Uint8Array {
    const checked = checkSecretsOnce(adapter, secrets);
    // the edge's request is already what an adapter verifies (one object per request); a caller's input is wrapped
    let verifying: VerifyingRequest;
    if (request instanceof VerifyingRequest) verifying = request;
    else {
      const body = request.rawBody;
      verifying = new InputRequest(typeof body === "string" ? Buffer.from(body, "utf8") : body, request);
    }
    const plaintext = adapter.verify(verifying, checked);
    return plaintext instanceof Uint8Array ? plaintext : verifying.rawBody;
  }

  /** Verify first, then parse and normalise: the order that keeps unauthenticated bytes away from the parser. */
  function processWebhook(input: WebhookInput): NormalizeResult {
    const adapter = adapterFor(input.platform);
    const body = verifyBody(adapter, input, input.secrets);
    // only an adapter that reads its own body (a form, XML) is told the content type: JSON bodies skip the lookup
    const contentType =
      input.contentType ?? (adapter.parseBody === undefined ? undefined : headerValue(input.headers, "content-type"));
    return normalizeBody(input.platform, adapter, body, input.context, contentType);
  }

  /** Answers a GET handshake; `undefined` when the platform has none. */
  function handshake(
    platform: string,
    request: HandshakeRequest,
    secrets: unknown,
    contextInput: ContextInput,
  ): HandshakeResult | undefined {
    const adapter = adapterFor(platform);
    if (adapter.handshake === undefined) return undefined;
    const checked = checkSecretsOnce(adapter, secrets);
    const ctx = context(contextInput);
    const result = adapter.handshake(request, checked, ctx);
    const validated = validate(adapter, ctx, { events: result.events, unhandled: [] });
    if (validated.unhandled[0] !== undefined) throw new EnvelopeError(validated.unhandled[0].reason, { platform });
    return { ...result, events: validated.events };
  }

  /** Splits a parsed payload per account for shared routes; one slice when the adapter does not batch accounts. */
  function accounts(platform: string, payload: unknown): AccountSlice<unknown>[] | undefined {
    const adapter = adapterFor(platform);
    return adapter.accounts?.(payload);
  }

  // built once per platform: a request costs one map lookup, not one adapter lookup per step
  const operations = new Map<string, PlatformOperations>();
  function operationsFor(platform: string): PlatformOperations {
    const known = operations.get(platform);
    if (known !== undefined) return known;
    const adapter = adapterFor(platform);
    const ack = adapter.acknowledgement;
    if (ack !== undefined && !(Number.isInteger(ack.status) && ack.status >= 200 && ack.status < 300))
      throw new ConfigError(`the ${platform} adapter's acknowledgement status must be a 2xx, got ${ack.status}`);
    const made: PlatformOperations = {
      platform,
      adapter,
      hasHandshake: adapter.handshake !== undefined,
      splitsAccounts: adapter.accounts !== undefined,
      contentTypes: adapter.contentTypes ?? DEFAULT_CONTENT_TYPES,
      verify: (request, secrets) => verifyBody(adapter, request, secrets),
      parse: (rawBody, contentType) => parseBody(platform, adapter, rawBody, contentType),
      normalizePayload: (payload, contextInput) => runAdapter(adapter, payload, context(contextInput)),
      handshake: (request, secrets, contextInput) => handshake(platform, request, secrets, contextInput),
      accounts: (payload) => adapter.accounts?.(payload),
    };
    operations.set(platform, made);
    return made;
  }

  return {
    adapters,
    platforms,
    adapterFor,
    parse,
    normalize,
    normalizePayload,
    verify,
    processWebhook,
    handshake,
    accounts,
    operationsFor,
  };
}
