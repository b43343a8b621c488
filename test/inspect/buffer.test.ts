import type { RequestOutcome } from "../../src/http";
import { RingBuffer, summarize, verdictOf } from "../../src/inspect/buffer";

/** An answered POST of `size` body bytes whose result carries the given event ids. */
function outcome(size: number, ids: string[] = [], extra: Partial<RequestOutcome> = {}): RequestOutcome {
  return {
    request: {
      method: "POST",
      url: "/webhooks/b",
      headers: { "content-type": "application/json" },
      rawBody: new Uint8Array(size),
    },
    method: "POST",
    path: "/webhooks/b",
    response: { status: 200, headers: {}, body: "{}" },
    receivedAt: new Date("2026-12-01T00:00:00Z"),
    durationMs: 1,
    platform: "line",
    blocks: ["b"],
    result: { events: ids.map((id) => ({ id, type: "messaging.message.received" }) as never), unhandled: [] },
    duplicates: 0,
    ...extra,
  };
}

describe("the inspector's ring buffer", () => {
  test("keeps at most maxEntries, the newest", () => {
    const buffer = new RingBuffer(500, 8 * 1024 * 1024);
    for (let index = 0; index < 2000; index++) buffer.add(outcome(10));
    expect(buffer.size).toBe(500);
    expect(buffer.all()[0]!.id).toBe(1501);
    expect(buffer.all().at(-1)!.id).toBe(2000);
  });

  test("holds at most maxBytes, raw bodies counted, however large the bodies", () => {
    const buffer = new RingBuffer(500, 8 * 1024 * 1024);
    for (let index = 0; index < 300; index++) buffer.add(outcome(256 * 1024));
    expect(buffer.heldBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(buffer.size).toBe(31);
    // one body larger than the whole cap is not kept at all
    expect(buffer.add(outcome(9 * 1024 * 1024))).toBeUndefined();
    expect(buffer.heldBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
  });

  test("memory stays flat: 5,000 requests of 64 KiB grow the heap by about the cap, not by 312 MiB", () => {
    const buffer = new RingBuffer(500, 8 * 1024 * 1024);
    global.gc?.();
    const before = process.memoryUsage();
    for (let index = 0; index < 5000; index++) buffer.add(outcome(64 * 1024));
    global.gc?.();
    const after = process.memoryUsage();
    const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    expect(buffer.heldBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    // bodies not yet collected may linger without --expose-gc; 5,000 x 64 KiB kept would be 312 MiB
    expect(grown).toBeLessThan(120 * 1024 * 1024);
  });

  test("a redelivery names the entry that first delivered its events, while that one is held", () => {
    const buffer = new RingBuffer(3, 1024 * 1024);
    const first = buffer.add(outcome(10, ["evt_a", "evt_b"]))!;
    const again = buffer.add(outcome(10, ["evt_a", "evt_b"], { duplicates: 2 }))!;
    expect(again.duplicateOf).toBe(first.id);
    expect(summarize(again)).toMatchObject({ verdict: "duplicate", duplicate_of: first.id, duplicates: 2 });
    buffer.add(outcome(10));
    buffer.add(outcome(10));
    // the first delivery has left the buffer: nothing to point at any more
    expect(buffer.add(outcome(10, ["evt_a"], { duplicates: 1 }))!.duplicateOf).toBeUndefined();
  });

  test("verdicts: a failure is its code; a 2xx says what it delivered", () => {
    const failed = outcome(10, [], {
      response: { status: 401, headers: {}, body: "" },
      error: { code: "invalid_signature", message: "no" },
    });
    expect(verdictOf(failed)).toBe("invalid_signature");
    expect(verdictOf(outcome(10, ["e"]))).toBe("delivered");
    expect(verdictOf(outcome(10, ["e", "f"], { duplicates: 1 }))).toBe("partly_duplicate");
    const { result: _result, ...immediate } = outcome(10);
    expect(verdictOf(immediate)).toBe("acknowledged");
    expect(verdictOf(outcome(10, [], { method: "GET" }))).toBe("handshake");
  });
});
