import { availableParallelism } from "node:os";
import type { Config } from "jest";

const config: Config = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  // jest's default is one worker fewer than the cores: one on the 2-core CI machine. Most suites wait on real
  // processes (the built CLI, redis-server, nats-server, Chromium) more than they compute, so two side by side
  // take the run from about 310 s to about 180 s there; each suite starts its private servers on ports of its own.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }],
  },
};

export default config;
