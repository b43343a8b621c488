/**
 * What `require("convotic")` runs (package.json `main` and `exports["."]`). ./index.ts declares the root export:
 * its declarations are the package's types and its API report. This module offers the same names and loads
 * ./index the first time any of them is read, so requiring the package loads neither zod, the adapters, the edge
 * nor the sinks; from then on every name is a plain property holding ./index's value.
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

type Missing = Exclude<keyof typeof Declared, keyof typeof Self>;
type Extra = Exclude<keyof typeof Self, keyof typeof Declared>;
// `true` only when both are `never`; otherwise the error names the missing or extra export
const sameNames: [Missing, Extra] extends [never, never] ? true : { missing: Missing; extra: Extra } = true;
void sameNames;

const names = Object.keys(exports);
let declared: Record<string, unknown> | undefined;

/** Requires ./index once and puts each of its values in place of this module's accessors. */
function load(): Record<string, unknown> {
  if (declared !== undefined) return declared;
  declared = require("./index") as Record<string, unknown>;
  for (const name of names)
    Object.defineProperty(exports, name, {
      value: declared[name],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return declared;
}

for (const name of names)
  Object.defineProperty(exports, name, { enumerable: true, configurable: true, get: () => load()[name] });
