/* A library user who never configures Redis never loads ioredis (an optional peer dependency). */
let mockLoads = 0;
jest.mock("ioredis", () => {
  mockLoads += 1;
  return jest.requireActual("ioredis");
});

it("loads ioredis only when a Redis store is opened from a URL", async () => {
  const { RedisStore } = require("../../src/public/delivery") as typeof import("../../src/public/delivery");
  expect(mockLoads).toBe(0);
  const store = new RedisStore({ url: "redis://127.0.0.1:1", commandTimeoutMs: 100 });
  expect(mockLoads).toBe(1);
  await store.close();
});
