import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBuiltServe, type BuiltServe } from "../support/built-serve";
import { FIXTURES_DIR } from "../support/fixtures";

/*
 * WeChat end to end with real processes (`npm run build` first): the built `serve` with a plain-mode and a
 * safe-mode block, and the built `replay --to` signing every fixture from the config: signatures in the query,
 * safe-mode bodies encrypted with the block's EncodingAESKey, each answered `success`.
 */
const MAIN = join(__dirname, "..", "..", "dist", "cli", "main.js");
const FIXTURES = join(FIXTURES_DIR, "wechat");
const count = readdirSync(FIXTURES).filter((name) => name.endsWith(".xml")).length;

let dir: string;
let served: BuiltServe;
let config: string;

function replay(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, "replay", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env["PATH"] ?? "", ...env },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "convotic-wechat-"));
  config = join(dir, "convotic.config.json");
  writeFileSync(
    config,
    JSON.stringify({
      blocks: [
        { id: "wx-plain", platform: "wechat", workspace_id: "ws", secrets: { tokens: ["${WX_TOKEN}"] } },
        {
          id: "wx-safe",
          platform: "wechat",
          workspace_id: "ws",
          secrets: {
            tokens: ["${WX_TOKEN}"],
            app_id: "wxd1c2b3a4f5e6d7c8",
            encoding_aes_keys: ["rO5sJNY6TX3XYtXho5T4EWtazbKqNpQERNE2PRpQ5OE"],
          },
        },
      ],
    }),
  );
  served = await startBuiltServe(["--config", config, "--port", "0"], { WX_TOKEN: "wxTestToken2026" });
}, 20_000);

afterAll(async () => {
  await served.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("wechat replay --to a served block", () => {
  it.each(["wx-plain", "wx-safe"])(
    "signs every fixture for %s and every one is accepted",
    async (block) => {
      const result = await replay([FIXTURES, "--to", served.url, "--config", config, "--block", block], {
        WX_TOKEN: "wxTestToken2026",
      });
      expect(result.stderr).toBe(`sent ${count}, accepted ${count}, rejected 0\n`);
      expect(result.code).toBe(0);
    },
    30_000,
  );

  it("is refused with another token", async () => {
    const result = await replay([FIXTURES, "--to", served.url, "--config", config, "--block", "wx-safe"], {
      WX_TOKEN: "anotherToken1",
    });
    expect(result.stderr).toContain(`rejected ${count} (401: ${count})`);
    expect(result.code).toBe(1);
  }, 30_000);

  it("answers the handshake GET with echostr", async () => {
    const query =
      "signature=fe54070374c2f5ee20463f4508999a1a4ace2ed5&timestamp=1767225000&nonce=987654321&echostr=7391758426";
    const response = await fetch(`${served.url}/webhooks/wx-plain?${query}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("7391758426");
  });
});
