import { asConvoticError, SinkError, type ConvoticError, type NormalizeResult, type Router } from "../core";
import type { EventSink } from "./handler";

/** Where a normalised batch came from and where it goes. */
export interface DeliveryContext {
  readonly platform: string;
  readonly blockIds: readonly string[];
  /** when the request arrived */
  readonly receivedAt: Date;
  readonly sink?: EventSink | undefined;
  readonly router?: Router | undefined;
}

/** What became of a batch; the handler maps it to a status (`delivered` → 200, `failed` → the error's answer). */
export type DeliveryOutcome =
  | { readonly kind: "delivered"; readonly events: number; readonly unhandled: number }
  | { readonly kind: "failed"; readonly error: ConvoticError };

/**
 * The one place that decides what happens to a normalised batch: today the sink, then the router. A failure is
 * an outcome, not a throw: sink failures become `SinkError`, handler failures the router's `DispatchError`.
 */
export async function deliverBatch(result: NormalizeResult, context: DeliveryContext): Promise<DeliveryOutcome> {
  const delivered = { kind: "delivered", events: result.events.length, unhandled: result.unhandled.length } as const;
  if (result.events.length + result.unhandled.length === 0) return delivered;
  if (context.sink !== undefined) {
    try {
      await context.sink(result.events, result.unhandled);
    } catch (cause) {
      return { kind: "failed", error: new SinkError(cause) };
    }
  }
  try {
    if (context.router !== undefined) await context.router.dispatch(result);
  } catch (error) {
    return { kind: "failed", error: asConvoticError(error) };
  }
  return delivered;
}
