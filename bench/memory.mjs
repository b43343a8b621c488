// Memory phase, in its own process with --expose-gc: RSS and heap after a full GC while ours processes
// `--events N` events (WhatsApp batches of 100 statuses, every status id distinct, each batch signed).
//   node --expose-gc bench/memory.mjs --events 1000000
import { parseArgs } from "node:util";
import { loadLibrary } from "./lib/library.mjs";
import { BATCH_KINDS, CONTEXT, SECRETS, signedBody } from "./lib/corpus.mjs";

const { values } = parseArgs({
  options: { events: { type: "string", default: "1000000" }, checkpoints: { type: "string", default: "10" } },
});
const targetEvents = Number(values.events);
if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc");

const lib = loadLibrary();
const normalizer = lib.createConvotic();
const BATCH = 100;
const MAX_BATCHES = Math.ceil(targetEvents / BATCH);

/**
 * The idempotency store `serve` embeds by default (the memory store at its default bound), fed every event as a
 * delivery feeds it: claim, then commit with WhatsApp's redelivery TTL. The figure includes what it keeps.
 */
function idempotencyStore(library) {
  const store = new library.MemoryStore();
  const DAY_MS = 24 * 60 * 60 * 1000;
  return {
    name: "memory store",
    bound: store.maxEntries,
    store,
    async record(event) {
      const claim = await store.claim(event.id, 30_000);
      if (claim.state !== "yours") throw new Error(`event ${event.id} was ${claim.state}: ids must be distinct`);
      await store.commit(event.id, claim.token, 7 * DAY_MS);
    },
  };
}
const store = idempotencyStore(lib);

// one template; the 8-digit batch number is spliced into every status id, so no two batches share an id
const template = JSON.stringify(BATCH_KINDS["whatsapp-statuses"].build(BATCH)).replaceAll(
  "wamid.bench",
  "wamid.B########",
);
const bodyFor = (batch) =>
  signedBody(lib, "whatsapp", template.replaceAll("########", String(batch).padStart(8, "0")), "memory");

function snapshot(events) {
  globalThis.gc();
  const usage = process.memoryUsage();
  const mb = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return {
    events,
    rss_mb: mb(usage.rss),
    heap_used_mb: mb(usage.heapUsed),
    heap_total_mb: mb(usage.heapTotal),
    external_mb: mb(usage.external),
  };
}

const checkpoints = [snapshot(0)];
const every = Math.max(1, Math.floor(MAX_BATCHES / Number(values.checkpoints)));
let events = 0;
const started = process.cpuUsage();
for (let batch = 0; batch < MAX_BATCHES; batch++) {
  const body = bodyFor(batch);
  const result = normalizer.processWebhook({
    platform: "whatsapp",
    rawBody: body.rawBody,
    headers: body.headers,
    secrets: SECRETS.whatsapp,
    context: CONTEXT("whatsapp"),
  });
  if (result.events.length !== BATCH) throw new Error(`expected ${BATCH} events, got ${result.events.length}`);
  if (store !== undefined) for (const event of result.events) await store.record(event);
  events += result.events.length;
  if ((batch + 1) % every === 0 || batch + 1 === MAX_BATCHES) checkpoints.push(snapshot(events));
}
const cpu = process.cpuUsage(started);
const last = checkpoints[checkpoints.length - 1];
const peakHeap = Math.max(...checkpoints.map((c) => c.heap_used_mb));
process.stdout.write(
  JSON.stringify({
    events,
    body: `WhatsApp batch of ${BATCH} statuses, distinct ids`,
    idempotency_store: `${store.name}, bound ${store.bound} ids, ${store.store.stats().size} held at the end`,
    baseline: checkpoints[0],
    final: last,
    max_heap_used_after_gc_mb: peakHeap,
    cpu_us_per_event: Math.round(((cpu.user + cpu.system) / events) * 100) / 100,
    checkpoints,
  }) + "\n",
);
