import { z } from "zod";
import type { DriftCatalogue, DriftSchemaExtras, EventType, NormalizeContext, NormalizeResult } from "../../core";
import { defineAdapter } from "../../core/adapter";
import { EnvelopeBuilder } from "../../core/builder";
import { MetaChange, MetaTime, metaAccounts, metaEnvelope, type MetaEntryBase } from "./entries";
import { MetaMessaging } from "./messaging";
import { itemKind, messagingItem, type MessagingItem } from "./messaging-item";
import { isMessagingField, MetaMessagingItem } from "./messaging-schema";
import { metaTransport } from "./transport";
import { metaDmDrift } from "./drift";

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
  /** the product's documented `changes[]` fields, each a catalogue of the change (`value.…`), for drift reports */
  readonly changes: Readonly<Record<string, DriftCatalogue>>;
  /** more of the product's schemas' documented fields and values (docs/drift.md) */
  readonly driftExtras?: readonly DriftSchemaExtras[];
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

/**
 * What the body must be for the request to be read at all: `object` and a list of entries, each naming its
 * account. Everything inside an entry is read item by item, so a malformed item costs only itself.
 */
const EntryEnvelope = z.looseObject({ id: z.string().min(1) });

/**
 * One entry: its time and the three lists Meta documents, each item still unparsed. A time that is not one is
 * ignored here (items fall back to the receive time) rather than costing the entry.
 */
const MetaEntry = z.looseObject({
  id: z.string().min(1),
  time: MetaTime.optional().catch(undefined),
  messaging: z.array(z.unknown()).optional(),
  standby: z.array(z.unknown()).optional(),
  changes: z.array(z.unknown()).optional(),
});
type MetaEntry = z.output<typeof MetaEntry>;

/** The adapter of a Meta DM product: transport, body schema, emits, normalise and account split. */
export function metaDmAdapter<I extends MetaMessagingItem>(product: MetaDmProduct<I>) {
  const payload = metaEnvelope(product.object, EntryEnvelope);
  return defineAdapter({
    platform: product.platform,
    payload,
    emits: [...META_DM_EMITS, ...product.emits],
    ...metaTransport(product.platform),
    normalize(body: z.output<typeof payload>, context: NormalizeContext): NormalizeResult {
      const meta = new MetaMessaging(new EnvelopeBuilder(product.platform, context));
      for (const entry of body.entry) {
        meta.b.item(entry, { kind: "entry", rawId: entry.id, schema: MetaEntry }, (parsed) =>
          mapEntry(meta, product, parsed),
        );
      }
      return meta.b.result();
    },
    /** one slice per Page or account (`entry.id`), so a shared route hands each its own entries */
    accounts(body: z.output<typeof payload>) {
      return metaAccounts(body);
    },
    drift: metaDmDrift({
      payload,
      entry: MetaEntry,
      item: product.item,
      changes: product.changes,
      ...(product.driftExtras === undefined ? {} : { bySchema: product.driftExtras }),
    }),
  });
}

/**
 * Every item of one entry, in order: its `messaging[]`, then `standby[]`, then `changes[]`, each parsed and
 * mapped on its own. DM items include the dashboard "Test" button's DM, which arrives as
 * `{field: "messages", value}` in `changes[]` with fake ids; every other change goes to the product's `mapChange`.
 */
function mapEntry<I extends MetaMessagingItem>(meta: MetaMessaging, product: MetaDmProduct<I>, entry: MetaEntry): void {
  const dm = (raw: unknown, standby: boolean) => {
    const kind = dmKind(raw);
    meta.b.item(raw, { kind, rawId: midOf(raw), schema: product.item }, (item) =>
      mapDm(meta, product, messagingItem(item, entry, { standby, kind })),
    );
  };
  for (const raw of entry.messaging ?? []) dm(raw, false);
  for (const raw of entry.standby ?? []) dm(raw, true);
  for (const raw of entry.changes ?? []) {
    meta.b.item(raw, { kind: changeKind(raw), schema: MetaChange }, (change) => {
      if (!isMessagingField(change.field)) return product.mapChange(meta, entry, change);
      const value = meta.readChange(change, product.item);
      if (value !== undefined)
        mapDm(
          meta,
          product,
          messagingItem(value, entry, {
            standby: change.field === "standby",
            echoField: change.field === "message_echoes",
          }),
        );
    });
  }
  // own keys as `Object.entries` walks them, without building its pairs (this runs for every entry)
  for (const list in entry) {
    if (!Object.hasOwn(entry, list) || ENTRY_LISTS.has(list)) continue;
    const items = entry[list];
    if (Array.isArray(items)) for (const raw of items) unknownListItem(meta, list, raw);
  }
}

const ENTRY_LISTS = new Set(["messaging", "standby", "changes"]);

/** An item of a list Meta does not document in an entry (`message[]`, say): reported, never silently dropped. */
function unknownListItem(meta: MetaMessaging, list: string, raw: unknown): void {
  const name = list.slice(0, 64);
  meta.b.unhandled(`entry.${name}`, raw, {
    reason: `the entry holds a "${name}" list; Meta documents only messaging, standby and changes`,
    raw_platform_event_id: midOf(raw),
  });
}

/** The kind of a DM item, read before parsing: its payload key. */
function dmKind(raw: unknown): string {
  return isObject(raw) ? itemKind(raw) : "messaging";
}

/** The `mid` of a DM item, where one can be read before parsing. */
function midOf(raw: unknown): string | undefined {
  if (!isObject(raw)) return undefined;
  const payload = isObject(raw["message"]) ? raw["message"] : isObject(raw["postback"]) ? raw["postback"] : undefined;
  const mid = payload?.["mid"];
  return typeof mid === "string" ? mid.slice(0, 256) : undefined;
}

function changeKind(raw: unknown): string {
  const field = isObject(raw) ? raw["field"] : undefined;
  return typeof field === "string" ? `changes.${field.slice(0, 64)}` : "changes";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mapDm<I extends MetaMessagingItem>(
  meta: MetaMessaging,
  product: MetaDmProduct<I>,
  item: MessagingItem<I>,
): void {
  if (!product.mapItem(meta, item) && !meta.map(item)) meta.unhandled(item);
}
