import { join } from "node:path";
import { runCli } from "../support/run-cli";
import { startBuiltServe, type BuiltServe } from "../support/built-serve";
import { FIXTURES_DIR } from "../support/fixtures";

/*
 * `npm start`'s config serves Twilio, and `convotic replay --to` signs Twilio's form fixtures for the URL the
 * server verifies against: the block's public_url (here a proxy's public address, as in production) plus the
 * query, not the 127.0.0.1 address it posts to. A built server in its own process, real HTTP.
 */
const EXAMPLE = join(__dirname, "..", "..", "examples", "convotic.config.json");
const TWILIO = join(FIXTURES_DIR, "twilio");
const env = {
  TWILIO_PUBLIC_URL: "https://hooks.example.com/twilio",
  TWILIO_AUTH_TOKEN: "5e0c1a9f7b3d2e4c6a8b0d1f3e5a7c9b",
};

let served: BuiltServe;
beforeAll(async () => {
  served = await startBuiltServe(["--config", EXAMPLE, "--port", "0"], env);
}, 20_000);
afterAll(async () => {
  await served.stop();
});

describe("convotic replay --to for twilio", () => {
  it("posts every form fixture signed for the block's public_url, and each is accepted", async () => {
    const replay = await runCli(["replay", TWILIO, "--to", served.url, "--config", EXAMPLE], env);
    expect(replay.stderr).toBe("sent 14, accepted 14, rejected 0\n");
    expect(replay.code).toBe(0);
  }, 30_000);

  it("is refused when the replay signs for another public URL than the server checks", async () => {
    const elsewhere = { ...env, TWILIO_PUBLIC_URL: "https://elsewhere.example.com/twilio" };
    const replay = await runCli(["replay", TWILIO, "--to", served.url, "--config", EXAMPLE], elsewhere);
    expect(replay.stderr).toContain("sent 14, accepted 0, rejected 14 (401: 14)");
    expect(replay.code).toBe(1);
  }, 30_000);
});
