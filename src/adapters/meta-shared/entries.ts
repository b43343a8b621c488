import { z } from "zod";
import type { AccountSlice, NormalizeResult } from "../../core";

/*
 * The `{object, entry[]}` envelope Messenger, Instagram and WhatsApp share
 * (https://developers.facebook.com/docs/graph-api/webhooks/getting-started). One POST
 * batches up to 1000 updates, across several Pages or accounts, so every entry and every item of every entry is
 * read: nothing here looks at `entry[0]` only.
 */

/** Meta times: ms numbers for messaging, seconds for `changes`, seconds as strings in dashboard tests. */
export const MetaTime = z.union([z.number(), z.string()]);

/** A `changes[]` item: its `value` depends on `field`, so each adapter reads it with the schema of that field. */
export const MetaChange = z.looseObject({ field: z.string(), value: z.unknown() });
export type MetaChange = z.output<typeof MetaChange>;

/**
 * The webhook body schema of one Meta product. `object` is a literal so a body of another product (a Page
 * payload posted to the Instagram route) fails parsing and the pipeline reports a `PayloadError`.
 */
export function metaEnvelope<O extends string, E extends z.ZodType>(object: O, entry: E) {
  return z.looseObject({ object: z.literal(object), entry: z.array(entry) });
}

/** What every entry has: the account (Page id, IG account id, WABA id) and, usually, a time. */
export interface MetaEntryBase {
  readonly id: string;
  readonly time?: number | string | undefined;
}

/**
 * Splits a batch into one slice per account (`entry.id`), keeping `object` and every other top-level field,
 * entries in their original order, accounts in order of first appearance.
 */
export function metaAccounts<P extends { readonly entry: readonly { readonly id: string }[] }>(
  payload: P,
): AccountSlice<P>[] {
  const byAccount = new Map<string, P["entry"][number][]>();
  for (const entry of payload.entry) {
    const entries = byAccount.get(entry.id);
    if (entries === undefined) byAccount.set(entry.id, [entry]);
    else entries.push(entry);
  }
  return [...byAccount].map(([account_id, entry]) => ({ account_id, payload: { ...payload, entry } as P }));
}

/**
 * Meta delivers at least once and sometimes repeats an item inside one POST. Event ids are derived from the raw
 * event, so an equal id is the same event: keep its first occurrence.
 */
export function withoutRepeats(result: NormalizeResult): NormalizeResult {
  const seen = new Set<string>();
  const events = result.events.filter((event) => {
    if (seen.has(event.id)) return false;
    seen.add(event.id);
    return true;
  });
  return { events, unhandled: result.unhandled };
}
