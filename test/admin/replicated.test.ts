// Consumer-group settings in a replicated broker group (three in-process
// replicas): they reach the slaves with the topic table (ha.config) and
// survive a failover; the operator's APIs that change state (settings,
// topic deletion) are the master's alone; a deleted topic sent to again
// goes on at its old queue offsets, so slaves keep replicating.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { headers } from "@nats-io/transport-node";
import { decodeJson, encodeJson, ErrorCode, Header, subjects, type SendResult } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { addReplicatedGroup, startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";
import { refusal } from "./refusal.js";

const G = "broker-r";
const subj = subjects();
const test = suite<{ c: TestCluster; admin: Admin }>("admin: group settings in a replicated group");

test.before(async (ctx) => {
  ctx.c = await startTestCluster([]);
  await addReplicatedGroup(ctx.c, G);
  ctx.admin = new Admin(ctx.c.nc);
});
test.after(async (ctx) => {
  await ctx.c?.stop();
});

const masterOf = (c: TestCluster) => c.brokers.find((b) => b.replication.role() === "master");

test("subgroup.upsert reaches every slave, and the new master still has it after a failover", async ({ c, admin }) => {
  const master = await waitUntil("a master", () => masterOf(c), { timeoutMs: 10_000 });
  await waitUntil("the master in the cluster table", async () => (await admin.cluster()).brokers.some((b) => b.role === "master" && b.group === G));
  await admin.updateSubGroup({ group: "billing", consumeMode: "broadcasting", retryMaxTimes: 5 });
  await waitUntil("every replica holds the settings", () => c.brokers.every((b) => b.store.subgroups.get("billing")?.retryMaxTimes === 5), { timeoutMs: 10_000 });
  const slave = c.brokers.find((b) => b !== master)!;
  const refused = await refusal(requestJson(c.nc, subj.broker(G, slave.replica, "subgroup.upsert"), { group: "x" }));
  assert.is(refused.code, ErrorCode.NOT_MASTER);
  assert.is((await refusal(requestJson(c.nc, subj.broker(G, slave.replica, "topic.delete"), { topic: "t" }))).code, ErrorCode.NOT_MASTER);
  await c.nc.request(subj.broker(G, master.replica, "failover"), encodeJson({ to: slave.replica }), { timeout: 10_000 });
  await waitUntil("the slave is master", () => slave.replication.role() === "master", { timeoutMs: 10_000 });
  const listed = await requestJson<{ groups: Array<{ group: string; consumeMode: string }> }>(c.nc, subj.broker(G, slave.replica, "subgroup.list"), {});
  assert.equal(listed.groups.map((g) => [g.group, g.consumeMode]), [["billing", "broadcasting"]]);
});

test("a topic deleted and sent to again: queue offsets go on, and every slave keeps replicating", async ({ c, admin }) => {
  const master = await waitUntil("a master", () => masterOf(c), { timeoutMs: 10_000 });
  const send = async (body: string) => {
    const h = headers();
    h.set(Header.topic, "again");
    h.set(Header.queue, "0");
    const r = await c.nc.request(subj.broker(G, master.replica, "send"), body, { headers: h, timeout: 5000 });
    return decodeJson(r.data) as SendResult;
  };
  for (let i = 0; i < 3; i++) await send(`old${i}`);
  await waitUntil("every replica holds the old messages", () => c.brokers.every((b) => b.store.queueRange("again", 0).max === 3), { timeoutMs: 10_000 });
  const [done] = await admin.deleteTopic("again");
  assert.ok(done?.deleted);
  await waitUntil("every slave dropped its queue", () => c.brokers.every((b) => b.store.queueIds("again").length === 0), { timeoutMs: 10_000 });
  const sent = await send("new0");
  assert.is(sent.status, "SEND_OK");
  assert.is(sent.queueOffset, 3, "the queue goes on at 3, not 0 again");
  // a slave that refused the record (a queue offset it had handed out) would stay behind here
  await waitUntil("every replica reads the new message at 3", () => c.brokers.every((b) => b.store.queueRange("again", 0).max === 4), { timeoutMs: 10_000 });
  for (const b of c.brokers) {
    assert.equal(b.store.queueRange("again", 0), { min: 3, max: 4 }, `${G}.${b.replica}`);
    assert.is(b.store.maxPhysicalOffset, master.store.maxPhysicalOffset, `${G}.${b.replica} replicated past the deletion`);
  }
});

test.run();
