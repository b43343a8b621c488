import { z } from "zod";
import { createNormalizer, defineAdapter, EnvelopeBuilder, type DriftRecord } from "../../src/core";

/* Drift through the pipeline, with a made-up adapter: where records are stamped, what is checked, how to turn it off. */

const summary = (drift: readonly Pick<DriftRecord, "change" | "path">[] | undefined) =>
  (drift ?? []).map((d) => `${d.change} ${d.path}`);

describe("drift in the pipeline", () => {
  const probe = defineAdapter({
    platform: "probe",
    payload: z.looseObject({ id: z.string() }),
    secrets: z.object({}),
    emits: ["platform.webhook.verified"],
    verify: () => undefined,
    sign: () => ({}),
    normalize(body: { id: string }, context) {
      const b = new EnvelopeBuilder("probe", context);
      b.event("platform.webhook.verified", {
        key: body.id,
        data: { method: "verify_request" },
        metadata: { raw_platform_event_id: body.id },
      });
      return b.result();
    },
    drift: { schemas: [{ at: "", schema: z.looseObject({ id: z.string() }) }] },
  });
  const context = { workspace_id: "ws", block_id: "blk", received_at: "2026-01-01T00:00:00.000Z" };

  it("stamps each record with platform and block, beside events that are the same as without it", () => {
    const withDrift = createNormalizer({ adapters: { probe } });
    const plain = withDrift.normalize("probe", '{"id":"1"}', context);
    const drifted = withDrift.normalize("probe", '{"id":"1","brand_new":[1,2]}', context);
    expect(plain).not.toHaveProperty("drift");
    expect(drifted.events).toEqual(plain.events);
    expect(drifted.drift).toEqual([
      {
        platform: "probe",
        workspace_id: "ws",
        block_id: "blk",
        path: "brand_new",
        change: "field",
        value_kind: "array",
        example: "[2 items]",
        count: 1,
      },
    ]);
  });

  it("checks the body as read, not the payload schema's output (which may drop what it does not declare)", () => {
    const stripping = { ...probe, payload: z.object({ id: z.string() }) };
    const result = createNormalizer({ adapters: { probe: stripping } }).normalize(
      "probe",
      '{"id":"1","dropped_by_the_schema":true}',
      context,
    );
    expect(summary(result.drift)).toEqual(["field dropped_by_the_schema"]);
  });

  it("is off with drift: false, and absent for an adapter without a catalogue", () => {
    const off = createNormalizer({ adapters: { probe }, drift: false });
    expect(off.normalize("probe", '{"id":"1","brand_new":1}', context)).not.toHaveProperty("drift");
    const { drift: _catalogue, ...withoutCatalogue } = probe;
    const bare = createNormalizer({ adapters: { probe: withoutCatalogue } });
    expect(bare.normalize("probe", '{"id":"1","brand_new":1}', context)).not.toHaveProperty("drift");
  });
});
