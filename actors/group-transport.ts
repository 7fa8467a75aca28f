// How the replicas of one broker group reach each other: requests to one
// replica's replication API, a broadcast on the group's vote subject, and
// the clock and timers they run on. The broker wires it to NATS
// (nats-group-transport.ts); the replication harness under test/ wires it
// to a simulated network that can drop, delay, isolate and heal.
import { ErrorCode, RbusError } from "../src/protocol/index.js";

/** The replication APIs one replica serves, beside rbus.broker.<g>.vote. */
export type GroupApi = "ha.fetch" | "ha.config" | "ha.transfer" | "ha.begin";

export type GroupHandler = (data: Uint8Array) => Promise<Uint8Array> | Uint8Array;

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface Clock extends Timers {
  /** ms since the epoch (or since a simulated start). */
  now(): number;
}

export interface GroupTransport {
  /**
   * One request to replica `to`. Rejects with RbusError NO_RESPONDERS when
   * nobody serves it (the replica's process or connection is gone), TIMEOUT
   * when no answer came in `timeoutMs`, or the remote's RbusError.
   */
  request(to: number, api: GroupApi, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Publishes on the group's vote subject; every answer (from other replicas) goes to onReply until windowMs ends. */
  broadcast(data: Uint8Array, windowMs: number, onReply: (data: Uint8Array) => void): void;
  /** Serves one of this replica's replication APIs. Returns a function that stops serving. */
  serve(api: GroupApi, handler: GroupHandler): () => void;
  /** Answers the group's vote subject (requests from other replicas only). */
  serveVotes(handler: GroupHandler): () => void;
  /** Called with false when this replica's own connection to the bus drops, true when it is back. */
  onConnection(listener: (up: boolean) => void): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export function isGone(err: unknown): boolean {
  return err instanceof RbusError && err.code === ErrorCode.NO_RESPONDERS;
}
