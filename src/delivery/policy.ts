import { ConfigError } from "../core";

const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;
const DAY = 24 * HOUR;

/**
 * How long a committed event id is remembered, per platform: at least as long as the platform redelivers. These are
 * configuration, not code paths: nothing switches on a platform name, and a user's table overrides any entry.
 */
export const DEFAULT_TTL_MS: Readonly<Record<string, number>> = {
  // "retried … with decreasing frequency over the next 7 days" (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/create-webhook-endpoint)
  whatsapp: 7 * DAY,
  // Messenger and Instagram messaging retry for about an hour before the app is unsubscribed; their Graph feed and
  // comment webhooks retry "over the next 36 hours" (https://developers.facebook.com/docs/graph-api/webhooks/getting-started)
  messenger: 36 * HOUR,
  instagram: 36 * HOUR,
  // redelivery counts and intervals are "not disclosed" (https://developers.line.biz/en/docs/messaging-api/receiving-messages/#webhook-redelivery)
  line: DAY,
  // updates "will not be kept longer than 24 hours" (https://core.telegram.org/bots/api#getting-updates)
  telegram: DAY,
  /** a platform not in the table */
  default: DAY,
};

/**
 * The time the sinks and handlers of one request get, per platform: below the platform's own response timeout, so
 * that a slow handler earns a 500 (and a redelivery) rather than a timeout the platform may count against us.
 */
export const DEFAULT_DEADLINE_MS: Readonly<Record<string, number>> = {
  // LINE stops waiting after 2 s (https://developers.line.biz/en/docs/messaging-api/check-webhook-error-statistics/)
  line: 1500,
  // Messenger and Instagram ask for a 200 "within 5 or less seconds" (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks)
  messenger: 4 * SECOND,
  instagram: 4 * SECOND,
  // WhatsApp states no limit; treated like Messenger (Meta's webhook requests time out after 20 s:
  // https://developers.facebook.com/docs/messenger-platform/faq)
  whatsapp: 4 * SECOND,
  // the Bot API server waits 60 s for an answer (tdlib/telegram-bot-api#211: "awaited for at most 60 seconds")
  telegram: 50 * SECOND,
  default: 5 * SECOND,
};

/** A per-platform table: a number for every platform, or entries by platform name with an optional `default`. */
export type PerPlatform = number | Readonly<Record<string, number>>;

/** Resolves a platform's value from a user's table over the built-in one. */
export class PlatformTable {
  private readonly table: Readonly<Record<string, number>>;

  constructor(
    readonly what: string,
    defaults: Readonly<Record<string, number>>,
    overrides: PerPlatform | undefined,
  ) {
    const given = typeof overrides === "number" ? { default: overrides } : (overrides ?? {});
    // a bare number replaces every platform's value, not only the default
    const base = typeof overrides === "number" ? { default: overrides } : defaults;
    for (const [platform, value] of Object.entries(given)) {
      if (!Number.isFinite(value) || value <= 0) {
        throw new ConfigError(
          `${what} for ${platform} must be a positive number of milliseconds, got ${String(value)}`,
        );
      }
    }
    this.table = { ...base, ...given };
  }

  for(platform: string): number {
    return this.table[platform] ?? this.table["default"] ?? DAY;
  }

  toJSON(): Readonly<Record<string, number>> {
    return this.table;
  }
}
