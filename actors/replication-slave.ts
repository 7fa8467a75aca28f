// The slave's half of replication: a loop that asks the master's ha.fetch
// for the log from its own end, appends what comes back byte for byte
// (appendRaw checks every record), truncates when the master says the logs
// diverge, and makes visible what the master has committed. Each answer
// from the master of the current term is what keeps this replica from
// starting an election; "no responders" means the master is gone.
import {
  decodeFetchReply,
  encodeJson,
  FetchStatus,
  type FetchHead,
  type FetchRequest,
} from "../src/protocol/index.js";
import { AppendRawStatus, type MessageStore } from "../src/store/index.js";
import type { Logger } from "../src/runtime/log.js";
import { isGone, type Clock, type GroupTransport } from "./group-transport.js";

export interface SlaveEvents {
  /** An answer from the master of `term`. */
  heard(term: number, master: number): void;
  /** The master's subjects have no responders. */
  gone(master: number, term: number): void;
  /** Some replica answered with a newer term. */
  higherTerm(term: number, master: number): void;
  truncated(from: number, to: number, term: number): void;
  /** The master's topic configs or consumer offsets changed. */
  configChanged(version: number): void;
}

export interface SlaveOptions {
  replica: number;
  store: MessageStore;
  transport: GroupTransport;
  clock: Clock;
  log: Logger;
  maxBytes: number;
  /** How long the master may hold a fetch that finds nothing new. */
  waitMs: number;
  /** How long to wait for an answer beyond waitMs. */
  timeoutMs: number;
  /**
   * Show readers all this replica holds, not only what the master says is
   * committed: under manual failover the master never changes, so a
   * slave's log is always a prefix of the one log there is, and a slave
   * serves it whole while the master is down (as RocketMQ's slaves do).
   */
  visibleToEnd?: boolean;
  events: SlaveEvents;
}

export class SlaveDuty {
  private generation = 0;
  private master = -1;
  private term = 0;
  private active = false;
  /** The answer being applied: a new loop starts only after it, so two never append at once. */
  private applying: Promise<unknown> = Promise.resolve();
  /** The master's log end, by its last answer: what lag is measured against. */
  masterEnd = 0;
  lastHeardAt = 0;
  /** Where the master's records were last refused (-1: they pass). */
  private refusedAt = -1;

  constructor(private readonly opts: SlaveOptions) {}

  /**
   * Follows `master` in `term`. A loop still waiting on the old master's
   * answer is left to end by itself (it applies nothing once superseded):
   * waiting for it would add a whole fetch timeout to every failover.
   */
  follow(master: number, term: number): void {
    if (master === this.master && term === this.term && this.active) return;
    this.master = master;
    this.term = term;
    this.active = true;
    void this.loop(++this.generation);
  }

  /** Stops fetching (this replica became candidate or master). Resolves once nothing is being appended. */
  async halt(): Promise<void> {
    this.generation++;
    this.master = -1;
    this.active = false;
    await this.applying;
  }

  get following(): number {
    return this.master;
  }

  private async loop(gen: number): Promise<void> {
    const { store, transport, clock, log } = this.opts;
    await this.applying;
    while (gen === this.generation) {
      const req: FetchRequest = {
        replica: this.opts.replica, term: this.term, offset: store.maxPhysicalOffset, lastTerm: store.lastTerm,
        maxBytes: this.opts.maxBytes, waitMs: this.opts.waitMs, commit: store.commitOffset,
      };
      let data: Uint8Array;
      try {
        data = await transport.request(this.master, "ha.fetch", encodeJson(req), this.opts.waitMs + this.opts.timeoutMs);
      } catch (err) {
        if (gen !== this.generation) return;
        if (isGone(err)) this.opts.events.gone(this.master, this.term);
        else log.debug("fetch failed", { master: this.master, error: String(err) });
        await pause(clock, Math.min(50, this.opts.timeoutMs));
        continue;
      }
      if (gen !== this.generation) return;
      const applied = this.apply(decodeFetchReply(data)).catch((err) => {
        log.error("replication reply not applied", { master: this.master, error: String(err) });
        return false;
      });
      this.applying = applied;
      if (!(await applied)) await pause(clock, Math.min(200, this.opts.timeoutMs));
    }
  }

  /** Applies one answer; false when the loop should back off before asking again. */
  private async apply({ head, bytes }: { head: FetchHead; bytes: Uint8Array }): Promise<boolean> {
    const { store, log, events } = this.opts;
    if (head.term > this.term) {
      events.higherTerm(head.term, head.master);
      return false;
    }
    if (head.status === FetchStatus.notMaster || head.term < this.term) return false;
    events.heard(head.term, this.master);
    this.lastHeardAt = this.opts.clock.now();
    this.masterEnd = head.end;
    if (head.configVersion > 0) events.configChanged(head.configVersion);
    if (head.status === FetchStatus.truncate) {
      const to = store.truncationPoint(head.divergedTerm ?? 0, head.truncateTo ?? 0);
      const from = store.maxPhysicalOffset;
      store.truncateTo(to);
      log.warn("log diverged from the master's: truncated", { from, to, term: head.term, divergedTerm: head.divergedTerm });
      events.truncated(from, to, head.term);
      return true;
    }
    if (head.status === FetchStatus.reset) {
      log.error("this replica's log ends before the master's first offset; it cannot catch up by fetching: copy the master's data folder", {
        end: store.maxPhysicalOffset, masterMin: head.truncateTo,
      });
      return false;
    }
    if (bytes.byteLength > 0) {
      const res = await store.appendRaw(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (res.status !== AppendRawStatus.APPEND_OK) {
        // said once per offset: the fetch is retried every 200 ms and would repeat it
        const at = store.maxPhysicalOffset;
        if (at !== this.refusedAt) log.error("records from the master refused; this replica stays behind until they pass", { status: res.status, at });
        this.refusedAt = at;
        return false;
      }
      this.refusedAt = -1;
    }
    store.setCommitOffset(this.opts.visibleToEnd ? store.maxPhysicalOffset : Math.min(head.commit, store.maxPhysicalOffset));
    return true;
  }
}

function pause(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.set(() => resolve(), ms));
}
