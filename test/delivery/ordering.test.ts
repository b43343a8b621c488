import { ConversationQueue, fnv1a32, partitionOf, partitionToken } from "../../src/delivery";

describe("partitions", () => {
  it("hashes as nats-server's partition mapping does (the NATS docs' table for partition(3,1))", () => {
    // https://docs.nats.io/nats-concepts/subject_mapping: neworders.customerid1 → 0, 2 → 2, 3 → 1, 4 → 2, 5 → 1, 6 → 0
    const partitions = [1, 2, 3, 4, 5, 6].map((n) => partitionOf(`customerid${n}`, 3));
    expect(partitions).toEqual([0, 2, 1, 2, 1, 0]);
    expect(fnv1a32("")).toBe(0x811c9dc5);
  });

  it("spells the token with the width of the largest partition", () => {
    expect(partitionToken(7, 16)).toBe("p07");
    expect(partitionToken(7, 1000)).toBe("p007");
    expect(partitionToken(0, 1)).toBe("p00");
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("ConversationQueue", () => {
  it("runs one key's tasks one at a time in push order, other keys meanwhile", async () => {
    const queue = new ConversationQueue();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const task = (key: string, n: number, ms: number) =>
      queue.push(key, Number.NaN, n, async () => {
        running += 1;
        most = Math.max(most, running);
        log.push(`${key}${n}+`);
        await sleep(ms);
        log.push(`${key}${n}-`);
        running -= 1;
      });
    await Promise.all([task("a", 1, 20), task("a", 2, 1), task("b", 1, 5), task("a", 3, 1)]);
    const a = log.filter((entry) => entry.startsWith("a"));
    expect(a).toEqual(["a1+", "a1-", "a2+", "a2-", "a3+", "a3-"]);
    // b ran while a1 did
    expect(log.indexOf("b1-")).toBeLessThan(log.indexOf("a1-"));
    expect(most).toBe(2);
    expect(queue.size).toBe(0);
  });

  it("with a window, releases a key's held tasks by platform timestamp, ties and unknown ones by stream order", async () => {
    const queue = new ConversationQueue({ reorderWindowMs: 40 });
    const seen: number[] = [];
    const push = (timestamp: number, sequence: number) =>
      queue.push("k", timestamp, sequence, async () => void seen.push(sequence));
    // arrival (stream) order 1..5; platform order: 3 (t=100), 1 and 4 (t=200, a tie), 2 (t=300); 5 has no time
    const all = [push(200, 1), push(300, 2), push(100, 3)];
    await sleep(10);
    all.push(push(200, 4), push(Number.NaN, 5));
    await Promise.all(all);
    expect(seen).toEqual([3, 1, 4, 2, 5]);
  });

  it("holds an event for the window and not past it: latency is the window", async () => {
    const queue = new ConversationQueue({ reorderWindowMs: 50 });
    const started = Date.now();
    await queue.push("k", 1, 1, async () => undefined);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(45);
    expect(waited).toBeLessThan(200);
  });

  it("passes a task's failure to its pusher and goes on with the next", async () => {
    const queue = new ConversationQueue();
    const failing = queue.push("k", 1, 1, async () => {
      throw new Error("boom");
    });
    const next = queue.push("k", 2, 2, async () => undefined);
    await expect(failing).rejects.toThrow("boom");
    await expect(next).resolves.toBeUndefined();
  });
});
