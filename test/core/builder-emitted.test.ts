import fc from "fast-check";
import { EnvelopeBuilder, eventId, type NormalizeResult } from "../../src/core";
import { BuiltResult } from "../../src/core/engine";

/*
 * The builder's bookkeeping of what it emitted (the first event in a field, an array from the second, the id map
 * from the second), against the simple definition: one list of (id, key, variant), an exact repeat collapsed, a
 * different event sharing an id re-keyed `key#n` with the first n whose id is free, a failed item's events taken
 * back. Every event of every result is vouched for; a result never changes once returned.
 */

const context = { workspace_id: "ws", block_id: "blk", received_at: "2026-11-22T12:00:00.000Z" };
const TYPE = "messaging.follow";

interface Emit {
  readonly key: string;
  /** which contact: two emits of one key and another variant are different events sharing a raw id */
  readonly variant: number;
}
interface Item {
  readonly emits: readonly Emit[];
  /** the item throws after its emits: they are taken back */
  readonly fails: boolean;
  /** `result()` is asked after the item (copy on write from then on) */
  readonly snapshot: boolean;
}

const item: fc.Arbitrary<Item> = fc.record({
  emits: fc.array(fc.record({ key: fc.constantFrom("a", "b", "c"), variant: fc.constantFrom(0, 1) }), {
    maxLength: 4,
  }),
  fails: fc.boolean(),
  snapshot: fc.boolean(),
});

/** The simple definition: ids (and variants) in emission order. */
function modelAdd(list: { id: string; variant: number }[], emit: Emit, idKey = emit.key): void {
  const id = eventId("test", context.block_id, idKey, TYPE);
  const earlier = list.find((entry) => entry.id === id);
  if (earlier === undefined) {
    list.push({ id, variant: emit.variant });
    return;
  }
  if (earlier.variant === emit.variant) return;
  let occurrence = 2;
  const taken = (n: number) =>
    list.some((entry) => entry.id === eventId("test", context.block_id, `${emit.key}#${n}`, TYPE));
  while (taken(occurrence)) occurrence += 1;
  modelAdd(list, emit, `${emit.key}#${occurrence}`);
}

describe("EnvelopeBuilder's record of what it emitted", () => {
  it("answers as the simple definition for any sequence of items, repeats, failures and results", () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), (items) => {
        const b = new EnvelopeBuilder("test", context);
        const contacts = [b.contactId(1), b.contactId(2)];
        const model: { id: string; variant: number }[] = [];
        const snapshots: { result: NormalizeResult; ids: string[] }[] = [];
        for (const { emits, fails, snapshot } of items) {
          const before = model.length;
          b.item({}, { kind: "follow" }, () => {
            for (const emit of emits) {
              b.mapper({
                kind: "follow",
                raw: {},
                key: emit.key,
                timestamp: 1751368800,
                metadata: { raw_platform_event_id: emit.key },
              }).emit(TYPE, { contact_id: contacts[emit.variant]!, conversation_id: b.conversationId(1) });
              modelAdd(model, emit);
            }
            if (fails) throw new Error("fails");
          });
          if (fails) model.length = before;
          if (snapshot) {
            const result = b.result();
            snapshots.push({ result, ids: result.events.map((event) => event.id) });
          }
        }
        const result = b.result();
        expect(result.events.map((event) => event.id)).toEqual(model.map((entry) => entry.id));
        expect(result.events.map((event) => (event.data as { contact_id?: string }).contact_id)).toEqual(
          model.map((entry) => contacts[entry.variant]),
        );
        const built = result as BuiltResult;
        for (const event of result.events) {
          expect(built.vouchesFor(event, result.events)).toBe(true);
          expect(built.vouchesFor({ ...event }, result.events)).toBe(false);
        }
        for (const { result: earlier, ids } of snapshots) expect(earlier.events.map((event) => event.id)).toEqual(ids);
      }),
      { numRuns: 300, seed: 28 },
    );
  });

  it("collapses a repeat of an event emitted after an item that emitted two and failed", () => {
    const b = new EnvelopeBuilder("test", context);
    const data = { contact_id: b.contactId(1), conversation_id: b.conversationId(1) };
    const emit = (key: string) =>
      b
        .mapper({ kind: "follow", raw: {}, key, timestamp: 1751368800, metadata: { raw_platform_event_id: key } })
        .emit(TYPE, data);
    b.item({}, { kind: "pair" }, () => {
      emit("a");
      emit("b");
      throw new Error("fails");
    });
    emit("a");
    emit("a");
    expect(b.result().events).toHaveLength(1);
    expect(b.result()).toBeInstanceOf(BuiltResult);
  });
});
