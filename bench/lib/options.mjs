// The command line of `npm run bench` (bench/main.mjs): which mode, which phases, and each mode's sizes.
import { parseArgs } from "node:util";

// `npm run bench -- --instructions [--n N …]`: the instruction counts of bench/instructions.mjs instead of this bench
export const INSTRUCTIONS = process.argv.includes("--instructions");
export const { values } = parseArgs({
  strict: !INSTRUCTIONS,
  options: {
    quick: { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    "no-install": { type: "boolean", default: false },
    only: { type: "string" },
    baseline: { type: "string" },
  },
});
export const MODE = values.smoke ? "smoke" : values.quick ? "quick" : "full";
export const PROFILE = {
  // full: 15 interleaved rounds as the figures; ~6 minutes on 2 cores
  full: {
    rounds: 15,
    sampleMs: 40,
    warmupMs: 150,
    batchSizes: [1, 10, 100, 1000],
    httpRounds: 3,
    httpSec: 5,
    httpWarmupSec: 2,
    connections: 50,
    memoryEvents: 1_000_000,
  },
  quick: {
    rounds: 5,
    sampleMs: 20,
    warmupMs: 60,
    batchSizes: [1, 10, 100, 1000],
    httpRounds: 1,
    httpSec: 2,
    httpWarmupSec: 1,
    connections: 50,
    memoryEvents: 100_000,
  },
  // smoke: proves every phase runs and does the work it claims; its figures mean nothing
  smoke: {
    rounds: 2,
    sampleMs: 1,
    warmupMs: 2,
    batchSizes: [1, 10],
    httpRounds: 1,
    httpSec: 1,
    httpWarmupSec: 0,
    connections: 4,
    memoryEvents: 1_000,
  },
}[MODE];
export const PHASES = new Set((values.only ?? "ids,micro,batch,http,memory,jetstream,outbox").split(","));
export const log = (text) => process.stderr.write(`bench: ${text}\n`);
