import type { Server } from "node:http";
import type { Socket } from "node:net";
import { addressGroup } from "./room-address.ts";

// What keeps a room on a shared network serving when some client misbehaves. Node closes neither
// a connection that never sends a byte nor one that trickles a request head forever before its
// first request, and caps nothing per address: 20,000 silent connections used up every file
// descriptor. Here each connection must send a whole request head soon after it opens, an idle
// keep-alive connection is closed, and one address (an IPv6 /64) holds a bounded number of
// connections, so learners and the dashboard keep being served while one address misbehaves.

export interface ConnectionLimits {
  /** A connection's first request head must arrive whole within this (ms); later ones too. */
  headTimeoutMs: number;
  /** A whole request, body included (ms). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveMs: number;
  /** Connections open at once from one address; more are closed as they arrive. */
  maxPerAddress: number;
  /** Connections open at once in all. */
  maxConnections: number;
}

export const defaultConnectionLimits: ConnectionLimits = {
  headTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveMs: 5_000,
  // A learner's workbook has at most one request in flight; a room behind one NAT address still fits.
  maxPerAddress: 128,
  maxConnections: 10_000,
};

/** How often Node looks for requests over their time (ms); its default, 30 s, is too slow to matter. */
export const connectionsCheckingInterval = 1_000;

export function guardConnections(server: Server, limits: ConnectionLimits): void {
  server.headersTimeout = limits.headTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveMs;
  server.maxConnections = limits.maxConnections;
  const perAddress = new Map<string, number>();
  const waitingForHead = new Map<Socket, NodeJS.Timeout>();

  server.on("connection", (socket: Socket) => {
    const address = addressGroup(socket.remoteAddress);
    const open = perAddress.get(address) ?? 0;
    if (open >= limits.maxPerAddress) {
      socket.destroy();
      return;
    }
    perAddress.set(address, open + 1);
    // Node's headersTimeout only starts at a request's first byte: a silent connection needs its own.
    const deadline = setTimeout(() => socket.destroy(), limits.headTimeoutMs);
    deadline.unref();
    waitingForHead.set(socket, deadline);
    socket.once("close", () => {
      clearTimeout(waitingForHead.get(socket));
      waitingForHead.delete(socket);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });

  server.on("request", (request) => {
    const deadline = waitingForHead.get(request.socket);
    if (deadline === undefined) return;
    clearTimeout(deadline);
    waitingForHead.delete(request.socket);
  });
}
