// Core's names for the edge, the public entries and adapters' types. The built-in adapters import values by module
// path (core/objects, core/builder, core/adapter-kit, ...): tsc compiles each re-export here to a getter on an object
// V8 keeps in dictionary mode, and a call through one costs about 300 instructions.
export { defineAdapter, headerValue } from "./adapter";
export { queryOf } from "./query";
export { EnvelopeBuilder, ItemMapper } from "./builder";
export type { EmitExtra, EventInput, ItemBase, ItemOptions, MetadataInput } from "./builder";
export type { LogFields, Logger } from "./logger";
export { lazyRecord, presentKeys } from "./lazy";
export { optionalStrings } from "./loose";
export { boundedRaw, defined, parseJsonKeepingBigIntegers, withFields } from "./objects";
export type { Defined } from "./objects";
export type {
  AccountSlice,
  Acknowledgement,
  HandshakeRequest,
  HandshakeResult,
  HeaderMap,
  NormalizeContext,
  PlatformAdapter,
  SignedRequest,
  SignOptions,
  VerifyRequest,
} from "./adapter";
export { signRequest, withQuery } from "./sign-request";
export { catalogue, domainOf, EVENT_TYPES, isEventType } from "./catalogue";
export type { Catalogue, Domain, EventData, EventType } from "./catalogue";
export type { CoverageRow, CoverageTable } from "./coverage";
export { createEvent } from "./create-event";
export { defineDriftCatalogue } from "./drift";
export type {
  DriftCatalogue,
  DriftRecord,
  DriftSchemaExtras,
  DriftValue,
  DriftValueKind,
  DriftVariants,
} from "./drift";
export type { CreateEventInput } from "./create-event";
export { constantTimeEqual, hmac, hmacHeaderAuth, matchesAnySecret } from "./crypto";
export type { HmacHeaderScheme, SignatureMatch } from "./crypto";
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
// documented helpers (README, docs/adding-an-adapter.md) implemented in the engine room, re-exported by name
export { contactId, conversationId, eventId, hashId, messageId } from "./engine";
export { describeIssues } from "./issues";
export type { NormalizerOf, PlatformOf, SecretsOf, WebhookInputOf } from "./pipeline";
export { createNormalizer } from "./pipeline";
export type {
  AdapterRegistry,
  ContextInput,
  Normalizer,
  PlatformOperations,
  VerifyInput,
  WebhookInput,
} from "./pipeline";
export { checkSecrets } from "./secrets";
export { BodyShapeError, exceedsShape, exceedsShapeOf, shapeScanThreshold } from "./shape";
export {
  acceptsContentType,
  DEFAULT_CONTENT_TYPES,
  FORM_MEDIA_TYPE,
  isXmlMediaType,
  mediaTypeOf,
} from "./content-type";
export type { ShapeExcess, ShapeLimits } from "./shape";
export { createRouter, Router, typeMatcher } from "./router";
export type { ErrorHandler, EventFor, Handler, MatchingTypes, Pattern, Selector } from "./router";
export * as schemas from "./schemas";
export { InvalidTimestampError, isTimestamp, normalizeTimestamp, platformTime } from "./engine";
