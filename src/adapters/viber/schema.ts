import { z } from "zod";

/*
 * What a Viber webhook body holds, as far as normalise reads it. Link the platform's webhook reference here.
 * Loose objects: platforms add fields without notice, and that must not break parsing. Declare only what the
 * mapping reads. Ids that can exceed 2^53 must be read as strings.
 */

/**
 * The body's envelope: what must hold for the request to be accepted at all (a wrong one is a 400). Keep the items
 * `unknown` here: each is parsed on its own with `ViberItem`, so one malformed item costs only itself.
 * TODO: the envelope of the platform's body.
 */
export const ViberWebhook = z.looseObject({ events: z.array(z.unknown()) });
export type ViberWebhook = z.output<typeof ViberWebhook>;

/** One raw item. TODO: the fields of each kind that normalise reads. */
export const ViberItem = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  /** TODO: the platform's unit (ms, seconds, ISO string) */
  timestamp: z.union([z.number(), z.string()]).optional(),
});
export type ViberItem = z.output<typeof ViberItem>;
