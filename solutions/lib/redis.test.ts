import { describe, expect, it, vi } from "vitest";
import { createRedis, REDIS_BACK_MESSAGE, REDIS_DOWN_MESSAGE, RedisOutage } from "@/lib/redis";
import { describeWithRedis, startRedisServer } from "@/testing/redis-server";

// The outage tracker on a clock moved by hand: no Redis needed to prove when it is skipped,
// when it is tried again, and that an outage is logged once.

function setup(retryAfterMs = 1_000) {
  let now = 0;
  const warn = vi.fn();
  const info = vi.fn();
  const outage = new RedisOutage({ warn, info, retryAfterMs, now: () => now });
  return { outage, warn, info, advance: (ms: number) => (now += ms) };
}

const failing = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6390"));

describe("RedisOutage", () => {
  it("returns what Redis answered while it answers, and logs nothing", async () => {
    const { outage, warn, info } = setup();
    expect(
      await outage.run(
        async () => "from redis",
        () => "fallback",
      ),
    ).toBe("from redis");
    expect(outage.isDown).toBe(false);
    expect([warn.mock.calls.length, info.mock.calls.length]).toEqual([0, 0]);
  });

  it("returns the fallback when the call fails, and logs one warning with the reason", async () => {
    const { outage, warn } = setup();
    expect(await outage.run(failing, () => "fallback")).toBe("fallback");
    expect(outage.isDown).toBe(true);
    expect(warn).toHaveBeenCalledWith({ msg: REDIS_DOWN_MESSAGE, error: "connect ECONNREFUSED 127.0.0.1:6390" });
  });

  it("does not call Redis again until retryAfterMs has passed since the last failure", async () => {
    const { outage, advance } = setup(1_000);
    await outage.run(failing, () => null);
    const call = vi.fn(async () => "from redis");
    advance(999);
    expect(await outage.run(call, () => "fallback")).toBe("fallback");
    expect(call).not.toHaveBeenCalled();
    advance(1);
    expect(await outage.run(call, () => "fallback")).toBe("from redis");
    expect(call).toHaveBeenCalledTimes(1);
  });

  it("logs one warning for a whole outage, however many calls fail", async () => {
    const { outage, warn, advance } = setup();
    for (let i = 0; i < 5; i += 1) {
      await outage.run(failing, () => null);
      advance(1_000);
    }
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it("logs once when Redis answers again, and a later outage warns again", async () => {
    const { outage, warn, info, advance } = setup();
    await outage.run(failing, () => null);
    advance(1_000);
    await outage.run(
      async () => "ok",
      () => null,
    );
    await outage.run(
      async () => "ok",
      () => null,
    );
    expect(info).toHaveBeenCalledTimes(1);
    expect(info).toHaveBeenCalledWith({ msg: REDIS_BACK_MESSAGE });
    await outage.run(failing, () => null);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("reports a non-Error rejection as text", async () => {
    const { outage, warn } = setup();
    await outage.run(
      () => Promise.reject("timeout"),
      () => null,
    );
    expect(warn.mock.calls[0]![0]).toMatchObject({ error: "timeout" });
  });
});

describeWithRedis("createRedis", () => {
  it("lets the first commands wait for the first connection, then fails at once while it is lost", async () => {
    const server = await startRedisServer();
    const redis = createRedis(server.url, { timeoutMs: 1_000 });
    try {
      expect(await redis.ping(), "sent before the connection was made: queued, not refused").toBe("PONG");
      await server.stop();
      await vi.waitFor(() => expect(redis.status).not.toBe("ready"));
      const started = Date.now();
      await expect(redis.ping()).rejects.toThrow();
      expect(Date.now() - started, "no queueing once connected: the caller falls back at once").toBeLessThan(100);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });

  it("gives up on a first connection that does not come within the timeout", async () => {
    const redis = createRedis("redis://127.0.0.1:9", { timeoutMs: 100 });
    try {
      const started = Date.now();
      await expect(redis.ping()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      redis.disconnect();
    }
  });
});
