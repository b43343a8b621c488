import type { OutputFormat } from "./contract";

/** The unified envelope itself (docs/envelope.md): every event, as normalised. */
export const envelope: OutputFormat = {
  contentType: "application/json",
  project: (event) => event,
  review: false,
};
