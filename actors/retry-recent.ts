// Send-backs this master did lately, by (consumer group, commit-log
// offset): a consumer that timed out waiting for the reply asks again, and
// must not make a second copy. Each record is handed back once per group
// (a retried message has a new record, so a new offset), so the key is
// exact. A request still under way is shared, one that failed is
// forgotten; bounded, oldest forgotten first. A new master starts empty:
// a repeat across failover can still make a second copy (at-least-once).
import type { SendBackReply } from "../src/protocol/index.js";

const KEEP = 4096;

export class RecentSendBacks {
  private readonly done = new Map<string, Promise<SendBackReply>>();

  /** The earlier send-back's reply (marked repeated), or the result of `run` for a first one. */
  async once(group: string, commitLogOffset: number, run: () => Promise<SendBackReply>): Promise<SendBackReply> {
    const key = `${commitLogOffset} ${group}`;
    const earlier = this.done.get(key);
    if (earlier) return { ...(await earlier), repeated: true };
    const p = run();
    this.done.set(key, p);
    if (this.done.size > KEEP) this.done.delete(this.done.keys().next().value!);
    p.catch(() => {
      if (this.done.get(key) === p) this.done.delete(key);
    });
    return p;
  }
}
