import { describe, expect, it } from "vitest";
import { request } from "@/testing/fixtures";
import { GET } from "./route";

describe("GET /api/health", () => {
  it("answers 200 without a token, with a request id and rate-limit headers", async () => {
    const response = await GET(request("GET", "/api/health"), { params: Promise.resolve({}) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("ratelimit-limit")).toBe("100000");
  });

  it("keeps a short, safe request id sent by the client", async () => {
    const response = await GET(request("GET", "/api/health", { headers: { "x-request-id": "abc-123" } }), {
      params: Promise.resolve({}),
    });
    expect(response.headers.get("x-request-id")).toBe("abc-123");
  });

  // Each is a legal header value, so a client can send it, but none is a safe id to log or echo.
  it.each([["a".repeat(65)], ["<script>"], ["id with spaces"], ["id;drop"], ["naïve"]])(
    "replaces an unsafe client request id %j",
    async (sent) => {
      const response = await GET(request("GET", "/api/health", { headers: { "x-request-id": sent } }), {
        params: Promise.resolve({}),
      });
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it("refuses a GET that carries a body with 400 and the envelope", async () => {
    const response = await GET(
      request("GET", "/api/health", { headers: { "content-length": "2", "x-request-id": "health-body" } }),
      { params: Promise.resolve({}) },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: "VALIDATION_ERROR", message: "A GET request has no body", requestId: "health-body" },
    });
  });

  it("answers a GET with Content-Length: 0 as any other", async () => {
    const response = await GET(request("GET", "/api/health", { headers: { "content-length": "0" } }), {
      params: Promise.resolve({}),
    });
    expect(response.status).toBe(200);
  });
});
