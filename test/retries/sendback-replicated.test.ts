// consumer.sendback on a replicated group (three `rbus broker` processes,
// ack=quorum): a slave answers NOT_MASTER naming the master; the consumer
// hands back to the master, whose reply waits for a majority; the master
// killed with SIGKILL right after the reply, the retry still comes, once,
// from the new master's timer service.
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { decodeMsgId, ErrorCode, RbusError, scopedApi, subjects, type SendBackReply } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { processSuite } from "../harness/process-suite.js";
import { ReplicaGroup } from "../harness/replica-group.js";
import { waitUntil } from "../harness/wait.js";
import { PushConsumer } from "../../src/client/push-consumer.js";
import { byBody, LEVELS, produce, record, type Delivery } from "./retry-cluster.js";

const test = processSuite("consumer.sendback on a replicated group");
let group: ReplicaGroup;

test.before(async (ctx) => {
  group = await ReplicaGroup.start({ server: ctx.server, nc: ctx.nc, dir: ctx.dir, group: "broker-q", brokerArgs: ["--delay-levels", LEVELS], logLevel: "warn" });
  const admin = new Admin(ctx.nc);
  await admin.createTopic({ topic: "ledger", queues: 1 });
  await waitUntil("route of ledger", async () => (await admin.route("ledger").catch(() => undefined))?.groups.length === 1);
});

test.after(async () => {
  await group?.close();
});

test("a slave answers NOT_MASTER; a retry handed back to the master survives its kill -9 and comes once", async (ctx) => {
  const [id] = await produce(ctx.nc, "ledger", 1, "q");
  const master = (await group.waitMaster()).replica;
  const slave = (master + 1) % group.size;
  const subj = subjects();
  const err = await requestJson(ctx.nc, subj.broker("broker-q", slave, scopedApi("consumer.sendback", "cg-q")), { group: "cg-q", commitLogOffset: decodeMsgId(id!)!.commitLogOffset, msgId: id })
    .catch((e: unknown) => e);
  assert.instance(err, RbusError);
  assert.is((err as RbusError).code, ErrorCode.NOT_MASTER);
  assert.is((err as RbusError).details?.master, subj.brokerBase("broker-q", master), "it names the master");

  const seen: Delivery[] = [];
  const c = new PushConsumer(ctx.nc, { group: "cg-q", from: "first", retryMs: 100, rebalanceMs: 2000, heartbeatMs: 500 });
  // the hand-back's reply came (a majority holds the timer record): the master is killed before the timer is due
  const replies: SendBackReply[] = [];
  const brokers = (c as unknown as { brokers: { sendBack: (...a: unknown[]) => Promise<SendBackReply> } }).brokers;
  const real = brokers.sendBack.bind(brokers);
  brokers.sendBack = async (...a) => {
    const r = await real(...a);
    replies.push(r);
    return r;
  };
  c.subscribe("ledger").onMessage((m) => {
    seen.push(record(m));
    return m.reconsumeTimes ? "success" : "later";
  });
  await c.start();
  try {
    await waitUntil("the first delivery handed back", () => replies.length === 1);
    await group.kill(master);
    await group.waitMaster({ not: [master], timeoutMs: 15_000 });
    await waitUntil("the retry delivered by the new master", () => seen.length >= 2, { timeoutMs: 25_000 });
    const settled = Date.now() + 1500;
    await waitUntil("no second copy", () => Date.now() >= settled);
    assert.equal(byBody(seen).get("q0")!.map((d) => d.reconsumeTimes), [0, 1]);
  } finally {
    await c.close();
  }
});

test.run();
