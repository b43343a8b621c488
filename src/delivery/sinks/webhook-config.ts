import { z } from "zod";
import { OutboxConfig } from "../outbox";
import { hasCredentials } from "./credentials";
import { SinkFilter, SinkFormat } from "./render";
import { WhsecSecret } from "./standard-webhooks";

/*
 * What a webhook sink block may say, checked before anything starts (split from webhook.ts, which delivers).
 * Standard Webhooks: https://www.standardwebhooks.com/
 */

/** Headers a delivery sets itself (Standard Webhooks, body framing) cannot be replaced by `headers`. */
const OWN_HEADERS = new Set([
  "content-type",
  "content-length",
  "host",
  "user-agent",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "transfer-encoding",
  "connection",
]);
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** printable ASCII only: fetch refuses other values with an error that quotes them, and errors reach dead letters */
const ExtraHeaders = z
  .record(
    z.string(),
    z
      .string()
      .min(1)
      .regex(/^[\t\x20-\x7e]*$/, "printable ASCII on one line"),
  )
  .superRefine((headers, context) => {
    for (const name of Object.keys(headers)) {
      if (!TOKEN.test(name)) context.addIssue({ code: "custom", path: [name], message: "not an HTTP header name" });
      else if (OWN_HEADERS.has(name.toLowerCase()))
        context.addIssue({ code: "custom", path: [name], message: "a header the sink sets itself" });
    }
  });

export const WebhookSinkConfig = z.strictObject({
  kind: z.literal("webhook"),
  /** keys the `webhook-id` of every delivery (and names its outbox file): renaming a subscriber changes its ids */
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and -"),
  /** credentials in the URL are refused: they would be written into dead letters; use `headers` */
  url: z.url({ protocol: /^https?$/ }).refine((url) => !hasCredentials(url), {
    message:
      'credentials in the URL are refused (they would be written to dead letters); send them as a header: "headers": { "authorization": "${HOOK_AUTH}" }',
  }),
  /**
   * extra request headers, e.g. `{ "authorization": "${HOOK_AUTH}" }` (values from environment references): sent
   * with every delivery, never logged nor written to dead letters
   */
  headers: ExtraHeaders.optional(),
  /** every secret signs each request (rotation: add the new one, remove the old one once the subscriber switched) */
  secrets: z.array(WhsecSecret).min(1),
  filter: SinkFilter.optional(),
  format: SinkFormat.default("envelope"),
  /** the durable outbox (default) and its bounds; `{ durable: false }` for the in-memory queue */
  outbox: OutboxConfig.prefault({}),
  /** in-memory queue only (`outbox.durable: false`): deliveries held per subscriber */
  queue_size: z.number().int().positive().default(1000),
  /** in-memory queue only: when full, `wait` for room (until the caller's deadline, then 503) or `reject` at once */
  when_full: z.enum(["wait", "reject"]).default("wait"),
  /** attempts per delivery, the first included */
  max_attempts: z.number().int().positive().default(8),
  backoff_base_ms: z.number().int().nonnegative().default(1000),
  backoff_max_ms: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  timeout_ms: z.number().int().positive().default(15_000),
  /** the JSON-lines file for deliveries that exhaust their retries (`convotic replay --dead-letter FILE`) */
  dead_letter: z.string().min(1),
});
export type WebhookSinkConfig = z.input<typeof WebhookSinkConfig>;
