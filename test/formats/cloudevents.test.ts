import { CloudEvent, HTTP } from "cloudevents";
import { CloudEventError, fromCloudEvent, toCloudEvent } from "../../src/formats/cloudevents";
import { applicationDraft, goldenEnvelopes } from "./support";

const envelopes = [...goldenEnvelopes(), { source: "createEvent", event: applicationDraft() }];

describe("CloudEvents 1.0 structured mode", () => {
  it("gives every fixture envelope back without loss, through the cloudevents package's own validation and HTTP binding", () => {
    expect(envelopes.length).toBeGreaterThan(200);
    for (const { source, event } of envelopes) {
      const json = toCloudEvent(event);
      const validated = new CloudEvent(json); // strict: throws a ValidationError for a bad attribute
      expect(validated.validate()).toBe(true);
      const message = HTTP.structured(validated);
      expect(message.headers["content-type"]).toMatch(/^application\/cloudevents\+json/);
      const received = HTTP.toEvent(message) as CloudEvent<unknown>;
      expect({ source, event: fromCloudEvent(JSON.parse(JSON.stringify(received))) }).toEqual({ source, event });
      expect({ source, event: fromCloudEvent(JSON.parse(JSON.stringify(json))) }).toEqual({ source, event });
    }
  });

  it("maps the context attributes", () => {
    const { event } = envelopes.find(({ source }) => source === "fixtures/telegram/message-text-private.json#0")!;
    const json = toCloudEvent(event);
    expect(json).toMatchObject({
      specversion: "1.0",
      id: event.id,
      source: "/convotic/ws_test/blk_telegram_test",
      type: "messaging.message.received",
      time: event.timestamp,
      subject: "conv_0FZG48V5AJBPP3HTTB7F",
      datacontenttype: "application/json",
      dataschema: "urn:convotic:schema:messaging.message.received#/properties/data",
      platform: "telegram",
      rawplatformeventid: "812345710",
      platformthreadid: "123456789",
      data: event.data,
    });
  });

  it("omits subject for an event without a conversation", () => {
    const comment = envelopes.find(({ event }) => event.type === "messaging.comment.created")!.event;
    expect(toCloudEvent(comment)).not.toHaveProperty("subject");
  });

  it("refuses foreign or damaged CloudEvents with a typed error", () => {
    const json = toCloudEvent(applicationDraft());
    expect(() => fromCloudEvent({ ...json, source: "/elsewhere" })).toThrow(CloudEventError);
    expect(() => fromCloudEvent({ ...json, type: "com.example.thing" })).toThrow(/not a catalogue event type/);
    expect(() => fromCloudEvent({ ...json, data: { draft_text: 5 } })).toThrow(CloudEventError);
    expect(() => fromCloudEvent("text")).toThrow(CloudEventError);
  });
});
