// How bench/main.mjs prints its figures: ratios, rounding, spreads and markdown tables.
export const ratio = (a, b) => (a === undefined || b === undefined ? null : Math.round((a / b) * 100) / 100);
export const fmt = (x) =>
  x === null || x === undefined ? "—" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
export const spread = (s) => `${fmt(s.median)} [${fmt(s.p25)}–${fmt(s.p75)}]`;

export function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => "| " + cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ") + " |";
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
