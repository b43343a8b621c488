/**
 * Convotic normaliser: raw platform webhooks in, one typed event envelope out, routed by event type.
 *
 * The root export is what an application calls: the normaliser, the router, the webhook handler and its shims,
 * the event types and the errors. The rest lives under documented subpaths (`convotic/adapters`, `convotic/http`,
 * `convotic/sinks`, `convotic/delivery`, `convotic/formats`, `convotic/observe`, `convotic/testing`), so that
 * `require("convotic")` stays cheap and a change to the surface shows up in `api/*.api.md`.
 * @packageDocumentation
 */
// the normaliser
export { createNormalizer } from "./core";
export type {
  AdapterRegistry,
  ContextInput,
  NormalizeContext,
  Normalizer,
  NormalizerOf,
  NormalizeResult,
  PlatformAdapter,
  PlatformOf,
  SecretsOf,
  VerifyInput,
  WebhookInput,
  WebhookInputOf,
} from "./core";
export { adapters, BUILT_IN_PLATFORMS, createConvotic } from "./adapters";
export type { BuiltInPlatform } from "./adapters";

// the router
export { createRouter, Router, typeMatcher } from "./core";
export type { ErrorHandler, EventFor, Handler, MatchingTypes, Pattern, Selector } from "./core";

// the webhook handler and its shims for node:http, Express 5 and fetch
export { convoticExpress, createWebhookHandler, startServer, toFetchHandler } from "./http";
export type {
  AckMode,
  BackgroundFailure,
  DriftInfo,
  EventSink,
  HttpRequest,
  HttpResponse,
  LogFields,
  Logger,
  RunningServer,
  WebhookHandler,
  WebhookHandlerOptions,
} from "./http";

// the events and the catalogue
export {
  catalogue,
  contactId,
  conversationId,
  domainOf,
  EVENT_TYPES,
  isEventType,
  PlatformName,
  UnifiedEventSchema,
} from "./core";
export type {
  Catalogue,
  Domain,
  DriftRecord,
  DriftValueKind,
  EventData,
  EventMetadata,
  EventOf,
  EventType,
  UnhandledEvent,
  UnifiedEvent,
} from "./core";

// the errors
export {
  ConfigError,
  ConvoticError,
  DispatchError,
  EnvelopeError,
  EventValidationError,
  InternalError,
  PayloadError,
  SignatureError,
  SinkError,
  UnknownPlatformError,
} from "./core";
export type { ErrorCode } from "./core";
