import type { z } from "zod";
import { describeIssues, type EnvelopeBuilder, type EventMetadata, type schemas } from "../../core";
import { metaItems, type MetaChange, type MetaEntryBase, type WalkableEntry } from "./entries";
import {
  isMessagingField,
  itemKind,
  type Handover,
  type MetaAttachment,
  type MetaMessage,
  type MetaMessagingItem,
  type MetaReferral,
  type PolicyEnforcement,
} from "./messaging-schema";

/*
 * The DM events Messenger and Instagram share, mapped once (meta-platforms.md §2, §3, §6). What only one
 * product has (Messenger deliveries, edits and carts; Instagram unsends and stories) stays in that adapter.
 */

type Message = z.output<typeof schemas.Message>;
type Attachment = z.output<typeof schemas.Attachment>;
type Referral = z.output<typeof schemas.Referral>;

/** One item with what every event made from it shares. */
export interface MessagingItem<R extends MetaMessagingItem = MetaMessagingItem> {
  readonly raw: R;
  readonly kind: string;
  /** `entry.id`: the Page id or Instagram account id */
  readonly account: string;
  readonly standby: boolean;
  /** the business wrote it (an echo): the contact is then the recipient */
  readonly outbound: boolean;
  /** the PSID / IGSID of the person (or a plugin `user_ref`); absent on Page-level events */
  readonly user: string | undefined;
  readonly time: number | string | undefined;
}

export type UserItem<R extends MetaMessagingItem = MetaMessagingItem> = MessagingItem<R> & { readonly user: string };

export function hasUser<R extends MetaMessagingItem>(item: MessagingItem<R>): item is UserItem<R> {
  return item.user !== undefined;
}

export function messagingItem<R extends MetaMessagingItem>(raw: R, entry: MetaEntryBase, standby: boolean): MessagingItem<R> {
  // echoes reverse sender and recipient (§2.4, §3.1): the person is whichever side is not the account
  const outbound = raw.message?.is_echo === true || (raw.sender?.id !== undefined && raw.sender.id === entry.id);
  const person = outbound ? raw.recipient : raw.sender;
  return {
    raw,
    kind: itemKind(raw),
    account: entry.id,
    standby,
    outbound,
    user: person?.id ?? person?.user_ref,
    // an item without its own time (Messenger delivery examples) takes the entry's
    time: raw.timestamp ?? entry.time,
  };
}

const GET_STARTED = /^get[\s_-]?started$/i;

/** Kinds that are about the Page or account itself and carry no sender (§2.12, §2.13). */
const PAGE_LEVEL_KINDS = new Set(["app_roles", "policy_enforcement", "policy-enforcement"]);

/** Maps the DM kinds Messenger and Instagram share; the adapters add their own kinds around it. */
export class MetaMessaging {
  constructor(readonly b: EnvelopeBuilder) {}

  /** The contact part of `data` and the ids of `metadata` for an event about this item's person. */
  parts(item: UserItem, rawId: string, mid?: string) {
    return {
      data: { contact_id: this.b.contactId(item.user), conversation_id: this.b.conversationId(item.user) },
      metadata: {
        raw_platform_event_id: rawId,
        platform_account_id: item.account,
        platform_user_id: item.user,
        platform_thread_id: item.user,
        ...(mid === undefined ? {} : { platform_message_id: mid }),
        ...(item.standby ? { is_standby: true } : {}),
      } satisfies EventMetadata,
    };
  }

  /** A dedupe-key fragment for events Meta gives no id: the person and the item's own time. */
  private stamp(item: UserItem): string {
    return `${item.user}:${this.timeKey(item)}`;
  }

  /** The item's time in one unit, so a key does not depend on whether Meta sent seconds or ms. */
  private timeKey(item: MessagingItem): string {
    return item.time === undefined ? "untimed" : this.b.timestamp(item.time);
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
    if (raw.pass_thread_control !== undefined) return this.handover(item, "pass_thread_control", raw.pass_thread_control);
    if (raw.take_thread_control !== undefined) return this.handover(item, "take_thread_control", raw.take_thread_control);
    if (raw.request_thread_control !== undefined) return this.handoffRequest(item, raw.request_thread_control);
    return false;
  }

  /** An item with no mapping, reported with its kind and left untouched. */
  unhandled(item: MessagingItem, kind: string = item.kind, reason?: string): void {
    const rawId = item.raw.message?.mid ?? item.raw.postback?.mid;
    const why = reason ?? (hasUser(item) || PAGE_LEVEL_KINDS.has(kind) ? undefined : "the item names no sender or recipient: there is no contact");
    this.b.unhandled(kind, item.raw, {
      ...(why === undefined ? {} : { reason: why }),
      ...(rawId === undefined ? {} : { raw_platform_event_id: rawId }),
    });
  }

  /** A `changes[]` item that is not a DM event and has no mapping in the adapter. */
  unhandledChange(change: MetaChange, kind = `changes.${change.field}`, reason?: string, rawId?: string): void {
    this.b.unhandled(kind, change, {
      ...(reason === undefined ? {} : { reason }),
      ...(rawId === undefined ? {} : { raw_platform_event_id: rawId }),
    });
  }

  /**
   * Every item of every entry, in order. DM items go to `onItem`: those of `messaging[]` and `standby[]`, and
   * the dashboard "Test" button's DM, which arrives as `{field: "messages", value}` in `changes[]` with fake
   * ids (meta-platforms.md §1.5). Every other change goes to `onChange`.
   */
  walk<R extends MetaMessagingItem>(
    entries: readonly WalkableEntry<R>[],
    itemSchema: z.ZodType<R>,
    onItem: (item: MessagingItem<R>) => void,
    onChange: (entry: MetaEntryBase, change: MetaChange) => void,
  ): void {
    for (const visit of metaItems(entries)) {
      if (visit.channel !== "changes") {
        onItem(messagingItem(visit.item, visit.entry, visit.channel === "standby"));
      } else if (isMessagingField(visit.change.field)) {
        const value = this.readChange(visit.change, itemSchema);
        if (value !== undefined) onItem(messagingItem(value, visit.entry, visit.change.field === "standby"));
      } else {
        onChange(visit.entry, visit.change);
      }
    }
  }

  /** Reads a `changes[].value` with the schema of its field; a value of another shape is reported, not thrown. */
  readChange<S extends z.ZodType>(change: MetaChange, schema: S): z.output<S> | undefined {
    const parsed = schema.safeParse(change.value);
    if (parsed.success) return parsed.data;
    this.unhandledChange(change, undefined, `the "${change.field}" value does not have the documented shape: ${describeIssues(parsed.error)}`);
    return undefined;
  }

  /** A message in or out: received / sent, and a quick-reply tap is also a postback (it is a button answer). */
  message(item: UserItem, message: MetaMessage): boolean {
    const { data, metadata } = this.parts(item, message.mid, message.mid);
    const content = this.content(message, item.outbound ? "outbound" : "inbound");
    const type = item.outbound ? "messaging.message.sent" : "messaging.message.received";
    this.b.event(type, { key: message.mid, timestamp: item.time, metadata, data: { ...data, message: content } });
    if (message.quick_reply !== undefined && !item.outbound) {
      this.b.event("messaging.postback", {
        key: message.mid, timestamp: item.time, metadata,
        data: { ...data, postback: { payload: message.quick_reply.payload, ...(message.text === undefined ? {} : { title: message.text }) } },
      });
    }
    return true;
  }

  /** A Meta message as our `Message`. */
  content(message: MetaMessage, direction: Message["direction"]): Message {
    const mapped = (message.attachments ?? []).map(attachmentOf);
    const location = mapped.find((entry) => "location" in entry);
    const attachments = distinct(mapped.flatMap((entry) => ("attachment" in entry ? [entry.attachment] : [])));
    const type = message.is_unsupported === true ? "unsupported" : messageType(message.text, attachments, location !== undefined);
    const unknown = mapped.flatMap((entry) => ("unknown" in entry ? [entry.unknown] : []));
    const reason =
      message.is_unsupported === true
        ? "the platform marked the message is_unsupported"
        : unknown.length > 0
          ? `unsupported attachment type(s): ${unknown.join(", ")}`
          : "the message has neither text nor attachments";
    const replyTo = message.reply_to?.mid;
    return {
      id: this.b.messageId(message.mid),
      type,
      direction,
      ...(message.text === undefined ? {} : { text: message.text }),
      ...(attachments.length > 0 ? { attachments } : {}),
      ...(replyTo === undefined ? {} : { reply_to: { message_id: this.b.messageId(replyTo) } }),
      ...(location !== undefined && "location" in location ? { location: location.location } : {}),
      ...(message.referral === undefined ? {} : { referral: referralOf(message.referral) }),
      ...(type === "unsupported" ? { unsupported_reason: reason } : {}),
    };
  }

  private reaction(item: UserItem, reaction: NonNullable<MetaMessagingItem["reaction"]>): boolean {
    const type = reaction.action === "react" ? "messaging.reaction.added" : reaction.action === "unreact" ? "messaging.reaction.removed" : undefined;
    if (type === undefined) {
      this.unhandled(item, `reaction.${reaction.action}`);
      return true;
    }
    // reactions have no id of their own; the time tells a re-react after an unreact from a retried delivery
    const key = `${reaction.mid}:reaction:${reaction.action}:${reaction.emoji ?? reaction.reaction ?? ""}:${this.stamp(item)}`;
    const { data, metadata } = this.parts(item, key, reaction.mid);
    this.b.event(type, {
      key, timestamp: item.time, metadata,
      data: {
        ...data,
        reaction: {
          message_id: this.b.messageId(reaction.mid),
          ...(reaction.emoji === undefined ? {} : { emoji: reaction.emoji }),
          ...(reaction.reaction === undefined ? {} : { name: reaction.reaction }),
        },
      },
    });
    return true;
  }

  /** Messenger reads are a watermark (all earlier messages); Instagram `messaging_seen` names one message. */
  private read(item: UserItem, read: NonNullable<MetaMessagingItem["read"]>): boolean {
    const key = read.mid !== undefined ? `read:${read.mid}` : `read:${item.user}:${read.watermark === undefined ? this.timeKey(item) : this.b.timestamp(read.watermark)}`;
    const { data, metadata } = this.parts(item, key, read.mid);
    this.b.event("messaging.message.read", {
      key, timestamp: item.time, metadata,
      data: {
        ...data,
        message_ids: read.mid === undefined ? [] : [this.b.messageId(read.mid)],
        ...(read.watermark === undefined ? {} : { watermark: this.b.timestamp(read.watermark) }),
      },
    });
    return true;
  }

  /**
   * A postback. Standby copies carry no payload (§2.9): the payload is then empty. A Get Started tap, an
   * Instagram "get_started" icebreaker, or a postback carrying a referral (only sent when the thread was opened
   * from a link, ad or QR code) also starts a conversation.
   */
  private postback(item: UserItem, postback: NonNullable<MetaMessagingItem["postback"]>): boolean {
    const key = postback.mid ?? `postback:${this.stamp(item)}:${postback.payload ?? ""}`;
    const { data, metadata } = this.parts(item, key, postback.mid);
    this.b.event("messaging.postback", {
      key, timestamp: item.time, metadata,
      data: { ...data, postback: { payload: postback.payload ?? "", ...(postback.title === undefined ? {} : { title: postback.title }) } },
    });
    const getStarted = GET_STARTED.test(postback.payload ?? "") || GET_STARTED.test(postback.title ?? "");
    if (postback.referral !== undefined || getStarted) {
      this.b.event("messaging.conversation.created", {
        key, timestamp: item.time, metadata,
        data: {
          ...data,
          source: postback.referral !== undefined ? "referral" : "get_started",
          ...(postback.referral === undefined ? {} : { referral: referralOf(postback.referral) }),
        },
      });
    }
    return true;
  }

  /** A referral in an existing thread (m.me / ig.me link, ad, QR code): the conversation's origin changed. */
  private referral(item: UserItem, referral: z.output<typeof MetaReferral>): boolean {
    const key = `referral:${this.stamp(item)}:${referral.ref ?? referral.ad_id ?? ""}`;
    const { data, metadata } = this.parts(item, key);
    const mapped = referralOf(referral);
    const changes: Record<string, string> = {};
    for (const [name, value] of Object.entries(mapped)) if (value !== undefined) changes[`referral_${name}`] = value;
    this.b.event("messaging.conversation.updated", { key, timestamp: item.time, metadata, data: { ...data, changes } });
    return true;
  }

  /**
   * Opt-ins: a plugin opt-in or a marketing-messages subscription is a follow, "STOP NOTIFICATIONS" an
   * unfollow. One-time notification requests grant a single message, not a subscription: unhandled.
   */
  private optin(item: UserItem, optin: NonNullable<MetaMessagingItem["optin"]>): boolean {
    if (optin.type === "one_time_notif_req") {
      this.unhandled(item, "optin.one_time_notif_req", "a one-time notification token is not a subscription");
      return true;
    }
    const status = optin.notification_messages_status;
    const key = `optin:${this.stamp(item)}:${optin.type ?? optin.ref ?? "plugin"}${status === undefined ? "" : `:${status}`}`;
    const { data, metadata } = this.parts(item, key);
    if (status === "STOP NOTIFICATIONS") this.b.event("messaging.unfollow", { key, timestamp: item.time, metadata, data });
    else this.b.event("messaging.follow", { key, timestamp: item.time, metadata, data });
    return true;
  }

  /** Handover protocol: the thread owner changed (§2.12). Ids may be numbers or null (idle thread). */
  private handover(item: UserItem, kind: "pass_thread_control" | "take_thread_control", handover: z.output<typeof Handover>): boolean {
    const key = `${kind}:${this.stamp(item)}:${String(handover.new_owner_app_id ?? "")}`;
    const { data, metadata } = this.parts(item, key);
    const owner = (id: string | number | null | undefined) => (id === null || id === undefined ? null : String(id));
    this.b.event("messaging.conversation.updated", {
      key, timestamp: item.time, metadata,
      data: {
        ...data,
        changes: {
          handover: kind,
          thread_owner_app_id: owner(handover.new_owner_app_id),
          previous_thread_owner_app_id: owner(handover.previous_owner_app_id),
          ...(handover.metadata === undefined ? {} : { handover_metadata: handover.metadata }),
        },
      },
    });
    return true;
  }

  private handoffRequest(item: UserItem, request: z.output<typeof Handover>): boolean {
    const key = `request_thread_control:${this.stamp(item)}`;
    const { data, metadata } = this.parts(item, key);
    this.b.event("messaging.handoff.requested", {
      key, timestamp: item.time, metadata,
      data: {
        ...data,
        ...(request.metadata === undefined ? {} : { reason: request.metadata }),
        ...(request.requested_owner_app_id === undefined ? {} : { requested_by: String(request.requested_owner_app_id) }),
      },
    });
    return true;
  }

  /** Meta blocked the Page/account from messaging: a block error. Warnings and unblocks are reported unhandled. */
  private policy(item: MessagingItem, policy: z.output<typeof PolicyEnforcement>): boolean {
    if (policy.action !== "block") {
      this.unhandled(item, `policy_enforcement.${policy.action}`, `policy_enforcement "${policy.action}" is not an error of the block`);
      return true;
    }
    const key = `policy_enforcement:${item.account}:${this.timeKey(item)}:block`;
    this.b.event("platform.block.error", {
      key, timestamp: item.time,
      metadata: { raw_platform_event_id: key, platform_account_id: item.account, ...(item.standby ? { is_standby: true } : {}) },
      data: {
        error: { code: "policy_enforcement.block", message: policy.reason ?? "Meta blocked the account for a policy violation" },
      },
    });
    return true;
  }
}

type MappedAttachment = { attachment: Attachment; unknown?: string } | { location: NonNullable<Message["location"]> };

/**
 * Meta attachment types (§2.3, §3.2) as our attachment types. Stickers arrive as `image` with a `sticker_id`
 * (and, until Aug 2026, as a `sticker` *and* such an image); Instagram post shares as `share` with an
 * `ig_post_media_id` (and, in the Nov 2025 → Feb 2026 transition, as `share` *and* `ig_post`). Both pairs map
 * to one type and one media id so `distinct` keeps one of each.
 */
function attachmentOf(raw: MetaAttachment): MappedAttachment {
  const payload = raw.payload ?? {};
  const url = payload.url ?? raw.url ?? raw.URL;
  const title = payload.title ?? raw.title;
  const make = (type: Attachment["type"], mediaId?: string | number): Attachment => ({
    type,
    ...(url === undefined ? {} : { url }),
    ...(title === undefined ? {} : { title }),
    ...(mediaId === undefined ? {} : { media_id: String(mediaId) }),
  });
  switch (raw.type) {
    case "image":
      return { attachment: payload.sticker_id === undefined ? make("image") : make("sticker", payload.sticker_id) };
    case "video":
    case "audio":
    case "file":
      return { attachment: make(raw.type) };
    case "sticker":
      return { attachment: make("sticker", payload.sticker_id) };
    case "like_heart":
      // Instagram's heart: a sticker standing for ❤️, with no payload
      return { attachment: { ...make("sticker"), emoji: "\u2764\ufe0f" } };
    case "reel":
    case "ig_reel":
      return { attachment: make("reel", payload.reel_video_id) };
    case "post":
    case "ig_post":
      return { attachment: make("post", payload.ig_post_media_id ?? payload.id) };
    case "share":
      return { attachment: payload.ig_post_media_id === undefined ? make("share") : make("post", payload.ig_post_media_id) };
    case "story_mention":
      return { attachment: make("story", payload.id) };
    case "fallback":
      return { attachment: make("link") };
    case "template": {
      const product = payload.product?.elements?.[0];
      const named = product?.title === undefined ? make("template", product?.id) : { ...make("template", product.id), title: product.title };
      return { attachment: named };
    }
    case "location":
      if (payload.coordinates !== undefined) {
        return { location: { latitude: payload.coordinates.lat, longitude: payload.coordinates.long, ...(title === undefined ? {} : { name: title }) } };
      }
      return { attachment: make("unsupported"), unknown: raw.type };
    default:
      return { attachment: make("unsupported"), unknown: raw.type };
  }
}

/** One attachment per type and media (or URL): the duplicate half of a transition pair is dropped. */
function distinct(attachments: Attachment[]): Attachment[] {
  const seen = new Set<string>();
  return attachments.filter((attachment) => {
    const key = `${attachment.type}:${attachment.media_id ?? attachment.url ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const SHARED_CONTENT = new Set<Attachment["type"]>(["reel", "post", "share", "story", "link", "template"]);

function messageType(text: string | undefined, attachments: Attachment[], hasLocation: boolean): Message["type"] {
  if (hasLocation) return "location";
  const first = attachments.find((attachment) => attachment.type !== "unsupported");
  if (first === undefined) return text === undefined ? "unsupported" : "text";
  // a typed URL arrives as text plus a `fallback` link preview: still a text message
  if (text !== undefined && attachments.every((attachment) => attachment.type === "link")) return "text";
  if (SHARED_CONTENT.has(first.type)) return "share";
  return first.type === "image" || first.type === "video" || first.type === "audio" || first.type === "file" || first.type === "sticker"
    ? first.type
    : "unsupported";
}

export function referralOf(referral: z.output<typeof MetaReferral>): Referral {
  const context = referral.ads_context_data;
  const mediaUrl = context?.photo_url ?? context?.video_url;
  const productId = referral.product?.id ?? context?.product_id;
  return {
    ...(referral.source === undefined ? {} : { source: referral.source }),
    ...(referral.type === undefined ? {} : { type: referral.type }),
    ...(referral.ref === undefined ? {} : { ref: referral.ref }),
    ...(referral.ad_id === undefined ? {} : { ad_id: String(referral.ad_id) }),
    ...(referral.referer_uri === undefined ? {} : { url: referral.referer_uri }),
    ...(context?.ad_title === undefined ? {} : { headline: context.ad_title }),
    ...(mediaUrl === undefined ? {} : { media_type: context?.photo_url !== undefined ? "image" : "video", media_url: mediaUrl }),
    ...(productId === undefined ? {} : { product_id: String(productId) }),
  };
}
