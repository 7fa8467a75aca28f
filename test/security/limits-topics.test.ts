// Topics per broker and queues per topic: 3,000 topics × 1,024 queues used
// to be accepted. Past maxTopics (auto-created topics and the template
// count) or maxQueuesPerTopic a topic is refused with LIMIT_EXCEEDED;
// existing topics keep taking sends and pulls.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { PullReply } from "../../src/protocol/index.js";
import { startLimitsBroker, type LimitsBroker } from "./limits-broker.js";

const test = suite<{ lb?: LimitsBroker }>("topic and queue limits");
test.after.each(async (ctx) => {
  await ctx.lb?.stop();
  ctx.lb = undefined;
});

test("by default a topic of 1,024 queues is refused and one of 256 accepted", async (ctx) => {
  const lb = (ctx.lb = await startLimitsBroker());
  const refused = await lb.ask("topic.upsert", { topic: "wide", readQueues: 1024, writeQueues: 1024, perm: "rw" });
  assert.is(refused.error?.code, "LIMIT_EXCEEDED");
  assert.equal(refused.error?.details, { limit: "maxQueuesPerTopic", max: 256, topic: "wide", queues: 1024 });
  const ok = await lb.ask("topic.upsert", { topic: "wide", readQueues: 256, writeQueues: 256, perm: "rw" });
  assert.is(ok.error, undefined);
  const s = await lb.status();
  assert.equal(s.limits.maxQueuesPerTopic, { max: 256, used: 256 });
  assert.is(s.limits.maxTopics!.max, 10_000);
});

test("past maxTopics neither auto-creation nor topic.upsert adds a topic; existing ones go on", async (ctx) => {
  const lb = (ctx.lb = await startLimitsBroker(["--max-topics", "4", "--max-queues-per-topic", "8"]));
  // the auto-create template is one of the four
  for (const t of ["t1", "t2", "t3"]) assert.is((await lb.send(t, `to ${t}`)).status, "SEND_OK");
  const auto = await lb.send("t4", "one too many");
  assert.is(auto.error?.code, "LIMIT_EXCEEDED");
  assert.is(auto.error?.details?.limit, "maxTopics");
  const upsert = await lb.ask("topic.upsert", { topic: "t5", readQueues: 2, writeQueues: 2, perm: "rw" });
  assert.is(upsert.error?.details?.limit, "maxTopics");
  const wide = await lb.ask("topic.upsert", { topic: "t1", readQueues: 9, writeQueues: 9, perm: "rw" });
  assert.is(wide.error?.details?.limit, "maxQueuesPerTopic");
  assert.is((await lb.ask("topic.upsert", { topic: "t1", readQueues: 8, writeQueues: 8, perm: "rw" })).error, undefined);
  const s = await lb.status();
  assert.equal(s.limits.maxTopics, { max: 4, used: 4 });
  const sent = await lb.send("t1", "still here", 7);
  assert.is(sent.status, "SEND_OK");
  const got = await lb.ask<PullReply>("pull", { group: "g", topic: "t1", queueId: 7, offset: 0, max: 1 });
  assert.is(got.messages[0]?.body, "still here");
  lb.assertAlive();
});

test.run();
