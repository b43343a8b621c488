import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

// A tiny run of `npm run bench` (bench/main.mjs --smoke): every phase runs and does the work it claims to do.
// No timed assertion: the figures of a smoke run mean nothing. CI installs only the root package, so the peers
// (and autocannon) in bench/node_modules may be absent: they must then be skipped with the reason, not fail.

const ROOT = join(__dirname, "..", "..");
const SINGLE = {
  whatsapp: "text",
  messenger: "text-message",
  instagram: "text-message",
  line: "message-text",
  telegram: "message-text-private",
} as const;

interface Summary {
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
}
interface PeerFigure {
  us_per_op: Summary;
  events_per_op: number;
}
interface BenchOutput {
  mode: string;
  single: Record<
    string,
    { floor: Summary; naive: Summary; ours: Summary; events_per_op: number; peers: Record<string, PeerFigure> }
  >;
  mixed_corpus: { bodies: number; rejected_by_ours: number };
  peers: { versions: Record<string, string>; skipped: Record<string, string>; network_calls: { refused: string[] } };
  batches: Record<string, { sizes: Record<string, { events_per_op: number; ours: Summary; floor: Summary }> }>;
  http: { skipped?: string; servers?: Record<string, { non_2xx: number; errors: number; req_per_s: Summary }> };
  memory: { events: number; final: { heap_used_mb: number; rss_mb: number } };
  jetstream: {
    skipped?: string;
    settings?: Record<
      string,
      { events_per_s_median: number; runs: { events: number; requests: number; non_2xx: number; errors: number }[] }
    >;
  };
}

function goldenEventCount(platform: string, fixture: string): number {
  const golden = JSON.parse(readFileSync(join(ROOT, "fixtures", platform, `${fixture}.golden.json`), "utf8")) as {
    events: unknown[];
  };
  return golden.events.length;
}

const isFigure = (s: Summary) => Number.isFinite(s.median) && s.median > 0 && s.min <= s.median && s.median <= s.max;

describe("npm run bench -- --smoke", () => {
  let output: BenchOutput;

  beforeAll(() => {
    if (!existsSync(join(ROOT, "dist", "index.js")))
      throw new Error("dist/ is missing: the bench measures the build (npm test builds first)");
    const run = spawnSync(process.execPath, [join(ROOT, "bench", "main.mjs"), "--smoke"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 150_000,
    });
    if (run.status !== 0)
      throw new Error(`bench --smoke exited ${run.status ?? run.signal}: ${run.stderr.slice(-2000)}`);
    const last = run.stdout.trim().split("\n").pop() ?? "";
    output = (JSON.parse(last) as { bench: BenchOutput }).bench;
  }, 180_000);

  it("measures the floor, the naive normaliser and ours on every platform's single body", () => {
    expect(output.mode).toBe("smoke");
    for (const [platform, fixture] of Object.entries(SINGLE)) {
      const figures = output.single[platform];
      expect(figures).toBeDefined();
      expect(isFigure(figures!.floor) && isFigure(figures!.naive) && isFigure(figures!.ours)).toBe(true);
      // ours really normalised the body: as many envelopes as the fixture's golden file holds
      expect(figures!.events_per_op).toBe(goldenEventCount(platform, fixture));
    }
  });

  it("runs the mixed corpus over every fixture body ours accepts", () => {
    expect(output.mixed_corpus.bodies).toBeGreaterThan(200);
    expect(isFigure(output.single["mixed"]!.ours)).toBe(true);
  });

  it("emits one event per item of every batch", () => {
    for (const kind of ["meta-entries", "whatsapp-statuses", "whatsapp-messages"]) {
      const sizes = output.batches[kind]!.sizes;
      expect(Object.keys(sizes).length).toBeGreaterThan(0);
      for (const [size, figures] of Object.entries(sizes)) {
        expect(figures.events_per_op).toBe(Number(size));
        expect(isFigure(figures.ours) && isFigure(figures.floor)).toBe(true);
      }
    }
  });

  it("measures each peer that is installed, on one event per body, and skips the others saying why", () => {
    const measured = Object.values(output.single).flatMap((figures) => Object.values(figures.peers));
    for (const figure of measured) {
      expect(figure.events_per_op).toBe(1);
      expect(isFigure(figure.us_per_op)).toBe(true);
    }
    for (const name of ["@line/bot-sdk", "grammy", "chat"]) {
      const skipped = output.peers.skipped[name];
      expect(output.peers.versions[name] !== undefined || (typeof skipped === "string" && skipped.length > 0)).toBe(
        true,
      );
    }
    expect(output.peers.network_calls.refused).toEqual([]);
  });

  it("serves every HTTP contender without an error, or skips the phase when autocannon is not installed", () => {
    if (output.http.skipped !== undefined) {
      expect(output.http.skipped).toMatch(/not installed/);
      return;
    }
    const servers = Object.values(output.http.servers ?? {});
    expect(servers).toHaveLength(4);
    for (const server of servers) {
      expect(server.non_2xx).toBe(0);
      expect(server.errors).toBe(0);
      expect(server.req_per_s.median).toBeGreaterThan(0);
    }
  });

  it("reports memory after GC over the events it processed", () => {
    expect(output.memory.events).toBe(1000);
    expect(output.memory.final.heap_used_mb).toBeGreaterThan(0);
    expect(output.memory.final.rss_mb).toBeGreaterThan(0);
  });

  it("lands events in a JetStream stream through 1 and 3 serve processes, or says why it skipped", () => {
    const { jetstream } = output;
    if (jetstream.skipped !== undefined) {
      // NATS or Redis not running, or autocannon not installed (CI installs only the root package)
      expect(jetstream.skipped).toMatch(/does not answer|not installed/);
      return;
    }
    expect(Object.keys(jetstream.settings ?? {})).toEqual(["1 instance", "3 instances"]);
    for (const setting of Object.values(jetstream.settings!)) {
      for (const run of setting.runs) {
        expect(run.non_2xx).toBe(0);
        expect(run.errors).toBe(0);
        // every answered request had its event acknowledged by the stream first
        expect(run.events).toBeGreaterThanOrEqual(run.requests);
        expect(run.events).toBeGreaterThan(0);
      }
    }
  });
});
