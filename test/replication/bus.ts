// The fake network's delivery: requests, replies and vote broadcasts
// carried through the simulated clock between endpoints, lost when the
// links say so, recorded as they go. fake-network.ts adds the replicas'
// connections and the faults on top.
import { ErrorCode, RbusError } from "../../src/protocol/index.js";
import type { GroupApi, GroupHandler } from "../../actors/group-transport.js";
import { Links } from "./links.js";
import { describePayload, type NetEvent } from "./net-events.js";
import type { SimClock } from "./sim-clock.js";

export type Api = GroupApi | "vote";

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

/** One replica's connection: replaced on restart, dead once its process is. */
export class Endpoint {
  alive = true;
  /** SIGSTOP: what reaches the process waits in `held` until it runs again. */
  paused = false;
  held: Array<() => void> = [];
  readonly handlers = new Map<Api, GroupHandler>();
  readonly listeners = new Set<(up: boolean) => void>();
  constructor(readonly replica: number) {}
}

export class Bus {
  readonly events: NetEvent[] = [];
  protected readonly endpoints: Array<Endpoint | undefined>;
  protected readonly links: Links;
  protected delay: (from: number, to: number) => number;

  constructor(protected readonly opts: NetworkOptions) {
    this.endpoints = Array.from({ length: opts.replicas }, () => undefined);
    this.links = new Links(opts.replicas, opts.seed ?? 1);
    this.delay = toDelay(opts.delayMs ?? 1);
  }

  protected get clock(): SimClock {
    return this.opts.clock;
  }


  /** Whether a message from `from` can reach `to` now (ignoring random drops). */
  connected(from: number, to: number): boolean {
    return this.links.connected(from, to);
  }

  protected request(src: Endpoint, to: number, api: GroupApi, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const from = src.replica;
    return new Promise<Uint8Array>((resolve, reject) => {
      let done = false;
      const finish = (settle: () => void) => {
        if (done || !src.alive) return;
        done = true;
        this.clock.clear(timer);
        settle();
      };
      const timer = this.clock.set(() => whenRunning(src, () => finish(() => {
        this.record("timeout", from, to, api, `after ${timeoutMs}ms`);
        reject(new RbusError(ErrorCode.TIMEOUT, `replica ${to} did not answer ${api} in ${timeoutMs} ms`));
      })), timeoutMs);
      const dst = this.endpoints[to];
      if (!this.links.isIsolated(from) && (!dst || !dst.handlers.has(api))) {
        this.record("no-responders", from, to, api, describePayload(data));
        this.clock.set(() => finish(() => reject(new RbusError(ErrorCode.NO_RESPONDERS, `no responders for replica ${to} ${api}`))), 0);
        return;
      }
      this.send(from, to, api, data, (reply) => whenRunning(src, () => finish(() => (reply instanceof RbusError ? reject(reply) : resolve(reply)))));
    });
  }

  protected broadcast(src: Endpoint, data: Uint8Array, windowMs: number, onReply: (data: Uint8Array) => void): void {
    const from = src.replica;
    const closes = this.clock.now() + windowMs;
    for (const dst of this.endpoints) {
      if (!dst || dst === src || !dst.handlers.has("vote")) continue;
      this.send(from, dst.replica, "vote", data, (reply) => {
        if (!src.alive || reply instanceof RbusError) return;
        if (this.clock.now() > closes) return void this.record("late", dst.replica, from, "vote", "reply after the window closed");
        whenRunning(src, () => onReply(reply));
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
      whenRunning(dst, () => void Promise.resolve()
        .then(() => handler(payload))
        .then(
          (reply) => this.answer(dst, from, api, reply, onAnswer),
          (err: unknown) => {
            if (err instanceof RbusError) return this.answer(dst, from, api, err, onAnswer);
            this.record("fault", to, from, api, `handler threw: ${String(err)}`);
            this.answer(dst, from, api, new RbusError(ErrorCode.INTERNAL, String(err)), onAnswer);
          },
        ));
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
    if (this.links.dropped(from, to, api)) {
      this.record("drop", from, to, api, `${leg}: dropped${data ? ` ${describePayload(data)}` : ""}`);
      return true;
    }
    return false;
  }

  protected tellConnection(replica: number, up: boolean): void {
    const ep = this.endpoints[replica];
    if (!ep) return;
    // NATS reports a lost connection asynchronously, never inside the call that caused it
    this.clock.set(() => whenRunning(ep, () => {
      if (ep.alive) for (const l of [...ep.listeners]) l(up);
    }), 0);
  }

  protected fault(what: string): void {
    this.push({ at: this.clock.elapsed, kind: "fault", from: -1, to: -1, api: "", what });
  }

  protected record(kind: NetEvent["kind"], from: number, to: number, api: string, what: string): void {
    this.push({ at: this.clock.elapsed, kind, from, to, api, what });
  }

  private push(e: NetEvent): void {
    this.events.push(e);
    this.opts.onEvent?.(e);
  }
}

/** Runs `fn` now, or when the paused process runs again. */
export function whenRunning(ep: Endpoint, fn: () => void): void {
  if (ep.paused) ep.held.push(fn);
  else fn();
}

export function toDelay(d: number | ((from: number, to: number) => number)): (from: number, to: number) => number {
  return typeof d === "number" ? () => d : d;
}
