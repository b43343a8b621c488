// The module adapters import from: the contract and its helpers, never the other way round.
export { defineAdapter, headerValue } from "./adapter";
export { EnvelopeBuilder, isValidatedEnvelope, ItemMapper } from "./builder";
export type { EmitExtra, EventInput, ItemBase, ItemOptions, MetadataInput } from "./builder";
export type { LogFields, Logger } from "./logger";
export { optionalStrings } from "./loose";
export { boundedRaw, defined, MAX_RAW_DEPTH, parseJsonKeepingBigIntegers, withFields } from "./objects";
export type { Defined } from "./objects";
export type {
  AccountSlice,
  HandshakeRequest,
  HandshakeResult,
  HeaderMap,
  NormalizeContext,
  PlatformAdapter,
  VerifyRequest,
} from "./adapter";
export { catalogue, domainOf, EVENT_TYPES, isEventType } from "./catalogue";
export type { Catalogue, Domain, EventData, EventType } from "./catalogue";
export { createEvent } from "./create-event";
export type { CreateEventInput } from "./create-event";
export { constantTimeEqual, hmac, hmacHeaderAuth, matchesAnySecret } from "./crypto";
export type { HmacHeaderScheme } from "./crypto";
export { envelopeSchemas, PlatformName, UnifiedEventSchema } from "./envelope";
export type { EventMetadata, EventOf, NormalizeResult, UnhandledEvent, UnifiedEvent } from "./envelope";
export {
  asConvoticError,
  ConfigError,
  ConvoticError,
  DispatchError,
  EnvelopeError,
  EventValidationError,
  InternalError,
  messageOf,
  PayloadError,
  SignatureError,
  SinkError,
  UnknownPlatformError,
} from "./errors";
export type { ErrorCode, ErrorOptions, LogLevel } from "./errors";
export { contactId, conversationId, eventId, hashId, messageId } from "./ids";
export { describeIssues } from "./issues";
export { compileParse, parseWith, REJECTED, type CompiledParse } from "./compiled";
export type { NormalizerOf, PlatformOf, SecretsOf, WebhookInputOf } from "./pipeline";
export { createNormalizer } from "./pipeline";
export type { AdapterRegistry, ContextInput, Normalizer, PlatformOperations, WebhookInput } from "./pipeline";
export { checkSecrets } from "./secrets";
export { BodyShapeError, exceedsShape, shapeScanThreshold } from "./shape";
export type { ShapeExcess, ShapeLimits } from "./shape";
export { createRouter, Router, typeMatcher } from "./router";
export type { ErrorHandler, EventFor, Handler, MatchingTypes, Pattern, Selector } from "./router";
export * as schemas from "./schemas";
export { InvalidTimestampError, isTimestamp, normalizeTimestamp, platformTime } from "./time";
