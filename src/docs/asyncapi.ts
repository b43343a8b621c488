import { EVENT_TYPES, catalogue, type EventType, type UnifiedEvent } from "../core";
import { exportedSchemas, type JsonSchema } from "./json-schema";
import { THREAD_EVENT_NAMES, THREAD_EVENTS, toThreadEvent } from "../formats/thread";

/*
 * An AsyncAPI 3.0 document of what Convotic sends a webhook subscriber (https://www.asyncapi.com/docs/reference/specification/v3.0.0):
 * two channels on the subscriber's endpoint, one per body format (envelope, thread-style), every message with its
 * payload schema, the Standard Webhooks headers and an example. Payloads are JSON Schema draft-07, the newest
 * dialect AsyncAPI 3.0 requires tools to understand; `convotic schema --out` writes the same schemas as 2020-12.
 */

const DRAFT_07 = "application/schema+json;version=draft-07";
/** the subscriber name the thread-style examples' delivery ids are derived for */
const EXAMPLE_SUBSCRIBER = "example-subscriber";

const standardWebhooksHeaders = {
  type: "object",
  required: ["webhook-id", "webhook-timestamp", "webhook-signature"],
  properties: {
    "webhook-id": { type: "string", description: "stable per event and subscriber; the same on every retry" },
    "webhook-timestamp": { type: "string", pattern: "^[0-9]+$", description: "Unix seconds of this attempt" },
    "webhook-signature": {
      type: "string",
      description: "space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per active secret",
    },
  },
};

export interface AsyncApiOptions {
  /** the package version, for `info.version` */
  readonly version: string;
  /** one example envelope per type (a fixture golden, or an application example) */
  readonly examples: ReadonlyMap<EventType, UnifiedEvent>;
}

const ref = (path: string) => ({ $ref: `#/${path}` });

function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

export function asyncApiDocument(options: AsyncApiOptions): JsonSchema {
  const schemas = new Map(exportedSchemas("draft-7").map(({ name, schema }) => [name, withoutDialect(schema)]));
  const messages: Record<string, JsonSchema> = {};
  const envelopeMessages: string[] = [];
  const threadMessages: string[] = [];
  const message = (key: string, name: string, summary: string, example: unknown) => {
    messages[key] = {
      name,
      title: name,
      summary,
      contentType: "application/json",
      headers: ref("components/schemas/StandardWebhooksHeaders"),
      payload: { schemaFormat: DRAFT_07, schema: ref(`components/schemas/${key}`) },
      ...(example === undefined ? {} : { examples: [{ name: "example", payload: example }] }),
    };
  };
  for (const type of EVENT_TYPES) {
    message(type, type, catalogue[type].description, options.examples.get(type));
    envelopeMessages.push(type);
  }
  for (const name of THREAD_EVENT_NAMES) {
    const source = options.examples.get(THREAD_EVENTS[name]);
    const key = `thread.${name}`;
    message(key, name, `Thread-style \`${name}\`, projected from \`${THREAD_EVENTS[name]}\`.`, source && toThreadEvent(source, EXAMPLE_SUBSCRIBER));
    threadMessages.push(key);
  }
  const componentSchemas: Record<string, unknown> = { StandardWebhooksHeaders: standardWebhooksHeaders };
  for (const key of [...envelopeMessages, ...threadMessages]) componentSchemas[key] = schemas.get(key);

  const channel = (title: string, description: string, keys: readonly string[]) => ({
    address: null,
    title,
    description,
    messages: Object.fromEntries(keys.map((key) => [key, ref(`components/messages/${key}`)])),
  });
  const operation = (channelKey: string, keys: readonly string[], summary: string) => ({
    action: "send",
    summary,
    channel: ref(`channels/${channelKey}`),
    messages: keys.map((key) => ref(`channels/${channelKey}/messages/${key}`)),
    bindings: { http: { method: "POST", bindingVersion: "0.3.0" } },
  });
  return {
    asyncapi: "3.0.0",
    info: {
      title: "Convotic webhook forwarding",
      version: options.version,
      description:
        "What a Convotic `webhook` sink POSTs to a subscriber: one event per request, signed per Standard Webhooks " +
        "(https://www.standardwebhooks.com). The body is the envelope (`format: envelope`), the thread-style event " +
        "(`format: thread`) or a CloudEvent in structured mode (`format: cloudevents`, data as in the envelope channel).",
    },
    defaultContentType: "application/json",
    servers: {
      subscriber: {
        host: "{subscriberHost}",
        protocol: "https",
        pathname: "{subscriberPath}",
        description: "the subscriber's endpoint, the `url` of the sink",
        variables: { subscriberHost: { default: "hooks.example.com" }, subscriberPath: { default: "/webhooks/convotic" } },
      },
    },
    channels: {
      envelope: channel("Envelope webhook", "A sink with `format: envelope` (the default).", envelopeMessages),
      thread: channel("Thread-style webhook", "A sink with `format: thread`: the nine thread-style events.", threadMessages),
    },
    operations: {
      sendEnvelope: operation("envelope", envelopeMessages, "Deliver one envelope"),
      sendThread: operation("thread", threadMessages, "Deliver one thread-style event"),
    },
    components: { schemas: componentSchemas, messages },
  };
}
