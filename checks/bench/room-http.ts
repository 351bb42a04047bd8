import { Agent, type IncomingHttpHeaders, request } from "node:http";

// The room bench's HTTP client: plain node:http, one keep-alive agent per local address, so that
// thousands of learners can come from a hundred addresses of 127.0.0.0/8 (the room limits joins and
// connections per address, as it should) and each request is timed on its own.

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
}

const agents = new Map<string, Agent>();

/** The keep-alive agent of one local address, at most `sockets` connections. */
function agentFor(localAddress: string, sockets = 8): Agent {
  let agent = agents.get(localAddress);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: sockets, localAddress });
    agents.set(localAddress, agent);
  }
  return agent;
}

export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

export function send(
  url: string,
  {
    method = "GET",
    body,
    headers = {},
    from = "127.0.0.1",
    timeoutMs = 10_000,
  }: { method?: string; body?: string; headers?: Record<string, string>; from?: string; timeoutMs?: number } = {},
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const sent = request(
      url,
      {
        method,
        agent: agentFor(from),
        headers: { ...(body !== undefined && { "Content-Type": "application/json" }), ...headers },
        timeout: timeoutMs,
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text,
            ms: performance.now() - started,
          }),
        );
      },
    );
    sent.on("timeout", () => sent.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    sent.on("error", reject);
    sent.end(body);
  });
}

/** The address of learner `i` of a room bench: 20 learners per address (the room's join burst), from 127.0.1.1 on. */
export function learnerAddress(i: number): string {
  const n = Math.floor(i / 20);
  return `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
}
