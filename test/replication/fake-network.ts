// A simulated bus between the replicas of one group, in the manner of etcd
// raft's rafttest network: every request, reply and vote travels through
// the simulated clock with a delay, and can be dropped, cut or isolated.
// It behaves as NATS does for the cases replication cares about: a request
// to a replica that serves nothing (stopped, crashed) fails at once with
// NO_RESPONDERS; one that is lost on the way (isolated, partitioned,
// dropped) fails with TIMEOUT after its timeoutMs. Every delivery, drop
// and fault is recorded, for transcripts.
import { ErrorCode, RbusError } from "../../src/protocol/index.js";
import type { GroupApi, GroupHandler, GroupTransport } from "../../actors/group-transport.js";
import { mulberry32, type Rng } from "../chaos/prng.js";
import { describePayload, type NetEvent } from "./net-events.js";
import type { SimClock } from "./sim-clock.js";

export type { NetEvent } from "./net-events.js";

type Api = GroupApi | "vote";

export interface NetworkOptions {
  clock: SimClock;
  replicas: number;
  /** Seeds the drop decisions (and nothing else). */
  seed?: number;
  /** One-way delay of every message, ms; default 1. */
  delayMs?: number | ((from: number, to: number) => number);
  /** Called with every event as it happens (the network also keeps them in `events`). */
  onEvent?: (e: NetEvent) => void;
}

export interface DropRule {
  /** Probability of losing each matching message, 0..1 (1: all of them). */
  p: number;
  from?: number;
  to?: number;
  api?: Api;
}

/** One replica's connection: replaced on restart, dead once its process is. */
class Endpoint {
  alive = true;
  readonly handlers = new Map<Api, GroupHandler>();
  readonly listeners = new Set<(up: boolean) => void>();
  constructor(readonly replica: number) {}
}

export class FakeNetwork {
  readonly events: NetEvent[] = [];
  private readonly endpoints: Array<Endpoint | undefined>;
  private readonly isolated = new Set<number>();
  private readonly cuts = new Set<string>();
  private side: number[] | undefined;
  private drops: DropRule[] = [];
  private readonly rng: Rng;
  private delay: (from: number, to: number) => number;

  constructor(private readonly opts: NetworkOptions) {
    this.endpoints = Array.from({ length: opts.replicas }, () => undefined);
    this.rng = mulberry32(opts.seed ?? 1);
    this.delay = toDelay(opts.delayMs ?? 1);
  }

  private get clock(): SimClock {
    return this.opts.clock;
  }

  /** A new connection for `replica` (its previous one, if any, is closed). */
  transport(replica: number): GroupTransport {
    this.kill(replica);
    const ep = new Endpoint(replica);
    this.endpoints[replica] = ep;
    const serve = (api: Api, handler: GroupHandler) => {
      if (!ep.alive) return () => undefined;
      ep.handlers.set(api, handler);
      return () => void (ep.handlers.get(api) === handler && ep.handlers.delete(api));
    };
    return {
      request: (to, api, data, timeoutMs) => this.request(ep, to, api, data, timeoutMs),
      broadcast: (data, windowMs, onReply) => this.broadcast(ep, data, windowMs, onReply),
      serve,
      serveVotes: (handler) => serve("vote", handler),
      onConnection: (listener) => {
        ep.listeners.add(listener);
        return () => void ep.listeners.delete(listener);
      },
    };
  }

  /** The replica's process is gone: its subscriptions vanish, its pending requests never settle. */
  kill(replica: number): void {
    const ep = this.endpoints[replica];
    if (!ep) return;
    ep.alive = false;
    ep.handlers.clear();
    ep.listeners.clear();
    this.endpoints[replica] = undefined;
  }

  // --- faults ------------------------------------------------------------

  /** Cuts the replica off the bus in both directions; its onConnection listeners hear false. */
  isolate(replica: number): void {
    if (this.isolated.has(replica)) return;
    this.isolated.add(replica);
    this.fault(`isolate ${replica}`);
    this.tellConnection(replica, false);
  }

  /** Splits the group: messages pass only within a set. Replicas named in no set are alone. */
  partition(sets: number[][]): void {
    const side = Array.from({ length: this.opts.replicas }, (_, i) => -1 - i);
    sets.forEach((set, n) => set.forEach((r) => (side[r] = n)));
    this.side = side;
    this.fault(`partition ${sets.map((s) => `{${s.join(",")}}`).join(" ")}`);
  }

  /** Cuts the link between two replicas, both directions. */
  cut(a: number, b: number): void {
    this.cuts.add(linkKey(a, b));
    this.fault(`cut ${a}-${b}`);
  }

  /** Loses messages matching the rule (all rules apply). */
  drop(rule: DropRule): void {
    this.drops.push(rule);
    this.fault(`drop p=${rule.p}${rule.from !== undefined ? ` from ${rule.from}` : ""}${rule.to !== undefined ? ` to ${rule.to}` : ""}${rule.api ? ` ${rule.api}` : ""}`);
  }

  setDelay(delayMs: number | ((from: number, to: number) => number)): void {
    this.delay = toDelay(delayMs);
    this.fault(`delay ${typeof delayMs === "number" ? `${delayMs}ms` : "custom"}`);
  }

  /** Undoes every isolation, partition, cut and drop rule; isolated replicas hear their connection is back. */
  heal(): void {
    const back = [...this.isolated];
    this.isolated.clear();
    this.cuts.clear();
    this.side = undefined;
    this.drops = [];
    this.fault("heal");
    for (const r of back) this.tellConnection(r, true);
  }

  /** Whether a message from `from` can reach `to` now (ignoring random drops). */
  connected(from: number, to: number): boolean {
    if (this.isolated.has(from) || this.isolated.has(to)) return false;
    if (this.cuts.has(linkKey(from, to))) return false;
    return !this.side || this.side[from] === this.side[to];
  }

  // --- delivery ----------------------------------------------------------

  private request(src: Endpoint, to: number, api: GroupApi, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const from = src.replica;
    return new Promise<Uint8Array>((resolve, reject) => {
      let done = false;
      const finish = (settle: () => void) => {
        if (done || !src.alive) return;
        done = true;
        this.clock.clear(timer);
        settle();
      };
      const timer = this.clock.set(() => finish(() => {
        this.record("timeout", from, to, api, `after ${timeoutMs}ms`);
        reject(new RbusError(ErrorCode.TIMEOUT, `replica ${to} did not answer ${api} in ${timeoutMs} ms`));
      }), timeoutMs);
      const dst = this.endpoints[to];
      if (!this.isolated.has(from) && (!dst || !dst.handlers.has(api))) {
        this.record("no-responders", from, to, api, describePayload(data));
        this.clock.set(() => finish(() => reject(new RbusError(ErrorCode.NO_RESPONDERS, `no responders for replica ${to} ${api}`))), 0);
        return;
      }
      this.send(from, to, api, data, (reply) => finish(() => (reply instanceof RbusError ? reject(reply) : resolve(reply))));
    });
  }

  private broadcast(src: Endpoint, data: Uint8Array, windowMs: number, onReply: (data: Uint8Array) => void): void {
    const from = src.replica;
    const closes = this.clock.now() + windowMs;
    for (const dst of this.endpoints) {
      if (!dst || dst === src || !dst.handlers.has("vote")) continue;
      this.send(from, dst.replica, "vote", data, (reply) => {
        if (!src.alive || reply instanceof RbusError) return;
        if (this.clock.now() > closes) return void this.record("late", dst.replica, from, "vote", "reply after the window closed");
        onReply(reply);
      });
    }
  }

  /** Carries a request to `to`, runs its handler there, and carries the answer back to `onAnswer`. */
  private send(from: number, to: number, api: Api, data: Uint8Array, onAnswer: (reply: Uint8Array | RbusError) => void): void {
    if (this.lost(from, to, api, data, "request")) return;
    const payload = Uint8Array.from(data);
    this.clock.set(() => {
      const dst = this.endpoints[to];
      const handler = dst?.handlers.get(api);
      if (!dst || !handler) return void this.record("drop", from, to, api, "request: nobody serves it any more");
      if (this.lost(from, to, api, payload, "request", true)) return;
      this.record("deliver", from, to, api, describePayload(payload));
      void Promise.resolve()
        .then(() => handler(payload))
        .then(
          (reply) => this.answer(dst, from, api, reply, onAnswer),
          (err: unknown) => {
            if (err instanceof RbusError) return this.answer(dst, from, api, err, onAnswer);
            this.record("fault", to, from, api, `handler threw: ${String(err)}`);
            this.answer(dst, from, api, new RbusError(ErrorCode.INTERNAL, String(err)), onAnswer);
          },
        );
    }, this.delay(from, to));
  }

  private answer(dst: Endpoint, to: number, api: Api, reply: Uint8Array | RbusError, onAnswer: (reply: Uint8Array | RbusError) => void): void {
    const from = dst.replica;
    if (!dst.alive) return void this.record("drop", from, to, api, "reply: the replica died while handling");
    const what = reply instanceof RbusError ? `error ${reply.code}` : describePayload(reply);
    if (this.lost(from, to, api, reply instanceof RbusError ? undefined : reply, "reply")) return;
    const copy = reply instanceof RbusError ? reply : Uint8Array.from(reply);
    this.clock.set(() => {
      if (this.lost(from, to, api, undefined, "reply", true)) return;
      this.record("reply", from, to, api, what);
      onAnswer(copy);
    }, this.delay(from, to));
  }

  /** Whether the message is lost (and records why). `arriving`: re-checked on arrival, links only. */
  private lost(from: number, to: number, api: Api, data: Uint8Array | undefined, leg: string, arriving = false): boolean {
    if (!this.connected(from, to)) {
      this.record("drop", from, to, api, `${leg}: ${arriving ? "cut in flight" : "no link"}`);
      return true;
    }
    if (arriving) return false;
    for (const rule of this.drops) {
      if (rule.from !== undefined && rule.from !== from) continue;
      if (rule.to !== undefined && rule.to !== to) continue;
      if (rule.api !== undefined && rule.api !== api) continue;
      if (rule.p >= 1 || this.rng.next() < rule.p) {
        this.record("drop", from, to, api, `${leg}: dropped${data ? ` ${describePayload(data)}` : ""}`);
        return true;
      }
    }
    return false;
  }

  private tellConnection(replica: number, up: boolean): void {
    const ep = this.endpoints[replica];
    if (!ep) return;
    // NATS reports a lost connection asynchronously, never inside the call that caused it
    this.clock.set(() => {
      if (ep.alive) for (const l of [...ep.listeners]) l(up);
    }, 0);
  }

  private fault(what: string): void {
    this.push({ at: this.clock.elapsed, kind: "fault", from: -1, to: -1, api: "", what });
  }

  private record(kind: NetEvent["kind"], from: number, to: number, api: string, what: string): void {
    this.push({ at: this.clock.elapsed, kind, from, to, api, what });
  }

  private push(e: NetEvent): void {
    this.events.push(e);
    this.opts.onEvent?.(e);
  }
}

function linkKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

function toDelay(d: number | ((from: number, to: number) => number)): (from: number, to: number) => number {
  return typeof d === "number" ? () => d : d;
}
