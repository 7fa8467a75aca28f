import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import {
  decodeJson,
  decodeBatchReply,
  encodeBatch,
  encodeMsgId,
  encodeJson,
  Header,
  scopedApi,
  subjects,
  type OffsetQueryReply,
  type PullReply,
  type RouteData,
  type SendResult,
} from "../../src/protocol/index.js";
import { decodeRecord } from "../../src/store/record.js";
import { requestJson } from "../../src/runtime/request.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const api = (a: Parameters<typeof subj.broker>[2]) => subj.broker("broker-a", 0, a);

async function sendRaw(nc: NatsConnection, body: string | Uint8Array, h: Record<string, string>) {
  const hdrs = headers();
  for (const [k, v] of Object.entries(h)) hdrs.set(k, v);
  const reply = await nc.request(api("send"), body, { headers: hdrs, timeout: 3000 });
  return decodeJson(reply.data) as SendResult & { error?: { code: string; message: string } };
}

async function ask<T = Record<string, unknown>>(nc: NatsConnection, a: Parameters<typeof api>[0], body: unknown) {
  const reply = await nc.request(api(a), typeof body === "string" ? body : encodeJson(body), { timeout: 5000 });
  return decodeJson(reply.data) as T & { error?: { code: string; message: string } };
}

const test = suite<{ c: TestCluster }>("broker message APIs");
test.before.each(async (ctx) => {
  ctx.c = await startTestCluster();
});
test.after.each(async (ctx) => {
  await ctx.c.stop();
});

test("send with headers, pull it back as JSON with tags, keys and properties", async ({ c }) => {
  const r = await sendRaw(c.nc, "héllo", { [Header.topic]: "orders", [Header.tags]: "TagA", [Header.keys]: "k1 k2", [Header.queue]: "2", "X-Trace": "abc" });
  assert.is(r.status, "SEND_OK");
  assert.is(r.queueId, 2);
  assert.is(r.queueOffset, 0);
  assert.match(r.msgId, /^broker-a:[0-9a-f]{16}$/);
  const pulled = await ask<PullReply>(c.nc, "pull", { group: "g", topic: "orders", queueId: 2, offset: 0, max: 10 });
  assert.is(pulled.status, "FOUND");
  assert.is(pulled.nextOffset, 1);
  const m = pulled.messages[0]!;
  assert.equal([m.msgId, m.body, m.tags, m.keys, m.properties], [r.msgId, "héllo", "TagA", "k1 k2", { "X-Trace": "abc" }]);
  assert.ok(m.storedAt >= m.bornAt - 1000);
});

test("a consumer group named __proto__ commits like any other and breaks nothing", async ({ c }) => {
  // it once set Object.prototype.<topic>: untagged sends then answered INTERNAL, untagged pulls BAD_REQUEST
  assert.is((await sendRaw(c.nc, "first", { [Header.topic]: "orders", [Header.queue]: "0" })).status, "SEND_OK");
  for (const group of ["__proto__", "constructor", "toString"]) {
    const ok = await ask<{ ok: boolean }>(c.nc, scopedApi("offset.commit", group), { group, topic: "orders", queueId: 0, offset: 1 });
    assert.is(ok.ok, true, `${group}: ${JSON.stringify(ok)}`);
    const q = await ask<OffsetQueryReply>(c.nc, "offset.query", { group, topic: "orders", queueId: 0 });
    assert.is(q.queues[0]!.offset, 1, group);
  }
  assert.is((await sendRaw(c.nc, "after", { [Header.topic]: "orders", [Header.queue]: "0" })).status, "SEND_OK");
  const pulled = await ask<PullReply>(c.nc, "pull", { group: "g", topic: "orders", queueId: 0, offset: 0, max: 10 });
  assert.equal(pulled.messages.map((m) => m.body), ["first", "after"]);
});

test("topics, keys, properties and members named like Object's own fields are ordinary names", async ({ c }) => {
  const names = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"];
  for (const topic of names) {
    const r = await sendRaw(c.nc, `in ${topic}`, { [Header.topic]: topic, [Header.queue]: "0", [Header.keys]: topic, [Header.tags]: topic, constructor: "c", toString: "s" });
    assert.is(r.status, "SEND_OK", `${topic}: ${JSON.stringify(r)}`);
  }
  for (const topic of names) {
    const pulled = await ask<PullReply>(c.nc, "pull", { group: "constructor", topic, queueId: 0, offset: 0, max: 10, tags: topic });
    assert.equal(pulled.messages.map((m) => m.body), [`in ${topic}`], topic);
    assert.equal({ ...pulled.messages[0]!.properties }, { constructor: "c", toString: "s" }, topic);
    const found = await ask<{ messages: Array<{ body: string }> }>(c.nc, "message", { topic, key: topic });
    assert.equal(found.messages.map((m) => m.body), [`in ${topic}`], `lookup by key in ${topic}`);
    const members = await ask<{ members: string[] }>(c.nc, scopedApi("client.heartbeat", topic), { clientId: topic, group: topic, mode: "clustering", topics: [topic] });
    assert.equal(members.members, [topic], `members of ${topic}`);
  }
  const listed = await ask<{ topics: Array<{ topic: string }> }>(c.nc, "topic.list", {});
  for (const topic of names) assert.ok(listed.topics.some((t) => t.topic === topic), `${topic} listed`);
  // an ordinary topic is untouched by all of it
  assert.is((await sendRaw(c.nc, "plain", { [Header.topic]: "orders" })).status, "SEND_OK");
  const route = await requestJson<RouteData>(c.nc, subj.ns.route, { topic: "__proto__" }, 3000);
  assert.ok(route.queues.length > 0, "the NameServer routes __proto__ like any topic");
});

test("the protocol edge and the store check one topic rule (RocketMQ's: '%' and '|' allowed, at most 127)", async ({ c }) => {
  assert.is((await sendRaw(c.nc, "pct", { [Header.topic]: "50%|off" })).status, "SEND_OK");
  assert.is((await sendRaw(c.nc, "long", { [Header.topic]: "t".repeat(127) })).status, "SEND_OK");
  // a well-formed name, but a system topic: only brokers write it
  assert.is((await sendRaw(c.nc, "retry", { [Header.topic]: "%RETRY%billing" })).error?.code, "NO_PERMISSION");
  for (const topic of ["t".repeat(128), "a.b", "a b", "%RBUS_TERM%"]) {
    const r = await sendRaw(c.nc, "x", { [Header.topic]: topic });
    assert.is(r.error?.code, "BAD_REQUEST", `${topic}: ${JSON.stringify(r)}`);
  }
  const pulled = await ask<PullReply>(c.nc, "pull", { group: "g", topic: "50%|off", queueId: 0, offset: 0, max: 10 });
  assert.ok(pulled.status === "FOUND" || pulled.status === "NO_NEW_MSG", JSON.stringify(pulled));
});

test("auto-created topics reach the NameServer's routes at once", async ({ c }) => {
  await sendRaw(c.nc, "x", { [Header.topic]: "fresh" });
  const route = await waitUntil("route for fresh", () =>
    requestJson<RouteData>(c.nc, subj.ns.route, { topic: "fresh" }).catch(() => undefined),
  );
  assert.equal(route.queues, [{ group: "broker-a", readQueues: 4, writeQueues: 4, perm: "rw" }]);
});

test("send.batch stores many in one request, in order, with per-message offsets", async ({ c }) => {
  const entries = Array.from({ length: 100 }, (_, i) => ({ queueId: i % 2, bornTimestamp: Date.now(), body: Buffer.from(`m${i}`), keys: `key${i}` }));
  const h = headers();
  h.set(Header.topic, "batch");
  const raw = await c.nc.request(api("send.batch"), encodeBatch(entries), { headers: h, timeout: 3000 });
  assert.equal([raw.headers?.get(Header.status), raw.headers?.get(Header.group), raw.headers?.get(Header.topic)], ["SEND_OK", "broker-a", "batch"]);
  const reply = decodeBatchReply(raw.data);
  assert.is(reply.queueIds.length, 100);
  assert.equal([reply.queueIds.slice(0, 4), reply.queueOffsets.slice(0, 4)], [[0, 1, 0, 1], [0, 0, 1, 1]]);
  const pulled = await ask<PullReply>(c.nc, "pull", { group: "g", topic: "batch", queueId: 1, offset: 0, max: 100 });
  assert.equal(pulled.messages.map((m) => m.body), entries.filter((_, i) => i % 2 === 1).map((e) => e.body.toString()));
  const byKey = await ask<{ messages: Array<{ body: string }> }>(c.nc, "message", { topic: "batch", key: "key7" });
  assert.equal(byKey.messages.map((m) => m.body), ["m7"]);
  const byId = await ask<{ messages: Array<{ body: string }> }>(c.nc, "message", { msgId: encodeMsgId("broker-a", reply.commitLogOffsets[42]!) });
  assert.equal(byId.messages.map((m) => m.body), ["m42"]);
});

test("binary pull returns the commit-log records themselves", async ({ c }) => {
  for (let i = 0; i < 3; i++) await sendRaw(c.nc, new Uint8Array([0xff, i]), { [Header.topic]: "bin", [Header.queue]: "0" });
  const reply = await c.nc.request(api("pull"), encodeJson({ group: "g", topic: "bin", queueId: 0, offset: 1, max: 10, format: "binary" }));
  assert.is(reply.headers?.get(Header.status), "FOUND");
  assert.is(reply.headers?.get(Header.nextOffset), "3");
  const buf = Buffer.from(reply.data);
  const first = decodeRecord(buf, 0);
  const second = decodeRecord(buf, first.size);
  assert.equal([first.queueOffset, [...first.body]], [1, [0xff, 1]]);
  assert.equal([second.queueOffset, [...second.body]], [2, [0xff, 2]]);
  assert.is(first.size + second.size, buf.length);
});

test("a held pull is answered as soon as a message arrives", async ({ c }) => {
  await sendRaw(c.nc, "first", { [Header.topic]: "lp", [Header.queue]: "0" });
  const started = Date.now();
  const pending = ask<PullReply>(c.nc, "pull", { group: "g", topic: "lp", queueId: 0, offset: 1, max: 10, waitMs: 10_000 });
  await waitUntil("the pull is held", async () => (await ask<{ pullsHeld: number }>(c.nc, "status", {})).pullsHeld === 1);
  await sendRaw(c.nc, "second", { [Header.topic]: "lp", [Header.queue]: "0" });
  const reply = await pending;
  assert.is(reply.status, "FOUND");
  assert.equal(reply.messages.map((m) => m.body), ["second"]);
  assert.ok(Date.now() - started < 5000, "answered long before the wait ended");
});

test("a held pull with nothing to read ends with NO_NEW_MSG after its wait", async ({ c }) => {
  await sendRaw(c.nc, "only", { [Header.topic]: "idle", [Header.queue]: "0" });
  const reply = await ask<PullReply>(c.nc, "pull", { group: "g", topic: "idle", queueId: 0, offset: 1, waitMs: 100 });
  assert.equal([reply.status, reply.nextOffset, reply.messages.length], ["NO_NEW_MSG", 1, 0]);
});

test("tag filtering in the consume queue", async ({ c }) => {
  for (const tag of ["A", "B", "A", "C"]) await sendRaw(c.nc, tag, { [Header.topic]: "tags", [Header.tags]: tag, [Header.queue]: "0" });
  const reply = await ask<PullReply>(c.nc, "pull", { group: "g", topic: "tags", queueId: 0, offset: 0, tags: "A || C" });
  assert.equal(reply.messages.map((m) => m.body), ["A", "A", "C"]);
  assert.is(reply.nextOffset, 4);
});

test("offsets: commit, query per queue and per topic, by timestamp", async ({ c }) => {
  for (let i = 0; i < 5; i++) await sendRaw(c.nc, `${i}`, { [Header.topic]: "off", [Header.queue]: "1" });
  const ok = await ask(c.nc, scopedApi("offset.commit", "g"), { group: "g", topic: "off", queueId: 1, offset: 3 });
  assert.is(ok.ok, true);
  const one = await ask<OffsetQueryReply>(c.nc, "offset.query", { group: "g", topic: "off", queueId: 1 });
  assert.equal(one.queues, [{ queueId: 1, offset: 3, minOffset: 0, maxOffset: 5 }]);
  const all = await ask<OffsetQueryReply>(c.nc, "offset.query", { group: "g", topic: "off" });
  assert.equal(all.queues.map((q) => q.offset), [-1, 3, -1, -1]);
  const many = await ask(c.nc, scopedApi("offset.commit", "g"), { group: "g", entries: [{ topic: "off", queueId: 0, offset: 0 }, { topic: "off", queueId: 1, offset: 5 }] });
  assert.is(many.committed, 2);
  const ts = await ask<OffsetQueryReply>(c.nc, "offset.query", { topic: "off", queueId: 1, timestamp: 0 });
  assert.is(ts.offset, 0);
});

test("consumer heartbeats build group membership and announce changes", async ({ c }) => {
  const seen: string[][] = [];
  const brokers = new Set<string>();
  c.nc.subscribe(subj.events.consumers("cg"), {
    callback: (_, m) => {
      const event = decodeJson(m.data) as { members: string[]; broker: string };
      seen.push(event.members);
      brokers.add(event.broker);
    },
  });
  const a = await ask<{ members: string[] }>(c.nc, scopedApi("client.heartbeat", "cg"), { clientId: "c-2", group: "cg", mode: "clustering", topics: ["t"] });
  const b = await ask<{ members: string[] }>(c.nc, scopedApi("client.heartbeat", "cg"), { clientId: "c-1", group: "cg", mode: "clustering", topics: ["t"], ttlMs: 200 });
  assert.equal(a.members, ["c-2"]);
  assert.equal(b.members, ["c-1", "c-2"]);
  const left = await ask<{ members: string[] }>(c.nc, scopedApi("client.unregister", "cg"), { clientId: "c-2", group: "cg" });
  assert.equal(left.members, ["c-1"]);
  await waitUntil("c-1 expired", () => seen.some((m) => m.length === 0));
  assert.equal(seen, [["c-2"], ["c-1", "c-2"], ["c-1"], []]);
  assert.equal([...brokers], ["rbus.broker.broker-a.0"], "each event names the broker whose view it is");
});

test("bad input gets typed errors and the broker keeps serving", async ({ c }) => {
  await sendRaw(c.nc, "x", { [Header.topic]: "ok", [Header.queue]: "0" });
  const cases: Array<[Promise<{ error?: { code: string } }>, string]> = [
    [sendRaw(c.nc, "no topic", {}), "BAD_REQUEST"],
    [sendRaw(c.nc, "x", { [Header.topic]: "bad.topic" }), "BAD_REQUEST"],
    [sendRaw(c.nc, "x", { [Header.topic]: "ok", [Header.queue]: "-1" }), "BAD_REQUEST"],
    [sendRaw(c.nc, "x", { [Header.topic]: "ok", [Header.queue]: "99" }), "BAD_REQUEST"],
    [sendRaw(c.nc, new Uint8Array(4 * 1024 * 1024 + 1), { [Header.topic]: "ok" }), "MESSAGE_TOO_LARGE"],
    [ask(c.nc, "pull", "not json"), "BAD_REQUEST"],
    [ask(c.nc, "pull", { group: "g", topic: "ok", queueId: 0 }), "BAD_REQUEST"],
    [ask(c.nc, "pull", { group: "g", topic: "ok", queueId: 0, offset: -5 }), "BAD_REQUEST"],
    [ask(c.nc, "pull", { group: "g", topic: "ok", queueId: 0, offset: 7 }), "OFFSET_OUT_OF_RANGE"],
    [ask(c.nc, "pull", { group: "g", topic: "nope", queueId: 0, offset: 0 }), "TOPIC_NOT_EXIST"],
    [ask(c.nc, "pull", { group: "g", topic: "ok", queueId: 0, offset: 0, max: 5000 }), "BAD_REQUEST"],
    [ask(c.nc, scopedApi("offset.commit", "g"), { group: "g", topic: "ok", queueId: 0, offset: 99 }), "OFFSET_OUT_OF_RANGE"],
    [ask(c.nc, "offset.query", { group: "g" }), "BAD_REQUEST"],
    [ask(c.nc, "topic.upsert", { topic: "t", readQueues: "4" }), "BAD_REQUEST"],
    [ask(c.nc, "message", { msgId: "garbage" }), "BAD_REQUEST"],
    [ask(c.nc, "message", { msgId: "broker-a:00000000ffffffff" }), "NOT_FOUND"],
    [ask(c.nc, scopedApi("client.heartbeat", "g"), { clientId: "c", group: "g", mode: "sideways", topics: [] }), "BAD_REQUEST"],
    // the subject names the consumer group NATS permissions grant; the payload may not name another
    [ask(c.nc, scopedApi("offset.commit", "billing"), { group: "shipping", topic: "ok", queueId: 0, offset: 0 }), "FORBIDDEN"],
    [ask(c.nc, scopedApi("client.heartbeat", "billing"), { clientId: "c", group: "shipping", mode: "clustering", topics: [] }), "FORBIDDEN"],
    [ask(c.nc, scopedApi("client.unregister", "billing"), { clientId: "c", group: "shipping" }), "FORBIDDEN"],
  ];
  for (const [p, code] of cases) assert.is((await p).error?.code, code);
  const batchHeaders = headers();
  batchHeaders.set(Header.topic, "ok");
  const garbled = decodeJson((await c.nc.request(api("send.batch"), "RBB1garbage", { headers: batchHeaders, timeout: 3000 })).data) as { error: { code: string } };
  assert.is(garbled.error.code, "BAD_REQUEST");
  const still = await ask<PullReply>(c.nc, "pull", { group: "g", topic: "ok", queueId: 0, offset: 0 });
  assert.equal(still.messages.map((m) => m.body), ["x"], "nothing lost, still serving");
});

test("with auto-creation off, an unknown topic is TOPIC_NOT_EXIST until created", async ({ c }) => {
  await c.addBroker("strict", { autoCreateTopic: false });
  const strict = (a: Parameters<typeof api>[0]) => subj.broker("strict", 0, a);
  const h = headers();
  h.set(Header.topic, "later");
  const refused = decodeJson((await c.nc.request(strict("send"), "x", { headers: h, timeout: 3000 })).data) as { error: { code: string } };
  assert.is(refused.error.code, "TOPIC_NOT_EXIST");
  await c.nc.request(strict("topic.upsert"), encodeJson({ topic: "later", readQueues: 2, writeQueues: 2, perm: "rw" }));
  const ok = decodeJson((await c.nc.request(strict("send"), "x", { headers: h, timeout: 3000 })).data) as SendResult;
  assert.is(ok.status, "SEND_OK");
  const list = decodeJson((await c.nc.request(strict("topic.list"), "{}")).data) as { topics: Array<{ topic: string }> };
  assert.equal(list.topics.map((t) => t.topic), ["later"]);
});

test.run();
