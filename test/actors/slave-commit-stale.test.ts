// A member reading from a slave commits there; the slave passes the commit
// on to the master, whose reset epochs decide. A position read before a
// reset must come back to the member as stale from the slave too, or a
// member that missed the reset notice would never learn of it.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { scopedApi, subjects, type OffsetCommitReply } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { addReplicatedGroup, startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";

const test = suite<{ c: TestCluster }>("offset.commit on a slave after a reset");
const G = "broker-r";
const subj = subjects();

test.before(async (ctx) => {
  ctx.c = await startTestCluster([]);
  await addReplicatedGroup(ctx.c, G);
});
test.after(async ({ c }) => c?.stop());

test("a commit of a position from before the reset, sent to a slave, comes back stale and moves nothing", async ({ c }) => {
  const master = await waitUntil("a master", () => c.brokers.find((b) => b.replication.role() === "master"), { timeoutMs: 10_000 });
  const slave = c.brokers.find((b) => b !== master)!;
  const admin = new Admin(c.nc);
  await waitUntil("the group's route", () => admin.createTopic({ topic: "ot", queues: 1 }), { timeoutMs: 10_000 });
  const producer = await new Producer(c.nc, { group: "p" }).start();
  for (let i = 0; i < 4; i++) await producer.send({ topic: "ot", body: `m${i}`, queueId: 0 });
  await producer.close();
  await waitUntil("the slave holds the topic and its messages", () => slave.store.queueRange("ot", 0).max === 4, { timeoutMs: 10_000 });

  const commit = (replica: number, offset: number) =>
    requestJson<OffsetCommitReply>(c.nc, subj.broker(G, replica, scopedApi("offset.commit", "g")), { group: "g", entries: [{ topic: "ot", queueId: 0, offset }] });
  assert.is((await commit(master.replica, 4)).committed, 1);
  const [reset] = await admin.resetOffset({ group: "g", topic: "ot", to: "first" });
  assert.equal(reset!.queues.map((q) => q.offset), [0]);

  // read before the reset (no epoch), committed after it, on the slave
  const reply = await commit(slave.replica, 4);
  assert.equal(reply.stale?.map((s) => [s.topic, s.queueId, s.offset]), [["ot", 0, 0]], JSON.stringify(reply));
  assert.is(master.store.offsets.get("g", "ot", 0), 0, "the master's offset stays at the reset");
});

test.run();
