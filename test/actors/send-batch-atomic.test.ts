// send.batch is all or nothing: an error reply means nothing of the batch
// was stored, even when only one message in the middle is what the store
// refuses (its properties make the record too large, though its body fits).
import { headers } from "@nats-io/transport-node";
import * as assert from "uvu/assert";
import { decodeJson, encodeBatch, encodeJson, Header, subjects, type PullReply } from "../../src/protocol/index.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { suite } from "../harness/suite.js";

const test = suite<{ c: TestCluster }>("send.batch: all or nothing");
const api = (name: "send.batch" | "pull" | "topic.upsert") => subjects().broker("broker-a", 0, name);

test.before(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a"]);
  await ctx.c.nc.request(api("topic.upsert"), encodeJson({ topic: "atomic", readQueues: 1, writeQueues: 1, perm: "rw" }));
});
test.after(async ({ c }) => c?.stop());

test("a batch with one message the store cannot take stores none of it", async ({ c }) => {
  const ok = (body: string) => ({ queueId: 0, bornTimestamp: Date.now(), body: Buffer.from(body) });
  // a body well under the limit, but a record over it with its properties
  const heavy = { ...ok("heavy"), properties: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`p${i}`, "x".repeat(60_000)])) };
  const h = headers();
  h.set(Header.topic, "atomic");
  const reply = await c.nc.request(api("send.batch"), encodeBatch([ok("first"), heavy, ok("last")]), { headers: h, timeout: 5000 });
  const answer = decodeJson(reply.data) as { error?: { code: string } };
  assert.ok(answer.error, `an error reply, got ${reply.data.length} bytes`);
  const pulled = decodeJson((await c.nc.request(api("pull"), encodeJson({ group: "g", topic: "atomic", queueId: 0, offset: 0, max: 10 }))).data) as PullReply;
  assert.equal(pulled.messages.map((m) => m.body), [], "nothing of the refused batch is readable");
  assert.is(pulled.maxOffset, 0);
});

test("the same batch without the heavy message is stored whole", async ({ c }) => {
  const h = headers();
  h.set(Header.topic, "atomic");
  const entries = ["a", "b"].map((body) => ({ queueId: 0, bornTimestamp: Date.now(), body: Buffer.from(body) }));
  const reply = await c.nc.request(api("send.batch"), encodeBatch(entries), { headers: h, timeout: 5000 });
  assert.is(reply.headers?.get(Header.status), "SEND_OK");
  const pulled = decodeJson((await c.nc.request(api("pull"), encodeJson({ group: "g", topic: "atomic", queueId: 0, offset: 0, max: 10 }))).data) as PullReply;
  assert.equal(pulled.messages.map((m) => m.body), ["a", "b"]);
});

test.run();
