import { createServer, request, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { writeResponse } from "../../src/http/node";
import type { HttpResponse } from "../../src/http";

/** The head a client reads for one answer written by `writeResponse`. */
async function headOf(response: HttpResponse): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const server = createServer((_req, res) => writeResponse(res, response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      request({ host: "127.0.0.1", port, method: "POST", path: "/", agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
        .on("error", reject)
        .end();
    });
  } finally {
    server.close();
  }
}

describe("writeResponse", () => {
  it("answers with the body's length in bytes, not chunked", async () => {
    const body = JSON.stringify({ ok: true, note: "é ✓" });
    const got = await headOf({
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", "x-request-id": "r1" },
      body,
    });
    expect(got).toMatchObject({ status: 200, body });
    expect(got.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(got.headers["transfer-encoding"]).toBeUndefined();
    expect(got.headers["x-request-id"]).toBe("r1");
  });

  it("gives no length to a 204, and keeps a length the response already names", async () => {
    const empty = await headOf({ status: 204, headers: {}, body: "" });
    expect([empty.status, empty.headers["content-length"], empty.headers["transfer-encoding"]]).toEqual([
      204,
      undefined,
      undefined,
    ]);
    const named = await headOf({ status: 200, headers: { "content-length": "2" }, body: "ok" });
    expect([named.headers["content-length"], named.body]).toEqual(["2", "ok"]);
  });
});
