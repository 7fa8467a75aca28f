// How replicas of a group learn who the master is without waiting out an
// election timeout. Voters do not learn who won, and slaves pull, so:
// a new master announces itself (ha.begin, KRaft's BeginQuorumEpoch); a
// replica that starts asks every other replica's ha.fetch once; a replica
// asked for a pre-vote while it still hears its master checks that master.
import { decodeFetchReply, encodeJson, type FetchRequest, type Role } from "../src/protocol/index.js";
import type { MessageStore } from "../src/store/index.js";
import { isGone, type Clock, type GroupTransport } from "./group-transport.js";

export type DiscoveryEvent =
  | { type: "MASTER_HEARD"; term: number; master: number }
  | { type: "MASTER_GONE"; master: number; term: number };

export interface DiscoveryOptions {
  replica: number;
  replicas: number;
  store: MessageStore;
  transport: GroupTransport;
  clock: Clock;
  electionTimeoutMs: number;
  /** How long one request may take. */
  requestTimeoutMs: number;
  /** Between two announcements to a replica that did not answer. */
  retryMs: number;
  view(): { role: Role; term: number; master: number | null };
  /** Whether `replica` has fetched from this master in `term` (then it knows). */
  fetched(replica: number, term: number): boolean;
  stopped(): boolean;
  send(e: DiscoveryEvent): void;
}

export class MasterDiscovery {
  private probing = false;

  constructor(private readonly o: DiscoveryOptions) {}

  /**
   * Tells every other replica that this one is master of `term`, again
   * until that replica has fetched (it may still be starting), or this
   * term's mastership ends. A slave that never heard would campaign and
   * depose a healthy master.
   */
  announce(term: number): void {
    const { o } = this;
    const body = encodeJson({ term, master: o.replica });
    const until = o.clock.now() + 4 * o.electionTimeoutMs;
    const still = () => {
      const v = o.view();
      return !o.stopped() && v.role === "master" && v.term === term && o.clock.now() < until;
    };
    const tell = (r: number) => {
      if (!still() || o.fetched(r, term)) return;
      o.transport.request(r, "ha.begin", body, o.requestTimeoutMs).then(
        () => undefined,
        () => o.clock.set(() => tell(r), o.retryMs),
      );
    };
    for (let r = 0; r < o.replicas; r++) if (r !== o.replica) tell(r);
  }

  /**
   * At start this replica knows no master, and would wait out a whole
   * election timeout to learn it from its pre-vote's refusals. It asks
   * every other replica's ha.fetch once instead: the master answers with
   * its own word (the machine follows only that), the others say nothing useful.
   */
  async discover(): Promise<void> {
    const { o } = this;
    const body = encodeJson(this.unheldFetch());
    const others = Array.from({ length: o.replicas }, (_, r) => r).filter((r) => r !== o.replica);
    await Promise.all(
      others.map(async (r) => {
        const head = await o.transport.request(r, "ha.fetch", body, o.requestTimeoutMs).then((d) => decodeFetchReply(d).head, () => undefined);
        if (o.stopped() || !head || head.status === "NOT_MASTER" || head.master !== r) return;
        o.send({ type: "MASTER_HEARD", term: head.term, master: r });
      }),
    );
  }

  /**
   * Someone asks for a pre-vote while this replica still hears its master:
   * they may know something we do not yet (our own fetch may be waiting on
   * a master that died holding it). One fetch that may not be held finds
   * out at once: no responders means the master is gone, and our next
   * answer is yes instead of a fetch timeout later.
   */
  async probeMaster(): Promise<void> {
    const { o } = this;
    const { role, term, master } = o.view();
    if (this.probing || role !== "slave" || master === null || master === o.replica) return;
    this.probing = true;
    try {
      await o.transport.request(master, "ha.fetch", encodeJson(this.unheldFetch()), o.requestTimeoutMs);
    } catch (err) {
      if (isGone(err) && !o.stopped()) o.send({ type: "MASTER_GONE", master, term });
    } finally {
      this.probing = false;
    }
  }

  /** A fetch of this replica's true end that the master answers at once, with as little as it can. */
  private unheldFetch(): FetchRequest {
    const { store } = this.o;
    return { replica: this.o.replica, term: this.o.view().term, offset: store.maxPhysicalOffset, lastTerm: store.lastTerm, maxBytes: 1, waitMs: 0 };
  }
}
