// A group's first retry on a broker group, handed back by one member while
// the retry queue is balanced to another: the broker makes %RETRY%<group>
// and says so on rbus.events.consumers.<group>, so the other member looks
// for its route at once and the retry comes after its backoff, not after
// that member's next rebalance (a minute here). The broker and NameServer
// are separate processes; members a-… and b-… sort in that order, so a
// reads queue 0 of each topic (the retry topic has one) and b queue 1.
import * as assert from "uvu/assert";
import { Producer } from "../../src/client/producer.js";
import type { PushConsumer } from "../../src/client/push-consumer.js";
import { decodeJson, retryTopic, subjects, type ConsumerMembers } from "../../src/protocol/index.js";
import { processSuite } from "../harness/process-suite.js";
import { waitUntil } from "../harness/wait.js";
import { BROKER, consumer, createTopic, levelMs, startRetryCluster, type Delivery } from "./retry-cluster.js";

const test = processSuite("the first retry of a group reaches the member its retry queue is balanced to");
const REBALANCE_MS = 60_000;

test.before(async (ctx) => {
  await startRetryCluster(ctx);
});

test("the broker announces the retry topic; the member holding its queue reads the retry after the backoff", async (ctx) => {
  const group = "cg-first";
  await createTopic(ctx.nc, "shipments", 2);
  const events: ConsumerMembers[] = [];
  const sub = ctx.nc.subscribe(subjects().events.consumers(group), { callback: (_e, m) => void events.push(decodeJson(m.data) as ConsumerMembers) });
  const seen: Delivery[] = [];
  const members: PushConsumer[] = [];
  try {
    const opts = { rebalanceMs: REBALANCE_MS };
    members.push(await consumer(ctx.nc, group, "shipments", seen, (d) => (d.reconsumeTimes === 0 ? "later" : "success"), { ...opts, clientId: "a-member" }));
    members.push(await consumer(ctx.nc, group, "shipments", seen, (d) => (d.reconsumeTimes === 0 ? "later" : "success"), { ...opts, clientId: "b-member" }));
    const [a, b] = members as [PushConsumer, PushConsumer];
    const holds = (c: PushConsumer) => c.assignment().map((q) => `${q.topic}/${q.queueId}`).sort().join(",");
    await waitUntil("a reads queue 0, b queue 1", () => holds(a) === "shipments/0" && holds(b) === "shipments/1", { timeoutMs: 15_000 });

    const producer = await new Producer(ctx.nc).start();
    const sentAt = Date.now();
    try {
      await producer.send({ topic: "shipments", body: "parcel", queueId: 1 });
    } finally {
      await producer.close();
    }
    await waitUntil("b failed it, a read the retry", () => seen.length >= 2, { timeoutMs: 10_000 });
    assert.equal(seen.map((d) => d.reconsumeTimes), [0, 1]);
    assert.ok(seen[1]!.at - seen[0]!.at >= levelMs(3) - 20, "after the first level's backoff");
    assert.ok(seen[1]!.at - sentAt < REBALANCE_MS / 6, `well before a rebalance period: ${seen[1]!.at - sentAt} ms`);
    assert.ok(holds(a).includes(retryTopic(group)), `a holds the retry queue: ${holds(a)}`);
    const announced = events.filter((e) => e.retryTopicOn !== undefined);
    assert.equal(announced.map((e) => e.retryTopicOn), [BROKER], "one announcement, naming the broker group");
    assert.equal(announced[0]!.members, ["a-member", "b-member"]);
  } finally {
    sub.unsubscribe();
    for (const c of members) await c.close();
  }
});

test.run();
