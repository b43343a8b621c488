import { DependencyHealth, isReported, markReported } from "../../src/delivery/dependency-health";

/** A dependency that stays down is one line when the outage begins, one per interval after, one when it ends. */
describe("DependencyHealth", () => {
  function setup() {
    let now = 1_000_000;
    const lines: { level: string; message: string; fields: Record<string, unknown> | undefined }[] = [];
    const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      void lines.push({ level, message, fields });
    const health = new DependencyHealth("sink jetstream:S", 10_000, () => now);
    health.attach({ info: at("info"), warn: at("warn"), error: at("error") });
    return { health, lines, advance: (ms: number) => (now += ms) };
  }

  it("logs 5,000 failures over 25 s as three warnings with their counts, then one recovery line", () => {
    const { health, lines, advance } = setup();
    for (let i = 0; i < 5000; i += 1) {
      health.failed(i < 2500 ? "stream S has no leader" : "stream S not found; re-creating");
      advance(5);
    }
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ["warn", "sink jetstream:S: stream S has no leader"],
      ["warn", "sink jetstream:S: stream S has no leader"],
      ["warn", "sink jetstream:S: stream S not found; re-creating"],
    ]);
    expect(lines.map((line) => line.fields?.["failed"])).toEqual([1, 2000, 2000]);
    expect(health.state).toMatchObject({ problem: "stream S not found; re-creating", failures: 5000 });
    health.recovered();
    health.recovered();
    expect(
      lines.slice(3).map((line) => [line.level, line.message, line.fields?.["failed_total"], line.fields?.["down_ms"]]),
    ).toEqual([["info", "sink jetstream:S: answers again", 5000, 25_000]]);
    expect(health.down).toBe(false);
    health.failed("Redis did not answer within 1000 ms");
    expect(lines).toHaveLength(5);
  });

  it("marks errors and failures it reports, so the delivery does not log them again per event", () => {
    const error = markReported(new Error("x"));
    expect(isReported(error)).toBe(true);
    expect(isReported(new Error("x"))).toBe(false);
    expect(isReported(undefined)).toBe(false);
  });
});
