// A simulated bus between the replicas of one group, in the manner of etcd
// raft's rafttest network: every request, reply and vote travels through
// the simulated clock with a delay, and can be dropped, cut or isolated.
// It behaves as NATS does for the cases replication cares about: a request
// to a replica that serves nothing (stopped, crashed) fails at once with
// NO_RESPONDERS; one that is lost on the way (isolated, partitioned,
// dropped) fails with TIMEOUT after its timeoutMs. Every delivery, drop
// and fault is recorded, for transcripts.
import type { GroupHandler, GroupTransport } from "../../actors/group-transport.js";
import { Bus, Endpoint, toDelay, type Api } from "./bus.js";
import type { DropRule } from "./links.js";

export type { NetEvent } from "./net-events.js";
export type { DropRule };
export type { NetworkOptions } from "./bus.js";

export class FakeNetwork extends Bus {
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

  /** The replica's process is stopped (SIGSTOP): its connection stays up, nothing it receives is handled. */
  pause(replica: number): void {
    const ep = this.endpoints[replica];
    if (!ep || ep.paused) return;
    ep.paused = true;
    this.fault(`pause ${replica}`);
  }

  /** SIGCONT: everything that reached it meanwhile is handled, in arrival order. */
  resume(replica: number): void {
    const ep = this.endpoints[replica];
    if (!ep || !ep.paused) return;
    ep.paused = false;
    this.fault(`resume ${replica} (${ep.held.length} waiting)`);
    for (const fn of ep.held.splice(0)) this.clock.set(fn, 0);
  }

  // --- faults ------------------------------------------------------------

  /** Cuts the replica off the bus in both directions; its onConnection listeners hear false. */
  isolate(replica: number): void {
    if (!this.links.isolate(replica)) return;
    this.fault(`isolate ${replica}`);
    this.tellConnection(replica, false);
  }

  /** Splits the group: messages pass only within a set. Replicas named in no set are alone. */
  partition(sets: number[][]): void {
    this.links.partition(sets);
    this.fault(`partition ${sets.map((s) => `{${s.join(",")}}`).join(" ")}`);
  }

  /** Cuts the link between two replicas, both directions. */
  cut(a: number, b: number): void {
    this.links.cut(a, b);
    this.fault(`cut ${a}-${b}`);
  }

  /** Loses messages matching the rule (all rules apply). */
  drop(rule: DropRule): void {
    this.links.drop(rule);
    this.fault(`drop p=${rule.p}${rule.from !== undefined ? ` from ${rule.from}` : ""}${rule.to !== undefined ? ` to ${rule.to}` : ""}${rule.api ? ` ${rule.api}` : ""}`);
  }

  setDelay(delayMs: number | ((from: number, to: number) => number)): void {
    this.delay = toDelay(delayMs);
    this.fault(`delay ${typeof delayMs === "number" ? `${delayMs}ms` : "custom"}`);
  }

  /** Undoes every isolation, partition, cut and drop rule; isolated replicas hear their connection is back. */
  heal(): void {
    const back = this.links.heal();
    this.fault("heal");
    for (const r of back) this.tellConnection(r, true);
  }
}
