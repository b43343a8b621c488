/**
 * `convotic/adapters`: the built-in adapters one by one, and the kit for writing your own (see
 * docs/adding-an-adapter.md): the adapter contract, the envelope builder, ids, timestamps, signature helpers and
 * the platforms' payload schemas. The engine behind the builder (compiled parsers, memo caches) is not exported.
 * @packageDocumentation
 */
export { adapters, BUILT_IN_PLATFORMS } from "../adapters";
export { instagram } from "../adapters/instagram";
export { line } from "../adapters/line";
export { messenger } from "../adapters/messenger";
export { telegram } from "../adapters/telegram";
export { twilio } from "../adapters/twilio";
export { viber } from "../adapters/viber";
export { wechat } from "../adapters/wechat";
export { whatsapp } from "../adapters/whatsapp";
export type { BuiltInPlatform } from "../adapters";
export { defineAdapter, headerValue } from "../core";
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
} from "../core";
// for adapters whose bodies are not JSON (`contentTypes`, `parseBody`)
export { FORM_MEDIA_TYPE, isXmlMediaType, mediaTypeOf } from "../core";
export type { EventType, NormalizeResult, UnhandledEvent, UnifiedEvent } from "../core";
export { EnvelopeBuilder, ItemMapper } from "../core";
// what an adapter knows of its platform's bodies, for drift reports (docs/drift.md)
export { defineDriftCatalogue } from "../core";
export type {
  DriftCatalogue,
  DriftRecord,
  DriftSchemaExtras,
  DriftValue,
  DriftValueKind,
  DriftVariants,
} from "../core";
export type { EmitExtra, EventInput, ItemBase, ItemOptions, MetadataInput } from "../core";
export { boundedRaw, defined, optionalStrings, parseJsonKeepingBigIntegers, withFields } from "../core";
export type { Defined } from "../core";
export { createEvent } from "../core";
export type { CreateEventInput } from "../core";
export { constantTimeEqual, hmac, hmacHeaderAuth, matchesAnySecret, signRequest, withQuery } from "../core";
export type { HmacHeaderScheme, SignatureMatch } from "../core";
export { envelopeSchemas } from "../core";
export { contactId, conversationId, eventId, hashId, messageId } from "../core";
export { describeIssues } from "../core";
export { checkSecrets } from "../core";
export { BodyShapeError } from "../core";
export type { ShapeExcess, ShapeLimits } from "../core";
export { schemas } from "../core";
export { InvalidTimestampError, isTimestamp, normalizeTimestamp, platformTime } from "../core";
export { asConvoticError, messageOf } from "../core";
// what an adapter throws (also in the root export): a bad signature, a body that is not the platform's, a bad config
export { ConfigError, PayloadError, SignatureError } from "../core";
export type { LogLevel } from "../core";
// the zod an adapter's schemas must be built with (the one the pipeline runs them with): an adapter project then
// needs no zod of its own, and cannot end up with a second copy of another version
export { z } from "zod";
