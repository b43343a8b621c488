import {
  asConvoticError,
  ConfigError,
  ConvoticError,
  DispatchError,
  InternalError,
  PayloadError,
  SignatureError,
  SinkError,
  type ErrorCode,
} from "../../src/core";
import { HttpError, methodNotAllowed } from "../../src/http/errors";
import { errorResponse } from "../../src/http/responses";

/* The error → response mapping lives at the edge (`errorResponse`); the error classes carry code, status, platform. */
const JSON_TYPE = "application/json; charset=utf-8";
const bodyOf = (error: ConvoticError) =>
  JSON.parse(errorResponse(error).body) as { error: { code: string; message: string } };

describe("errorResponse(ConvoticError)", () => {
  it("answers its status and {error: {code, message}} as JSON", () => {
    const error = new ConvoticError("what went wrong", {
      code: "some_code" as ErrorCode,
      status: 422,
      platform: "line",
    });
    expect(errorResponse(error)).toEqual({
      status: 422,
      headers: { "content-type": JSON_TYPE },
      body: JSON.stringify({ error: { code: "some_code", message: "[line] what went wrong" } }),
    });
    expect([error.logDetail, error.logLevel]).toEqual(["[line] what went wrong", "info"]);
  });

  it("a 405 carries Allow", () => {
    const error = methodNotAllowed("GET, POST");
    expect(errorResponse(error).status).toBe(405);
    expect(errorResponse(error).headers).toEqual({ "content-type": JSON_TYPE, allow: "GET, POST" });
    expect(bodyOf(error)).toEqual({ error: { code: "method_not_allowed", message: "use GET or POST" } });
  });

  it("a handler failure is answered with a fixed text, its message only logged", () => {
    const error = new DispatchError([new Error("password=hunter2 rejected")]);
    expect(errorResponse(error).status).toBe(500);
    expect(errorResponse(error).body).not.toContain("hunter2");
    expect(bodyOf(error).error).toEqual({ code: "handler_failed", message: expect.stringContaining("redeliver") });
    expect(error.logDetail).toContain("hunter2");
    expect(error.logLevel).toBe("error");
  });

  it("a sink failure likewise", () => {
    const error = new SinkError(new Error("disk /var/secret full"));
    expect(bodyOf(error).error).toEqual({
      code: "sink_failed",
      message: "the event sink failed; answering 500 so the platform redelivers",
    });
    expect(error.logDetail).toContain("disk /var/secret full");
  });

  it("a payload error is answered (the sender may see its own body quoted) but never logged", () => {
    // as the pipeline raises them: JSON.parse's words, and a body parser's (XML, forms), which may quote the body
    const parsed = new PayloadError(
      "body is not valid JSON: Unexpected token 's', \"secret stuff\" is not valid JSON",
      {
        platform: "line",
        code: "invalid_json",
      },
    );
    const read = new PayloadError("body cannot be read: unexpected close tag near 'secret stuff'", {
      platform: "wechat",
      quotesBody: true,
    });
    for (const error of [parsed, read]) {
      expect(errorResponse(error).status).toBe(400);
      expect(bodyOf(error).error.message).toContain("secret stuff");
      expect(error.logDetail).toBeUndefined();
    }
  });

  it("a schema failure names field paths only, and is logged", () => {
    const error = new PayloadError("events[0].type: expected string", { platform: "line" });
    expect(error.logDetail).toContain("events[0].type: expected string");
  });

  it("a bad signature is a 401 logged as a warning", () => {
    const error = new SignatureError("header does not match", { platform: "telegram" });
    expect([errorResponse(error).status, error.logLevel]).toEqual([401, "warn"]);
  });

  it("anything else is a bare 500 internal_error, logged with its message", () => {
    const error = asConvoticError(new TypeError("x is not a function"));
    expect(error).toBeInstanceOf(InternalError);
    expect(bodyOf(error)).toEqual({ error: { code: "internal_error", message: "internal error" } });
    expect(error.logDetail).toBe("x is not a function");
    expect(asConvoticError("thrown string").logDetail).toBe("thrown string");
    const known = new ConfigError("bad");
    expect(asConvoticError(known)).toBe(known);
  });

  it("an HttpError keeps the headers it was given", () => {
    const error = new HttpError("try later", { code: "server_busy", status: 503, headers: { "retry-after": "1" } });
    expect(errorResponse(error).headers).toEqual({ "content-type": JSON_TYPE, "retry-after": "1" });
  });
});
