import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A tiny run of the instruction counter (bench/instructions.mjs): valgrind runs each contender, the N-API addon
// opens the counting windows and dumps each, every window's totals are read back and the ratios computed. The figures of
// so short a window mean nothing (V8 has not finished optimising); that they exist and add up is what is tested.

const ROOT = join(__dirname, "..", "..");
const ADDON = join(ROOT, "bench", "callgrind", "build", "Release", "callgrind.node");
const WINDOWS_MODULE = join(ROOT, "bench", "lib", "instr-windows.mjs");

interface Contender {
  instructions: number;
  instruction_windows: number[];
  events_per_op: number;
  heap_bytes: number | null;
  cpu_us: { median: number; runs: number[] };
}
interface Report {
  n: number;
  contenders: Record<string, Contender>;
  ratios: Record<string, { instructions: number; heap_bytes: number | null; cpu: { median: number }; target: number }>;
  skipped: Record<string, string>;
}

const callgrind = (): { build: () => void; load: () => Record<string, () => unknown> } =>
  require(join(ROOT, "bench", "callgrind", "index.cjs"));

describe("npm run bench:instructions (tiny N)", () => {
  let report: Report;
  let stdout: string;

  beforeAll(() => {
    if (!existsSync(join(ROOT, "dist", "index.js"))) throw new Error("dist/ is missing: npm test builds it first");
    // node-gyp against the running Node's headers; `npm ci` does not build it, the first use does
    if (!existsSync(ADDON)) callgrind().build();
    const run = spawnSync(
      process.execPath,
      [join(ROOT, "bench", "instructions.mjs"), "--n", "40", "--runs", "1", "--only", "single/telegram,peer/line"],
      { cwd: ROOT, encoding: "utf8", timeout: 280_000 },
    );
    if (run.status !== 0) throw new Error(`bench/instructions.mjs exited ${run.status}: ${run.stderr.slice(-1500)}`);
    stdout = run.stdout;
    const line = stdout
      .trim()
      .split("\n")
      .find((text) => text.startsWith('{"instructions":'));
    report = (JSON.parse(line ?? "null") as { instructions: Report }).instructions;
  }, 300_000);

  it("the addon loads outside valgrind, says so, and its requests are harmless there", () => {
    const addon = callgrind().load();
    expect(addon["running"]!()).toBe(false);
    for (const request of ["zero", "start", "stop"]) expect(() => addon[request]!()).not.toThrow();
  });

  it("counts a positive number of instructions per body for the floor and ours, ours above the floor", () => {
    const floor = report.contenders["single/telegram/floor"]!;
    const ours = report.contenders["single/telegram/ours"]!;
    expect(report.n).toBe(40);
    // an HMAC-free Telegram body still costs a JSON.parse and a constant-time compare: thousands, not zero
    expect(floor.instructions).toBeGreaterThan(2_000);
    expect(ours.instructions).toBeGreaterThan(floor.instructions);
    expect(ours.events_per_op).toBe(1);
    expect(ours.cpu_us.runs).toHaveLength(1);
    expect(ours.cpu_us.median).toBeGreaterThan(0);
  });

  it("counts three windows per contender, read from their own dumps, and shows their median", () => {
    for (const id of ["single/telegram/floor", "single/telegram/ours"]) {
      const { instructions, instruction_windows: windows } = report.contenders[id]!;
      expect(windows).toHaveLength(3);
      // a warm floor can count the very same instructions twice, so windows may repeat; each is a body's worth
      for (const window of windows) expect(window).toBeGreaterThan(2_000);
      expect(instructions).toBe([...windows].sort((a, b) => a - b)[1]);
    }
    expect(stdout).toMatch(
      /then 3 windows of 40 counted back to back \(.*HTTP 20 requests\); each figure is the median of its 3 windows/,
    );
    expect(stdout).toMatch(/widest spread of a contender's windows [\d.]+% \(/);
  });

  it("refuses a callgrind file whose window dumps are missing, mislabelled or one too many", () => {
    const dir = mkdtempSync(join(tmpdir(), "convotic-windows-"));
    const file = join(dir, "cg.out");
    const part = (w: number, label: string, total: number): void =>
      writeFileSync(
        `${file}.${w}`,
        `part: ${w}\ndesc: Trigger: Client Request: ${label}\nsummary: ${total}\ntotals: ${total}\n`,
      );
    const read = (): string => {
      const script = `import { windowTotals } from ${JSON.stringify(WINDOWS_MODULE)}; console.log(JSON.stringify(windowTotals(${JSON.stringify(file)})));`;
      const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
      return run.status === 0 ? run.stdout.trim() : `error: ${run.stderr}`;
    };
    try {
      part(1, "window 1", 300);
      part(2, "window 2", 100);
      expect(read()).toMatch(/error: .*no callgrind part .*cg\.out\.3 for window 3/s);
      part(3, "window 3", 200);
      expect(read()).toBe("[300,100,200]");
      part(2, "window 1", 100);
      expect(read()).toMatch(/error: .*cg\.out\.2 is not the dump of window 2/s);
      part(2, "window 2", 100);
      part(4, "Program termination", 5);
      expect(read()).toMatch(/error: .*more than 3 dumps/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("computes the ratios it prints, allocation beside them", () => {
    const floor = report.contenders["single/telegram/floor"]!;
    const ours = report.contenders["single/telegram/ours"]!;
    const ratio = report.ratios["telegram single/floor"]!;
    expect(ratio.instructions).toBeCloseTo(ours.instructions / floor.instructions, 2);
    expect(ratio.target).toBe(2);
    expect(floor.heap_bytes).toBeGreaterThan(0);
    expect(ours.heap_bytes).toBeGreaterThan(0);
    expect(ratio.heap_bytes).toBeCloseTo(ours.heap_bytes! / floor.heap_bytes!, 2);
    expect(stdout).toMatch(/\| Telegram text \| [\d.]+k → [\d.]+k \| \*\*[\d.]+×\*\* \|/);
  });

  it("counts the LINE peer's middleware, or says why it is not installed", () => {
    const peer = report.contenders["peer/line/line-bot-sdk middleware"];
    if (peer === undefined) {
      expect(report.skipped["peer/line/line-bot-sdk middleware"]).toMatch(/@line\/bot-sdk is not installed/);
      return;
    }
    expect(peer.instructions).toBeGreaterThan(2_000);
  });
});

describe("npm run bench:instructions -- --free-digest", () => {
  const INSTRUCTIONS = join(ROOT, "bench", "instructions.mjs");
  const REPORT_MODULE = join(ROOT, "bench", "lib", "instr-report.mjs");

  it("runs ours with ids digested for free, and the child checks the library really called that digest", () => {
    // outside valgrind and with a tiny N: only whether the experiment happened is tested, not its figures
    const child = (extra: string[]) =>
      spawnSync(
        process.execPath,
        [INSTRUCTIONS, "--child", "single/telegram/ours", "--n", "20", "--mode", "cpu", ...extra],
        { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
      );
    const free = child(["--free-digest"]);
    expect(free.stderr).toBe("");
    expect(free.status).toBe(0);
    expect(JSON.parse(free.stdout.trim()).events_per_op).toBe(1);
    // the check itself: a crypto.hash that cannot be replaced leaves the library's digest as it was, and the child fails
    const dir = mkdtempSync(join(tmpdir(), "convotic-free-digest-"));
    const preload = join(dir, "keep-hash.cjs");
    writeFileSync(
      preload,
      'const crypto = require("node:crypto"); const real = crypto.hash;\n' +
        'Object.defineProperty(crypto, "hash", { get: () => real, set: () => {}, configurable: true });\n',
    );
    const bypassed = spawnSync(
      process.execPath,
      [
        "--require",
        preload,
        INSTRUCTIONS,
        "--child",
        "single/telegram/ours",
        "--n",
        "20",
        "--mode",
        "cpu",
        "--free-digest",
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
    );
    rmSync(dir, { recursive: true, force: true });
    expect(bypassed.status).not.toBe(0);
    expect(bypassed.stderr).toMatch(/--free-digest, but the library never called crypto\.hash/);
  });

  it("says in its report that every figure is a bound and marks each verdict", () => {
    const contender = (instructions: number) => ({
      instructions,
      instruction_windows: [instructions, instructions, instructions],
      events_per_op: 1,
      heap_bytes: 1000,
      cpu_us: { median: 1, min: 1, max: 1, runs: [1] },
    });
    const results = { "single/telegram/floor": contender(21_000), "single/telegram/ours": contender(39_000) };
    const meta = { commit: "abc", n: 40, http_n: 20, runs: 1, skipped: {}, digest: "free (--free-digest)" };
    const script = `import { instructionReport } from ${JSON.stringify(REPORT_MODULE)};
      console.log(instructionReport(${JSON.stringify(results)}, ${JSON.stringify(meta)}).text);`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("Digest: free (--free-digest); an upper bound on what ids could save, not our cost.");
    expect(run.stdout).toMatch(
      /\| Telegram text \| 21\.0k → 39\.0k \| \*\*1\.86×\*\* \| ≤ 2\.0× yes \(free digest\) \|/,
    );
  });
});

describe("npm run bench:instructions: serve with a webhook sink, durable outbox against in-memory queue", () => {
  const HTTP_MODULE = join(ROOT, "bench", "lib", "instr-http.mjs");
  const LIBRARY_MODULE = join(ROOT, "bench", "lib", "library.mjs");
  const REPORT_MODULE = join(ROOT, "bench", "lib", "instr-report.mjs");

  it("starts serve with the sink, and a window ends only once the subscriber has had every event", () => {
    // outside valgrind (CPU mode), tiny n: what is tested is that both settings serve and deliver every event
    const dir = mkdtempSync(join(tmpdir(), "convotic-instr-outbox-"));
    const script = `
      import { httpWindow } from ${JSON.stringify(HTTP_MODULE)};
      import { loadLibrary } from ${JSON.stringify(LIBRARY_MODULE)};
      const lib = loadLibrary();
      const out = {};
      for (const id of ["http/serve webhook sink (in-memory queue)", "http/serve webhook sink (durable outbox)"])
        out[id] = await httpWindow(lib, id, { mode: "cpu", n: 10, tmp: ${JSON.stringify(dir)}, tag: "t" });
      console.log(JSON.stringify(out));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 90_000,
    });
    rmSync(dir, { recursive: true, force: true });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout.trim()) as Record<string, { user_us: number; system_us: number }>;
    for (const figures of Object.values(out)) expect(figures.user_us + figures.system_us).toBeGreaterThan(0);
  }, 120_000);

  it("reports the durable outbox's ratio to the in-memory queue against its 1.2× target", () => {
    const contender = (instructions: number, cpu: number) => ({
      instructions,
      instruction_windows: [instructions, instructions, instructions],
      events_per_op: 1,
      cpu_us: { median: cpu, min: cpu, max: cpu, runs: [{ total: cpu }] },
    });
    const results = {
      "http/serve webhook sink (in-memory queue)": contender(400_000, 200),
      "http/serve webhook sink (durable outbox)": contender(460_000, 230),
    };
    const meta = { commit: "abc", n: 40, http_n: 20, runs: 1, skipped: {} };
    const script = `import { instructionReport } from ${JSON.stringify(REPORT_MODULE)};
      console.log(JSON.stringify(instructionReport(${JSON.stringify(results)}, ${JSON.stringify(meta)})));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const report = JSON.parse(run.stdout) as {
      text: string;
      json: { ratios: Record<string, { instructions: number }> };
    };
    expect(report.json.ratios["durable outbox/in-memory queue per request"]!.instructions).toBe(1.15);
    expect(report.text).toMatch(
      /\| WhatsApp text, one at a time \| 400\.0k → 460\.0k \| \*\*1\.15×\*\* \| ≤ 1\.2× yes \|/,
    );
  });
});
