// The HTTP edge: one framework-free handler and thin shims for node:http, Express 5 and fetch Request/Response.
export { BlockConfigSchema, BlockSet, loadBlocks, sharedRoutePath } from "./blocks";
export type { Block, BlockConfig, Env, SecretsGroup } from "./blocks";
export { bodyAlreadyParsedResponse, createWebhookHandler, DEFAULT_BODY_LIMIT } from "./handler";
export type {
  AckMode,
  BackgroundFailure,
  DriftInfo,
  EventSink,
  HttpRequest,
  HttpResponse,
  WebhookHandler,
  WebhookHandlerOptions,
} from "./handler";
export type { HandlerAccess, RequestObserver, RequestOutcome } from "./handler-types";
export { convoticExpress } from "./express";
export { toFetchHandler } from "./fetch";
export { defaultLogger, streamLogger } from "./logger";
export type { LogFields, Logger } from "./logger";
export { addressKey, BodyBudget, BodyClaim, DEFAULT_FAIRNESS } from "./budget";
export type { BodyOwner, BudgetRefusal, FairnessOptions, MinBodyRate } from "./budget";
export { DEFAULT_SHAPE_LIMITS } from "./checks";
export { BusyError, ClientClosedError, HttpError, SlowBodyError } from "./errors";
export { DEFAULT_SERVER_TIMEOUTS, readNodeBody, startServer, toNodeListener, writeResponse } from "./node";
export type { RunningServer, ServerTimeouts, ShutdownReport } from "./node";
