// Producer, brokers and consumer-group members in separate processes:
// exactly once in the happy path, nothing lost when a member leaves,
// everything to everyone when broadcasting.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { decodeJson, subjects } from "../../src/protocol/index.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { spawnRbus, type RbusProcess } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

interface Line {
  msgId: string;
  queueId: number;
  queueOffset: number;
  body: string;
}

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  nodes: RbusProcess[];
}

const GROUPS = ["broker-a", "broker-b"];
const test = suite<Ctx>("consumer groups in separate processes");

test.before(async (ctx) => {
  ctx.server = await startNatsServer();
  ctx.nc = await connect({ servers: ctx.server.url });
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-groups-"));
  ctx.nodes = [spawnRbus(["nameserver", "--nats", ctx.server.url, "--id", "ns-1"])];
  for (const g of GROUPS) {
    ctx.nodes.push(spawnRbus(["broker", "--nats", ctx.server.url, "--group", g, "--data", join(ctx.dir, g), "--heartbeat-interval", "1000"]));
  }
  const admin = new Admin(ctx.nc);
  await waitUntil("both brokers registered", async () => (await admin.cluster()).brokers.length === 2, { timeoutMs: 15_000 });
});

test.after(async (ctx) => {
  await Promise.all(ctx.nodes.map((n) => n.kill("SIGKILL")));
  await ctx.nc.close();
  await ctx.server.stop();
  rmSync(ctx.dir, { recursive: true, force: true });
});

const lines = (p: RbusProcess): Line[] =>
  p.output().split("\n").filter((l) => l.startsWith("{\"msgId\"")).map((l) => JSON.parse(l) as Line);

function consumer(ctx: Ctx, topic: string, group: string, extra: string[] = []): RbusProcess {
  const p = spawnRbus(["consume", "--nats", ctx.server.url, "--topic", topic, "--group", group, "--from", "first", ...extra], { RBUS_LOG: "warn" });
  ctx.nodes.push(p);
  return p;
}

/** Members a broker knows for a consumer group. */
async function members(ctx: Ctx, brokerGroup: string, group: string): Promise<number> {
  const reply = await ctx.nc.request(subjects().broker(brokerGroup, 0, "status"), "{}", { timeout: 2000 });
  const status = decodeJson(reply.data) as { consumerGroups: Array<{ group: string; members: string[] }> };
  return status.consumerGroups.find((g) => g.group === group)?.members.length ?? 0;
}

async function produce(ctx: Ctx, topic: string, from: number, count: number): Promise<void> {
  const producer = await new Producer(ctx.nc).start();
  const sends: Promise<unknown>[] = [];
  for (let i = from; i < from + count; i++) {
    if (!producer.writable) await producer.waitWritable();
    sends.push(producer.sendAsync({ topic, body: String(i) }));
  }
  await Promise.all(sends);
  await producer.close();
}

/** Every (broker group, queue): offsets strictly increasing in each member's output. */
function assertOrderedPerQueue(outputs: Line[][]): void {
  for (const out of outputs) {
    const last = new Map<string, number>();
    for (const l of out) {
      const key = `${l.msgId.split(":")[0]}/${l.queueId}`;
      assert.ok((last.get(key) ?? -1) < l.queueOffset, `queue ${key} out of order at offset ${l.queueOffset}`);
      last.set(key, l.queueOffset);
    }
  }
}

test("3 members, 2 groups × 4 queues: 10 000 messages exactly once, in order within each queue", async (ctx) => {
  await new Admin(ctx.nc).createTopic({ topic: "orders", queues: 4 });
  const members3 = [consumer(ctx, "orders", "billing"), consumer(ctx, "orders", "billing"), consumer(ctx, "orders", "billing")];
  await waitUntil("3 members on both brokers", async () => {
    for (const g of GROUPS) if ((await members(ctx, g, "billing")) !== 3) return false;
    return true;
  }, { timeoutMs: 20_000 });
  await produce(ctx, "orders", 0, 10_000);
  await waitUntil("10 000 consumed", () => members3.reduce((n, p) => n + lines(p).length, 0) >= 10_000, { timeoutMs: 60_000 });
  const outputs = members3.map(lines);
  const all = outputs.flat();
  assert.is(all.length, 10_000, "no duplicates");
  assert.is(new Set(all.map((l) => l.body)).size, 10_000, "every message");
  assert.ok(outputs.every((o) => o.length > 0), "every member got a share");
  assertOrderedPerQueue(outputs);
  await Promise.all(members3.map((p) => p.kill("SIGTERM")));
});

test("a member leaves mid-stream: its queues are reassigned and nothing is lost", async (ctx) => {
  await new Admin(ctx.nc).createTopic({ topic: "payments", queues: 4 });
  const group = [consumer(ctx, "payments", "ledger"), consumer(ctx, "payments", "ledger"), consumer(ctx, "payments", "ledger")];
  await waitUntil("3 members", async () => (await members(ctx, "broker-a", "ledger")) === 3 && (await members(ctx, "broker-b", "ledger")) === 3, { timeoutMs: 20_000 });
  await produce(ctx, "payments", 0, 5_000);
  await waitUntil("the leaver has consumed some", () => lines(group[0]!).length > 0, { timeoutMs: 30_000 });
  assert.is(await group[0]!.kill("SIGTERM"), 0, "a clean leave");
  await produce(ctx, "payments", 5_000, 5_000);
  const seen = () => new Set(group.flatMap((p) => lines(p).map((l) => l.body)));
  await waitUntil("all 10 000 consumed by the group", () => seen().size === 10_000, { timeoutMs: 60_000 });
  const all = group.flatMap(lines);
  const duplicates = all.length - 10_000;
  console.log(`    (member left after ${lines(group[0]!).length} messages; ${duplicates} duplicates)`);
  assert.ok(duplicates >= 0);
  assertOrderedPerQueue(group.map(lines));
  await Promise.all(group.slice(1).map((p) => p.kill("SIGTERM")));
});

test("broadcasting: every member sees every message", async (ctx) => {
  await new Admin(ctx.nc).createTopic({ topic: "config", queues: 2 });
  const all = [1, 2, 3].map(() => consumer(ctx, "config", "caches", ["--broadcast"]));
  await waitUntil("3 members", async () => (await members(ctx, "broker-a", "caches")) === 3, { timeoutMs: 20_000 });
  await produce(ctx, "config", 0, 2_000);
  await waitUntil("each saw 2 000", () => all.every((p) => lines(p).length >= 2_000), { timeoutMs: 30_000 });
  for (const p of all) {
    const out = lines(p);
    assert.is(out.length, 2_000);
    assert.is(new Set(out.map((l) => l.body)).size, 2_000);
  }
  await Promise.all(all.map((p) => p.kill("SIGTERM")));
});

test.run();
