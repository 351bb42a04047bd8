import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type TestRoom, openFeed, requestFrom, startTestRoom, statusFor } from "./test-room.ts";

let room: TestRoom;
afterEach(async () => room?.remove());

/** Sends `text` as it is on a socket of its own and answers the response's status line. */
function rawRequest(origin: string, text: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect(Number(port), hostname, () => socket.write(text));
    socket.on("data", (chunk) => (answer += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(answer.split("\r\n")[0] ?? ""));
  });
}

async function error(response: Response): Promise<{ status: number; error: string }> {
  return { status: response.status, error: ((await response.json()) as { error: string }).error };
}

describe("joining the room", () => {
  it("answers a learner id and secret for the right join code", async () => {
    room = await startTestRoom();
    const response = await room.post(`/join/${room.store.joinCode}`, { name: "  Ana \n Lima " });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, string>;
    expect(body).toEqual({ id: expect.any(String), secret: expect.any(String), name: "Ana Lima" });
    expect(room.store.get(body.id!)?.name).toBe("Ana Lima");
  });

  it.each([
    ["a wrong join code", "/join/not-the-code", { name: "Ana" }, 403, /Wrong join code/],
    ["a join code with a broken %-escape", "/join/%E0%A4%A", { name: "Ana" }, 403, /Wrong join code/],
    ["no name", "CODE", {}, 400, /"name"/],
    ["an empty name", "CODE", { name: "   " }, 400, /"name" must show at least one letter, digit or symbol/],
    ["a name over 60 characters", "CODE", { name: "x".repeat(61) }, 400, /at most 60/],
    ["a body that is not JSON", "CODE", "{name:", 400, /not valid JSON/],
  ])("refuses %s and adds no one", async (_, route, body, status, message) => {
    room = await startTestRoom();
    const response = await room.post(route === "CODE" ? `/join/${room.store.joinCode}` : route, body);
    const answer = await error(response);
    expect(answer.status).toBe(status);
    expect(answer.error).toMatch(message);
    expect(room.store.size).toBe(0);
  });

  // Each shows as blank: a row the trainer could neither read nor tell apart from another.
  it.each([
    ["a Hangul filler", "\u3164"],
    ["a blank Braille pattern", "\u2800"],
    ["a soft hyphen", "\u00ad"],
    ["an Arabic letter mark", "\u061c"],
    ["a word joiner", "\u2060"],
    ["a byte order mark", "\ufeff"],
    ["tag characters", "\u{e0041}\u{e006e}\u{e0061}"],
    ["a halfwidth Hangul filler and an ideographic space", "\uffa0\u3000"],
    ["combining marks alone", "\u0301\u0308"],
    ["a zero-width space between fillers", "\u3164\u200b\u3164"],
  ])("refuses a name of %s: a name must show something", async (_, name) => {
    room = await startTestRoom();
    const answer = await error(await room.post(`/join/${room.store.joinCode}`, { name }));
    expect(answer).toEqual({
      status: 400,
      error: 'Invalid request: "name" must show at least one letter, digit or symbol.',
    });
    expect(room.store.size).toBe(0);
  });

  it.each([
    ["a name in another script", "李雷", "李雷"],
    ["an accent written as a combining mark", "Jose\u0301", "Jos\u00e9"],
    ["a soft hyphen inside a name, which is dropped", "An\u00adna", "Anna"],
    ["an emoji", "Ana 🚀", "Ana 🚀"],
  ])("accepts %s", async (_, name, shown) => {
    room = await startTestRoom();
    const joined = await room.join(name);
    expect(joined.name).toBe(shown);
    expect(room.store.get(joined.id)?.name).toBe(shown);
  });

  it.each([
    ["the same name", "Ana", "Ana"],
    ["the same name in other capitals", "ANA", "ANA"],
    ["the same name in full-width letters", "\uff21\uff4e\uff41", "\uff21\uff4e\uff41"],
    ["the same name with an invisible character inside", "A\u2060na", "Ana"],
    ["the same name with spaces around", "  Ana ", "Ana"],
  ])("tells a second learner that %s is taken", async (_, name, shown) => {
    room = await startTestRoom();
    await room.join("Ana");
    expect(await error(await room.post(`/join/${room.store.joinCode}`, { name }))).toEqual({
      status: 409,
      error: `The name "${shown}" is taken in this room: add your surname or an initial, like --name "${shown} B."`,
    });
    expect(room.store.size).toBe(1);
  });

  it("refuses a body that is not sent as JSON with 415", async () => {
    room = await startTestRoom();
    const response = await fetch(`${room.joinUrl}`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: '{"name":"Ana"}',
    });
    expect(await error(response)).toEqual({ status: 415, error: "Send the body as application/json." });
    expect(room.store.size).toBe(0);
  });

  it("refuses a body over 4 KiB with 413, whether announced or streamed", async () => {
    room = await startTestRoom();
    const big = JSON.stringify({ name: "a".repeat(5000) });
    expect(await error(await room.post(`/join/${room.store.joinCode}`, big))).toEqual({
      status: 413,
      error: "The body is over 4096 bytes.",
    });
    // Chunked, with no Content-Length to refuse it by.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        room.joinUrl,
        { method: "POST", headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write(big.slice(0, 3000));
      req.end(big.slice(3000));
    });
    expect(status).toBe(413);
    expect(room.store.size).toBe(0);
  });

  it("turns joins away once the room is full, saying what the trainer can do about it", async () => {
    const warnings: string[] = [];
    room = await startTestRoom({ store: { maxLearners: 2 }, server: { warn: (line) => warnings.push(line) } });
    await room.join("Ana");
    await room.join("Ben");
    for (const name of ["Cy", "Di"]) {
      expect(await error(await room.post(`/join/${room.store.joinCode}`, { name }))).toEqual({
        status: 503,
        error:
          "The room is full (2 learners). Ask the trainer to remove learners who have left (from the dashboard), " +
          "or to restart the room with a higher --max-learners.",
      });
    }
    expect(room.store.size).toBe(2);
    // Once, not once per learner turned away.
    expect(warnings).toEqual([
      "The room is full (2 learners) and turned a learner away: remove learners who have left from the dashboard, " +
        "or restart with npm run room -- --max-learners 4.",
    ]);
  });

  it("limits joins per address, saying when to try again, while another address still joins", async () => {
    room = await startTestRoom({ server: { joinBurst: 3, joinsPerMinute: 6 } });
    const from = (address: string, name: string) =>
      requestFrom(address, `${room.joinUrl}`, { method: "POST", body: JSON.stringify({ name }) });
    const flood = await Promise.all(Array.from({ length: 10 }, (_, i) => from("127.0.0.2", `Bot ${i}`)));
    expect(flood.filter((answer) => answer.status === 201)).toHaveLength(3);
    const refused = flood.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(7);
    expect(refused[0]).toMatchObject({
      headers: { "retry-after": "10" },
      body: { error: "Too many joins from your address: try again in 10 s." },
    });
    expect((await from("127.0.0.1", "Ana")).status).toBe(201);
    expect(room.store.size).toBe(4);
  });

  it("explains the join link to someone who opens it in a browser", async () => {
    room = await startTestRoom({ server: { joinUrl: "http://192.168.1.20:4321/join/abc" } });
    const right = await fetch(room.joinUrl);
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('npm start -- --room http://192.168.1.20:4321/join/abc --name "Your Name"');
    expect((await fetch(`${room.origin}/join/wrong-code`)).status).toBe(403);
  });
});

describe("a learner's status", () => {
  it("updates that learner's row", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const response = await room.sendStatus(ana, { lesson: "lesson-2", passing: 4, total: 6, hintsUsed: 1 });
    expect(response.status).toBe(204);
    expect(room.store.get(ana.id)).toMatchObject({
      current: "lesson-2",
      lessons: { "lesson-2": { passing: 4, total: 6, hintsUsed: 1, event: "check" } },
    });
  });

  it.each([
    ["another learner's secret", "other", 403, /only update their own row/],
    ["no secret", "none", 403, /only update their own row/],
    ["an unknown learner id", "unknown", 404, /join again/],
  ])("is refused with %s, and changes nothing", async (_, who, status, message) => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const ben = await room.join("Ben");
    const headers: Record<string, string> =
      who === "other"
        ? { Authorization: `Bearer ${ben.secret}` }
        : who === "none"
          ? {}
          : { Authorization: `Bearer ${ana.secret}` };
    const id = who === "unknown" ? "nobody" : ana.id;
    const answer = await error(await room.post(`/learners/${id}/status`, statusFor(), headers));
    expect(answer.status).toBe(status);
    expect(answer.error).toMatch(message);
    expect(room.store.get(ana.id)?.lessons).toEqual({});
  });

  it.each([
    [
      "an unknown lesson",
      { lesson: "lesson-42" },
      /Unknown lesson "lesson-42": this room has lesson-1, lesson-2, lesson-3/,
    ],
    ["a malformed lesson id", { lesson: "../etc" }, /"lesson" must look like "lesson-3"/],
    ["more passing than total", { passing: 6, total: 5 }, /"passing" passing cannot exceed total/],
    ["a negative count", { hintsUsed: -1 }, /"hintsUsed"/],
    ["an unknown event", { event: "explode" as never }, /"event"/],
    ["a time that is not ISO", { at: "yesterday" }, /"at"/],
    ["a save time that is not ISO", { savedAt: "just now" }, /"savedAt"/],
    [
      "a diagnosis whose mistake is not a mistake's name",
      { diagnosis: { mistake: "../etc", title: "x" } },
      /"diagnosis.mistake" must be a mistake's kebab-case name/,
    ],
    [
      "a diagnosis with a title of 81 characters",
      { diagnosis: { mistake: "x", title: "y".repeat(81) } },
      /"diagnosis.title"/,
    ],
  ])("is refused with 400 for %s", async (_, status, message) => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const answer = await error(await room.sendStatus(ana, status));
    expect(answer.status).toBe(400);
    expect(answer.error).toMatch(message);
    expect(room.store.get(ana.id)?.lessons).toEqual({});
  });

  it("keeps a test name to one line of at most 300 characters", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    await room.sendStatus(ana, { failingTest: `a\nb${"x".repeat(400)}` });
    expect(room.store.get(ana.id)?.lessons["lesson-1"]?.failingTest).toBe(`a b${"x".repeat(297)}`);
  });

  it("keeps a diagnosis's title to one line, and takes one without a title, or none sent, as none", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const stored = () => room!.store.get(ana.id)?.lessons["lesson-1"]?.diagnosis;
    await room.sendStatus(ana, { diagnosis: { mistake: "count-below-max", title: "allow while\ncount\u202e < max" } });
    expect(stored()).toEqual({ mistake: "count-below-max", title: "allow while count < max" });
    await room.sendStatus(ana, { diagnosis: { mistake: "count-below-max", title: "\u200b\n" } });
    expect(stored()).toBeNull();
    // A learner's workbook older than diagnoses sends none.
    const { diagnosis: _, ...older } = statusFor();
    const answer = await room.post(`/learners/${ana.id}/status`, older, { Authorization: `Bearer ${ana.secret}` });
    expect(answer.ok).toBe(true);
    expect(stored()).toBeNull();
  });

  it("renames a learner, with their secret only", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const rename = (secret: string) =>
      fetch(`${room.origin}/learners/${ana.id}/name`, {
        method: "PUT",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${secret}` },
        body: JSON.stringify({ name: "Ana L." }),
      });
    expect((await rename("wrong")).status).toBe(403);
    expect(room.store.get(ana.id)?.name).toBe("Ana");
    expect((await rename(ana.secret)).status).toBe(204);
    expect(room.store.get(ana.id)?.name).toBe("Ana L.");
  });

  it("refuses to rename a learner to a name another learner has, but lets them change their own", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const ben = await room.join("Ben");
    const rename = (who: { id: string; secret: string }, name: string) =>
      fetch(`${room.origin}/learners/${who.id}/name`, {
        method: "PUT",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${who.secret}` },
        body: JSON.stringify({ name }),
      });
    expect(await error(await rename(ben, "ana"))).toEqual({
      status: 409,
      error: 'The name "ana" is taken in this room: add your surname or an initial, like --name "ana B."',
    });
    expect(room.store.get(ben.id)?.name).toBe("Ben");
    expect((await rename(ana, "ANA")).status).toBe(204);
    expect(room.store.get(ana.id)?.name).toBe("ANA");
    // Once Ana goes by another name, hers is free again.
    expect((await rename(ana, "Ana Lima")).status).toBe(204);
    expect((await rename(ben, "Ana")).status).toBe(204);
    expect(room.store.get(ben.id)?.name).toBe("Ana");
  });

  it("answers 405 to the wrong method and 404 to an unknown path", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    expect(await error(await fetch(`${room.origin}/learners/${ana.id}/status`))).toEqual({
      status: 405,
      error: "Use POST here.",
    });
    expect(await error(await fetch(`${room.origin}/nowhere`))).toEqual({ status: 404, error: "Nothing at /nowhere." });
  });
});

describe("a request the room cannot read", () => {
  it.each([
    ["an absolute address with an unclosed IPv6 bracket", "GET http://[::1 HTTP/1.1"],
    ["an absolute address with a bad port", "GET http://room:99999/ HTTP/1.1"],
  ])("is answered 400 for %s, and the room carries on", async (_, line) => {
    room = await startTestRoom();
    expect(await rawRequest(room.origin, `${line}\r\nHost: room\r\nConnection: close\r\n\r\n`)).toBe(
      "HTTP/1.1 400 Bad Request",
    );
    expect((await fetch(`${room.origin}/`)).status).toBe(200);
  });
});

describe("the trainer's pages", () => {
  it.each(["/events", "/room.json", "/room.csv", "/session"])("%s needs the trainer's key", async (route) => {
    room = await startTestRoom();
    for (const key of ["", "?key=wrong", `?key=${room.store.joinCode}`]) {
      const response = await fetch(`${room.origin}${route}${key}`);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain("needs the trainer's key");
    }
  });

  it("serves the dashboard page, which holds no data, with a strict Content-Security-Policy and no referrer", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana Lima");
    const response = await fetch(`${room.origin}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await response.text();
    expect(html).toContain('<script src="/dashboard.js" defer></script>');
    expect(html).not.toMatch(/<script>|<style>| on\w+=/);
    expect(html).not.toContain(ana.name);
  });

  it("offers the room as JSON and CSV downloads, without secrets", async () => {
    room = await startTestRoom({ server: { now: () => new Date("2026-11-30T12:00:00Z") } });
    const ana = await room.join("Ana");
    await room.sendStatus(ana, { status: "passed", passing: 5, total: 5, failingTest: null });
    const json = await fetch(`${room.origin}/room.json?key=${room.store.trainerKey}`);
    expect(json.headers.get("content-disposition")).toBe('attachment; filename="room-2026-11-30.json"');
    const text = await json.text();
    expect(text).not.toContain(ana.secret);
    expect(text).not.toContain("secretHash");
    expect(JSON.parse(text).learners[0].lessons["lesson-1"]).toMatchObject({ status: "passed", passing: 5, total: 5 });
    const csv = await fetch(`${room.origin}/room.csv?key=${room.store.trainerKey}`);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect((await csv.text()).split("\r\n")[1]).toBe(
      "Ana,lesson-1,One error class,passed,false,5,5,0,3,,check,2026-11-30T10:00:00.000Z",
    );
  });

  it("streams a snapshot, then only what changed, to the dashboard", async () => {
    room = await startTestRoom();
    // A first dashboard sees the joins go out, so that nothing is pending when the second opens.
    const first = await openFeed(room);
    const ana = await room.join("Ana");
    const ben = await room.join("Ben");
    await first.next("changes", (data) => data.room?.learners === 2);
    first.close();
    const feed = await openFeed(room);
    const snapshot = await feed.next("snapshot");
    expect(snapshot).toMatchObject({
      room: { joinUrl: null, joining: true, learners: 2, maxLearners: 500 },
      lessons: [{ id: "lesson-1" }, { id: "lesson-2" }, { id: "lesson-3" }],
      tests: [],
      learners: [
        { id: ana.id, name: "Ana", current: null, cells: [null, null, null] },
        { id: ben.id, name: "Ben", current: null, cells: [null, null, null] },
      ],
    });
    await room.sendStatus(ana, { lesson: "lesson-3", passing: 1, total: 4, hintsUsed: 3, failingTest: "it › works" });
    const changes = await feed.next("changes", (data) => data.learners.some((learner) => learner.current === 2));
    // Ana alone, as her cells show her, in the order of the lessons: no secret, no times.
    expect(changes).toMatchObject({
      tests: ["it › works"],
      learners: [{ id: ana.id, name: "Ana", number: 1, current: 2, cells: [null, null, ["started", 1, 4, 3, 3, 0]] }],
    });
    expect(changes.learners).toHaveLength(1);
    expect(changes.removed).toEqual([]);
    // Every hint of the lesson taken: stuck, and the summary says why.
    expect(changes.summary?.stuck).toEqual([
      expect.objectContaining({ name: "Ana", lesson: "lesson-3", signals: [{ kind: "all-hints", hints: 3 }] }),
    ]);
    expect(JSON.stringify(changes)).not.toContain(ana.secret);
    // Ben passing a lesson moves no one's place in the summary, so it is not sent again.
    await room.sendStatus(ben, { status: "passed", passing: 5, total: 5, failingTest: null });
    expect(await feed.next("changes")).not.toHaveProperty("summary");
    // Ben failing the test Ana fails makes a cluster of two.
    await room.sendStatus(ben, { lesson: "lesson-3", failingTest: "it › works" });
    const clustered = await feed.next("changes", (data) => data.summary !== undefined);
    expect(clustered.summary?.clusters).toEqual([
      { lesson: "lesson-3", by: "test", label: "it › works", learners: 2, ids: [ana.id, ben.id] },
    ]);
    feed.close();
  });

  it("raises a stuck signal that time alone brings, and says nothing while nothing moves", async () => {
    let clock = new Date("2026-11-30T10:00:00.000Z");
    room = await startTestRoom({ server: { now: () => clock, summaryRefreshMs: 30 }, store: { now: () => clock } });
    const feed = await openFeed(room);
    await feed.next("snapshot");
    const ana = await room.join("Ana");
    await room.sendStatus(ana, { at: "2026-11-30T10:00:00.000Z", savedAt: "2026-11-30T10:00:00.000Z" });
    const heard = await feed.next("changes", (data) => data.learners.some((learner) => learner.current === 0));
    expect(heard.summary ?? { stuck: [] }).toMatchObject({ stuck: [] });
    // Several refreshes find nothing new: no message at all.
    await new Promise((resolve) => setTimeout(resolve, 150));
    clock = new Date("2026-11-30T10:10:00.000Z");
    const changes = await feed.next("changes");
    expect(changes).toMatchObject({ learners: [], removed: [] });
    expect(changes.summary?.stuck[0]?.signals).toEqual([
      { kind: "same-failure", since: "2026-11-30T10:00:00.000Z", checks: 1 },
      { kind: "no-save", since: "2026-11-30T10:00:00.000Z" },
    ]);
    feed.close();
  });

  it("limits how many dashboards are open at once", async () => {
    room = await startTestRoom({ server: { maxDashboards: 1 } });
    const controller = new AbortController();
    const first = await fetch(`${room.origin}/events?key=${room.store.trainerKey}`, { signal: controller.signal });
    expect(first.status).toBe(200);
    const second = await fetch(`${room.origin}/events?key=${room.store.trainerKey}`);
    expect(await error(second)).toEqual({
      status: 503,
      error: "At most 1 dashboards can be open at once: close one and reload.",
    });
    controller.abort();
  });
});

describe("the trainer's key", () => {
  it("becomes an HttpOnly, SameSite=Strict cookie when the dashboard opens, and leaves the address", async () => {
    room = await startTestRoom();
    const response = await fetch(room.dashboardUrl, { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    expect(response.headers.get("set-cookie")).toMatch(
      new RegExp(`^room-key-[0-9a-f]{12}=${room.store.trainerKey}; Path=/; HttpOnly; SameSite=Strict$`),
    );
  });

  it.each([
    ["the cookie", "cookie", 200],
    ["?key= in the address, as a script sends it", "query", 200],
    ["a cookie with a wrong key", "wrong cookie", 403],
    ["another room's cookie", "other room", 403],
  ])("opens the feed and the downloads with %s", async (_, how, status) => {
    room = await startTestRoom();
    const cookie = (await fetch(room.dashboardUrl, { redirect: "manual" })).headers.get("set-cookie")!.split(";")[0]!;
    const [name] = cookie.split("=");
    const headers: Record<string, string> =
      how === "cookie"
        ? { Cookie: `other=1; ${cookie}` }
        : how === "wrong cookie"
          ? { Cookie: `${name}=${room.store.joinCode}` }
          : how === "other room"
            ? { Cookie: `room-key-000000000000=${room.store.trainerKey}` }
            : {};
    const query = how === "query" ? `?key=${room.store.trainerKey}` : "";
    for (const route of ["/room.json", "/room.csv"])
      expect((await fetch(`${room.origin}${route}${query}`, { headers })).status).toBe(status);
    expect((await fetch(`${room.origin}/session${query}`, { headers })).status).toBe(status === 200 ? 204 : 403);
    const controller = new AbortController();
    const feed = await fetch(`${room.origin}/events${query}`, { headers, signal: controller.signal });
    expect(feed.status).toBe(status);
    controller.abort();
  });

  it("serves the page to a wrong key, setting no cookie", async () => {
    room = await startTestRoom();
    const response = await fetch(`${room.origin}/?key=${room.store.joinCode}`, { redirect: "manual" });
    expect(response.status).toBe(200);
    expect(response.headers.get("set-cookie")).toBeNull();
  });
});

describe("the trainer's controls", () => {
  const asTrainer = (route: string, method: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${room.origin}${route}?key=${room.store.trainerKey}`, {
      method,
      headers: { "Content-Type": "application/json", ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });

  it("removes a learner: their workbook is told so, their name is free, and the dashboard hears it", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const feed = await openFeed(room);
    await feed.next("snapshot");
    expect((await asTrainer(`/learners/${ana.id}`, "DELETE")).status).toBe(204);
    expect(room.store.size).toBe(0);
    expect(await feed.next("changes", (data) => data.removed.length > 0)).toMatchObject({
      removed: [ana.id],
      room: { learners: 0 },
    });
    feed.close();
    expect(await error(await room.sendStatus(ana, {}))).toEqual({
      status: 410,
      error:
        'The trainer removed you from this room. To join again: npm start -- --room <join link> --name "Your Name"',
    });
    expect((await room.post(`/join/${room.store.joinCode}`, { name: "Ana" })).status).toBe(201);
  });

  it("closes the room to new learners and opens it again, while those in it carry on", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    expect((await asTrainer("/joining", "PUT", { open: false })).status).toBe(204);
    expect(await error(await room.post(`/join/${room.store.joinCode}`, { name: "Ben" }))).toEqual({
      status: 403,
      error: "The trainer has closed joining for now: ask them to open it, then run the same command again.",
    });
    expect((await room.sendStatus(ana, {})).status).toBe(204);
    expect((await asTrainer("/joining", "PUT", { open: true })).status).toBe(204);
    expect((await room.post(`/join/${room.store.joinCode}`, { name: "Ben" })).status).toBe(201);
  });

  it.each([
    ["without the key", "DELETE", "/learners/ID", {}, false, 403, /needs the trainer's key/],
    [
      "from another site's page",
      "DELETE",
      "/learners/ID",
      { Origin: "http://evil.example" },
      true,
      403,
      /own dashboard/,
    ],
    ["for a learner not in the room", "DELETE", "/learners/nobody", {}, true, 404, /No learner with that id/],
    ["without the key", "PUT", "/joining", {}, false, 403, /needs the trainer's key/],
    ["from another site's page", "PUT", "/joining", { Origin: "http://evil.example" }, true, 403, /own dashboard/],
    ["with a body that says nothing", "PUT", "/joining", {}, true, 400, /"open"/],
  ])("refuses a change %s (%s %s)", async (_, method, route, headers, withKey, status, message) => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    const address = `${room.origin}${route.replace("ID", ana.id)}${withKey ? `?key=${room.store.trainerKey}` : ""}`;
    const response = await fetch(address, {
      method,
      headers: { "Content-Type": "application/json", ...headers },
      ...(method === "PUT" && { body: "{}" }),
    });
    const answer = await error(response);
    expect(answer.status).toBe(status);
    expect(answer.error).toMatch(message);
    expect([room.store.size, room.store.joining]).toEqual([1, true]);
  });

  it("keeps removed learners out and joining closed across a restart", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    await asTrainer(`/learners/${ana.id}`, "DELETE");
    await asTrainer("/joining", "PUT", { open: false });
    await room.stop();
    room = await startTestRoom({ dir: room.dir });
    expect((await room.sendStatus(ana, {})).status).toBe(410);
    expect((await room.post(`/join/${room.store.joinCode}`, { name: "Ben" })).status).toBe(403);
  });
});

describe("a restart of the room", () => {
  it("keeps the join code, the trainer's key, the learners and their secrets", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    await room.sendStatus(ana, { lesson: "lesson-2", passing: 3 });
    const { joinCode, trainerKey } = room.store;
    await room.stop();
    const restarted = await startTestRoom({ dir: room.dir });
    room = restarted;
    expect([restarted.store.joinCode, restarted.store.trainerKey]).toEqual([joinCode, trainerKey]);
    expect(restarted.store.get(ana.id)?.lessons["lesson-2"]?.passing).toBe(3);
    expect((await restarted.sendStatus(ana, { lesson: "lesson-3" })).status).toBe(204);
  });

  it("writes the file atomically and never stores a secret", async () => {
    room = await startTestRoom();
    const ana = await room.join("Ana");
    await room.stop();
    const content = readFileSync(room.file, "utf8");
    expect(content).not.toContain(ana.secret);
    expect(readdirSync(room.dir)).toEqual(["room-state.json"]);
  });

  it("carries on in memory, saying so once, when its file cannot be written", async () => {
    const warnings: string[] = [];
    room = await startTestRoom();
    await room.stop();
    // A file where the room's folder should be: every write fails.
    const blocked = await startTestRoom({
      dir: `${room.dir}/room-state.json`,
      store: { warn: (line) => warnings.push(line) },
    });
    try {
      const ana = await blocked.join("Ana");
      expect((await blocked.sendStatus(ana, {})).status).toBe(204);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(warnings).toEqual([
        expect.stringMatching(
          /^Could not save the room to .*: it carries on, but a restart would lose it\. Free some disk space\.$/,
        ),
      ]);
      expect(blocked.store.get(ana.id)?.lessons["lesson-1"]).toBeDefined();
    } finally {
      await blocked.stop();
    }
  });

  it("keeps a corrupt file aside and starts an empty room", async () => {
    room = await startTestRoom();
    await room.stop();
    writeFileSync(room.file, "{ not json");
    const warnings: string[] = [];
    room = await startTestRoom({ dir: room.dir, store: { warn: (line) => warnings.push(line) } });
    expect(room.store.size).toBe(0);
    expect(warnings).toEqual([
      expect.stringMatching(
        /room-state\.json was unreadable, so the room starts empty .*kept as room-state\.json\.corrupt-\d+/,
      ),
    ]);
    const aside = readdirSync(room.dir).find((file) => file.includes(".corrupt-"))!;
    expect(readFileSync(`${room.dir}/${aside}`, "utf8")).toBe("{ not json");
  });
});
