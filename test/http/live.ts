import { createWebhookHandler, startServer, type RunningServer, type WebhookHandlerOptions } from "../../src/http";
import { clock, normalizer, recordingSink } from "./support";

/* A real server per test over the shared test registry, closed after the file; and a POST that reads the answer. */
const running: RunningServer[] = [];

afterAll(async () => {
  await Promise.all(running.splice(0).map((server) => server.close({ graceMs: 200 })));
});

export async function serveTest(options: Partial<WebhookHandlerOptions> & Pick<WebhookHandlerOptions, "blocks">) {
  const sink = recordingSink();
  const handler = createWebhookHandler({ normalizer, clock, env: {}, sink, ...options });
  const server = await startServer(handler);
  running.push(server);
  return { handler, server, sink, url: (path: string) => `${server.url}${path}` };
}

export async function post(url: string, body: Uint8Array | string, headers: Record<string, string>) {
  const response = await fetch(url, { method: "POST", headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}
