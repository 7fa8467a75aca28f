// The producer across a restart of the NATS server itself: every node (the
// NameServer, each broker replica, the producer) on its own connection, as
// separate processes would be, so they lose and regain NATS at different
// moments. A send made while the server is down, or just after it is back
// and before the brokers have resubscribed and the groups have a master
// again, must be retried within the producer's budget and succeed.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { startBroker, type BrokerHandle } from "../../actors/broker.js";
import { startNameServer, type NameServerHandle } from "../../actors/nameserver.js";
import { Producer } from "../../src/client/producer.js";
import { decodeMsgId, RbusError, type SendResult } from "../../src/protocol/index.js";
import { connectNats } from "../../src/runtime/nats.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { waitUntil } from "../harness/wait.js";

const TOPIC = "restarts";
const GROUPS = ["broker-a", "broker-b"];
const REPLICAS = 3;
/** Longer than the 1 s election timeout: every master loses its majority, and both groups elect again. */
const DOWN_MS = 2000;

interface Ctx {
  server: NatsServer;
  dir: string;
  conns: NatsConnection[];
  ns: NameServerHandle;
  brokers: BrokerHandle[];
}
const test = suite<Ctx>("producer across a NATS server restart");

const conn = async (ctx: Ctx, name: string) => {
  const nc = await connectNats(ctx.server.url, name);
  ctx.conns.push(nc);
  return nc;
};

test.before(async (ctx) => {
  ctx.server = await startNatsServer({ jetstream: false });
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-nats-restart-"));
  ctx.conns = [];
  ctx.brokers = [];
  ctx.ns = await startNameServer({ nc: await conn(ctx, "ns"), id: "ns-1" });
  for (const group of GROUPS) {
    for (let replica = 0; replica < REPLICAS; replica++) {
      ctx.brokers.push(
        await startBroker({
          nc: await conn(ctx, `${group}.${replica}`),
          group,
          replica,
          dataDir: join(ctx.dir, `${group}.${replica}`),
          heartbeatIntervalMs: 500,
          replication: { replicas: REPLICAS, failover: "auto", ack: "quorum", electionTimeoutMs: 1000 },
        }),
      );
    }
  }
});
test.after(async (ctx) => {
  for (const b of ctx.brokers) await b.stop().catch(() => undefined);
  await ctx.ns.stop();
  for (const nc of ctx.conns) await nc.close().catch(() => undefined);
  await ctx.server.stop();
  rmSync(ctx.dir, { recursive: true, force: true });
});

const describe = (err: unknown) => (err instanceof RbusError ? `${err.code}: ${err.message}` : String(err));

/** Each group's master and its term, undefined while the group has none. */
const masters = (ctx: Ctx) =>
  GROUPS.map((g) => ctx.brokers.find((b) => b.group === g && b.replication.role() === "master")).map((b) => b && { replica: b.replica, term: b.replication.term() });

test("sends made during a restart are retried and succeed once the cluster is back", async (ctx) => {
  const nc = await conn(ctx, "producer");
  const producer = await new Producer(nc, { sendTimeoutMs: 2000 }).start();
  const before = await waitUntil("a master in each group", () => {
    const m = masters(ctx);
    return m.every((x) => x !== undefined) && m;
  }, { timeoutMs: 20_000 });
  const warm = new Set<string | undefined>();
  await waitUntil("both groups take sends", async () => {
    const r = await producer.send({ topic: TOPIC, body: "warm" });
    warm.add(decodeMsgId(r.msgId)?.group);
    return warm.size === GROUPS.length;
  });
  const failures: string[] = [];
  const acked: SendResult[] = [];
  const pending: Array<Promise<void>> = [];
  const track = (p: Promise<SendResult>, at: number) =>
    pending.push(p.then((r) => void acked.push(r), (err: unknown) => void failures.push(`${Date.now() - at} ms after start: ${describe(err)}`)));
  let sending = true;
  const started = Date.now();
  // sendAsync at a steady rate, and send one after another.
  const asyncLoop = (async () => {
    for (let i = 0; sending; i++) {
      track(producer.sendAsync({ topic: TOPIC, body: `async-${i}` }), started);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const syncLoop = (async () => {
    for (let i = 0; sending; i++) {
      const p = producer.send({ topic: TOPIC, body: `sync-${i}` });
      track(p, started);
      await p.catch(() => undefined);
    }
  })();
  await waitUntil("sends of both kinds acknowledged before the fault", () => acked.length >= 20);
  await ctx.server.crash();
  const crashedAt = Date.now();
  // the outage's length: the fault's schedule, not a wait for state
  await new Promise((r) => setTimeout(r, DOWN_MS));
  await ctx.server.start();
  const elected = await waitUntil("both groups elected a master after the restart", () => {
    const m = masters(ctx);
    return m.every((x, i) => x !== undefined && x.term > before[i]!.term) && m;
  }, { timeoutMs: 20_000 });
  const ackedBefore = acked.length;
  await waitUntil("sends acknowledged after the election", () => acked.length > ackedBefore + 50);
  sending = false;
  await Promise.all([asyncLoop, syncLoop]);
  await Promise.all(pending);
  await producer.close();
  const took = Date.now() - crashedAt;
  assert.ok(took < 10_000, `the whole restart fits in the retry budget (${took} ms), so no send may run out of it`);
  assert.equal(failures.slice(0, 5), [], `${failures.length} of ${failures.length + acked.length} sends failed; terms ${JSON.stringify(before)} → ${JSON.stringify(elected)}`);
  assert.ok(acked.some((r) => r.msgId.length > 0), "sends were acknowledged");
});

test.run();
