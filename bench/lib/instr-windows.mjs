// The counting windows of one contender's callgrind process. One window of N iterations sometimes had an
// optimising compile or a GC cycle inside it (grammY's aws-lambda contender read 0.63×, 0.63× and 0.80× of ours
// over three runs): so each process counts WINDOWS windows back to back after its warm-up, each closed by a
// callgrind dump (CALLGRIND_DUMP_STATS_AT, which writes the counts so far to a part file `F.1`, `F.2`… and zeroes
// them), and the figure is their median. A window that caught a compile or a GC stands out beside the other two.
import { existsSync, readFileSync } from "node:fs";

export const WINDOWS = 3;

/**
 * The instructions of each window, in order, from the part files callgrind wrote for `file`. Each part must be the
 * dump of its window (its `desc:` says so): a missing part, one of another trigger, or a part beyond the last
 * window (a stray dump) is an error, not a figure.
 */
export function windowTotals(file, windows = WINDOWS) {
  const totals = [];
  for (let w = 1; w <= windows; w += 1) {
    const part = `${file}.${w}`;
    if (!existsSync(part)) throw new Error(`no callgrind part ${part} for window ${w}`);
    const text = readFileSync(part, "utf8");
    if (!new RegExp(`^desc: Trigger: Client Request: window ${w}$`, "m").test(text))
      throw new Error(`${part} is not the dump of window ${w}`);
    const match = /^totals:\s+(\d+)/m.exec(text) ?? /^summary:\s+(\d+)/m.exec(text);
    if (!match) throw new Error(`no totals in ${part}`);
    totals.push(Number(match[1]));
  }
  if (existsSync(`${file}.${windows + 1}`)) throw new Error(`${file}: more than ${windows} dumps`);
  return totals;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Per-op figures of the windows and their median, as the report shows them. */
export function perOp(totals, n) {
  const windows = totals.map((total) => total / n);
  return { instructions: median(windows), instruction_windows: windows };
}
