/**
 * What `require("convotic")` runs (package.json `main` and `exports["."]`). ./index.ts declares the root export:
 * its declarations are the package's types and its API report. This module offers the same names, each read from
 * the room that implements it when first read, so requiring the package loads neither zod, the adapters, the edge
 * nor the sinks; from then on every name is a plain property holding the same value as ./index's.
 */
import type * as Declared from "./index";
import type * as Self from "./root";

// One `let` per value export of ./index. They are never assigned: compiled, they are the `exports.name = void 0`
// lines from which Node's CommonJS lexer learns the names an ESM `import { createConvotic } from "convotic"` may
// take. The check below fails the build when the two lists differ.
export let createConvotic: typeof Declared.createConvotic;
export let createNormalizer: typeof Declared.createNormalizer;
export let adapters: typeof Declared.adapters;
export let BUILT_IN_PLATFORMS: typeof Declared.BUILT_IN_PLATFORMS;
export let createRouter: typeof Declared.createRouter;
export let Router: typeof Declared.Router;
export let typeMatcher: typeof Declared.typeMatcher;
export let convoticExpress: typeof Declared.convoticExpress;
export let createWebhookHandler: typeof Declared.createWebhookHandler;
export let startServer: typeof Declared.startServer;
export let toFetchHandler: typeof Declared.toFetchHandler;
export let catalogue: typeof Declared.catalogue;
export let contactId: typeof Declared.contactId;
export let conversationId: typeof Declared.conversationId;
export let domainOf: typeof Declared.domainOf;
export let EVENT_TYPES: typeof Declared.EVENT_TYPES;
export let isEventType: typeof Declared.isEventType;
export let PlatformName: typeof Declared.PlatformName;
export let UnifiedEventSchema: typeof Declared.UnifiedEventSchema;
export let ConfigError: typeof Declared.ConfigError;
export let ConvoticError: typeof Declared.ConvoticError;
export let DispatchError: typeof Declared.DispatchError;
export let EnvelopeError: typeof Declared.EnvelopeError;
export let EventValidationError: typeof Declared.EventValidationError;
export let InternalError: typeof Declared.InternalError;
export let PayloadError: typeof Declared.PayloadError;
export let SignatureError: typeof Declared.SignatureError;
export let SinkError: typeof Declared.SinkError;
export let UnknownPlatformError: typeof Declared.UnknownPlatformError;

/**
 * The room each name is read from. A first read loads that room only (the core for the router or an error class,
 * the core and the adapter registry for `createConvotic`, the edge for `createWebhookHandler`); `Record` over the
 * declared names makes the build fail when a name has no room.
 */
const ROOM_OF: Record<keyof typeof Declared, "core" | "adapters" | "http"> = {
  createConvotic: "adapters",
  createNormalizer: "core",
  adapters: "adapters",
  BUILT_IN_PLATFORMS: "adapters",
  createRouter: "core",
  Router: "core",
  typeMatcher: "core",
  convoticExpress: "http",
  createWebhookHandler: "http",
  startServer: "http",
  toFetchHandler: "http",
  catalogue: "core",
  contactId: "core",
  conversationId: "core",
  domainOf: "core",
  EVENT_TYPES: "core",
  isEventType: "core",
  PlatformName: "core",
  UnifiedEventSchema: "core",
  ConfigError: "core",
  ConvoticError: "core",
  DispatchError: "core",
  EnvelopeError: "core",
  EventValidationError: "core",
  InternalError: "core",
  PayloadError: "core",
  SignatureError: "core",
  SinkError: "core",
  UnknownPlatformError: "core",
};
const ROOMS = {
  core: () => require("./core") as Record<string, unknown>,
  adapters: () => require("./adapters") as Record<string, unknown>,
  http: () => require("./http") as Record<string, unknown>,
};

type Missing = Exclude<keyof typeof Declared, keyof typeof Self>;
type Extra = Exclude<keyof typeof Self, keyof typeof Declared>;
// `true` only when both are `never`; otherwise the error names the missing or extra export
const sameNames: [Missing, Extra] extends [never, never] ? true : { missing: Missing; extra: Extra } = true;
void sameNames;

/** Requires the room of `name` and puts the values of every name of that room in place of their accessors. */
function load(name: keyof typeof Declared): unknown {
  const room = ROOM_OF[name];
  const values = ROOMS[room]();
  for (const other of Object.keys(ROOM_OF) as (keyof typeof Declared)[]) {
    if (ROOM_OF[other] !== room) continue;
    Object.defineProperty(exports, other, {
      value: values[other],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return values[name];
}

for (const name of Object.keys(exports) as (keyof typeof Declared)[])
  Object.defineProperty(exports, name, { enumerable: true, configurable: true, get: () => load(name) });
