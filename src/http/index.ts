// The HTTP edge: one framework-free handler and thin shims for node:http, Express 5 and fetch Request/Response.
export { BlockConfigSchema, BlockSet, loadBlocks, loadConfig, ServerConfigSchema, sharedRoutePath } from "./blocks";
export type { Block, BlockConfig, Env, SecretsGroup, ServerConfig } from "./blocks";
export { bodyAlreadyParsedResponse, createWebhookHandler, DEFAULT_BODY_LIMIT } from "./handler";
export type {
  AckMode,
  BackgroundFailure,
  EventSink,
  HttpRequest,
  HttpResponse,
  WebhookHandler,
  WebhookHandlerOptions,
} from "./handler";
export { convoticExpress } from "./express";
export { toFetchHandler } from "./fetch";
export { defaultLogger, streamLogger } from "./logger";
export type { LogFields, Logger } from "./logger";
export { BodyBudget } from "./budget";
export { BusyError, ClientClosedError, HttpError } from "./errors";
export { DEFAULT_SERVER_TIMEOUTS, readBody, readNodeBody, startServer, toNodeListener, writeResponse } from "./node";
export type { RunningServer, ServerTimeouts, ShutdownReport } from "./node";
