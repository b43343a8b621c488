import { z } from "zod";
import { defineAdapter, EnvelopeBuilder, type EventType, type NormalizeContext, type NormalizeResult } from "../../core";
import { MetaChange, MetaTime, metaAccounts, metaEnvelope, type MetaEntryBase } from "./entries";
import { MetaMessaging } from "./messaging";
import { itemKind, messagingItem, type MessagingItem } from "./messaging-item";
import { isMessagingField, MetaMessagingItem } from "./messaging-schema";
import { metaTransport } from "./transport";

/*
 * Messenger and Instagram are one product to their webhooks: the same `{object, entry[]}` body, the same DM item
 * in `messaging[]` / `standby[]`, the same mappings, the same account split. It is declared once here; each
 * adapter adds only its `object`, the DM kinds and `changes[]` fields it alone has, and the events those emit.
 */

/** What each Meta DM product adds to the shared declaration. */
export interface MetaDmProduct<I extends MetaMessagingItem> {
  readonly platform: string;
  /** the webhook `object` of the product: `page`, `instagram` */
  readonly object: string;
  /** the DM item: `MetaMessagingItem`, extended with the kinds only this product has */
  readonly item: z.ZodType<I>;
  /** the event types this product emits beside the shared DM events */
  readonly emits: readonly EventType[];
  /** maps a DM kind only this product has (or maps a shared one its own way); false hands it to the shared mappings */
  mapItem(meta: MetaMessaging, item: MessagingItem<I>): boolean;
  /** maps a `changes[]` item that is not a DM event (Page `feed`, Instagram `comments`…) */
  mapChange(meta: MetaMessaging, entry: MetaEntryBase, change: MetaChange): void;
}

/** The DM events both products emit. */
export const META_DM_EMITS = [
  "messaging.message.received",
  "messaging.message.sent",
  "messaging.message.read",
  "messaging.reaction.added",
  "messaging.reaction.removed",
  "messaging.postback",
  "messaging.conversation.created",
  "messaging.conversation.updated",
  "messaging.handoff.requested",
  "messaging.follow",
  "messaging.unfollow",
  "platform.block.error",
  "platform.webhook.verified",
] as const satisfies readonly EventType[];

/** One entry: the account, its time, and the three lists Meta documents. */
function metaEntry<I extends MetaMessagingItem>(item: z.ZodType<I>) {
  return z.looseObject({
    id: z.string().min(1),
    time: MetaTime.optional(),
    messaging: z.array(item).optional(),
    standby: z.array(item).optional(),
    changes: z.array(MetaChange).optional(),
  });
}

/** The adapter of a Meta DM product: transport, body schema, emits, normalise and account split. */
export function metaDmAdapter<I extends MetaMessagingItem>(product: MetaDmProduct<I>) {
  const payload = metaEnvelope(product.object, metaEntry(product.item));
  return defineAdapter({
    platform: product.platform,
    payload,
    emits: [...META_DM_EMITS, ...product.emits],
    ...metaTransport(product.platform),
    normalize(body: z.output<typeof payload>, context: NormalizeContext): NormalizeResult {
      const meta = new MetaMessaging(new EnvelopeBuilder(product.platform, context));
      for (const entry of body.entry) mapEntry(meta, product, entry);
      return meta.b.result();
    },
    /** one slice per Page or account (`entry.id`), so a shared route hands each its own entries */
    accounts(body: z.output<typeof payload>) {
      return metaAccounts(body);
    },
  });
}

interface ProductEntry<I> extends MetaEntryBase {
  readonly messaging?: readonly I[] | undefined;
  readonly standby?: readonly I[] | undefined;
  readonly changes?: readonly MetaChange[] | undefined;
}

/**
 * Every item of one entry, in order: its `messaging[]`, then `standby[]`, then `changes[]`, each in isolation.
 * DM items include the dashboard "Test" button's DM, which arrives as `{field: "messages", value}` in
 * `changes[]` with fake ids; every other change goes to the product's `mapChange`.
 */
function mapEntry<I extends MetaMessagingItem>(meta: MetaMessaging, product: MetaDmProduct<I>, entry: ProductEntry<I>): void {
  const dm = (raw: I, standby: boolean) =>
    meta.b.item(raw, { kind: itemKind(raw), rawId: raw.message?.mid ?? raw.postback?.mid }, () => mapDm(meta, product, messagingItem(raw, entry, standby)));
  for (const raw of entry.messaging ?? []) dm(raw, false);
  for (const raw of entry.standby ?? []) dm(raw, true);
  for (const change of entry.changes ?? []) {
    meta.b.item(change, { kind: `changes.${change.field}` }, () => {
      if (!isMessagingField(change.field)) return product.mapChange(meta, entry, change);
      const value = meta.readChange(change, product.item);
      if (value !== undefined) mapDm(meta, product, messagingItem(value, entry, change.field === "standby"));
    });
  }
}

function mapDm<I extends MetaMessagingItem>(meta: MetaMessaging, product: MetaDmProduct<I>, item: MessagingItem<I>): void {
  if (!product.mapItem(meta, item) && !meta.map(item)) meta.unhandled(item);
}
