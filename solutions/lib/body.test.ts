import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiError } from "@/lib/errors";
import { parseBody, parseQuery, readJson } from "@/lib/body";

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
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
    const error = await rejection(readJson(post("{}", { "content-length": "70000" }), 64 * 1024));
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
