import { z } from "zod";

/*
 * The parts of a LINE webhook body that normalise reads
 * (https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects, line-openapi webhook.yml).
 * Loose objects: LINE adds event types and fields without notice, and those must not break parsing. Every id is a
 * string: message ids exceed 2^53 and would lose digits as JS numbers.
 */

/**
 * `user`, `group` or `room`; in groups and rooms `userId` is sent only with the user's consent and only for LINE
 * for iOS and Android (https://developers.line.biz/en/reference/messaging-api/#source-group).
 */
export const Source = z.looseObject({
  type: z.string(),
  userId: z.string().optional(),
  groupId: z.string().optional(),
  roomId: z.string().optional(),
});
export type LineSource = z.output<typeof Source>;

const Member = z.looseObject({ type: z.string(), userId: z.string().min(1) });

const Mentionee = z.looseObject({
  index: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
  type: z.string().optional(),
  userId: z.string().optional(),
  isSelf: z.boolean().optional(),
});

const ContentProvider = z.looseObject({
  type: z.string(),
  originalContentUrl: z.string().optional(),
  previewImageUrl: z.string().optional(),
});

/** One object for every message content type (https://developers.line.biz/en/reference/messaging-api/#message-event); `type` says which fields apply. */
export const MessageContent = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  text: z.string().optional(),
  quotedMessageId: z.string().optional(),
  mention: z.looseObject({ mentionees: z.array(Mentionee) }).optional(),
  contentProvider: ContentProvider.optional(),
  /** ms */
  duration: z.number().nonnegative().optional(),
  fileName: z.string().optional(),
  fileSize: z.number().int().nonnegative().optional(),
  title: z.string().optional(),
  address: z.string().optional(),
  latitude: z.number().optional(),
  longitude: z.number().optional(),
  packageId: z.string().optional(),
  stickerId: z.string().optional(),
});
export type LineMessageContent = z.output<typeof MessageContent>;

export const Event = z.looseObject({
  type: z.string().min(1),
  mode: z.string().optional(),
  /**
   * ms, the time the event occurred; unchanged on redelivery. Any number or string is read: one that is not a time
   * in 1970…9999 becomes the receive time (the core rule), so a bad clock costs only the time, not the event
   */
  timestamp: z.union([z.number(), z.string()]),
  source: Source.optional(),
  /**
   * LINE's dedupe key. Required today, but bodies from before April 2022 have none (nor `deliveryContext`; before
   * December 2019 no `mode`): stored history is accepted with a key derived from the event's content
   * (https://developers.line.biz/en/news/2022/04/19/webhook-redelivery/)
   */
  webhookEventId: z.string().min(1).optional(),
  deliveryContext: z.looseObject({ isRedelivery: z.boolean() }).optional(),
  replyToken: z.string().optional(),
  message: MessageContent.optional(),
  unsend: z.looseObject({ messageId: z.string().min(1) }).optional(),
  follow: z.looseObject({ isUnblocked: z.boolean().optional() }).optional(),
  // the OAS types params as a string map; other values are tolerated here and dropped by normalise
  postback: z.looseObject({ data: z.string(), params: z.record(z.string(), z.unknown()).optional() }).optional(),
  delivery: z.looseObject({ data: z.string().min(1) }).optional(),
  membership: z.looseObject({ type: z.string(), membershipId: z.number().int() }).optional(),
  module: z.looseObject({ type: z.string(), botId: z.string().optional(), reason: z.string().optional() }).optional(),
  chatControl: z.looseObject({ expireAt: z.number().nonnegative().optional() }).optional(),
  /** memberJoined / memberLeft: only the members LINE may disclose (https://developers.line.biz/en/reference/messaging-api/#member-joined-event) */
  joined: z.looseObject({ members: z.array(Member) }).optional(),
  left: z.looseObject({ members: z.array(Member) }).optional(),
});
export type LineEvent = z.output<typeof Event>;

/**
 * The envelope of a body: `{destination, events[]}` (`destination` since late 2018); an empty `events` is the
 * console's Verify request. Only the envelope decides whether the body is a LINE webhook (else 400): each event inside is an item, parsed with
 * `Event` on its own, so one malformed event costs only itself and its neighbours go through.
 */
export const CallbackRequest = z.looseObject({
  /** the bot's user id; absent in bodies from before late 2018, which are accepted as stored history */
  destination: z.string().min(1).optional(),
  events: z.array(z.unknown()),
});
export type LineCallbackRequest = z.output<typeof CallbackRequest>;
