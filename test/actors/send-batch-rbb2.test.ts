// send.batch with producer-encoded records (RBB2) on a real nats-server: one
// request may carry several topics, the broker picks queues for records that
// leave it the choice, one bad record refuses the whole request with nothing
// stored, and the reply rows are those of RBB1. In a replicated group at
// ack=quorum the reply comes only once a majority holds the records.
import { headers, type Msg } from "@nats-io/transport-node";
import fc from "fast-check";
import * as assert from "uvu/assert";
import { decodeBatchReply, decodeJson, encodeBatch, encodeJson, ErrorCode, Header, subjects, type PullReply } from "../../src/protocol/index.js";
import { frameRecordBatch, RECORD_BATCH_HEADER_BYTES } from "../../src/protocol/record-batch.js";
import { encodedSize, type UnsealedMessage } from "../../src/store/record.js";
import { addReplicatedGroup, startTestCluster, type TestCluster } from "../harness/broker.js";
import { suite } from "../harness/suite.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const api = (name: "send.batch" | "pull" | "topic.upsert", group = "broker-a", replica = 0) => subj.broker(group, replica, name);

async function sendRecords(c: TestCluster, payload: Buffer, o: { group?: string; replica?: number; deadline?: number; topic?: string } = {}): Promise<Msg> {
  const h = headers();
  if (o.deadline !== undefined) h.set(Header.deadline, String(o.deadline));
  if (o.topic !== undefined) h.set(Header.topic, o.topic);
  return c.nc.request(api("send.batch", o.group, o.replica), payload, { headers: h, timeout: 10_000 });
}

/** The error code a reply carries, or undefined for a batch reply. */
function errorOf(reply: Msg): string | undefined {
  if (reply.headers?.get(Header.status)) return undefined;
  return (decodeJson(reply.data) as { error: { code: string; message: string } }).error.code;
}

async function pull(c: TestCluster, topic: string, queueId: number): Promise<string[]> {
  const r = decodeJson((await c.nc.request(api("pull"), encodeJson({ group: "g", topic, queueId, offset: 0, max: 50 }))).data) as PullReply;
  return r.messages.map((m) => m.body);
}

const m = (topic: string, body: string, queueId?: number, extra: Partial<UnsealedMessage> = {}): UnsealedMessage => ({ topic, body: Buffer.from(body), ...(queueId === undefined ? {} : { queueId }), ...extra });

const test = suite<{ c: TestCluster }>("send.batch RBB2: one broker");

test.before(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a"], { broker: { maxMessageBytes: 4096 } });
  for (const [topic, perm] of [["rb-a", "rw"], ["rb-b", "rw"], ["rb-ro", "r"]] as const) {
    await ctx.c.nc.request(api("topic.upsert"), encodeJson({ topic, readQueues: 4, writeQueues: 4, perm }));
  }
});
test.after(async ({ c }) => c?.stop());

test("several topics in one request; ANY_QUEUE picked by the broker; rows in request order", async ({ c }) => {
  const records = [m("rb-a", "a1", 1, { tags: "x", keys: "k1" }), m("rb-b", "b1"), m("rb-a", "a2"), m("rb-a", "a3"), m("rb-b", "b2", 0), m("rb-a", "a4", 1)];
  // an Rbus-Topic header, even one RBB1 would refuse, is not read: each record names its topic
  const reply = await sendRecords(c, frameRecordBatch(records), { topic: "not.a.topic" });
  assert.is(errorOf(reply), undefined);
  assert.is(reply.headers?.get(Header.status), "SEND_OK");
  assert.is(reply.headers?.get(Header.group), "broker-a");
  assert.is(reply.headers?.get(Header.topic), "", "no topic header: a batch may hold several");
  const rows = decodeBatchReply(reply.data);
  assert.is(rows.queueIds.length, 6);
  assert.is(rows.queueIds[0], 1);
  assert.is(rows.queueIds[4], 0);
  assert.is(rows.queueIds[5], 1);
  assert.ok(rows.queueIds.every((q) => q >= 0 && q < 4), `picked queues ${rows.queueIds}`);
  assert.not.equal(rows.queueIds[2], rows.queueIds[3], "round-robin: consecutive picks differ");
  const seen = new Map<string, number>();
  const expected = records.map((r, i) => {
    const k = `${r.topic}/${rows.queueIds[i]}`;
    seen.set(k, (seen.get(k) ?? -1) + 1);
    return seen.get(k);
  });
  assert.equal(rows.queueOffsets, expected, "each queue's offsets from 0, in request order");
  const sizes = records.map(encodedSize);
  for (let i = 1; i < 6; i++) assert.is(rows.commitLogOffsets[i], rows.commitLogOffsets[i - 1]! + sizes[i - 1]!, `record ${i} follows the one before`);
  assert.equal((await pull(c, "rb-a", 1)).filter((b) => b === "a1" || b === "a4"), ["a1", "a4"]);
  for (const [i, body] of [[1, "b1"], [2, "a2"], [3, "a3"], [4, "b2"]] as const) {
    const topic = body.startsWith("a") ? "rb-a" : "rb-b";
    assert.ok((await pull(c, topic, rows.queueIds[i]!)).includes(body), `${body} in ${topic}/${rows.queueIds[i]}`);
  }
  const stored = c.brokers[0]!.store.lookup(rows.commitLogOffsets[0]!)!;
  assert.equal([stored.topic, stored.tags, stored.keys], ["rb-a", "x", "k1"]);
  assert.equal(c.brokers[0]!.store.queryByKey("rb-a", "k1", 5).map((s) => s.body.toString()), ["a1"]);
});

test("one bad record refuses the whole request, and nothing of it is stored", async ({ c }) => {
  const store = c.brokers[0]!.store;
  const good = [m("rb-a", "g1", 2), m("rb-b", "g2", 2)];
  const corrupt = frameRecordBatch([...good, m("rb-a", "g3", 2)]);
  corrupt.writeUInt32BE(0, corrupt.length - 2 - 4); // the last record's body length: its fields no longer fill it
  const cases: Array<[string, Buffer, string]> = [
    ["a queue the topic does not have", frameRecordBatch([...good, m("rb-a", "bad", 4)]), ErrorCode.BAD_REQUEST],
    ["a body over the broker's limit", frameRecordBatch([...good, m("rb-b", "x".repeat(4097), 2)]), ErrorCode.MESSAGE_TOO_LARGE],
    ["a topic not writable here", frameRecordBatch([...good, m("rb-ro", "ro", 0)]), ErrorCode.NO_PERMISSION],
    ["a reserved topic", frameRecordBatch([...good, m("%RBUS_GAP%", "gap", 0)]), ErrorCode.BAD_REQUEST],
    ["lying length prefixes", corrupt, ErrorCode.BAD_REQUEST],
    ["the store's gap flag", frameRecordBatch([...good, m("rb-a", "f", 2, { flags: 0x40000000 })]), ErrorCode.BAD_REQUEST],
    ["a deadline already passed", frameRecordBatch(good), ErrorCode.DEADLINE_EXCEEDED],
  ];
  const end = store.maxPhysicalOffset;
  for (const [what, payload, code] of cases) {
    const reply = await sendRecords(c, payload, what.startsWith("a deadline") ? { deadline: Date.now() - 1000 } : {});
    assert.is(errorOf(reply), code, what);
    assert.is(store.maxPhysicalOffset, end, `${what}: nothing written`);
  }
  assert.equal(await pull(c, "rb-a", 2), [], "no queue offset was taken");
  assert.equal(await pull(c, "rb-b", 2), []);
  const reply = await sendRecords(c, frameRecordBatch(good));
  assert.equal(decodeBatchReply(reply.data).queueOffsets, [0, 0], "the first good batch takes each queue's first offset");
});

test("an RBB1 batch still works beside RBB2 on the same subject", async ({ c }) => {
  const h = headers();
  h.set(Header.topic, "rb-a");
  const reply = await c.nc.request(api("send.batch"), encodeBatch([{ queueId: 3, bornTimestamp: Date.now(), body: Buffer.from("v1") }]), { headers: h, timeout: 5000 });
  assert.is(reply.headers?.get(Header.topic), "rb-a");
  assert.equal(await pull(c, "rb-a", 3), ["v1"]);
});

test("hostile payloads: each answered with a batch reply or a typed error; a refusal stores nothing", async ({ c }) => {
  const store = c.brokers[0]!.store;
  const record = fc.record({
    topic: fc.constantFrom("rb-a", "rb-b", "rb-ro", "rb-new", "a.b", ""),
    queueId: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    body: fc.uint8Array({ maxLength: 40 }),
    tags: fc.constantFrom("", "t", "ü"),
    keys: fc.constantFrom("", "k1", "k2 k3"),
  });
  const mutation = fc.oneof(
    fc.constant({ how: "none" as const }),
    fc.record({ how: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ how: fc.constant("cut" as const), at: fc.nat() }),
    fc.record({ how: fc.constant("word" as const), at: fc.nat(), v: fc.nat({ max: 0xffffffff }) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 5 }), mutation, async (records, mut) => {
      const buf = frameRecordBatch(records);
      const at = "at" in mut ? RECORD_BATCH_HEADER_BYTES - 4 + (mut.at % (buf.length - RECORD_BATCH_HEADER_BYTES + 4)) : 0;
      let payload = buf;
      if (mut.how === "flip") buf[at]! ^= 1 << mut.bit;
      if (mut.how === "cut") payload = buf.subarray(0, at);
      if (mut.how === "word") buf.writeUInt32BE(mut.v, Math.min(at, buf.length - 4));
      const end = store.maxPhysicalOffset;
      const reply = await sendRecords(c, payload);
      const code = errorOf(reply);
      if (code === undefined) {
        const rows = decodeBatchReply(reply.data);
        assert.ok(rows.queueIds.length > 0 && rows.commitLogOffsets[0]! >= end, "stored after what was there");
        for (const off of rows.commitLogOffsets) assert.ok(store.lookup(off), `record at ${off} reads back`);
      } else {
        assert.ok(code !== ErrorCode.INTERNAL, `a typed refusal, got ${code}`);
        assert.is(store.maxPhysicalOffset, end, `refused with ${code}: nothing written`);
      }
    }),
    { numRuns: 150 },
  );
});

const quorum = suite<{ c: TestCluster }>("send.batch RBB2: a replicated group at ack=quorum");
const G = "broker-r";

quorum.before(async (ctx) => {
  ctx.c = await startTestCluster([]);
  await addReplicatedGroup(ctx.c, G);
});
quorum.after(async ({ c }) => c?.stop());

quorum("acknowledged only once a majority holds the records; without one, no acknowledgement", async ({ c }) => {
  const master = await waitUntil("a master", () => c.brokers.find((b) => b.replication.role() === "master"), { timeoutMs: 10_000 });
  const slaves = c.brokers.filter((b) => b !== master);
  const slaveReply = await sendRecords(c, frameRecordBatch([m("rq", "x")]), { group: G, replica: slaves[0]!.replica });
  assert.is(errorOf(slaveReply), ErrorCode.NOT_MASTER);
  const records = [m("rq", "r1", 0), m("rq2", "r2"), m("rq", "r3", 0)];
  const sizes = records.map(encodedSize);
  const reply = await sendRecords(c, frameRecordBatch(records), { group: G, replica: master.replica });
  assert.is(reply.headers?.get(Header.status), "SEND_OK");
  // read at once, before anything else runs: who holds the batch when it is acknowledged
  const end = decodeBatchReply(reply.data).commitLogOffsets[2]! + sizes[2]!;
  const holders = c.brokers.filter((b) => b.store.maxPhysicalOffset >= end).length;
  assert.ok(holders >= 2, `${holders} of 3 replicas held the batch when it was acknowledged`);
  await waitUntil("every replica holds it", () => c.brokers.every((b) => b.store.queueRange("rq", 0).max === 2), { timeoutMs: 10_000 });
  for (const s of slaves) await s.stop();
  const lost = await sendRecords(c, frameRecordBatch([m("rq", "r4", 0)]), { group: G, replica: master.replica, deadline: Date.now() + 1500 });
  const code = errorOf(lost);
  assert.ok(code === ErrorCode.NOT_REPLICATED || code === ErrorCode.NOT_MASTER, `no acknowledgement without a majority, got ${code ?? "SEND_OK"}`);
});

test.run();
quorum.run();
