// Preloaded (`node --require`) into a server run under callgrind: SIGUSR2 opens the counting window (zero the
// counts, start instrumenting), the next SIGUSR2 closes it. Each step is acknowledged on stderr, synchronously,
// so the load generator sends its first counted request only once counting is on.
"use strict";
const { writeSync } = require("node:fs");
const callgrind = require("./index.cjs").load();

let counting = false;
process.on("SIGUSR2", () => {
  if (counting) {
    callgrind.stop();
    counting = false;
    writeSync(2, "callgrind: stopped\n");
  } else {
    callgrind.zero();
    callgrind.start();
    counting = true;
    writeSync(2, "callgrind: started\n");
  }
});
