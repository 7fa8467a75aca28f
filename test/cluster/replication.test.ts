// Three replicas of one group in one process on a real nats-server: they
// elect a master, slaves copy its log byte for byte, sends are answered
// once a majority holds them, and when the master stops another takes
// over with every acknowledged message.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { startBroker, type BrokerHandle } from "../../actors/broker.js";
import { startNameServer, type NameServerHandle } from "../../actors/nameserver.js";
import { decodeJson, encodeJson, Header, scopedApi, subjects, type PullReply } from "../../src/protocol/index.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const GROUP = "broker-r";
const N = 3;

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  ns: NameServerHandle;
  dir: string;
  replicas: Array<BrokerHandle | undefined>;
}

const test = suite<Ctx>("replicated group (in process)", {} as Ctx);

async function start(c: Ctx, i: number): Promise<BrokerHandle> {
  const b = await startBroker({
    nc: c.nc, group: GROUP, replica: i, dataDir: join(c.dir, `r${i}`), heartbeatIntervalMs: 1000,
    replication: { replicas: N, failover: "auto", ack: "quorum", electionTimeoutMs: 600 },
  });
  c.replicas[i] = b;
  return b;
}

const master = (c: Ctx) => c.replicas.find((b) => b?.replication.role() === "master" && b.replication.writable());

async function send(nc: NatsConnection, replica: number, body: string): Promise<{ ok: boolean; code?: string; queueOffset?: number }> {
  const h = headers();
  h.set(Header.topic, "orders");
  h.set(Header.queue, "0");
  const reply = decodeJson((await nc.request(subj.broker(GROUP, replica, "send"), body, { headers: h, timeout: 5000 })).data) as {
    error?: { code: string };
    queueOffset?: number;
  };
  return reply.error ? { ok: false, code: reply.error.code } : { ok: true, queueOffset: reply.queueOffset! };
}

async function pullAll(nc: NatsConnection, replica: number): Promise<string[]> {
  const out: string[] = [];
  let offset = 0;
  for (;;) {
    const data = (await nc.request(subj.broker(GROUP, replica, "pull"), encodeJson({ group: "g", topic: "orders", queueId: 0, offset, max: 64 }), { timeout: 5000 })).data;
    const r = decodeJson(data) as PullReply;
    if (r.messages.length === 0) return out;
    for (const m of r.messages) out.push(m.bodyEncoding === "base64" ? Buffer.from(m.body, "base64").toString() : m.body);
    offset = r.nextOffset;
  }
}

test.before.each(async (c: Ctx) => {
  c.server = await startNatsServer();
  c.nc = await connect({ servers: c.server.url });
  c.dir = mkdtempSync(join(tmpdir(), "rbus-repl-"));
  c.ns = await startNameServer({ nc: c.nc, id: "ns-test", timings: {} });
  c.replicas = [];
  await Promise.all([0, 1, 2].map((i) => start(c, i)));
});

test.after.each(async (c: Ctx) => {
  for (const b of c.replicas) await b?.stop().catch(() => undefined);
  await c.ns.stop();
  await c.nc.close();
  await c.server.stop();
  rmSync(c.dir, { recursive: true, force: true });
});

test("elects one master; slaves hold every acknowledged message byte for byte", async (c: Ctx) => {
  const m = await waitUntil("a master", () => master(c), { timeoutMs: 10_000 });
  const terms = c.replicas.map((b) => b!.replication.term());
  assert.equal(new Set(terms).size, 1, `one term: ${terms}`);
  assert.equal(c.replicas.filter((b) => b!.replication.role() === "master").length, 1);
  const acked: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await send(c.nc, m.replica, `m${i}`);
    assert.ok(r.ok, `send ${i}: ${r.code}`);
    acked.push(`m${i}`);
  }
  const end = m.store.maxPhysicalOffset;
  await waitUntil("slaves caught up", () => c.replicas.every((b) => b!.store.maxPhysicalOffset === end && b!.store.commitOffset === end));
  for (const b of c.replicas) {
    assert.equal(await pullAll(c.nc, b!.replica), acked, `replica ${b!.replica} serves what was acknowledged`);
    assert.equal(Buffer.compare(b!.store.readRaw(0, end), m.store.readRaw(0, end)), 0, `replica ${b!.replica}'s log is the master's`);
  }
  const slave = c.replicas.find((b) => b !== m)!;
  const refused = await send(c.nc, slave.replica, "to a slave");
  assert.equal(refused.code, "NOT_MASTER");
});

test("topic configs and consumer offsets committed on the master reach the slaves; the role machine shows on rbus.inspect", async (c: Ctx) => {
  const roles: string[] = [];
  const sub = c.nc.subscribe(subj.inspectAll, {
    callback: (_e, m) => {
      const e = decodeJson(m.data) as { machine: string; node: string; state: unknown; context?: { term: number; master: number | null } };
      if (e.machine === "role") roles.push(`${e.node} ${JSON.stringify(e.state)} t${e.context?.term} m${e.context?.master}`);
    },
  });
  const m = await waitUntil("a master", () => master(c), { timeoutMs: 10_000 });
  const seen = `${GROUP}-${m.replica} "master" t${m.replication.term()} m${m.replica}`;
  await waitUntil("the master's role machine on rbus.inspect, with its term", () => roles.some((r) => r === seen));
  const slave = c.replicas.find((b) => b !== m)!;
  await waitUntil("a slave's role machine names its master", () => roles.some((r) => r === `${GROUP}-${slave.replica} "slave" t${m.replication.term()} m${m.replica}`));
  const upsert = { topic: "ledger", readQueues: 2, writeQueues: 2, perm: "rw" };
  await c.nc.request(subj.broker(GROUP, m.replica, "topic.upsert"), encodeJson(upsert), { timeout: 5000 });
  assert.ok((await send(c.nc, m.replica, "x")).ok);
  await c.nc.request(subj.broker(GROUP, m.replica, scopedApi("offset.commit", "billing")), encodeJson({ group: "billing", entries: [{ topic: "orders", queueId: 0, offset: 1 }] }), { timeout: 5000 });
  for (const b of c.replicas.filter((r) => r !== m)) {
    await waitUntil(`replica ${b!.replica} has the topic and the offset`, () =>
      b!.store.topics.get("ledger")?.readQueues === 2 && b!.store.offsets.get("billing", "orders", 0) === 1);
  }
  sub.unsubscribe();
});

test("the master stops: another is elected with every acknowledged message, and the old one rejoins as slave", async (c: Ctx) => {
  const m = await waitUntil("a master", () => master(c), { timeoutMs: 10_000 });
  for (let i = 0; i < 10; i++) assert.ok((await send(c.nc, m.replica, `a${i}`)).ok);
  const oldTerm = m.replication.term();
  await m.stop();
  c.replicas[m.replica] = undefined;
  const stoppedAt = Date.now();
  const next = await waitUntil("a new master", () => master(c), { timeoutMs: 10_000 });
  assert.ok(next.replication.term() > oldTerm);
  const r = await waitUntil("a send on the new master", async () => (await send(c.nc, next.replica, "after")).ok, { timeoutMs: 5000 });
  assert.ok(r);
  const took = Date.now() - stoppedAt;
  assert.ok(took < 3000, `failover took ${took} ms`);
  const expected = [...Array.from({ length: 10 }, (_, i) => `a${i}`), "after"];
  assert.equal(await pullAll(c.nc, next.replica), expected);
  const back = await start(c, m.replica);
  await waitUntil("the old master follows", () => back.replication.role() === "slave" && back.store.maxPhysicalOffset === next.store.maxPhysicalOffset);
  assert.equal(await pullAll(c.nc, back.replica), expected);
});

test.run();
