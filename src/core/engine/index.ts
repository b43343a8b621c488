/*
 * The engine room: what makes the pipeline fast and is nobody's API. Compiled parsers (generated from zod's own
 * schema definitions), derived ids, platform time, digests, the request path's secrets cache, and the brand that
 * tells the pipeline a result was validated as it was built. Only core imports this folder: adapters reach it
 * through `EnvelopeBuilder` / `ItemMapper` / `defineAdapter`, and no public entry exports it (the documented
 * helpers among these, such as `eventId` or `platformTime`, are re-exported by name from core/index.ts).
 */
export { compileParse, parseWith, type CompileOptions } from "./parse";
export { REJECTED, type CompiledParse } from "./zod-def";
export { hmacKey, sha256Latin1 } from "./digest";
export {
  contactId,
  conversationId,
  eventId,
  hashId,
  ID_BODY_PATTERN,
  ID_PREFIXES,
  messageId,
  type IdKind,
} from "./ids";
export { InvalidTimestampError, isTimestamp, normalizeTimestamp, nowIso, platformTime } from "./time";
export { checkSecretsOnce } from "./secrets-cache";
export { BuiltResult, type EmittedEnvelopes } from "./built-result";
export { compileDrift, driftDetector, MAX_DRIFT_PER_BODY, type DriftDetector, type FoundDrift } from "./drift";
