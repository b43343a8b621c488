// Preloaded (`node --require`) into a server run under callgrind: the first SIGUSR2 opens the counting windows
// (zero the counts, start instrumenting); each later one closes the current window with a dump of its own part
// file (`F.1`, `F.2`…, which also zeroes the counts for the next), and the last of BENCH_CALLGRIND_WINDOWS windows
// stops instrumenting. Each step is acknowledged on stderr, synchronously, so the load generator sends its first
// request of a window only once that window counts.
"use strict";
const { writeSync } = require("node:fs");
const callgrind = require("./index.cjs").load();

const windows = Number(process.env.BENCH_CALLGRIND_WINDOWS ?? "1");
let window = 0;
process.on("SIGUSR2", () => {
  if (window === 0) {
    callgrind.zero();
    callgrind.start();
    window = 1;
    writeSync(2, "callgrind: started\n");
    return;
  }
  callgrind.dump(`window ${window}`);
  if (window === windows) {
    callgrind.stop();
    writeSync(2, "callgrind: stopped\n");
  } else writeSync(2, `callgrind: window ${window} dumped\n`);
  window += 1;
});
