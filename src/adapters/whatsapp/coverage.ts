import type { CoverageRow, CoverageTable, EventType } from "../../core";
import { REPORTED_FIELDS } from "./account";

/*
 * Every webhook kind WhatsApp documents, and what becomes of it, in the one coverage form (core/coverage.ts):
 * docs/adapters/whatsapp.md renders it, and test/whatsapp.test.ts normalises each row's example and checks the row.
 * Built rather than listed: kinds that share an outcome share a line, and the administration fields come from the
 * adapter's own list of reported fields.
 */

type Outcome = Pick<CoverageRow, "emits" | "reported">;

/** The builder's reason for a kind without a catalogue type; `<…>` stands for what the payload names. */
const noType = (kind: string): Outcome => ({
  reported: { kind, why: `no catalogue type maps whatsapp "${kind}"` },
});

/** The fields of `REPORTED_FIELDS` that have a fixture of their own; the others are sent as `{field, value: {}}`. */
const EXAMPLES: ReadonlyMap<string, string> = new Map([
  ["calls", "calls-connect"],
  ["message_template_status_update", "template-status-update"],
  ["phone_number_quality_update", "phone-number-quality-update"],
]);

/** A change of an administration field with an empty value. */
const administration = (field: string) => ({
  body: {
    object: "whatsapp_business_account",
    entry: [{ id: "102290129340398", time: 1751247548, changes: [{ field, value: {} }] }],
  },
});

/** Rows sharing one outcome, as `[webhook, example]` pairs. */
function rows(
  outcome: Outcome | readonly EventType[],
  examples: readonly (readonly [string, string])[],
): CoverageRow[] {
  const shared: Outcome = "length" in outcome ? { emits: outcome } : outcome;
  return examples.map(([webhook, example]) => ({ webhook, ...shared, example }));
}

const ROWS: readonly CoverageRow[] = [
  ...rows(
    ["messaging.message.received"],
    [
      ["messages: `text`", "text"],
      ["messages: `image`, `video`, `document`, `sticker`", "image"],
      ["messages: `audio` (`voice: true`: a voice note)", "voice"],
      ["messages: `voice` (older On-Premises shape)", "voice-on-premises"],
      ["messages: `location`", "location"],
      ["messages: `contacts`", "contacts-card"],
      ["messages: `unsupported`", "unsupported"],
    ],
  ),
  ...rows(
    ["messaging.postback", "messaging.message.received"],
    [
      ["messages: `interactive` `button_reply` / `list_reply`", "interactive-button-reply"],
      ["messages: `interactive` `nfm_reply` (Flows)", "interactive-nfm-reply"],
      ["messages: `button` (template quick reply)", "template-button"],
    ],
  ),
  ...rows(noType("interactive.call_permission_reply"), [
    ["messages: `interactive` `call_permission_reply`", "interactive-call-permission-reply"],
  ]),
  ...rows(["messaging.reaction.added"], [["messages: `reaction`", "reaction"]]),
  ...rows(
    ["messaging.reaction.removed"],
    [["messages: `reaction` without an emoji (removed)", "reaction-removed-no-emoji"]],
  ),
  ...rows(["commerce.order.created", "messaging.message.received"], [["messages: `order`", "order"]]),
  ...rows(["messaging.conversation.created"], [["messages: `request_welcome`", "request-welcome"]]),
  ...rows(
    ["messaging.message.updated"],
    [
      ["messages: `edit`", "edit"],
      ["smb_message_echoes: `edit`", "echo-edit"],
    ],
  ),
  ...rows(
    ["messaging.message.deleted"],
    [
      ["messages: `revoke`", "revoke"],
      ["smb_message_echoes: `revoke`", "echo-revoke"],
    ],
  ),
  ...rows(
    ["crm.contact.updated"],
    [
      ["messages: `system` `user_changed_number`", "system-user-changed-number"],
      ["messages: `system` `user_changed_user_id`", "system-user-changed-user-id"],
    ],
  ),
  ...rows(
    {
      reported: {
        kind: "system.customer_identity_changed",
        why: 'whatsapp system message "customer_identity_changed" has no catalogue type (no contact field it changes)',
      },
    },
    [["messages: `system` `customer_identity_changed`", "system-customer-identity-changed"]],
  ),
  ...rows(
    ["messaging.message.sent"],
    [
      ["messages: `statuses` `sent`", "status-sent"],
      ["smb_message_echoes: a message the business sent from the app", "smb-message-echo"],
    ],
  ),
  ...rows(["messaging.message.delivered"], [["messages: `statuses` `delivered`", "status-delivered"]]),
  ...rows(["messaging.message.read"], [["messages: `statuses` `read`, `played`", "status-played"]]),
  ...rows(["messaging.message.failed"], [["messages: `statuses` `failed`", "status-failed"]]),
  ...rows(noType("statuses.deleted"), [["messages: `statuses` `deleted` (legacy)", "status-deleted"]]),
  ...rows(
    ["platform.block.error"],
    [
      ["messages: `errors`", "value-errors"],
      ["account_update: `ACCOUNT_RESTRICTION`, `ACCOUNT_VIOLATION`, `DISABLED_UPDATE`", "account-update-restriction"],
    ],
  ),
  ...rows(["messaging.unfollow"], [["user_preferences: marketing messages `stop`", "user-preferences"]]),
  ...rows(
    ["messaging.follow"],
    [
      ["user_preferences: marketing messages `resume`", "user-preferences-resume"],
      ["user_preferences: marketing messages `signup`", "user-preferences-signup"],
    ],
  ),
  ...rows(
    ["platform.block.connected"],
    [
      [
        "account_update: `PARTNER_ADDED`, `PARTNER_APP_INSTALLED`, `ACCOUNT_RECONNECTED`",
        "account-update-partner-added",
      ],
    ],
  ),
  ...rows(
    ["platform.block.disconnected"],
    [
      [
        "account_update: `PARTNER_REMOVED`, `PARTNER_APP_UNINSTALLED`, `ACCOUNT_DELETED`, `ACCOUNT_OFFBOARDED`",
        "account-update-partner-app-uninstalled",
      ],
    ],
  ),
  ...rows(noType("account_update.<event>"), [["account_update: any other event", "account-update-other"]]),
  ...[...REPORTED_FIELDS].map(([field, reason]) => ({
    webhook: field,
    reported: { kind: field, why: reason },
    example: EXAMPLES.get(field) ?? administration(field),
  })),
];

export const coverage = {
  platform: "whatsapp",
  sources: [
    "https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview",
    "https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages",
  ],
  rows: ROWS,
} satisfies CoverageTable;
