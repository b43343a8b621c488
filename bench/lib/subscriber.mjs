// A webhook subscriber for the benches: answers 204 to every delivery on 127.0.0.1 and counts them.
import { createServer } from "node:http";

/** `until(count, what)` resolves once `count` deliveries arrived (fails after 10 minutes, naming `what`). */
export async function startSubscriber() {
  let delivered = 0;
  let waiting = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      delivered += 1;
      res.writeHead(204).end();
      waiting = waiting.filter((wait) => (delivered >= wait.count ? (wait.resolve(), false) : true));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks`,
    get delivered() {
      return delivered;
    },
    until: (count, what) =>
      delivered >= count
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${what}: ${delivered} of ${count} delivered`)), 600_000);
            waiting.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
          }),
    close: () => new Promise((resolve) => (server.close(resolve), server.closeAllConnections())),
  };
}
