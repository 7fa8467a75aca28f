// A steady load of sends through the library Producer, keeping what was
// acknowledged (body bytes, message id, queue and queue offset), and the
// check a failover test ends with: every acknowledged message is readable
// from a replica byte for byte, where it was acknowledged, and each
// sender's messages sit in a queue in the order they were sent.
import { randomBytes } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Producer } from "../../src/client/producer.js";
import { RbusError, SendStatus } from "../../src/protocol/index.js";
import { bodyOf, pullQueue } from "./replica-io.js";

export interface AckedSend {
  /** The body's bytes as hex: its identity (unique per send). */
  key: string;
  worker: number;
  seq: number;
  msgId: string;
  queueId: number;
  queueOffset: number;
  at: number;
}

export interface Load {
  acked: AckedSend[];
  /** Failed sends by error code (after the producer's own retries). */
  failures: Map<string, number>;
  ackedSince(t: number): number;
  /** Stops sending and waits for the sends in flight to end. */
  stop(): Promise<void>;
}

/**
 * `workers` loops, each one send in flight at a time, binary bodies (every
 * byte value) so that "byte for byte" means it. `loads`, when given, gets
 * the load, so that a suite can stop it after a test that failed midway.
 */
export function startLoad(producer: Producer, o: { topic: string; workers?: number; loads?: Load[] }): Load {
  const acked: AckedSend[] = [];
  const failures = new Map<string, number>();
  let stopping = false;
  const loop = async (worker: number) => {
    for (let seq = 0; !stopping; seq++) {
      const body = Buffer.concat([Buffer.from(`w${worker}-${seq}-`), randomBytes(40)]);
      try {
        const r = await producer.send({ topic: o.topic, body });
        if (r.status === SendStatus.SEND_OK) acked.push({ key: body.toString("hex"), worker, seq, msgId: r.msgId, queueId: r.queueId, queueOffset: r.queueOffset, at: Date.now() });
        else failures.set(r.status, (failures.get(r.status) ?? 0) + 1);
      } catch (err) {
        const code = err instanceof RbusError ? err.code : String(err);
        failures.set(code, (failures.get(code) ?? 0) + 1);
        // a send that fails at once (a closed producer) must not turn the loop into a spin that starves the event loop
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const loops = Array.from({ length: o.workers ?? 4 }, (_, w) => loop(w));
  const load: Load = {
    acked,
    failures,
    ackedSince: (t) => acked.filter((a) => a.at > t).length,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
  o.loads?.push(load);
  return load;
}

export interface StoredCheck {
  /** Messages the replica serves in the checked queues. */
  stored: number;
  /** What is wrong, one line each (empty when every acknowledged message is there, in order). */
  problems: string[];
}

/**
 * Reads every queue of `topic` from replica `replica` and checks each
 * acknowledged send: present with the same bytes, message id, queue and
 * queue offset; queue offsets strictly increasing; and one worker's sends
 * in one queue stored in the order it sent them.
 */
export async function checkStored(nc: NatsConnection, group: string, replica: number, topic: string, queues: number, acked: readonly AckedSend[]): Promise<StoredCheck> {
  const problems: string[] = [];
  // a body may be stored twice: a send whose reply was lost (a connection reset) and its retry, the one acknowledged
  const where = new Map<string, Array<{ queueId: number; queueOffset: number; msgId: string }>>();
  let stored = 0;
  for (let q = 0; q < queues; q++) {
    let last = -1;
    for (const m of await pullQueue(nc, group, replica, { topic, queueId: q })) {
      stored++;
      if (m.queueOffset <= last) problems.push(`${group}.${replica} queue ${q}: offset ${m.queueOffset} after ${last}`);
      last = m.queueOffset;
      const key = bodyOf(m).toString("hex");
      where.set(key, [...(where.get(key) ?? []), { queueId: m.queueId, queueOffset: m.queueOffset, msgId: m.msgId }]);
    }
  }
  const lastSeq = new Map<string, { seq: number; offset: number }>();
  for (const a of [...acked].sort((x, y) => x.worker - y.worker || x.seq - y.seq)) {
    const copies = where.get(a.key) ?? [];
    const got = copies.find((c) => c.msgId === a.msgId) ?? copies[0];
    const name = `w${a.worker}-${a.seq} (${a.msgId} at queue ${a.queueId}@${a.queueOffset})`;
    if (!got) {
      problems.push(`acknowledged ${name} is not stored on ${group}.${replica} (or its bytes changed)`);
      continue;
    }
    if (got.queueId !== a.queueId || got.queueOffset !== a.queueOffset || got.msgId !== a.msgId) {
      problems.push(`acknowledged ${name} is stored as ${got.msgId} at queue ${got.queueId}@${got.queueOffset}`);
    }
    const k = `${a.worker}/${a.queueId}`;
    const before = lastSeq.get(k);
    if (before && got.queueOffset <= before.offset) problems.push(`w${a.worker}: seq ${a.seq} stored at ${got.queueOffset}, before seq ${before.seq} at ${before.offset} in queue ${a.queueId}`);
    lastSeq.set(k, { seq: a.seq, offset: got.queueOffset });
  }
  return { stored, problems };
}

/** At most `n` problem lines, and how many more there were. */
export function firstProblems(problems: readonly string[], n = 10): string {
  return problems.slice(0, n).join("\n") + (problems.length > n ? `\n… and ${problems.length - n} more` : "");
}
