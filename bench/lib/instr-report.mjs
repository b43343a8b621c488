// The tables `bench/instructions.mjs` prints (markdown, pasted into docs/performance.md) and its JSON figures.
import { SINGLE_BODIES } from "./corpus.mjs";
import { BATCH_SIZE } from "./instr-contenders.mjs";
import { WINDOWS } from "./instr-windows.mjs";

const k = (x) => (x === null || x === undefined ? "—" : `${(x / 1000).toFixed(1)}k`);
const kb = (x) => (x === null || x === undefined ? "—" : `${(x / 1024).toFixed(1)} KB`);
const r2 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 100) / 100);
const times = (x) => (x === null ? "—" : `${x.toFixed(2)}×`);

/** CPU ratio per run (run i of a over run i of b, each its own process), as median [min–max]. */
function cpuRatio(a, b) {
  const ratios = a.cpu_us.runs.map((run, i) => {
    const mine = typeof run === "number" ? run : run.total;
    const theirs = b.cpu_us.runs[i];
    return mine / (typeof theirs === "number" ? theirs : theirs.total);
  });
  const sorted = [...ratios].sort((x, y) => x - y);
  return { median: r2(sorted[Math.floor(sorted.length / 2)]), min: r2(sorted[0]), max: r2(sorted.at(-1)) };
}
const spread = (c) => `${c.median.toFixed(2)} [${c.min.toFixed(2)}–${c.max.toFixed(2)}]`;

/**
 * The contender whose windows disagreed most (largest over smallest): a compile or a GC inside one window shows
 * here, and the median leaves it out.
 */
function widest(results) {
  let worst = null;
  for (const [id, c] of Object.entries(results)) {
    const spreadOf = Math.max(...c.instruction_windows) / Math.min(...c.instruction_windows) - 1;
    if (worst === null || spreadOf > worst.spread) worst = { id, spread: spreadOf };
  }
  return worst === null
    ? ""
    : `; widest spread of a contender's windows ${(worst.spread * 100).toFixed(1)}% (${worst.id})`;
}

function table(headers, rows) {
  return [
    `| ${headers.join(" | ")} |`,
    `|${headers.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

export function instructionReport(results, meta) {
  const json = { ...meta, contenders: results, ratios: {} };
  const sections = [];
  const pair = (name, ours, base, target) => {
    const ratio = r2(ours.instructions / base.instructions);
    const heap = ours.heap_bytes !== null && base.heap_bytes !== null ? r2(ours.heap_bytes / base.heap_bytes) : null;
    const cpu = cpuRatio(ours, base);
    json.ratios[name] = { instructions: ratio, heap_bytes: heap, cpu, target };
    // with a free digest a figure is a bound, not our cost: its verdict says so
    const met = `${ratio <= target ? "yes" : "no"}${meta.digest ? " (free digest)" : ""}`;
    return { ratio, heap, cpu, met };
  };

  const singles = [];
  for (const { platform, label } of SINGLE_BODIES) {
    const floor = results[`single/${platform}/floor`];
    const ours = results[`single/${platform}/ours`];
    if (!floor || !ours) continue;
    const target = platform === "telegram" ? 2.0 : 1.3;
    const p = pair(`${platform} single/floor`, ours, floor, target);
    singles.push([
      label,
      `${k(floor.instructions)} → ${k(ours.instructions)}`,
      `**${times(p.ratio)}**`,
      `≤ ${target.toFixed(1)}× ${p.met}`,
      `${kb(floor.heap_bytes)} → ${kb(ours.heap_bytes)} (${times(p.heap)})`,
      spread(p.cpu),
    ]);
  }
  for (const kind of ["whatsapp-statuses", "meta-entries"]) {
    const floor = results[`batch/${kind}/floor`];
    const ours = results[`batch/${kind}/ours`];
    if (!floor || !ours) continue;
    const p = pair(`${kind}×${BATCH_SIZE} per event/floor`, ours, floor, 3.0);
    const per = (c) => c.instructions / c.events_per_op;
    const perHeap = (c) => (c.heap_bytes === null ? null : c.heap_bytes / c.events_per_op);
    singles.push([
      `${kind} × ${BATCH_SIZE}, per event`,
      `${k(per(floor))} → ${k(per(ours))}`,
      `**${times(p.ratio)}**`,
      `≤ 3.0× ${p.met}`,
      `${kb(perHeap(floor))} → ${kb(perHeap(ours))} (${times(p.heap)})`,
      spread(p.cpu),
    ]);
  }
  if (singles.length > 0) {
    sections.push(
      table(
        [
          "body",
          "instructions, floor → ours",
          "instruction ratio",
          "target",
          "V8 heap allocated per body (ratio)",
          "CPU-time ratio, median [range]",
        ],
        singles,
      ),
    );
  }

  const peers = [];
  for (const [id, platform, target] of [
    ["peer/line/line-bot-sdk middleware", "line", 1.0],
    ["peer/telegram/grammy webhookCallback (aws-lambda-async)", "telegram", 0.7],
    ["peer/telegram/grammy webhookCallback (std/http)", "telegram", 0.7],
  ]) {
    const peer = results[id];
    const ours = results[`single/${platform}/ours`];
    if (!peer || !ours) continue;
    const p = pair(`${platform} ours/${id.split("/").slice(2).join("/")}`, ours, peer, target);
    peers.push([
      id.split("/").slice(2).join("/"),
      `${k(peer.instructions)} → ${k(ours.instructions)}`,
      `**${times(p.ratio)}**`,
      `≤ ${target.toFixed(1)}× ${p.met}`,
      `${kb(peer.heap_bytes)} → ${kb(ours.heap_bytes)}`,
      spread(p.cpu),
    ]);
  }
  if (peers.length > 0) {
    sections.push(
      table(
        [
          "peer (its own platform)",
          "instructions, peer → ours",
          "ratio",
          "target",
          "V8 heap per body",
          "CPU-time ratio",
        ],
        peers,
      ),
    );
  }

  // per HTTP request, one pair each: (heading, base and its label, ours and its label, ratio name, target)
  const us = (c) => `${c.cpu_us.median.toFixed(0)} µs [${c.cpu_us.min.toFixed(0)}–${c.cpu_us.max.toFixed(0)}]`;
  const HTTP_PAIRS = [
    [
      "per HTTP request",
      "http/hand-written receiver",
      "hand-written",
      "http/convotic serve",
      "serve",
      "serve/hand-written receiver per request",
      1.0,
    ],
    [
      "serve with one webhook sink, per request and its delivery",
      "http/serve webhook sink (in-memory queue)",
      "in-memory queue",
      "http/serve webhook sink (durable outbox)",
      "durable outbox",
      "durable outbox/in-memory queue per request",
      1.2,
    ],
  ];
  for (const [heading, baseId, baseLabel, oursId, oursLabel, name, target] of HTTP_PAIRS) {
    const base = results[baseId];
    const ours = results[oursId];
    if (!base || !ours) continue;
    const p = pair(name, ours, base, target);
    sections.push(
      table(
        [
          heading,
          `instructions, ${baseLabel} → ${oursLabel}`,
          "ratio",
          "target",
          `CPU µs ${baseLabel} → ${oursLabel}`,
          "CPU-time ratio",
        ],
        [
          [
            "WhatsApp text, one at a time",
            `${k(base.instructions)} → ${k(ours.instructions)}`,
            `**${times(p.ratio)}**`,
            `≤ ${target.toFixed(1)}× ${p.met}`,
            `${us(base)} → ${us(ours)}`,
            spread(p.cpu),
          ],
        ],
      ),
    );
  }
  const head = `Instructions counted by callgrind at ${meta.commit}: per contender one process, ${meta.n} iterations of warm-up, then ${WINDOWS} windows of ${meta.n} counted back to back (a batch of ${BATCH_SIZE} counts N/20 ops per window, HTTP ${meta.http_n} requests); each figure is the median of its ${WINDOWS} windows (all of them in the JSON, \`instruction_windows\`)${widest(results)}. CPU time over ${meta.runs} independent processes.${meta.digest ? ` Digest: ${meta.digest}; an upper bound on what ids could save, not our cost.` : ""}`;
  return { text: [head, ...sections].join("\n\n"), json };
}
