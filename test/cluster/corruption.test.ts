// Damaged files under a real broker process: what users must see after a
// restart. A flipped byte costs one record, reported by offset; a torn tail
// costs what it cut, logged with byte counts; committed offsets past the
// new end are clamped.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { decodeJson, decodeMsgId, encodeJson, Header, isErrorEnvelope, scopedApi, subjects, type PullReply, type SendResult, type StoreEvent } from "../../src/protocol/index.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { spawnRbus, type RbusProcess } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const TOPIC = "damage";

let server: NatsServer;
let nc: NatsConnection;
let dir = "";
let broker: RbusProcess | undefined;
/** What brokers published on rbus.events.store.> since the test began. */
let storeEvents: StoreEvent[] = [];

async function startBroker(): Promise<RbusProcess> {
  const b = spawnRbus(["broker", "--nats", server.url, "--group", "broker-a", "--data", dir]);
  await waitUntil("broker serving", () => nc.request(subj.broker("broker-a", 0, "status"), "{}", { timeout: 500 }).then(() => true));
  return b;
}
async function stopBroker(): Promise<void> {
  assert.is(await broker!.kill("SIGTERM"), 0, "a clean stop");
}

async function send(from: number, n: number): Promise<SendResult[]> {
  const out: SendResult[] = [];
  for (let i = from; i < from + n; i += 100) {
    const batch = Array.from({ length: Math.min(100, from + n - i) }, (_, k) => {
      const h = headers();
      h.set(Header.topic, TOPIC);
      h.set(Header.queue, "0");
      return nc.request(subj.broker("broker-a", 0, "send"), `body-${i + k}`, { headers: h, timeout: 5000 });
    });
    for (const reply of await Promise.all(batch)) out.push(decodeJson(reply.data) as SendResult);
  }
  assert.ok(out.every((r) => r.status === "SEND_OK"));
  return out;
}

type Pulled = { bodies: Map<number, string>; corrupt: Array<Record<string, unknown>> };

/** Pulls queue 0 to its end over the wire; a CORRUPT_RECORD error is noted and stepped over, as a consumer does. */
async function pullAll(): Promise<Pulled> {
  const out: Pulled = { bodies: new Map(), corrupt: [] };
  for (let offset = 0; ; ) {
    const req = encodeJson({ group: "check", topic: TOPIC, queueId: 0, offset, max: 256 });
    const reply = decodeJson((await nc.request(subj.broker("broker-a", 0, "pull"), req, { timeout: 5000 })).data);
    if (isErrorEnvelope(reply)) {
      assert.is(reply.error.code, "CORRUPT_RECORD", reply.error.message);
      out.corrupt.push(reply.error.details!);
      offset = reply.error.details!.nextOffset as number;
      continue;
    }
    const r = reply as PullReply;
    if (r.messages.length === 0) return out;
    for (const m of r.messages) out.bodies.set(m.queueOffset, m.body);
    offset = r.nextOffset;
  }
}

function commitLogFile(offset: number): { file: string; pos: number } {
  const names = fs.readdirSync(path.join(dir, "commitlog")).sort();
  const name = names.filter((n) => Number(n) <= offset).at(-1)!;
  return { file: path.join(dir, "commitlog", name), pos: offset - Number(name) };
}
function flipByte(offset: number): void {
  const { file, pos } = commitLogFile(offset);
  const fd = fs.openSync(file, "r+");
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, pos);
  fs.writeSync(fd, Buffer.from([b[0]! ^ 0x01]), 0, 1, pos);
  fs.closeSync(fd);
}
function cutTail(bytes: number): void {
  const names = fs.readdirSync(path.join(dir, "commitlog")).sort();
  const file = path.join(dir, "commitlog", names.at(-1)!);
  fs.truncateSync(file, fs.statSync(file).size - bytes);
}
const clOffset = (r: SendResult) => decodeMsgId(r.msgId)!.commitLogOffset;
const logLines = (b: RbusProcess) =>
  b.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);

const test = suite("damaged files under a broker process");
test.before(async () => {
  server = await startNatsServer({ jetstream: false });
  nc = await connect({ servers: server.url });
  nc.subscribe(`${subj.prefix}.events.store.>`, { callback: (_, m) => void storeEvents.push(decodeJson(m.data) as StoreEvent) });
  await nc.flush();
});
test.after(async () => {
  await nc.close();
  await server.stop();
});
test.before.each(async () => {
  dir = fs.mkdtempSync(path.join(tmpdir(), "rbus-damage-"));
  storeEvents = [];
  broker = await startBroker();
});
test.after.each(async () => {
  await broker?.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

test("case 1: a flipped record then a torn tail lose only those two, both reported by offset", async () => {
  const first = await send(0, 1000);
  await stopBroker();
  flipByte(clOffset(first[499]!) + 80); // inside record 500's body
  broker = await startBroker();
  const second = await send(1000, 1000);
  await stopBroker();
  cutTail(5);
  broker = await startBroker();

  const pulled = await pullAll();
  assert.equal(pulled.corrupt, [
    { topic: TOPIC, queueId: 0, queueOffset: 499, commitLogOffset: clOffset(first[499]!), nextOffset: 500 },
    { topic: TOPIC, queueId: 0, queueOffset: 1999, commitLogOffset: -1, nextOffset: 2000 }, // cut: its offset is kept, not reused
  ]);
  const lost = [...first, ...second].filter((r) => pulled.bodies.get(r.queueOffset) !== `body-${r.queueOffset}`).map((r) => r.queueOffset);
  assert.equal(lost, [499, 1999], "of 2,000 acknowledged, only the flipped record and the cut one are unreadable");

  const logs = logLines(broker);
  const damaged = logs.find((l) => l.msg?.toString().startsWith("commit log damaged"));
  assert.ok(damaged && damaged.level === "error" && damaged.from === clOffset(first[499]!) && (damaged.bytes as number) > 0, "the damaged range is logged");
  const torn = logs.find((l) => l.msg === "commit log torn tail cut");
  assert.ok(torn && torn.level === "error" && (torn.truncatedBytes as number) > 0, "the truncation is logged with its byte count");
  assert.is((torn!.first as { queueOffset: number }).queueOffset, 1999, "and names the record it cut");
  assert.is(torn!.from, clOffset(second.at(-1)!));

  await waitUntil("store events published", () => storeEvents.some((e) => e.type === "torn-tail"));
  const damagedEvent = storeEvents.find((e) => e.type === "damaged-range");
  assert.ok(damagedEvent && damagedEvent.type === "damaged-range" && damagedEvent.from === clOffset(first[499]!), "the damage is an event too");
});

test("case 2: a corrupt record covered by the checkpoint is reported at its offset, not skipped", async () => {
  const sent = await send(0, 10);
  await stopBroker();
  flipByte(clOffset(sent[4]!) + 80);
  broker = await startBroker();
  const head = decodeJson((await nc.request(subj.broker("broker-a", 0, "pull"), encodeJson({ group: "g", topic: TOPIC, queueId: 0, offset: 0, max: 32 }), { timeout: 5000 })).data) as PullReply;
  assert.is(head.status, "FOUND");
  assert.equal(head.messages.map((m) => m.queueOffset), [0, 1, 2, 3]);
  assert.is(head.nextOffset, 4, "the next pull starts at the damaged record");
  const pulled = await pullAll();
  assert.equal(pulled.corrupt.map((c) => c.queueOffset), [4]);
  assert.is(pulled.bodies.size, 9);

  const lookup = decodeJson((await nc.request(subj.broker("broker-a", 0, "message"), encodeJson({ msgId: sent[4]!.msgId }), { timeout: 5000 })).data);
  assert.ok(isErrorEnvelope(lookup) && lookup.error.code === "CORRUPT_RECORD", "a lookup by id reports the damage, not NOT_FOUND");
  assert.is(lookup.error.details?.commitLogOffset, clOffset(sent[4]!));
});

test("case 3: a group committed past a cut tail sees the next message: the cut offsets are not reused", async () => {
  await send(0, 10);
  const commit = encodeJson({ group: "g", topic: TOPIC, queueId: 0, offset: 10 });
  await nc.request(subj.broker("broker-a", 0, scopedApi("offset.commit", "g")), commit, { timeout: 5000 });
  await stopBroker();
  cutTail(3);
  broker = await startBroker();
  const q = decodeJson((await nc.request(subj.broker("broker-a", 0, "offset.query"), encodeJson({ group: "g", topic: TOPIC, queueId: 0 }), { timeout: 5000 })).data) as {
    queues: Array<{ offset: number; maxOffset: number }>;
  };
  assert.equal([q.queues[0]!.offset, q.queues[0]!.maxOffset], [10, 10], "the queue keeps its end; the committed offset stays valid");
  assert.ok(logLines(broker).some((l) => l.msg === "queue offsets of lost messages kept as holes, not reused" && l.from === 9 && l.to === 10));
  await waitUntil("offsets-kept event", () => storeEvents.find((e) => e.type === "offsets-kept" && e.from === 9 && e.to === 10));
  const [next] = await send(100, 1);
  assert.is(next!.queueOffset, 10);
  const pull = decodeJson((await nc.request(subj.broker("broker-a", 0, "pull"), encodeJson({ group: "g", topic: TOPIC, queueId: 0, offset: 10, max: 1 }), { timeout: 5000 })).data) as PullReply;
  assert.is(pull.messages[0]?.body, "body-100", "the group's next pull gets the new message");
  const lost = decodeJson((await nc.request(subj.broker("broker-a", 0, "pull"), encodeJson({ group: "h", topic: TOPIC, queueId: 0, offset: 9, max: 1 }), { timeout: 5000 })).data);
  assert.ok(isErrorEnvelope(lost) && lost.error.code === "CORRUPT_RECORD" && lost.error.details?.nextOffset === 10, "the cut one is reported by offset");
});

test("committed offsets past a queue rebuilt from a shorter log are clamped, logged and published", async () => {
  await send(0, 10);
  await nc.request(subj.broker("broker-a", 0, scopedApi("offset.commit", "g")), encodeJson({ group: "g", topic: TOPIC, queueId: 0, offset: 10 }), { timeout: 5000 });
  await stopBroker();
  cutTail(3);
  fs.rmSync(path.join(dir, "consumequeue"), { recursive: true });
  fs.rmSync(path.join(dir, "config", "queues.json"));
  broker = await startBroker();
  const q = decodeJson((await nc.request(subj.broker("broker-a", 0, "offset.query"), encodeJson({ group: "g", topic: TOPIC, queueId: 0 }), { timeout: 5000 })).data) as {
    queues: Array<{ offset: number; maxOffset: number }>;
  };
  assert.equal([q.queues[0]!.offset, q.queues[0]!.maxOffset], [9, 9], "clamped to the queue's new end");
  assert.ok(logLines(broker).some((l) => l.msg === "committed offset past the queue's end clamped" && l.from === 10 && l.to === 9));
  await waitUntil("clamp event", () => storeEvents.find((e) => e.type === "offset-clamped"));
  assert.equal(
    storeEvents.filter((e) => e.type === "offset-clamped"),
    [{ type: "offset-clamped", group: "broker-a", replica: 0, at: storeEvents.find((e) => e.type === "offset-clamped")!.at, consumerGroup: "g", topic: TOPIC, queueId: 0, from: 10, to: 9 }],
  );
  const [next] = await send(100, 1);
  assert.is(next!.queueOffset, 9);
  const pull = decodeJson((await nc.request(subj.broker("broker-a", 0, "pull"), encodeJson({ group: "g", topic: TOPIC, queueId: 0, offset: 9, max: 1 }), { timeout: 5000 })).data) as PullReply;
  assert.is(pull.messages[0]?.body, "body-100", "the group's next pull gets the message that took the offset");
});

test.run();
