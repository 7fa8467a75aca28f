// Consumers meeting a damaged record: a fake broker on a real nats-server
// answers a pull that starts at offset 5 of its queue with CORRUPT_RECORD.
// The consumer must report it (listener, stats), read on from nextOffset,
// and neither loop on it nor skip it without a word.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { startNameServer, type NameServerHandle } from "../../actors/nameserver.js";
import { PullConsumer, type CorruptRecord } from "../../src/client/pull-consumer.js";
import { PushConsumer } from "../../src/client/push-consumer.js";
import type { MessageQueue } from "../../src/client/route-cache.js";
import { decodeJson, encodeJson, ErrorCode, Header, PullStatus, RbusError, subjects, type PullRequest } from "../../src/protocol/index.js";
import { encodedSize, encodeRecord } from "../../src/store/record.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { fourQueues, registration, registerFake } from "../harness/registration.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const TOPIC = "damaged";
const GROUP = "fake-a";
const END = 10;
const BAD = 5;

/** Queue 0 holds END messages ("m0" … "m9") and offset BAD is damaged; the other queues are empty. Counts the pulls that start at BAD. */
class FakeBroker {
  pullsAtBad = 0;
  committed = -1;
  constructor(nc: NatsConnection) {
    const on = (api: string, fn: (m: Msg) => void) => nc.subscribe(`${subj.brokerBase(GROUP, 0)}.${api}`, { callback: (_, m) => fn(m) });
    on("offset.query", (m) => {
      const { queueId } = decodeJson(m.data) as { queueId: number };
      const progress = queueId === 0 ? { offset: this.committed, maxOffset: END } : { offset: -1, maxOffset: 0 };
      m.respond(encodeJson({ topic: TOPIC, queues: [{ queueId, minOffset: 0, ...progress }] }));
    });
    on("offset.commit.*", (m) => {
      const req = decodeJson(m.data) as { entries: Array<{ offset: number }> };
      const req0 = req.entries.filter((e) => (e as { queueId?: number }).queueId === 0);
      this.committed = Math.max(this.committed, ...req0.map((e) => e.offset));
      m.respond(encodeJson({ ok: true }));
    });
    on("pull", (m) => this.pull(m, decodeJson(m.data) as PullRequest));
    // The group has one member: whoever asks.
    const members = (m: Msg) => m.respond(encodeJson({ group: "g", members: [(decodeJson(m.data) as { clientId: string }).clientId] }));
    on("client.heartbeat.*", members);
    on("client.unregister.*", (m) => m.respond(encodeJson({ group: "g", members: [] })));
  }

  private pull(m: Msg, req: PullRequest): void {
    if (req.queueId === 0 && req.offset === BAD) {
      this.pullsAtBad++;
      const details = { topic: TOPIC, queueId: 0, queueOffset: BAD, commitLogOffset: 5000, nextOffset: BAD + 1 };
      m.respond(encodeJson(new RbusError(ErrorCode.CORRUPT_RECORD, "record at commit-log offset 5000 fails its CRC", details).toWire()));
      return;
    }
    // Stop before the damaged record, as the broker does: what precedes it is served.
    const stop = req.queueId !== 0 ? req.offset : req.offset < BAD ? BAD : END;
    const records: Buffer[] = [];
    for (let o = req.offset; o < Math.min(stop, req.offset + req.max); o++) {
      const put = { topic: TOPIC, queueId: 0, body: Buffer.from(`m${o}`) };
      const size = encodedSize(put);
      const buf = Buffer.alloc(size);
      encodeRecord(buf, 0, size, put, 0, o * 1000, o, Date.now());
      records.push(buf);
    }
    const next = req.offset + records.length;
    const h = headers();
    h.set(Header.status, records.length > 0 ? PullStatus.FOUND : PullStatus.NO_NEW_MSG);
    h.set(Header.nextOffset, String(next));
    h.set(Header.minOffset, "0");
    h.set(Header.maxOffset, String(req.queueId === 0 ? END : 0));
    h.set(Header.group, GROUP);
    m.respond(Buffer.concat(records), { headers: h });
  }
}

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  ns: NameServerHandle;
  broker: FakeBroker;
}
const test = suite<Ctx>("consumers and CORRUPT_RECORD");

test.before.each(async (ctx) => {
  ctx.server = await startNatsServer({ jetstream: false });
  ctx.nc = await connect({ servers: ctx.server.url });
  ctx.ns = await startNameServer({ nc: ctx.nc, id: "ns-test" });
  ctx.broker = new FakeBroker(ctx.nc);
  await registerFake(ctx.nc, registration(GROUP, fourQueues(TOPIC), 600_000));
});
test.after.each(async (ctx) => {
  await ctx.ns.stop();
  await ctx.nc.close();
  await ctx.server.stop();
});

const queue: MessageQueue = { topic: TOPIC, group: GROUP, queueId: 0 };
const opts = { group: "g", from: "first", pollWaitMs: 0, retryMs: 20, commitIntervalMs: 60_000 } as const;

test("the pull consumer reports the damaged record once, with its offsets, and reads on after it", async ({ nc, broker }) => {
  const c = new PullConsumer(nc, opts);
  const reports: CorruptRecord[] = [];
  c.onCorrupt((r) => reports.push(r));
  await c.assign([queue]);
  await c.start();
  const got: string[] = [];
  await waitUntil("every readable message polled", async () => {
    for (const m of await c.poll(100)) got.push(m.body.toString());
    return got.length >= END - 1;
  });
  assert.equal(got, ["m0", "m1", "m2", "m3", "m4", "m6", "m7", "m8", "m9"]);
  assert.is(reports.length, 1);
  assert.equal({ ...reports[0], queue: undefined }, {
    queue: undefined,
    queueOffset: BAD,
    commitLogOffset: 5000,
    nextOffset: BAD + 1,
    message: "record at commit-log offset 5000 fails its CRC",
  });
  assert.is(c.stats().corruptRecords, 1);
  assert.is(broker.pullsAtBad, 1, "asked once, not in a loop");
  await c.commit();
  assert.is(broker.committed, END, "the commit passes the damaged record only after it was reported");
  await c.close();
});

test("the push consumer reports it too, and its listener never sees the damaged offset", async ({ nc, broker }) => {
  const seen: number[] = [];
  const reports: CorruptRecord[] = [];
  const c = new PushConsumer(nc, { ...opts, listener: (m) => void seen.push(m.queueOffset) });
  c.onCorrupt((r) => reports.push(r));
  // Explicit assignment is the pull consumer's; the push consumer joins the group (one member: every queue).
  c.subscribe(TOPIC);
  await c.start();
  await waitUntil("every readable message delivered", () => seen.length >= END - 1);
  assert.equal(seen, [0, 1, 2, 3, 4, 6, 7, 8, 9]);
  assert.equal(reports.map((r) => [r.queue.queueId, r.queueOffset, r.nextOffset]), [[0, BAD, BAD + 1]]);
  assert.is(c.stats().corruptRecords, 1);
  assert.is(broker.pullsAtBad, 1);
  await c.close();
});

test.run();
