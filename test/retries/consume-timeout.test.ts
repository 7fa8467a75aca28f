// The consume timeout: a listener that holds a message past
// consumeTimeoutMs has it handed back, its queue goes on with the next
// messages meanwhile, and the message comes again through the retry topic
// (attempt 1). Broker and NameServer are separate processes.
import * as assert from "uvu/assert";
import { processSuite } from "../harness/process-suite.js";
import { waitUntil } from "../harness/wait.js";
import { byBody, consumer, createTopic, produce, startRetryCluster, type Delivery } from "./retry-cluster.js";

const test = processSuite("consume timeout");

test.before(async (ctx) => {
  await startRetryCluster(ctx);
});

test("a message held past the consume timeout is handed back and the queue moves on", async (ctx) => {
  await createTopic(ctx.nc, "slow", 1);
  await produce(ctx.nc, "slow", 5, "t");
  const seen: Delivery[] = [];
  const stuck: Array<() => void> = [];
  const c = await consumer(ctx.nc, "cg-slow", "slow", seen, (d) => {
    // the first delivery of t1 never ends on its own
    if (d.body === "t1" && d.reconsumeTimes === 0) return new Promise<void>((resolve) => stuck.push(resolve));
    return undefined;
  }, { consumeTimeoutMs: 600 });
  try {
    await waitUntil("all five done, t1 twice", () => byBody(seen).size === 5 && byBody(seen).get("t1")!.length === 2, { timeoutMs: 15_000 });
    const order = seen.map((d) => `${d.body}/${d.reconsumeTimes}`);
    assert.equal(order, ["t0/0", "t1/0", "t2/0", "t3/0", "t4/0", "t1/1"], "the queue went on past t1; t1 came back through the retry topic");
    const held = seen[2]!.at - seen[1]!.at;
    assert.ok(held >= 600 && held < 5000, `t2 waited for t1's timeout (${held} ms)`);
    // the late answer of the first listener changes nothing
    stuck.forEach((r) => r());
    const settled = Date.now() + 1000;
    await waitUntil("a late answer settles", () => Date.now() >= settled);
    assert.is(seen.length, 6);
  } finally {
    await c.close();
  }
});

test.run();
