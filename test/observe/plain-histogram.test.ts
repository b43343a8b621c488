import fc from "fast-check";
import { Histogram, Registry } from "prom-client";
import { PlainHistogram } from "../../src/observe/plain-histogram";

/*
 * serve's latency histogram counts in plain numbers and writes its own export: it must read exactly as
 * prom-client's Histogram given the same observations (the Prometheus text, the JSON export, after a reset).
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];
const config = {
  name: "convotic_test_duration_seconds",
  help: "Time, by platform and status",
  labelNames: ["platform", "status"] as const,
  buckets: BUCKETS,
};

function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ ...config, labelNames: [...config.labelNames], registers: [theirs] });
  const plain = new PlainHistogram({ ...config, labelNames: [...config.labelNames], registers: [ours] });
  return { theirs, ours, reference, plain };
}

const observation = fc.record({
  platform: fc.constantFrom("whatsapp", "telegram", "line"),
  status: fc.constantFrom("200", "401", "503"),
  // the bounds themselves (a value on a bound counts in it), between them, beyond the last, zero and negatives
  seconds: fc.oneof(fc.constantFrom(...BUCKETS, 0, -0, 10.5, 1e9), fc.double({ min: -1, max: 20, noNaN: true })),
});

describe("PlainHistogram", () => {
  it("exports what prom-client's Histogram exports for the same observations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 40 }), async (observations) => {
        const { theirs, ours, reference, plain } = pair();
        for (const { platform, status, seconds } of observations) {
          reference.observe({ platform, status }, seconds);
          plain.record(`${platform}\u0000${status}`, { platform, status }, seconds);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
        expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
      }),
      { numRuns: 300 },
    );
  });

  it("forgets everything on a reset, as prom-client's does", async () => {
    const { theirs, ours, reference, plain } = pair();
    reference.observe({ platform: "line", status: "200" }, 0.2);
    plain.record("line\u0000200", { platform: "line", status: "200" }, 0.2);
    theirs.resetMetrics();
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    reference.observe({ platform: "whatsapp", status: "401" }, 3);
    plain.record("whatsapp\u0000401", { platform: "whatsapp", status: "401" }, 3);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain(
      'convotic_test_duration_seconds_bucket{le="5",platform="whatsapp",status="401"} 1',
    );
  });

  it("refuses a value that is not a finite number, as prom-client does", () => {
    const { plain } = pair();
    expect(() => plain.record("k", { platform: "line", status: "200" }, Number.NaN)).toThrow(TypeError);
  });
});
