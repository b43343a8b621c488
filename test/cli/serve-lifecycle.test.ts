import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, root } from "../package/support";
import {
  CLI,
  cleanUp,
  errorLines,
  fifo,
  serveConfig,
  slowUpload,
  spawnServe,
  TOKEN,
  track,
  update,
  waitFor,
} from "../support/serve-process";

/*
 * How `convotic serve` ends (issue 22), met the way an operator meets it: the built CLI in its own process, its
 * stdout a real pipe, real signals. A dead stdout reader is one error line and exit 3; a reader that never reads
 * cannot keep serve from exiting 3 at the end of the grace period; signals after the first are logged and do not
 * cut the grace short; a clean stop is exit 0.
 */
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "convotic-lifecycle-"))));
afterEach(cleanUp);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let configs = 0;
function configFile(extra: Record<string, unknown>): string {
  const path = join(dir, `config-${(configs += 1)}.json`);
  writeFileSync(path, serveConfig(extra));
  return path;
}

/** The Telegram update ids of the event lines serve wrote. */
function updateIds(stdout: string): number[] {
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) =>
      Number((JSON.parse(line) as { metadata: { raw_platform_event_id: string } }).metadata.raw_platform_event_id),
    );
}

const STOPPING_AGAIN =
  /(SIGTERM|SIGINT) received while stopping: the grace period continues \(\d+ ms left\); SIGKILL stops at once/g;

describe("convotic serve: how it ends", () => {
  it("exits 3 with one error line when its stdout reader exits (serve | head -n 3)", async () => {
    const config = configFile({ shutdown_grace: "2s" });
    // the way people meet it: a shell pipeline whose reader exits early; bash reports serve's own exit code
    const script = `"${process.execPath}" "${CLI}" serve --config "${config}" --port 0 | head -n 3; echo "serve exited \${PIPESTATUS[0]}" >&2`;
    const shell = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    track(shell, { group: true });
    let stdout = "";
    let stderr = "";
    shell.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    shell.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const shellExited = new Promise<number | null>((resolve) => shell.once("exit", resolve));
    const url = await waitFor(
      () => /listening on (http:\/\/\S+)/.exec(stderr)?.[1],
      "serve to listen",
      20_000,
      () => stderr,
    );
    const statuses: (number | "refused")[] = [];
    for (let id = 1; id <= 200; id += 1) {
      const status = await fetch(`${url}/webhooks/tg`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TOKEN },
        body: update(id, 50),
      }).then(
        (response) => response.status,
        () => "refused" as const,
      );
      statuses.push(status);
      if (status !== 200) break;
    }
    expect(await shellExited).toBe(0);
    expect(/serve exited (\d+)/.exec(stderr)?.[1]).toBe("3");
    expect(updateIds(stdout)).toEqual([1, 2, 3]);
    // events flowed until the dead reader was met; then serve refused or stopped listening, never a silent 200
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.at(-1)).not.toBe(200);
    const errors = errorLines(stderr);
    const stdoutFailed = / error stdout failed \(its reader is gone\); stopping with exit 3.*EPIPE/;
    expect(errors.filter((line) => stdoutFailed.test(line))).toHaveLength(1);
    // the only other error lines are the answers to the requests that met the dead reader (5xx, to be sent again)
    for (const line of errors.filter((text) => !stdoutFailed.test(text)))
      expect(line).toMatch(/ error webhook .*status=5\d\d .*EPIPE/);
    expect(stderr).toContain("stopped (exit 3)");
  }, 30_000);

  it("exits 3 at the end of the grace period, not before and not later, when its stdout reader never reads, naming the bytes it abandoned", async () => {
    const pipe = fifo(dir, "never-read.fifo");
    const served = await spawnServe(configFile({ shutdown_grace: "1s", stdout_buffer_bytes: 32_768 }), pipe.writeFd);
    const statuses: (number | "refused")[] = [];
    for (let id = 1; id <= 200 && statuses.at(-1) !== 503; id += 1) statuses.push(await served.send(id));
    // the pipe (64 KiB) and then serve's bound (32 KiB) filled up: serve refuses with 503 rather than hold more
    expect(statuses.at(-1)).toBe(503);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(20);
    const signalled = Date.now();
    served.child.kill("SIGTERM");
    // a supervisor's and npm's signals, then an impatient Ctrl-C: logged, and the grace still runs its course
    await waitFor(
      () => (served.stderr().includes("shutting down") ? true : undefined),
      "the shutdown to start",
      5000,
      served.stderr,
    );
    served.child.kill("SIGTERM");
    served.child.kill("SIGINT");
    const exit = await served.exited;
    expect(exit).toMatchObject({ code: 3, signal: null });
    // one line each, in the kernel's order of delivery (SIGINT, the lower number, may come first)
    expect(
      served
        .stderr()
        .match(STOPPING_AGAIN)
        ?.map((line) => line.split(" ")[0])
        .sort(),
    ).toEqual(["SIGINT", "SIGTERM"]);
    const took = exit.at - signalled;
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(1000 + 2500);
    const abandoned = /the shutdown grace period of 1000 ms ended; abandoned (\d+) bytes of stdout/.exec(
      served.stderr(),
    );
    expect(Number(abandoned?.[1])).toBeGreaterThan(0);
    // besides the answer line of the request refused with 503, one error line: the abandoned bytes
    expect(
      errorLines(served.stderr()).filter((line) => !/ error webhook .*status=503 code=sink_backpressure/.test(line)),
    ).toEqual([abandoned?.[0] === undefined ? "" : expect.stringContaining(abandoned[0])]);
  }, 30_000);

  it("logs a second SIGTERM and a SIGINT during the grace period, finishes the request in flight and writes every acknowledged event (exit 0)", async () => {
    const pipe = fifo(dir, "late-reader.fifo");
    const served = await spawnServe(configFile({ shutdown_grace: "8s" }), pipe.writeFd);
    // 40 lines of ~2.3 KB: more than the pipe holds, so serve itself holds acknowledged lines when it is told to stop
    const acknowledged: number[] = [];
    for (let id = 1; id <= 40; id += 1) if ((await served.send(id)) === 200) acknowledged.push(id);
    expect(acknowledged).toHaveLength(40);
    const upload = slowUpload(served.url, update(1000));
    await upload.started; // in flight until finish()

    const signalled = Date.now();
    served.child.kill("SIGTERM");
    await waitFor(
      () => (served.stderr().includes("shutting down") ? true : undefined),
      "the shutdown to start",
      5000,
      served.stderr,
    );
    served.child.kill("SIGTERM");
    await waitFor(
      () => (served.stderr().match(STOPPING_AGAIN)?.length === 1 ? true : undefined),
      "the second SIGTERM's line",
      5000,
      served.stderr,
    );
    served.child.kill("SIGINT");
    await waitFor(
      () => (served.stderr().match(STOPPING_AGAIN)?.length === 2 ? true : undefined),
      "the SIGINT's line",
      5000,
      served.stderr,
    );
    expect(served.child.exitCode).toBeNull();
    expect(served.child.signalCode).toBeNull();

    expect(await upload.finish()).toBe(200);
    pipe.reader(); // the reader wakes up and takes what serve held
    const exit = await served.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalled).toBeLessThan(8000); // it exited when the work was done, not at the grace's end
    expect(updateIds(pipe.text()).sort((a, b) => a - b)).toEqual([...acknowledged, 1000]);
    expect(served.stderr().match(STOPPING_AGAIN)).toEqual([
      expect.stringContaining("SIGTERM"),
      expect.stringContaining("SIGINT"),
    ]);
    expect(served.stderr()).toContain("stopped (exit 0)");
    expect(errorLines(served.stderr())).toEqual([]);
  }, 30_000);

  it("exits 0 at once on a SIGTERM with nothing in flight", async () => {
    const pipe = fifo(dir, "clean.fifo");
    pipe.reader();
    const served = await spawnServe(configFile({}), pipe.writeFd);
    for (let id = 1; id <= 3; id += 1) expect(await served.send(id, 50)).toBe(200);
    await waitFor(() => (updateIds(pipe.text()).length === 3 ? true : undefined), "three lines", 5000);
    const signalled = Date.now();
    served.child.kill("SIGTERM");
    const exit = await served.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalled).toBeLessThan(1500);
    expect(served.stderr()).toContain("stopped (exit 0)");
    expect(errorLines(served.stderr())).toEqual([]);
  }, 30_000);
});

describe("signals through npm start", () => {
  it("survives the SIGTERM sent to the process group plus the copy npm forwards, with a request in flight (exit 0, the event written)", async () => {
    // `timeout 60 npm start`, a container runtime or a terminal's Ctrl-C signal the whole group: node hears the
    // signal itself and again when npm forwards it. The script's `exec` makes node npm's direct child.
    const npm = spawn("npm", ["start", "--ignore-scripts"], {
      cwd: root,
      env: { ...cleanEnv, PORT: "0" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    track(npm, { group: true });
    let stdout = "";
    let stderr = "";
    npm.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    npm.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      npm.once("exit", (code, signal) => resolve({ code, signal })),
    );
    const url = await waitFor(
      () => /listening on (http:\/\/\S+)/.exec(stderr)?.[1],
      "npm start to listen",
      30_000,
      () => stderr,
    );
    // the example config's embedded default, used when TELEGRAM_SECRET_TOKEN is not set
    const headers = { "content-type": "application/json", "x-telegram-bot-api-secret-token": "dev-secret-token" };
    const upload = slowUpload(url, update(77, 50), { path: "/webhooks/tg-demo", headers });
    await upload.started;

    process.kill(-npm.pid!, "SIGTERM");
    await waitFor(
      () => (stderr.includes("shutting down") ? true : undefined),
      "the shutdown to start",
      5000,
      () => stderr,
    );
    expect(await upload.finish()).toBe(200);
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(stdout).toContain('"raw_platform_event_id":"77"');
    expect(stderr).toContain("stopped (exit 0)");
    // npm's copy was logged, unless the kernel merged it with the group's (two pending SIGTERMs are one)
    expect((stderr.match(STOPPING_AGAIN) ?? []).length).toBeLessThanOrEqual(1);
  }, 60_000);
});

describe("one-shot commands", () => {
  it("exit 0 quietly when their reader closes the pipe early (convotic schema | head -c 10)", async () => {
    const shell = spawn(
      "bash",
      [
        "-c",
        `"${process.execPath}" "${CLI}" schema | head -c 10 >/dev/null; echo "schema exited \${PIPESTATUS[0]}" >&2`,
      ],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    shell.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => shell.once("exit", resolve));
    expect(stderr).toBe("schema exited 0\n");
  }, 30_000);
});
