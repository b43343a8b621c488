import { messageOf, type NormalizeResult, type Router } from "../core";
import type { DeliveryContext } from "./deliver";
import type { DriftInfo, WebhookHandlerOptions } from "./handler-types";
import type { Logger } from "./logger";

/** Who hears a request's drift: the handler's `onDrift`, and the router's `onDrift` handlers. */
export interface DriftListeners {
  readonly onDrift: WebhookHandlerOptions["onDrift"];
  readonly router: Router | undefined;
  readonly logger: Logger;
}

/**
 * Tells `onDrift` and the router's `onDrift` handlers what the body held that its catalogue does not know. Beside
 * the delivery and never in its way: a listener that throws is logged, the request goes on.
 */
export function noticeDrift(
  result: NormalizeResult,
  context: DeliveryContext,
  listeners: DriftListeners,
): NormalizeResult {
  const drift = result.drift;
  if (drift === undefined) return result;
  const info: DriftInfo =
    context.requestId === undefined
      ? { platform: context.platform }
      : { platform: context.platform, requestId: context.requestId };
  const failed = (error: unknown) =>
    listeners.logger.warn("a drift listener failed", {
      ...(context.requestId === undefined ? {} : { request_id: context.requestId }),
      platform: context.platform,
      error: messageOf(error),
    });
  try {
    listeners.onDrift?.(drift, info);
  } catch (error) {
    failed(error);
  }
  if (listeners.router?.hearsDrift === true) listeners.router.dispatchDrift(drift).catch(failed);
  return result;
}
