// Process CPU time per op (user + system, every thread of the process: GC included), sampled in interleaved
// rounds so a noisy neighbour or a CPU frequency change hits every contender alike.

const MAX_CALIBRATION_OPS = 1_000_000;

export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

export function summarise(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x) => Math.round(x * 100) / 100;
  return {
    median: round(quantile(sorted, 0.5)),
    p25: round(quantile(sorted, 0.25)),
    p75: round(quantile(sorted, 0.75)),
    min: round(sorted[0]),
    max: round(sorted[sorted.length - 1]),
  };
}

async function runOps(contender, count) {
  let events = 0;
  if (contender.async) {
    for (let i = 0; i < count; i++) events += await contender.run(i);
  } else {
    for (let i = 0; i < count; i++) events += contender.run(i);
  }
  return events;
}

/** Runs a contender until `ms` of wall time passed (bounded): warms the JIT up and sizes one sample. */
async function calibrate(contender, ms) {
  const first = contender.run(0);
  contender.async = typeof first?.then === "function";
  const eventsFirst = contender.async ? await first : first;
  let ops = 1;
  let batch = 1;
  const start = performance.now();
  while (performance.now() - start < ms && ops < MAX_CALIBRATION_OPS) {
    await runOps(contender, batch);
    ops += batch;
    batch = Math.min(batch * 2, 1024);
  }
  const perOpMs = (performance.now() - start) / Math.max(1, ops - 1);
  return { eventsFirst, perOpMs };
}

/**
 * contenders: { id, run(i) → events (or a promise of it), ops? } — `run` gets the op index, so a corpus contender
 * can cycle through its bodies. Returns per contender the µs per op summary, events per op and the raw samples.
 */
export async function measure(contenders, { rounds, sampleMs, warmupMs, onProgress }) {
  const sized = [];
  for (const contender of contenders) {
    const { eventsFirst, perOpMs } = await calibrate(contender, warmupMs);
    const cycle = contender.cycle ?? 1;
    let opsPerSample = Math.max(1, Math.round(sampleMs / Math.max(perOpMs, 1e-6)));
    if (cycle > 1) opsPerSample = Math.max(cycle, Math.round(opsPerSample / cycle) * cycle);
    sized.push({ contender, opsPerSample, eventsFirst, samples: [], events: 0, ops: 0 });
  }
  for (let round = 0; round < rounds; round++) {
    // rotate the order every round: no contender always follows the same one
    for (let k = 0; k < sized.length; k++) {
      const entry = sized[(k + round) % sized.length];
      const before = process.cpuUsage();
      const events = await runOps(entry.contender, entry.opsPerSample);
      const used = process.cpuUsage(before);
      entry.samples.push((used.user + used.system) / entry.opsPerSample);
      entry.events += events;
      entry.ops += entry.opsPerSample;
    }
    onProgress?.(round + 1, rounds);
  }
  const results = {};
  for (const entry of sized) {
    const perOp = summarise(entry.samples);
    const eventsPerOp = entry.events / entry.ops;
    results[entry.contender.id] = {
      us_per_op: perOp,
      events_per_op: Math.round(eventsPerOp * 1000) / 1000,
      us_per_event: eventsPerOp > 0 ? Math.round((perOp.median / eventsPerOp) * 100) / 100 : null,
      ops_per_sample: entry.opsPerSample,
      rounds,
    };
  }
  return results;
}
