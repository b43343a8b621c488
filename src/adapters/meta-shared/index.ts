/*
 * What Messenger, Instagram and WhatsApp share (src/adapters/meta-shared): the transport (app-secret signature,
 * hub.challenge handshake), the `{object, entry[]}` envelope and its account split, and the DM product that
 * Messenger and Instagram both are.
 */
export * from "./transport";
export * from "./entries";
export * from "./messaging-schema";
export * from "./messaging-item";
export * from "./messaging";
export * from "./content";
export * from "./product";
export * from "./drift";
