import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiError } from "@/lib/errors";
import { parseBody, parseQuery, readJson } from "@/lib/body";

const post = (body: BodyInit | null, headers: Record<string, string> = { "content-type": "application/json" }) =>
  new Request("http://localhost/api/users", { method: "POST", body, headers, duplex: "half" } as RequestInit);

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => expect.fail("expected the promise to reject"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("readJson", () => {
  it("returns the parsed JSON body", async () => {
    expect(await readJson(post('{"a":1}'))).toEqual({ a: 1 });
  });

  it.each([
    ["an empty body", "", "Request body is required"],
    ["malformed JSON", '{"a":', "Malformed JSON body"],
    ["a body that is not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), "Request body is not valid UTF-8"],
  ])("answers 400 for %s", async (_, body, message) => {
    const error = await rejection(readJson(post(body as BodyInit)));
    expect([error.statusCode, error.code, error.message]).toEqual([400, "VALIDATION_ERROR", message]);
  });

  it("answers 413 when Content-Length already says the body is too large", async () => {
    const error = await rejection(
      readJson(post("{}", { "content-type": "application/json", "content-length": "70000" }), 64 * 1024),
    );
    expect([error.statusCode, error.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
  });

  it("answers 413 when a streamed body passes the limit, without buffering the rest", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(1024).fill(32));
        if (pulled > 10_000) controller.close();
      },
    });
    const error = await rejection(readJson(post(stream), 4 * 1024));
    expect(error.statusCode).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  it.each([
    ["no Content-Type", {}],
    ["text/plain", { "content-type": "text/plain" }],
    ["text/plain with JSON in it", { "content-type": "text/plain;charset=UTF-8" }],
    ["a form", { "content-type": "application/x-www-form-urlencoded" }],
    ["multipart", { "content-type": "multipart/form-data; boundary=x" }],
    ["JSON in UTF-16", { "content-type": "application/json; charset=utf-16" }],
    ["a type that only starts like JSON", { "content-type": "application/jsonp" }],
  ])("answers 415 for a body sent with %s, without reading it", async (_, headers) => {
    const request = post('{"a":1}', headers);
    const error = await rejection(readJson(request));
    expect([error.statusCode, error.code, error.message]).toEqual([
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      "Content-Type must be application/json",
    ]);
    expect(request.bodyUsed).toBe(false);
  });

  it.each([
    ["application/json"],
    ["application/json; charset=utf-8"],
    ["Application/JSON; Charset=UTF-8"],
    ['application/json;charset="utf-8"'],
    ["application/json; charset=utf8"],
  ])("reads a body sent as %s", async (contentType) => {
    expect(await readJson(post('{"a":1}', { "content-type": contentType }))).toEqual({ a: 1 });
  });

  it.each([
    ["a lone high surrogate in a value", '{"name":"x\\ud800y"}'],
    ["a lone low surrogate in a value", '{"name":"\\udc00"}'],
    ["a lone surrogate in a key", '{"\\ud800":1}'],
    ["a lone surrogate deep in an array", '{"a":[1,{"b":["ok","\\udfff"]}]}'],
    ["a pair in the wrong order", '{"name":"\\udc00\\ud800"}'],
  ])("answers 400 for %s: it could not be stored as sent", async (_, body) => {
    const error = await rejection(readJson(post(body)));
    expect([error.statusCode, error.code, error.message]).toEqual([
      400,
      "VALIDATION_ERROR",
      "Request body holds a string that is not valid Unicode",
    ]);
  });

  it("reads a well-formed surrogate pair, escaped or not", async () => {
    expect(await readJson(post('{"name":"\\ud83d\\ude00 😀"}'))).toEqual({ name: "😀 😀" });
  });

  it("accepts a body of exactly the limit", async () => {
    const body = JSON.stringify({ pad: "x".repeat(100 - 10) });
    expect(body.length).toBe(100);
    await expect(readJson(post(body), 100)).resolves.toEqual({ pad: "x".repeat(90) });
  });
});

describe("parseBody", () => {
  it("throws the schema's ZodError for a body of the wrong shape", async () => {
    await expect(parseBody(post('{"n":"x"}'), z.strictObject({ n: z.number() }))).rejects.toBeInstanceOf(z.ZodError);
  });
});

describe("parseQuery", () => {
  const schema = z.strictObject({ limit: z.string().optional() });

  it("parses the query string", () => {
    expect(parseQuery(new Request("http://localhost/x?limit=5"), schema)).toEqual({ limit: "5" });
  });

  it("rejects a parameter given twice", () => {
    expect(() => parseQuery(new Request("http://localhost/x?limit=5&limit=6"), schema)).toThrow(ApiError);
  });

  it("sees a __proto__ parameter as an unknown field instead of dropping it", () => {
    expect(() => parseQuery(new Request("http://localhost/x?__proto__=1"), schema)).toThrow(z.ZodError);
  });
});
