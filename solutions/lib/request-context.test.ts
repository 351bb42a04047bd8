import { describe, expect, it } from "vitest";
import {
  addResponseHeaders,
  getRequestContext,
  requestIdFrom,
  runWithRequestContext,
  setContextUser,
  type RequestContext,
} from "@/lib/request-context";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const withRequestId = (id?: string) => new Headers(id === undefined ? {} : { "x-request-id": id });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("requestIdFrom", () => {
  it("makes a fresh UUID when the client sent none", () => {
    const [first, second] = [requestIdFrom(withRequestId()), requestIdFrom(withRequestId())];
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(first).not.toBe(second);
  });

  it.each([["abc-123"], ["A.b_c:d-9"], ["x".repeat(64)], ["0"]])("keeps the client's short, safe id %s", (id) => {
    expect(requestIdFrom(withRequestId(id))).toBe(id);
  });

  it.each([
    ["empty", ""],
    ["longer than 64 characters", "x".repeat(65)],
    ["with spaces", "two words"],
    ["with markup", "<script>"],
    ["with a quote", 'id"injected'],
    ["with a slash", "a/b"],
    ["with JSON punctuation", '{"level":"error"}'],
  ])("replaces a client id that is %s with a fresh UUID", (_, id) => {
    expect(requestIdFrom(withRequestId(id))).toMatch(UUID);
  });
});

describe("runWithRequestContext", () => {
  it("gives the function a context built from the request", () => {
    const request = new Request("http://localhost/api/users/7?fields=all", {
      method: "PATCH",
      headers: { "x-request-id": "req-1" },
    });
    const context = runWithRequestContext(request, () => getRequestContext());
    expect(context).toMatchObject({
      requestId: "req-1",
      method: "PATCH",
      path: "/api/users/7",
      startedAt: expect.any(Number),
    });
    expect(context?.userId).toBeUndefined();
    expect([...context!.responseHeaders]).toEqual([]);
  });

  it("returns what the function returns, including a promise", async () => {
    const request = new Request("http://localhost/");
    expect(runWithRequestContext(request, () => 42)).toBe(42);
    await expect(runWithRequestContext(request, async () => "done")).resolves.toBe("done");
  });

  it("has no context outside a request", () => {
    expect(getRequestContext()).toBeUndefined();
  });

  it("keeps the context across awaits inside the request", async () => {
    const request = new Request("http://localhost/", { headers: { "x-request-id": "across-awaits" } });
    const id = await runWithRequestContext(request, async () => {
      await Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
      return getRequestContext()?.requestId;
    });
    expect(id).toBe("across-awaits");
  });

  it("keeps concurrent requests apart: each sees only its own id, user and headers", async () => {
    const gates = [deferred(), deferred()];
    const handle = (n: 0 | 1) =>
      runWithRequestContext(new Request("http://localhost/", { headers: { "x-request-id": `req-${n}` } }), async () => {
        setContextUser(`user-${n}`);
        await gates[n]!.promise;
        addResponseHeaders({ "x-handled-by": `handler-${n}`, [`x-only-${n}`]: "yes" });
        await gates[1 - n]!.promise;
        return getRequestContext()!;
      });
    const running = [handle(0), handle(1)];
    // Interleave the two: each writes while the other is suspended mid-request.
    gates[1]!.resolve();
    gates[0]!.resolve();
    const [first, second] = (await Promise.all(running)) as [RequestContext, RequestContext];
    expect([first.requestId, first.userId, Object.fromEntries(first.responseHeaders)]).toEqual([
      "req-0",
      "user-0",
      { "x-handled-by": "handler-0", "x-only-0": "yes" },
    ]);
    expect([second.requestId, second.userId, Object.fromEntries(second.responseHeaders)]).toEqual([
      "req-1",
      "user-1",
      { "x-handled-by": "handler-1", "x-only-1": "yes" },
    ]);
  });
});

describe("setContextUser and addResponseHeaders", () => {
  it("record the user and headers on the current request", () => {
    const context = runWithRequestContext(new Request("http://localhost/"), () => {
      setContextUser("42");
      addResponseHeaders({ "RateLimit-Limit": "100" });
      addResponseHeaders({ "RateLimit-Limit": "99", "RateLimit-Remaining": "98" });
      return getRequestContext()!;
    });
    expect(context.userId).toBe("42");
    expect(Object.fromEntries(context.responseHeaders)).toEqual({
      "ratelimit-limit": "99",
      "ratelimit-remaining": "98",
    });
  });

  it("do nothing outside a request instead of throwing", () => {
    expect(() => setContextUser("42")).not.toThrow();
    expect(() => addResponseHeaders({ "x-a": "b" })).not.toThrow();
    expect(getRequestContext()).toBeUndefined();
  });
});
