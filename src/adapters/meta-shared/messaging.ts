import type { z } from "zod";
import type { EnvelopeBuilder, ItemMapper, MetadataInput } from "../../core";
import { platformTime } from "../../core/adapter-kit";
import { describeIssues } from "../../core/issues";
import { defined, withFields } from "../../core/objects";
import { messageContent, referralOf } from "./content";
import type { MetaChange } from "./entries";
import { hasUser, type MessagingItem, type UserItem } from "./messaging-item";
import type { Handover, MetaMessage, MetaMessagingItem, MetaReferral, PolicyEnforcement } from "./messaging-schema";

/*
 * The DM events Messenger and Instagram share, mapped once
 * (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events). What only one product has
 * (Messenger deliveries, edits and carts; Instagram unsends and stories) stays in that adapter.
 */

const GET_STARTED = /^get[\s_-]?started$/i;

/** Kinds that are about the Page or account itself and carry no sender. */
const PAGE_LEVEL_KINDS = new Set(["app_roles", "policy_enforcement", "policy-enforcement"]);

/** Maps the DM kinds Messenger and Instagram share; the adapters add their own kinds around it. */
export class MetaMessaging {
  constructor(readonly b: EnvelopeBuilder) {}

  /** The mapper of an event about this item's person: key, time and metadata built once. */
  mapper(item: UserItem, key: string, mid?: string): ItemMapper {
    // the optional keys set one by one, in the catalogue's order: no `defined({…})` copy per item
    const metadata: MetadataInput = {
      raw_platform_event_id: key,
      platform_account_id: item.account,
      platform_user_id: item.user,
      platform_thread_id: item.user,
    };
    if (mid !== undefined) metadata.platform_message_id = mid;
    if (item.standby) metadata.is_standby = true;
    return this.b.mapper({ kind: item.kind, raw: item.raw, key, timestamp: item.time, metadata });
  }

  /** The contact part of `data`: the person is the contact and their thread the conversation. */
  contact(item: UserItem): { contact_id: string; conversation_id: string } {
    return { contact_id: this.b.contactId(item.user), conversation_id: this.b.conversationId(item.user) };
  }

  /** A dedupe-key fragment for events Meta gives no id: the person and the item's own time. */
  stamp(item: UserItem): string {
    return `${item.user}:${this.timeKey(item)}`;
  }

  /**
   * The item's time in one unit, so a key does not depend on whether Meta sent seconds or ms. A value that is
   * not a time (the envelope then takes the receive time) keys by what was sent, so a redelivery keys alike.
   */
  timeKey(item: MessagingItem): string {
    if (item.time === undefined) return "untimed";
    return platformTime(item.time) ?? `sent:${String(item.time).slice(0, 64)}`;
  }

  /**
   * Maps a shared kind; false when the item is none of them. `policy_enforcement` is Page-level (no sender);
   * every other kind needs the person.
   */
  map(item: MessagingItem): boolean {
    const policy = item.raw.policy_enforcement ?? item.raw["policy-enforcement"];
    if (policy !== undefined) return this.policy(item, policy);
    if (!hasUser(item)) return false;
    const raw = item.raw;
    if (raw.message !== undefined) return this.message(item, raw.message);
    if (raw.reaction !== undefined) return this.reaction(item, raw.reaction);
    if (raw.read !== undefined) return this.read(item, raw.read);
    if (raw.postback !== undefined) return this.postback(item, raw.postback);
    if (raw.referral !== undefined) return this.referral(item, raw.referral);
    if (raw.optin !== undefined) return this.optin(item, raw.optin);
    // some older payloads (and the SDKs that typed them) carry the answer beside `optin` rather than inside it
    if (raw.message_request !== undefined) return this.messageRequest(item, raw.message_request, "message_request");
    if (raw.pass_thread_control !== undefined)
      return this.handover(item, "pass_thread_control", raw.pass_thread_control);
    if (raw.take_thread_control !== undefined)
      return this.handover(item, "take_thread_control", raw.take_thread_control);
    if (raw.request_thread_control !== undefined) return this.handoffRequest(item, raw.request_thread_control);
    return false;
  }

  /** An item with no mapping, reported with its kind and left untouched. */
  unhandled(item: MessagingItem, kind: string = item.kind, reason?: string): void {
    const why =
      reason ??
      (hasUser(item) || PAGE_LEVEL_KINDS.has(kind)
        ? undefined
        : "the item names no sender or recipient: there is no contact");
    this.b.unhandled(
      kind,
      item.raw,
      defined({ reason: why, raw_platform_event_id: item.raw.message?.mid ?? item.raw.postback?.mid }),
    );
  }

  /** A `changes[]` item that is not a DM event and has no mapping in the adapter. */
  unhandledChange(
    change: MetaChange,
    kind = `changes.${change.field.slice(0, 64)}`,
    reason?: string,
    rawId?: string,
  ): void {
    this.b.unhandled(kind, change, defined({ reason, raw_platform_event_id: rawId }));
  }

  /** Reads a `changes[].value` with the schema of its field; a value of another shape is reported, not thrown. */
  readChange<S extends z.ZodType>(change: MetaChange, schema: S): z.output<S> | undefined {
    const parsed = this.b.parse(schema, change.value);
    if (parsed.success) return parsed.data;
    this.unhandledChange(
      change,
      undefined,
      `the "${change.field.slice(0, 64)}" value does not have the documented shape: ${describeIssues(parsed.error)}`,
    );
    return undefined;
  }

  /** A message in or out: received / sent, and a quick-reply tap is also a postback (it is a button answer). */
  message(item: UserItem, message: MetaMessage): boolean {
    const m = this.mapper(item, message.mid, message.mid);
    const content = this.content(message, item.outbound ? "outbound" : "inbound");
    const { contact_id, conversation_id } = this.contact(item);
    m.emit(item.outbound ? "messaging.message.sent" : "messaging.message.received", {
      contact_id,
      conversation_id,
      message: content,
    });
    if (message.quick_reply !== undefined && !item.outbound) {
      m.emit(
        "messaging.postback",
        withFields(this.contact(item), {
          postback: { payload: message.quick_reply.payload, ...defined({ title: message.text }) },
        }),
      );
    }
    return true;
  }

  /** A Meta message as our `Message`. */
  content(message: MetaMessage, direction: "inbound" | "outbound") {
    return messageContent(this.b, message, direction);
  }

  private reaction(item: UserItem, reaction: NonNullable<MetaMessagingItem["reaction"]>): boolean {
    const type =
      reaction.action === "react"
        ? "messaging.reaction.added"
        : reaction.action === "unreact"
          ? "messaging.reaction.removed"
          : undefined;
    if (type === undefined) {
      this.unhandled(item, `reaction.${reaction.action.slice(0, 64)}`);
      return true;
    }
    // reactions have no id of their own; the time tells a re-react after an unreact from a retried delivery
    const key = `${reaction.mid}:reaction:${reaction.action}:${reaction.emoji ?? reaction.reaction ?? ""}:${this.stamp(item)}`;
    this.mapper(item, key, reaction.mid).emit(
      type,
      withFields(this.contact(item), {
        reaction: {
          message_id: this.b.messageId(reaction.mid),
          ...defined({ emoji: reaction.emoji, name: reaction.reaction }),
        },
      }),
    );
    return true;
  }

  /** Messenger reads are a watermark (all earlier messages); Instagram `messaging_seen` names one message. */
  private read(item: UserItem, read: NonNullable<MetaMessagingItem["read"]>): boolean {
    const watermark = read.watermark === undefined ? undefined : this.b.timestamp(read.watermark);
    const key = read.mid !== undefined ? `read:${read.mid}` : `read:${item.user}:${watermark ?? this.timeKey(item)}`;
    this.mapper(item, key, read.mid).emit(
      "messaging.message.read",
      withFields(this.contact(item), {
        message_ids: read.mid === undefined ? [] : [this.b.messageId(read.mid)],
        ...defined({ watermark }),
      }),
    );
    return true;
  }

  /**
   * A postback. Standby copies carry no payload: the payload is then empty. A Get Started tap, an Instagram
   * "get_started" icebreaker, or a postback carrying a referral (only sent when the thread was opened from a
   * link, ad or QR code) also starts a conversation.
   */
  private postback(item: UserItem, postback: NonNullable<MetaMessagingItem["postback"]>): boolean {
    const m = this.mapper(item, postback.mid ?? `postback:${this.stamp(item)}:${postback.payload ?? ""}`, postback.mid);
    m.emit(
      "messaging.postback",
      withFields(this.contact(item), {
        postback: { payload: postback.payload ?? "", ...defined({ title: postback.title }) },
      }),
    );
    const getStarted = GET_STARTED.test(postback.payload ?? "") || GET_STARTED.test(postback.title ?? "");
    if (postback.referral !== undefined || getStarted) {
      m.emit(
        "messaging.conversation.created",
        withFields(this.contact(item), {
          source: postback.referral !== undefined ? "referral" : "get_started",
          ...defined({ referral: postback.referral === undefined ? undefined : referralOf(postback.referral) }),
        }),
      );
    }
    return true;
  }

  /** A referral in an existing thread (m.me / ig.me link, ad, QR code): the conversation's origin changed. */
  private referral(item: UserItem, referral: z.output<typeof MetaReferral>): boolean {
    const changes: Record<string, string> = {};
    for (const [name, value] of Object.entries(referralOf(referral)))
      if (value !== undefined) changes[`referral_${name}`] = value;
    const key = `referral:${this.stamp(item)}:${referral.ref ?? referral.ad_id ?? ""}`;
    this.mapper(item, key).emit("messaging.conversation.updated", withFields(this.contact(item), { changes }));
    return true;
  }

  /**
   * Opt-ins (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_optins):
   * a plugin or checkbox opt-in or a marketing-messages subscription is a follow, "STOP NOTIFICATIONS" an
   * unfollow. Accepting a message request the Page sent through customer matching opens the conversation: a
   * conversation created with `source: "message_request"`, not a subscription. One-time notification requests
   * grant a single message, not a subscription: unhandled.
   */
  private optin(item: UserItem, optin: NonNullable<MetaMessagingItem["optin"]>): boolean {
    if (optin.message_request !== undefined) return this.messageRequest(item, optin.message_request);
    if (optin.type === "one_time_notif_req") {
      this.unhandled(item, "optin.one_time_notif_req", "a one-time notification token is not a subscription");
      return true;
    }
    const status = optin.notification_messages_status;
    const key = `optin:${this.stamp(item)}:${optin.type ?? optin.ref ?? "plugin"}${status === undefined ? "" : `:${status}`}`;
    this.mapper(item, key).emit(
      status === "STOP NOTIFICATIONS" ? "messaging.unfollow" : "messaging.follow",
      this.contact(item),
    );
    return true;
  }

  private messageRequest(item: UserItem, answer: string, kind = "optin.message_request"): boolean {
    if (answer !== "accept") {
      this.unhandled(item, kind, `a message request answered "${answer.slice(0, 64)}" opens no conversation`);
      return true;
    }
    this.mapper(item, `optin:${this.stamp(item)}:message_request`).emit(
      "messaging.conversation.created",
      withFields(this.contact(item), {
        source: "message_request",
      }),
    );
    return true;
  }

  /** Handover protocol: the thread owner changed. Ids may be numbers or null (idle thread). */
  private handover(
    item: UserItem,
    kind: "pass_thread_control" | "take_thread_control",
    handover: z.output<typeof Handover>,
  ): boolean {
    const key = `${kind}:${this.stamp(item)}:${String(handover.new_owner_app_id ?? "")}`;
    const owner = (id: string | number | null | undefined) => (id === null || id === undefined ? null : String(id));
    this.mapper(item, key).emit(
      "messaging.conversation.updated",
      withFields(this.contact(item), {
        changes: {
          handover: kind,
          thread_owner_app_id: owner(handover.new_owner_app_id),
          previous_thread_owner_app_id: owner(handover.previous_owner_app_id),
          ...defined({ handover_metadata: handover.metadata }),
        },
      }),
    );
    return true;
  }

  private handoffRequest(item: UserItem, request: z.output<typeof Handover>): boolean {
    const requestedBy = request.requested_owner_app_id;
    this.mapper(item, `request_thread_control:${this.stamp(item)}`).emit(
      "messaging.handoff.requested",
      withFields(this.contact(item), {
        ...defined({
          reason: request.metadata,
          requested_by: requestedBy === undefined ? undefined : String(requestedBy),
        }),
      }),
    );
    return true;
  }

  /** Meta blocked the Page/account from messaging: a block error. Warnings and unblocks are reported unhandled. */
  private policy(item: MessagingItem, policy: z.output<typeof PolicyEnforcement>): boolean {
    if (policy.action !== "block") {
      const action = policy.action.slice(0, 64);
      this.unhandled(
        item,
        `policy_enforcement.${action}`,
        `policy_enforcement "${action}" is not an error of the block`,
      );
      return true;
    }
    const key = `policy_enforcement:${item.account}:${this.timeKey(item)}:block`;
    const m = this.b.mapper({
      kind: item.kind,
      raw: item.raw,
      key,
      timestamp: item.time,
      metadata: {
        raw_platform_event_id: key,
        platform_account_id: item.account,
        ...defined({ is_standby: item.standby ? true : undefined }),
      },
    });
    m.emit("platform.block.error", {
      error: {
        code: "policy_enforcement.block",
        message: policy.reason ?? "Meta blocked the account for a policy violation",
      },
    });
    return true;
  }
}
