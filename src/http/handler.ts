import { WebhookHandlerSteps } from "./steps";
import type { HttpRequest, WebhookHandler, WebhookHandlerOptions } from "./handler-types";

export type {
  AckMode,
  BackgroundFailure,
  DriftInfo,
  EventSink,
  HttpRequest,
  HttpResponse,
  WebhookHandler,
  WebhookHandlerOptions,
} from "./handler-types";
export { bodyAlreadyParsedResponse } from "./responses";

export { DEFAULT_BODY_LIMIT } from "./steps";

/**
 * Builds the request handler. Routes: `POST|GET {basePath}/:blockId` for one block, and `POST|GET
 * {basePath}/:platform` shared by every block of a platform whose adapter splits payloads per account. The steps
 * are the methods of `WebhookHandlerSteps` (steps.ts): route, target, verification and split (verify.ts),
 * normalising (normalize.ts), delivery (deliver.ts), and the error's answer (`errorResponse`, responses.ts).
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const steps = new WebhookHandlerSteps(options);
  return Object.assign((request: HttpRequest) => steps.handle(request), {
    bodyLimit: steps.bodyLimit,
    basePath: steps.basePath,
    bodyBudget: steps.bodyBudget,
    refuse: (request: { readonly method: string; readonly url: string }, error: unknown) =>
      steps.refuse(request, error),
    matches: (url: string) => steps.matches(url),
    drain: (signal?: AbortSignal) => steps.drain(signal),
    delivery: steps.delivery,
  });
}
