import { toThreadEvent } from "../thread";
import type { OutputFormat } from "./contract";

/** The thread-style projection (docs/formats.md): events without a counterpart there are left out. */
export const thread: OutputFormat = {
  contentType: "application/json",
  project: (event, subscriber) => toThreadEvent(event, subscriber),
  review: true,
  counterpart: "thread-style",
};
