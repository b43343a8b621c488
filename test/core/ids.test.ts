import { contactId, conversationId, eventId, hashId, messageId } from "../../src/core";

const CROCKFORD_20 = /^[0-9A-HJKMNP-TV-Z]{20}$/;

describe("deterministic ids", () => {
  it("are 20 Crockford base32 characters behind their prefix", () => {
    expect(eventId("telegram", "blk", "812345670", "messaging.message.received")).toMatch(
      /^evt_[0-9A-HJKMNP-TV-Z]{20}$/,
    );
    expect(contactId("blk", 123)).toMatch(/^ct_[0-9A-HJKMNP-TV-Z]{20}$/);
    expect(conversationId("blk", "-100123")).toMatch(/^conv_[0-9A-HJKMNP-TV-Z]{20}$/);
    expect(messageId("blk", "123:4")).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{20}$/);
  });

  it("never contain I, L, O or U over many inputs", () => {
    for (let i = 0; i < 2000; i += 1) {
      const id = hashId(["x", i]);
      expect(id).toMatch(CROCKFORD_20);
    }
  });

  it("depend on every part, and on part boundaries", () => {
    const base = eventId("line", "blk_1", "key", "messaging.follow");
    expect(eventId("line", "blk_1", "key", "messaging.follow")).toBe(base);
    expect(eventId("messenger", "blk_1", "key", "messaging.follow")).not.toBe(base);
    expect(eventId("line", "blk_2", "key", "messaging.follow")).not.toBe(base);
    expect(eventId("line", "blk_1", "key2", "messaging.follow")).not.toBe(base);
    expect(eventId("line", "blk_1", "key", "messaging.unfollow")).not.toBe(base);
    expect(hashId(["a", "b:c"])).not.toBe(hashId(["a:b", "c"]));
  });

  it("are scoped by block, and a number and its string give the same id", () => {
    expect(contactId("blk_a", 42)).not.toBe(contactId("blk_b", 42));
    expect(contactId("blk_a", 42)).toBe(contactId("blk_a", "42"));
    // each remembered under its own key, in either order, hit or miss
    expect(conversationId("blk_c", "43")).toBe(conversationId("blk_c", 43));
    expect(conversationId("blk_c", 43)).toBe(conversationId("blk_c", "43"));
    expect(contactId("blk_c", 5_000_000_001)).toBe(contactId("blk_c", "5000000001"));
  });

  it("are stable across releases (pinned values: changing the hash breaks every stored id)", () => {
    expect(hashId(["telegram", "blk", "k", "messaging.follow"])).toBe(
      hashId(["telegram", "blk", "k", "messaging.follow"]),
    );
    // the first 100 bits of SHA-256("[\"a\"]") = 2f9a5b4a…, read five bits at a time
    expect(hashId(["a"])).toBe(expectedCrockford('["a"]'));
  });
});

/** An independent base32 reading of the SHA-256 digest, bit by bit, to cross-check the packed implementation. */
function expectedCrockford(input: string): string {
  const { createHash } = jest.requireActual<typeof import("node:crypto")>("node:crypto");
  const bits = [...createHash("sha256").update(input).digest()]
    .map((byte) => byte.toString(2).padStart(8, "0"))
    .join("");
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  let out = "";
  for (let i = 0; i < 100; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return out;
}

describe("ids are the same bytes whatever the hashing path", () => {
  const fc = jest.requireActual<typeof import("fast-check")>("fast-check");
  const part = fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fc.integer());

  it("hashId equals the bit-by-bit reading of SHA-256 of the JSON parts, for any parts", () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 5 }), (parts) => {
        expect(hashId(parts)).toBe(expectedCrockford(JSON.stringify(parts)));
      }),
      { numRuns: 500 },
    );
  });

  it("contact and conversation ids, remembered or not, equal their definition", () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(fc.string({ unit: "grapheme" }), fc.integer()), (block, id) => {
        const contact = "ct_" + expectedCrockford(JSON.stringify([block, String(id)]));
        const conversation = "conv_" + expectedCrockford(JSON.stringify([block, String(id)]));
        expect(contactId(block, id)).toBe(contact);
        expect(contactId(block, id)).toBe(contact); // the second time from the map
        expect(conversationId(block, id)).toBe(conversation);
        expect(conversationId(block, id)).toBe(conversation);
      }),
      { numRuns: 300 },
    );
  });

  /** Strings weighted towards what JSON escapes: quotes, backslashes, control characters, lone and paired surrogates. */
  const awkward = fc.oneof(
    fc.string({ unit: "grapheme" }),
    fc.string({ unit: "binary" }),
    fc.string({
      unit: fc.constantFrom(
        '"',
        "\\",
        "\u0000",
        "\n",
        "\u001f",
        "\u007f",
        "\u2028",
        "\ud800",
        "\udfff",
        "\ud83d\ude00",
        "a",
        "é",
        "/",
      ),
    }),
  );

  it("event and message ids equal their definition for arbitrary strings (quotes, backslashes, controls, lone surrogates)", () => {
    fc.assert(
      fc.property(awkward, awkward, awkward, awkward, (platform, block, key, type) => {
        expect(eventId(platform, block, key, type)).toBe(
          "evt_" + expectedCrockford(JSON.stringify([platform, block, key, type])),
        );
        expect(messageId(block, key)).toBe("msg_" + expectedCrockford(JSON.stringify([block, key])));
        expect(contactId(block, key)).toBe("ct_" + expectedCrockford(JSON.stringify([block, key])));
        expect(conversationId(key, block)).toBe("conv_" + expectedCrockford(JSON.stringify([key, block])));
      }),
      { numRuns: 1000 },
    );
    for (const text of [
      '"',
      "\\",
      "\u0000",
      "\u001f",
      "\ud800",
      "\udc00",
      "a\udbffb",
      "\ud83d\ude00",
      "\u2028",
      "\u007f",
      "",
      "plain",
    ]) {
      expect(eventId("p", text, text, "t")).toBe("evt_" + expectedCrockford(JSON.stringify(["p", text, text, "t"])));
      expect(messageId(text, 7)).toBe("msg_" + expectedCrockford(JSON.stringify([text, "7"])));
    }
  });

  it("event and message ids equal their definition when the platform, block and type repeat (the remembered JSON text)", () => {
    fc.assert(
      fc.property(
        awkward,
        awkward,
        awkward,
        fc.array(awkward, { minLength: 2, maxLength: 4 }),
        (platform, block, type, keys) => {
          for (const key of keys) {
            expect(eventId(platform, block, key, type)).toBe(
              "evt_" + expectedCrockford(JSON.stringify([platform, block, key, type])),
            );
            expect(messageId(block, key)).toBe("msg_" + expectedCrockford(JSON.stringify([block, key])));
          }
          // a change of one part only (same platform, another block; same block, another platform) is seen
          expect(eventId(platform, block + "x", keys[0]!, type)).toBe(
            "evt_" + expectedCrockford(JSON.stringify([platform, block + "x", keys[0], type])),
          );
          expect(eventId(platform + "x", block, keys[0]!, type)).toBe(
            "evt_" + expectedCrockford(JSON.stringify([platform + "x", block, keys[0], type])),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("event and message ids equal their definition for keys made by concatenation (ropes), as adapters make them", () => {
    fc.assert(
      fc.property(awkward, awkward, awkward, (block, id, status) => {
        const key = `${id}:${status}`;
        expect(messageId(block, id)).toBe("msg_" + expectedCrockford(JSON.stringify([block, id])));
        expect(eventId("whatsapp", block, key, "messaging.message.read")).toBe(
          "evt_" + expectedCrockford(JSON.stringify(["whatsapp", block, key, "messaging.message.read"])),
        );
        const rope = "x".repeat(20) + id + '"' + status;
        expect(eventId("p", block, rope, "t")).toBe(
          "evt_" + expectedCrockford(JSON.stringify(["p", block, rope, "t"])),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("keep blocks apart in the remembered maps (one platform id in two blocks)", () => {
    for (let round = 0; round < 2; round++) {
      expect(contactId("blk_x", "same")).toBe("ct_" + expectedCrockford(JSON.stringify(["blk_x", "same"])));
      expect(contactId("blk_y", "same")).toBe("ct_" + expectedCrockford(JSON.stringify(["blk_y", "same"])));
      expect(conversationId("blk_x", "same")).toBe("conv_" + expectedCrockford(JSON.stringify(["blk_x", "same"])));
    }
  });

  it("stay right once the bounded map has evicted entries", () => {
    const first = contactId("blk_evict", "user-0");
    for (let i = 1; i <= 3_000; i += 1) contactId("blk_evict", `user-${i}`);
    expect(contactId("blk_evict", "user-0")).toBe(first); // from an older generation, carried over
    for (let i = 3_001; i <= 10_000; i += 1) contactId("blk_evict", `user-${i}`);
    expect(contactId("blk_evict", "user-0")).toBe(first); // dropped, hashed again
    expect(first).toBe("ct_" + expectedCrockford(JSON.stringify(["blk_evict", "user-0"])));
  });

  it("are identical on a runtime without crypto.hash (the createHash fallback)", () => {
    const expected = [hashId(["a"]), contactId("blk", 42), eventId("line", "blk_1", "key", "messaging.follow")];
    jest.isolateModules(() => {
      jest.doMock("node:crypto", () => {
        const { hash: _oneShot, ...withoutHash } = jest.requireActual<typeof import("node:crypto")>("node:crypto");
        return withoutHash;
      });
      const fallback = jest.requireActual<typeof import("../../src/core/engine/ids")>("../../src/core/engine/ids");
      expect([
        fallback.hashId(["a"]),
        fallback.contactId("blk", 42),
        fallback.eventId("line", "blk_1", "key", "messaging.follow"),
      ]).toEqual(expected);
    });
    jest.dontMock("node:crypto");
  });
});
