// Every replica's own `status` reply, asked all at once: fresher than the
// NameServer's table, which is as old as the last heartbeat.
import type { NatsConnection } from "@nats-io/transport-node";
import { subjects, type BrokerInfo } from "../protocol/index.js";
import { requestJson } from "../runtime/request.js";

/** A replica that does not answer in this long is shown with the NameServer's figures instead. */
export const STATUS_TIMEOUT_MS = 1000;

/** Status replies by replica address, of every replica the NameServer does not hold dead; absent when one did not answer. */
export async function replicaStatuses(nc: NatsConnection, prefix: string, brokers: BrokerInfo[], timeoutMs = STATUS_TIMEOUT_MS): Promise<Map<string, unknown>> {
  const subj = subjects(prefix);
  const asked = brokers
    .filter((b) => b.liveness !== "dead")
    .map(async (b) => [b.address, await requestJson<unknown>(nc, subj.brokerApi(b.address, "status"), {}, timeoutMs).catch(() => undefined)] as const);
  const out = new Map<string, unknown>();
  for (const [address, status] of await Promise.all(asked)) if (status !== undefined) out.set(address, status);
  return out;
}
