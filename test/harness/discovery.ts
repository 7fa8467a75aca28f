// Asking NATS service discovery as `nats req '$SRV.PING' '' --replies 0`
// does: publish with a reply inbox and collect every answer (core nats.js).
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeJson } from "../../src/protocol/index.js";

/** Every answer to `subject` (empty payload), sorted by id: until `expect` came or `maxWaitMs` passed. */
export async function askAll<T extends { id: string }>(nc: NatsConnection, subject: string, expect: number, maxWaitMs = 2000): Promise<T[]> {
  const replies = await nc.requestMany(subject, "", { strategy: "count", maxMessages: expect, maxWait: maxWaitMs });
  const out: T[] = [];
  for await (const m of replies) out.push(decodeJson(m.data) as T);
  return out.sort((a, b) => a.id.localeCompare(b.id));
}
