// What the producer's integration suites share: topics created on real
// brokers, requests counted, a fake group that hangs or refuses, and a
// result's body read back from the broker's store.
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeMsgId, encodeJson, ErrorCode, subjects, type RouteData, type SendResult } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import type { TestCluster } from "../harness/broker.js";
import { fourQueues, registerFake, registration as registrationFor } from "../harness/registration.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
export const groupOf = (r: SendResult) => decodeMsgId(r.msgId)!.group;
export const where = (r: SendResult) => `${groupOf(r)}/${r.queueId}`;

/** Counts requests on a subject pattern without answering them. Only for subjects a live broker answers. */
export function countRequests(nc: NatsConnection, subject: string, filter: (data: Uint8Array) => boolean = () => true) {
  let n = 0;
  nc.subscribe(subject, { callback: (_, m) => void (filter(m.data) && n++) });
  return () => n;
}

/** Creates a topic on the given real brokers and waits until the NameServer's route lists them all. */
export async function createTopic(ctx: { c: TestCluster }, topic: string, groups: string[], perm = "rw") {
  for (const g of groups) {
    await requestJson(ctx.c.nc, subj.broker(g, 0, "topic.upsert"), { topic, readQueues: 4, writeQueues: 4, perm });
  }
  await waitUntil(`route of ${topic}`, async () => {
    const r = await requestJson<RouteData>(ctx.c.nc, subj.ns.route, { topic });
    return groups.every((g) => r.queues.some((q) => q.group === g));
  });
}

/** A broker group the NameServer lists for `topics` whose master hangs ("hang") or answers every send with an error. */
export async function fakeGroup(nc: NatsConnection, group: string, topics: string | string[], behaviour: "hang" | ErrorCode) {
  const registration = registrationFor(group, [topics].flat().flatMap(fourQueues), 30_000);
  let requests = 0;
  for (const api of ["send", "send.batch"] as const) {
    nc.subscribe(subj.broker(group, 0, api), {
      callback: (_, m) => {
        requests++;
        if (behaviour !== "hang") m.respond(encodeJson({ error: { code: behaviour, message: `fake ${group} says ${behaviour}` } }));
      },
    });
  }
  await nc.flush();
  await registerFake(nc, registration);
  return { requests: () => requests };
}

/** The stored body of a result, read from the broker's store. */
export function storedBody(ctx: { c: TestCluster }, topic: string, r: SendResult): string | undefined {
  const broker = ctx.c.brokers.find((b) => b.group === groupOf(r))!;
  return broker.store.get(topic, r.queueId, r.queueOffset, 1).messages[0]?.body.toString();
}
