// Transactions on the secured bus (the shipped nats.conf, a user per
// process): the producer user settles its halves and answers its own
// group's checks (its user name is its group); it cannot hear another
// group's checks, and a consumer settles nothing. No node is refused
// anything it does.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { headers } from "@nats-io/transport-node";
import { BrokerApi, encodeJson, encodeMsgId, Header, Prop, scopedApi, subjects } from "../../src/protocol/index.js";
import { refusedByNats, startSecureCluster, violations, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const test = suite<{ cluster: SecureCluster }>("secured: transactions");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster({ broker: { transactions: { checkImmunityMs: 300, checkIntervalMs: 100 } } });
  const admin = new Admin(await ctx.cluster.connect("admin"));
  await waitUntil("both groups registered", async () => (await admin.cluster().catch(() => ({ brokers: [] }))).brokers.length === 2);
  await admin.createTopic({ topic: "payments", queues: 2 });
});
test.after(async (ctx) => {
  await ctx.cluster.stop();
});

test("the producer user commits by tx.end and answers its own group's check; nothing is refused", async (ctx) => {
  const nc = await ctx.cluster.connect("producer");
  const refused = violations(nc);
  const checked: string[] = [];
  const producer = await new Producer(nc, { group: "producer", checkListener: (m) => (checked.push(m.msgId), "commit") }).start();
  try {
    const direct = await producer.sendHalf({ topic: "payments", body: "by tx.end" });
    assert.ok((await direct.commit()).settled);
    const left = await producer.sendHalf({ topic: "payments", body: "by check" });
    await waitUntil("the check answered", () => checked.includes(left.msgId));
    await waitUntil("the check's commit stored", async () => !(await left.commit()).settled);
    assert.is((await left.commit()).by, "commit");
    assert.equal(refused, []);
    assert.equal(ctx.cluster.nodeViolations(), [], "brokers may ask producer groups and publish transaction events");
  } finally {
    await producer.close();
  }
});

test("another group's checks cannot be heard; a consumer cannot settle", async (ctx) => {
  const nc = await ctx.cluster.connect("producer");
  const refused = violations(nc);
  nc.subscribe(subj.producerCheck("billing"), { queue: "billing" });
  await nc.flush().catch(() => undefined);
  await waitUntil("the subscription refused", () => refused.some((v) => v.includes(subj.producerCheck("billing"))));
  const consumer = await ctx.cluster.connect("consumer-billing");
  const body = encodeJson({ producerGroup: "producer", commitLogOffset: 0, msgId: encodeMsgId("broker-a", 0), action: "rollback" });
  assert.ok(await refusedByNats(consumer.request(subj.broker("broker-a", 0, scopedApi("tx.end", "producer")), body, { timeout: 1000 })));
  // nor can the producer user settle on another producer group's subject (payments's halves are payments's)
  assert.ok(await refusedByNats(nc.request(subj.broker("broker-a", 0, scopedApi("tx.end", "payments")), body, { timeout: 1000 })));
  // nor store a half that names another group, whose members would then be asked about it
  const h = headers();
  h.set(Header.topic, "payments");
  h.set(Prop.transactionPrepared, "true");
  h.set(Prop.producerGroup, "payments");
  assert.ok(await refusedByNats(nc.request(subj.broker("broker-a", 0, scopedApi(BrokerApi.sendHalf, "payments")), "forged", { headers: h, timeout: 1000 })));
});

test.run();
