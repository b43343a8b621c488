import type { DriftRecord, NormalizeResult, PlatformOperations, UnhandledEvent, UnifiedEvent } from "../core";
import type { Work } from "./verify";

/** Normalises each block's share with that block's context and merges the results, in order. */
export function normalizeWork(
  operations: PlatformOperations,
  work: readonly Work[],
  receivedAt: Date,
): NormalizeResult {
  const events: UnifiedEvent[] = [];
  const unhandled: UnhandledEvent[] = [];
  let drift: DriftRecord[] | undefined;
  for (const { block, payload } of work) {
    const result = operations.normalizePayload(payload, {
      workspace_id: block.workspace_id,
      block_id: block.id,
      received_at: receivedAt,
    });
    for (const event of result.events) events.push(event);
    for (const item of result.unhandled) unhandled.push(item);
    if (result.drift !== undefined) (drift ??= []).push(...result.drift);
  }
  return drift === undefined ? { events, unhandled } : { events, unhandled, drift };
}
