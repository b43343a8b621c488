import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { adapters } from "../../src/adapters";
import { createNormalizer } from "../../src/core";
import { runBuiltServe, startBuiltServe, until, type BuiltServe } from "../support/built-serve";

/*
 * The inspector in a real browser: Debian's headless Chromium driven by playwright-core, against the built CLI
 * (`serve --inspect`) as a real process. Requests are signed here at run time and posted over real sockets; the
 * page must list them live, explain a failed signature, and replay a request. Without Chromium the suite fails
 * under CI (.ci/run installs it) and is skipped on a machine that has none.
 */
// another path only to check the CI rule below (CONVOTIC_CHROMIUM=/nonexistent CI=true must fail)
const CHROMIUM = process.env["CONVOTIC_CHROMIUM"] ?? "/usr/bin/chromium";
const present = existsSync(CHROMIUM);
if (!present && process.env["CI"] === "true")
  test("Chromium is installed for the browser tests", () => {
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package (apt-get install -y chromium)`);
  });
const suite = present ? describe : describe.skip;
// a step waits up to 10 s for the page (a loaded 2-core machine renders slowly), so a test gets more than jest's 5 s
jest.setTimeout(30_000);

const normalizer = createNormalizer({ adapters });
const META = { app_secrets: ["browser-test-app-secret"], verify_token: "browser-verify" };
const OTHER = { app_secrets: ["browser-other-app-secret"] };
/** a Messenger text message as Meta sends it: compact, non-ASCII escaped */
const message = (mid: string) =>
  JSON.stringify({
    object: "page",
    entry: [
      {
        id: "1122334455",
        time: 1795252530900,
        messaging: [
          {
            sender: { id: "24000000000000001" },
            recipient: { id: "1122334455" },
            timestamp: 1795252530000,
            message: { mid, text: "Bonjour, caf\\u00e9 ?" },
          },
        ],
      },
    ],
  }).replace(/\\\\u00e9/g, "\\u00e9");

suite("the inspector page in Chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "convotic-browser-"));
  let serve: BuiltServe;
  let browser: Browser;
  let page: Page;

  const post = (body: string, headers: Record<string, string>, block = "fb-main") =>
    fetch(`${serve.url}/webhooks/${block}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const sign = (body: string, secrets: unknown) => normalizer.adapterFor("messenger").sign(Buffer.from(body), secrets);
  const row = (verdict: string, nth = 0) => page.locator(`#rows tr[data-verdict="${verdict}"]`).nth(nth);
  /**
   * Clicks a row and waits until the detail shows that request: the page fetches it first, and until then the
   * previous request's controls are still there to be typed into and clicked.
   */
  const openRow = async (verdict: string, nth = 0): Promise<void> => {
    const target = row(verdict, nth);
    const id = await target.getAttribute("data-id");
    await target.click();
    await page.locator("#detail h2", { hasText: new RegExp(`^#${id} `) }).waitFor({ timeout: 10_000 });
  };

  beforeAll(async () => {
    const config = join(dir, "convotic.config.json");
    writeFileSync(
      config,
      JSON.stringify({
        blocks: [
          { id: "fb-main", platform: "messenger", workspace_id: "ws_browser", secrets: META },
          { id: "fb-other", platform: "messenger", workspace_id: "ws_browser", secrets: OTHER },
        ],
      }),
    );
    serve = await startBuiltServe([
      "--config",
      config,
      "--port",
      "0",
      "--inspect",
      "--inspect-fixtures",
      join(dir, "fixtures"),
    ]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 820 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (serve !== undefined && serve.child.exitCode === null) await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("serve says where the inspector is", async () => {
    await until(() => (serve.stderr().includes("convotic: inspector at") ? true : undefined), "the inspector line");
    expect(serve.stderr()).toMatch(/inspector at http:\/\/127\.0\.0\.1:\d+\/_convotic \(development tool/);
  });

  test("lists requests live, as they arrive", async () => {
    await page.goto(`${serve.url}/_convotic`);
    await page.locator("#live.on").waitFor({ timeout: 10_000 });
    expect(await page.locator("#rows tr").count()).toBe(0);
    const first = message("m_first");
    expect((await post(first, sign(first, META))).status).toBe(200);
    await row("delivered").waitFor({ timeout: 10_000 });
    expect((await post(first, sign(first, META))).status).toBe(200);
    await row("duplicate").waitFor({ timeout: 10_000 });
    const cells = await row("delivered").locator("td").allTextContents();
    expect(cells.slice(2, 9)).toEqual([
      "POST",
      "/webhooks/fb-main",
      "fb-main",
      "messenger",
      "200",
      cells[7],
      "delivered",
    ]);
    expect(cells[9]).toBe("1");
  });

  test("a failed signature opens to its explanation", async () => {
    // the sender signed Meta's bytes; a body parser re-encoded them before they reached the server
    const sent = message("m_parsed");
    const reencoded = JSON.stringify(JSON.parse(sent));
    expect((await post(reencoded, sign(sent, META))).status).toBe(401);
    // and one signed with the other block's app secret
    const other = message("m_other");
    expect((await post(other, sign(other, OTHER))).status).toBe(401);
    await row("invalid_signature", 1).waitFor({ timeout: 10_000 });

    await row("invalid_signature", 0).click();
    const wrong = page.locator('#diagnosis .explanation[data-kind="wrong_secret"]');
    await wrong.waitFor({ timeout: 10_000 });
    expect(await wrong.textContent()).toContain("wrong secret for this route: block fb-other's secret matches");

    await row("invalid_signature", 1).click();
    const escaped = page.locator('#diagnosis .explanation[data-kind="non_ascii_unescaped"]');
    await escaped.waitFor({ timeout: 10_000 });
    expect(await escaped.textContent()).toMatch(
      /escaped as \\uXXXX, the way Meta sends them.*Fix: give convotic the exact bytes/s,
    );
    expect(await page.locator("#tab-headers").textContent()).toMatch(
      /"x-hub-signature-256": "•••• \(masked, 71 characters\)"/,
    );
    expect(await page.content()).not.toContain("browser-test-app-secret");

    const shot = join(dir, "inspector.png");
    await page.screenshot({ path: shot });
    expect(existsSync(shot)).toBe(true);
    // `CONVOTIC_SCREENSHOT=1` refreshes the README's picture from this very state
    if (process.env["CONVOTIC_SCREENSHOT"] === "1")
      await page.screenshot({ path: join(__dirname, "..", "..", "docs", "inspector.png") });
  });

  test("replay sends the stored body through the router again and the new entry appears", async () => {
    await openRow("delivered");
    await page.locator("#replay").waitFor();
    const before = await page.locator("#rows tr").count();
    await page.locator("#replay").click();
    await page.locator("#action-result", { hasText: /replayed: 200/ }).waitFor({ timeout: 10_000 });
    await page.locator("#rows tr").nth(before).waitFor({ timeout: 10_000 });
    const newest = page.locator("#rows tr").first();
    expect(await newest.getAttribute("data-verdict")).toBe("duplicate");
    await newest.click();
    await page.locator("#duplicate-of").waitFor({ timeout: 10_000 });
    expect(await page.locator("#detail .meta").first().textContent()).toMatch(
      /repeats the first delivery #1.*replay of #1/s,
    );
  });

  test("save as fixture and copy as signed curl, from the page", async () => {
    await openRow("delivered");
    await page.locator("#case-name").fill("from-the-page");
    await page.locator("#save").click();
    await page.locator("#action-result", { hasText: /saved .*from-the-page\.json/ }).waitFor({ timeout: 10_000 });
    expect(existsSync(join(dir, "fixtures", "messenger", "from-the-page.json"))).toBe(true);
    expect(existsSync(join(dir, "fixtures", "messenger", "from-the-page.golden.json"))).toBe(true);

    await page.locator("#curl").click();
    const command = page.locator("#curl-command");
    await command.waitFor({ timeout: 10_000 });
    const text = (await command.textContent()) ?? "";
    expect(text).toContain(`curl -sS -X POST '${serve.url}/webhooks/fb-main'`);
    expect(text).toMatch(/-H 'x-hub-signature-256: sha256=[0-9a-f]{64}'/);
    expect(text).not.toContain("browser-test-app-secret");
  });

  test("a SIGTERM with the page open still stops cleanly (the event stream is ended)", async () => {
    const code = await serve.stop();
    expect(code).toBe(0);
    await page.locator("#live.off").waitFor({ timeout: 10_000 });
  });
});

test("serve refuses --inspect on a non-loopback host unless allowed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "convotic-refused-"));
  const config = join(dir, "convotic.config.json");
  const blocks = [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { allow_unverified: true } }];
  writeFileSync(config, JSON.stringify({ blocks }));
  const { code, stderr } = await runBuiltServe(["--config", config, "--inspect", "--host", "0.0.0.0", "--port", "0"]);
  rmSync(dir, { recursive: true, force: true });
  expect(code).toBe(2);
  expect(stderr).toMatch(/--inspect on 0\.0\.0\.0, a non-loopback address.*--inspect-allow-remote/s);
});

test("--inspect-allow-remote lets it run on a non-loopback host, and says so", async () => {
  const dir = mkdtempSync(join(tmpdir(), "convotic-remote-"));
  const config = join(dir, "convotic.config.json");
  writeFileSync(
    config,
    JSON.stringify({
      blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { allow_unverified: true } }],
    }),
  );
  const serve = await startBuiltServe([
    "--config",
    config,
    "--port",
    "0",
    "--host",
    "0.0.0.0",
    "--inspect",
    "--inspect-allow-remote",
  ]);
  try {
    // the start-up lines keep coming after the one that says where it listens
    const said = await until(() => /convotic: inspector at .*\n/.exec(serve.stderr())?.[0], "the inspector line");
    expect(said).toMatch(/inspector at http:\/\/0\.0\.0\.0:\d+\/_convotic \(.*reachable from other machines\)/);
    const port = new URL(serve.url).port;
    const answer = await new Promise<number>((resolve, reject) => {
      const request = require("node:http").request(
        `http://127.0.0.1:${port}/_convotic/api/entries`,
        { headers: { host: "inspector.example:80" } },
        (response: { statusCode: number; resume(): void }) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      request.on("error", reject);
      request.end();
    });
    expect(answer).toBe(200);
  } finally {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
