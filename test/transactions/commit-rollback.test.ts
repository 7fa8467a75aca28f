// Half messages settled by their producer, against a NameServer and a
// broker run as processes: a commit is seen once, a rollback never, a
// half never; a second settle changes nothing and says how it ended; and
// tx.end refuses what is not a half of the asker's group.
import * as assert from "uvu/assert";
import { Producer } from "../../src/client/producer.js";
import { BrokerApi, decodeJson, encodeJson, encodeMsgId, Header, Prop, scopedApi, TRANS_HALF_TOPIC } from "../../src/protocol/index.js";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import type { ReplicaGroup } from "../harness/replica-group.js";
import { waitUntil } from "../harness/wait.js";
import { Seen, startGroup, stored, subj, TOPIC, txEnd, txSuite } from "./tx-harness.js";

const askRaw = async (nc: NatsConnection, subject: string, body: unknown) =>
  decodeJson((await nc.request(subject, encodeJson(body), { timeout: 2000 })).data) as Record<string, unknown>;

const GROUP = "tx-a";
const test = txSuite("transactions settled by the producer");
let group: ReplicaGroup;
let producer: Producer;

test.before(async (ctx) => {
  // checks only after a minute: nothing here is settled by a check
  group = await startGroup(ctx, GROUP, 1, ["--transaction-timeout", "60000"]);
  producer = await new Producer(ctx.nc, { group: "pg-a" }).start();
});
test.after(async () => {
  await producer.close();
});

test("commit: seen once, with TRAN_PREPARED_QUEUE_OFFSET and without TRAN_MSG; rollback: never; a half: never", async (ctx) => {
  const kept = await producer.sendHalf({ topic: TOPIC, body: "kept", keys: "k1", properties: { app: "1" } });
  const dropped = await producer.sendHalf({ topic: TOPIC, body: "dropped" });
  const waiting = await producer.sendHalf({ topic: TOPIC, body: "waiting" });
  assert.is(await stored(ctx.nc, GROUP, 0), 0, "halves are not in the topic");
  const pull = { group: "snoop", topic: TRANS_HALF_TOPIC, queueId: 0, offset: 0, max: 10, waitMs: 0 };
  const snooped = await askRaw(ctx.nc, subj.broker(GROUP, 0, "pull"), pull);
  assert.is((snooped.error as { code?: string } | undefined)?.code, "TOPIC_NOT_EXIST", "the half topic cannot be pulled");
  const c = await producer.sendMessageInTransaction({ topic: TOPIC, body: "local-commit" }, () => "commit");
  const r = await producer.sendMessageInTransaction({ topic: TOPIC, body: "local-rollback" }, () => "rollback");
  const thrown = await producer.sendMessageInTransaction({ topic: TOPIC, body: "local-throws" }, () => {
    throw new Error("the local transaction failed");
  });
  assert.is(c.settled?.by, "commit");
  assert.is(r.settled?.by, "rollback");
  assert.is(thrown.state, "unknown", "left to the check");
  assert.match(String(thrown.error), /the local transaction failed/);
  const committed = await kept.commit();
  assert.ok(committed.settled && committed.by === "commit" && typeof committed.msgId === "string");
  assert.ok((await dropped.rollback()).settled);

  const seen = await Seen.start(ctx.nc, "tx-reader");
  try {
    await waitUntil("both commits seen", () => seen.bodies.length >= 2);
    assert.equal([...seen.bodies].sort(), ["kept", "local-commit"]);
    const p = seen.props[seen.bodies.indexOf("kept")]!;
    assert.is(p[Prop.transactionPreparedQueueOffset], String(kept.sent.queueOffset));
    assert.is(p.app, "1");
    assert.is(p[Prop.transactionPrepared], undefined);
    assert.is(p[Prop.realTopic], undefined);
    assert.is(await stored(ctx.nc, GROUP, 0), 2, "the topic holds the two commits and nothing else");
  } finally {
    await seen.stop();
  }
  void waiting;
});

test("a second settle is a no-op that says how the half ended", async (ctx) => {
  const half = await producer.sendHalf({ topic: TOPIC, body: "twice" });
  const before = await stored(ctx.nc, GROUP, 0);
  assert.ok((await half.commit()).settled);
  const again = await half.commit();
  assert.equal([again.settled, again.by], [false, "commit"]);
  const late = await half.rollback();
  assert.equal([late.settled, late.by], [false, "commit"], "a rollback after the commit changes nothing");
  // settles racing each other: one writes
  const raced = await producer.sendHalf({ topic: TOPIC, body: "raced" });
  const all = await Promise.all([raced.commit(), raced.commit(), raced.rollback(), raced.commit()]);
  assert.is(all.filter((x) => x.settled).length, 1);
  assert.is(new Set(all.map((x) => x.by)).size, 1, "all told the same ending");
  const won = all.find((x) => x.settled)!.by;
  assert.is(await stored(ctx.nc, GROUP, 0), before + 1 + (won === "commit" ? 1 : 0));
});

test("hostile tx.end: forged offsets, a non-half, another group's half, junk; the broker stays up", async (ctx) => {
  const half = await producer.sendHalf({ topic: TOPIC, body: "target" });
  const off = half.sent.msgId ? Number.parseInt(half.sent.msgId.split(":")[1]!, 16) : -1;
  const plain = await producer.send({ topic: TOPIC, body: "plain" });
  const plainOff = Number.parseInt(plain.msgId.split(":")[1]!, 16);
  const base = { producerGroup: "pg-a", action: "commit" };
  const code = (r: Record<string, unknown>) => (r.error as { code?: string } | undefined)?.code;
  const cases: Array<[string, unknown, string]> = [
    ["msgId and offset disagree", { ...base, commitLogOffset: off + 1, msgId: half.msgId }, "BAD_REQUEST"],
    ["inside a record", { ...base, commitLogOffset: off + 1, msgId: encodeMsgId(GROUP, off + 1) }, "NOT_FOUND"],
    ["past the log's end", { ...base, commitLogOffset: 2 ** 40, msgId: encodeMsgId(GROUP, 2 ** 40) }, "NOT_FOUND"],
    ["another broker group's id", { ...base, commitLogOffset: off, msgId: encodeMsgId("tx-b", off) }, "BAD_REQUEST"],
    ["an ordinary message", { ...base, commitLogOffset: plainOff, msgId: plain.msgId }, "BAD_REQUEST"],
    ["another producer group's half", { ...base, producerGroup: "pg-other", commitLogOffset: off, msgId: half.msgId }, "FORBIDDEN"],
    ["an unknown action", { ...base, action: "maybe", commitLogOffset: off, msgId: half.msgId }, "BAD_REQUEST"],
    ["a negative offset", { ...base, commitLogOffset: -1, msgId: half.msgId }, "BAD_REQUEST"],
    ["a string offset", { ...base, commitLogOffset: String(off), msgId: half.msgId }, "BAD_REQUEST"],
    ["a group that is not a token", { ...base, producerGroup: "a.b", commitLogOffset: off, msgId: half.msgId }, "BAD_REQUEST"],
    ["not JSON", "{commit", "BAD_REQUEST"],
    ["an array", "[1,2]", "BAD_REQUEST"],
    ["fromCheck not a boolean", { ...base, fromCheck: "yes", commitLogOffset: off, msgId: half.msgId }, "BAD_REQUEST"],
  ];
  const before = await stored(ctx.nc, GROUP, 0);
  for (const [what, body, expected] of cases) assert.is(code(await txEnd(ctx.nc, GROUP, 0, body)), expected, what);
  assert.is(await stored(ctx.nc, GROUP, 0), before, "nothing was put");
  // the half is untouched by all of that, and still settles
  const r = await half.commit();
  assert.ok(r.settled, "the real settle still works");
  assert.ok(group.replica(0).alive());
});

test("a half goes on send.half.<its producer group> only, and send.half takes nothing else", async (ctx) => {
  const raw = async (api: string, props: Record<string, string>) => {
    const h = headers();
    h.set(Header.topic, TOPIC);
    for (const [k, v] of Object.entries(props)) h.set(k, v);
    const reply = decodeJson((await ctx.nc.request(subj.broker(GROUP, 0, api as BrokerApi), Buffer.from("h"), { headers: h, timeout: 2000 })).data) as Record<string, unknown>;
    return (reply.error as { code?: string } | undefined)?.code ?? "stored";
  };
  const half = { [Prop.transactionPrepared]: "true", [Prop.producerGroup]: "pg-a" };
  const before = await stored(ctx.nc, GROUP, 0);
  assert.is(await raw("send", half), "BAD_REQUEST", "a half on plain send");
  assert.is(await raw("send", { [Prop.transactionPrepared]: "false" }), "BAD_REQUEST", "TRAN_MSG of any value on plain send");
  assert.is(await raw(scopedApi(BrokerApi.sendHalf, "pg-other"), half), "FORBIDDEN", "PGROUP is not the subject's group");
  assert.is(await raw(scopedApi(BrokerApi.sendHalf, "pg-a"), { [Prop.producerGroup]: "pg-a" }), "BAD_REQUEST", "send.half without TRAN_MSG");
  assert.is(await raw(scopedApi(BrokerApi.sendHalf, "pg-a"), { [Prop.transactionPrepared]: "true" }), "BAD_REQUEST", "send.half without PGROUP");
  assert.is(await stored(ctx.nc, GROUP, 0), before, "nothing was put");
  assert.is(await raw(scopedApi(BrokerApi.sendHalf, "pg-a"), half), "stored", "the half on its own group's subject");
  // the producer sends a half set by hand, properties and all, on the same subject
  const byHand = await producer.send({ topic: TOPIC, body: "by hand", properties: half });
  assert.is((await txEnd(ctx.nc, GROUP, 0, { producerGroup: "pg-a", commitLogOffset: Number.parseInt(byHand.msgId.split(":")[1]!, 16), msgId: byHand.msgId, action: "rollback" })).settled, true);
});

test.run();
