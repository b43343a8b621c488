import type { NormalizeResult } from "../core";
import { DeliveryError, type DeliveryInfo, type DeliveryStep } from "../delivery";
import type { SupersededLedger } from "./outcome";

/** Where a normalised batch came from and what runs it. */
export interface DeliveryContext {
  readonly platform: string;
  readonly blockIds: readonly string[];
  /** when the request arrived */
  readonly receivedAt: Date;
  /** claims, sinks, handlers, deadline, commit (src/delivery) */
  readonly delivery: DeliveryStep;
  /** the request's id, for the delivery's log records */
  readonly requestId?: string;
  /** hears which statuses the run held back (`statusOrder`), when a request observer wants them */
  readonly ledger?: SupersededLedger;
}

/** What became of a batch; the handler maps it to a status (`delivered` → 200, `failed` → the error's answer). */
export type BatchOutcome =
  | {
      readonly kind: "delivered";
      readonly events: number;
      readonly unhandled: number;
      readonly duplicates: number;
      /** the envelope ids `statusOrder` held back, when the context has a ledger */
      readonly superseded?: readonly string[];
    }
  | { readonly kind: "failed"; readonly error: DeliveryError };

/**
 * The one place that decides what happens to a normalised batch: the delivery step runs each item once (claim,
 * sinks, handlers within the deadline, commit or release). A failure is an outcome, not a throw.
 */
export async function deliverBatch(result: NormalizeResult, context: DeliveryContext): Promise<BatchOutcome> {
  const events = result.events.length;
  const unhandled = result.unhandled.length;
  if (events + unhandled === 0) return { kind: "delivered", events, unhandled, duplicates: 0 };
  const { platform, blockIds, requestId } = context;
  const info: DeliveryInfo =
    requestId === undefined ? { platform, block_ids: blockIds } : { platform, block_ids: blockIds, requestId };
  const outcome = await context.delivery.run(result, info);
  const superseded = context.ledger?.take(info);
  if (outcome.status === 200) {
    const { duplicates } = outcome;
    return superseded === undefined || superseded.length === 0
      ? { kind: "delivered", events, unhandled, duplicates }
      : { kind: "delivered", events, unhandled, duplicates, superseded };
  }
  return { kind: "failed", error: new DeliveryError(outcome) };
}
