import fc from "fast-check";
import { createServer, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { writeResponse, type HttpResponse } from "../../src/http";

/*
 * writeResponse hands Node a flat list of header names and values: the answer on the wire must be the one the plain
 * definition gives (the headers object with the length added, through writeHead), whatever the headers and body.
 */
function plainWrite(res: ServerResponse, response: HttpResponse): void {
  const { status, headers, body } = response;
  if (status < 200 || status === 204 || status === 304 || "content-length" in headers) res.writeHead(status, headers);
  else res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

let answer: HttpResponse = { status: 200, headers: {}, body: "" };
const server = createServer((req, res) => (req.url === "/plain" ? plainWrite : writeResponse)(res, answer));
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Status, raw headers (without Date, which moves with the clock) and body bytes of one answer. */
function fetchRaw(path: string): Promise<{ status: number; headers: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const headers: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          if (res.rawHeaders[i]!.toLowerCase() !== "date") headers.push(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        resolve({ status: res.statusCode!, headers, body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const headerName = fc.constantFrom("content-type", "x-request-id", "cache-control", "allow", "retry-after", "X-Mixed");
const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);

describe("writeResponse", () => {
  it("puts on the wire what writeHead with the headers object and the length puts there", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(200, 201, 204, 304, 400, 401, 404, 405, 413, 500, 503),
        fc.dictionary(headerName, headerValue, { maxKeys: 4, noNullPrototype: true }),
        fc.string({ unit: "grapheme", maxLength: 40 }),
        fc.boolean(),
        async (status, headers, body, withLength) => {
          const given = withLength ? { ...headers, "content-length": String(Buffer.byteLength(body)) } : headers;
          answer = { status, headers: given, body: status === 204 || status === 304 ? "" : body };
          expect(await fetchRaw("/flat")).toEqual(await fetchRaw("/plain"));
        },
      ),
      { numRuns: 60 },
    );
  });
});
