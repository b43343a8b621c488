import { CLOUDEVENTS_CONTENT_TYPE, toCloudEvent } from "../cloudevents";
import type { OutputFormat } from "./contract";

/** CloudEvents 1.0 in structured JSON mode (docs/formats.md). */
export const cloudevents: OutputFormat = {
  contentType: CLOUDEVENTS_CONTENT_TYPE,
  project: (event) => toCloudEvent(event),
  review: true,
};
