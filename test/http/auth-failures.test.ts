import type { LogFields } from "../../src/http";
import { aggregateAuthFailures, type FlushableLogger } from "../../src/observe";

/** The aggregation on its own, with a recording logger: what the built serve test (ops-logs) sees end to end. */
function recorder() {
  const lines: { level: string; message: string; fields: LogFields | undefined }[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => void lines.push({ level, message, fields });
  const logger: FlushableLogger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    flush: () => undefined,
  };
  return { logger, lines };
}

const refusal = (path: string, remote: string) => ({
  method: "POST",
  path,
  status: 401,
  code: "invalid_signature",
  remote,
});

describe("aggregateAuthFailures", () => {
  it("passes the first refusal of a route, sums the rest per interval, and passes every other record", async () => {
    const { logger, lines } = recorder();
    const aggregated = aggregateAuthFailures(logger, { intervalMs: 100 });
    for (let n = 0; n < 50; n += 1) aggregated.warn("webhook", refusal("/webhooks/a", `10.0.0.${n % 8}`));
    aggregated.warn("webhook", refusal("/webhooks/b", "10.0.1.1"));
    aggregated.info("webhook", { method: "POST", path: "/webhooks/a", status: 200 });
    aggregated.warn("webhook", { method: "POST", path: "/webhooks/a", status: 413 });
    expect(lines.map((line) => [line.message, line.fields?.["path"], line.fields?.["status"]])).toEqual([
      ["webhook", "/webhooks/a", 401],
      ["webhook", "/webhooks/b", 401],
      ["webhook", "/webhooks/a", 200],
      ["webhook", "/webhooks/a", 413],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const summary = lines.slice(4);
    expect(summary).toEqual([
      {
        level: "warn",
        message: "requests refused for their signature or secret (401), aggregated",
        fields: {
          path: "/webhooks/a",
          count: 49,
          remotes: ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"],
          codes: ["invalid_signature"],
          interval_ms: 100,
        },
      },
    ]);
    // a quiet interval ends the window: the next refusal is written at once again
    await new Promise((resolve) => setTimeout(resolve, 250));
    aggregated.warn("webhook", refusal("/webhooks/a", "10.0.0.9"));
    expect(lines.at(-1)).toMatchObject({ message: "webhook", fields: { status: 401, remote: "10.0.0.9" } });
    aggregated.warn("webhook", refusal("/webhooks/a", "10.0.0.9"));
    aggregated.close();
    expect(lines.at(-1)).toMatchObject({ fields: { path: "/webhooks/a", count: 1 } });
  });
});
