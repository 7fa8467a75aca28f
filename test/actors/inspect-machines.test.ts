// rbus.machines.<node>: a NameServer and a broker replica answer the
// current state of every actor they run, the same states rbus.inspect
// published last, and forget an actor once it stops.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNameServer, type NameServerHandle } from "../../actors/nameserver.js";
import { startBroker, type BrokerHandle } from "../../actors/broker.js";
import { decodeJson, subjects } from "../../src/protocol/index.js";
import { isInspectEvent, type InspectEvent, type MachinesNow } from "../../src/runtime/inspect.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  ns: NameServerHandle;
  broker: BrokerHandle;
  /** The last event rbus.inspect carried for each "node actor". */
  last: Map<string, InspectEvent>;
}
const test = suite<Ctx>("rbus.machines.<node>");

test.before(async (ctx) => {
  ctx.server = await startNatsServer({ jetstream: false });
  ctx.nc = await connect({ servers: ctx.server.url });
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-machines-"));
  ctx.last = new Map();
  ctx.nc.subscribe(subj.inspectAll, {
    callback: (_, m) => {
      const e = isInspectEvent(decodeJson(m.data));
      ctx.last.set(`${e.node} ${e.actor}`, e);
    },
  });
  await ctx.nc.flush();
  ctx.ns = await startNameServer({ nc: ctx.nc, id: "ns-1", timings: { scanIntervalMs: 20, suspectAfterMs: 5000, deadAfterMs: 10_000 } });
  ctx.broker = await startBroker({ nc: ctx.nc, group: "broker-a", replica: 0, dataDir: ctx.dir, heartbeatIntervalMs: 60_000 });
});

test.after(async (ctx) => {
  await ctx.ns.stop();
  await ctx.nc.close();
  await ctx.server.stop();
  rmSync(ctx.dir, { recursive: true, force: true });
});

const machines = async (nc: NatsConnection, node: string) => decodeJson((await nc.request(subj.machines(node), "{}", { timeout: 2000 })).data) as MachinesNow;

/** What a reader needs to agree on: actor, machine, state, status and context. */
const view = (e: InspectEvent) => JSON.stringify([e.node, e.actor, e.machine, e.state, e.status, e.context ?? null]);

/** True once the answer holds exactly the actors rbus.inspect last showed active on that node, in the same states. */
function agrees(ctx: Ctx, now: MachinesNow): boolean {
  const published = [...ctx.last.values()].filter((e) => e.node === now.node && e.status === "active").map(view).sort();
  return JSON.stringify(published) === JSON.stringify(now.actors.map(view).sort());
}

test("a NameServer answers its own machine and one liveness actor per broker, as rbus.inspect showed them", async (ctx) => {
  const now = await waitUntil("the NameServer's answer matches rbus.inspect", async () => {
    const m = await machines(ctx.nc, "ns-1");
    return m.actors.some((a) => a.actor === "liveness-broker-a.0") && agrees(ctx, m) && m;
  });
  assert.is(now.node, "ns-1");
  assert.ok(Math.abs(now.at - Date.now()) < 5000, "at is the time of the answer");
  const byActor = new Map(now.actors.map((a) => [a.actor, a]));
  assert.equal(byActor.get("ns-1")?.state, "serving");
  assert.equal(byActor.get("liveness-broker-a.0")?.state, "alive");
  assert.is(byActor.get("liveness-broker-a.0")?.machine, "liveness");
});

test("a broker replica answers its registration and role actors in one list, the role with its term and master", async (ctx) => {
  const now = await waitUntil("the replica's answer matches rbus.inspect", async () => {
    const m = await machines(ctx.nc, "broker-a-0");
    return m.actors.length === 2 && m.actors.some((a) => a.state === "registered") && agrees(ctx, m) && m;
  });
  assert.is(now.node, "broker-a-0");
  const byActor = new Map(now.actors.map((a) => [a.actor, a]));
  assert.equal(byActor.get("registration")?.state, "registered");
  const role = byActor.get("role")!;
  assert.is(role.machine, "role");
  assert.equal(role.state, "master");
  assert.equal(role.context, { term: ctx.broker.replication.term(), master: 0 });
});

test("an actor that stops leaves the answer: the broker's liveness actor, once the broker unregistered", async (ctx) => {
  await ctx.broker.stop();
  const now = await waitUntil("the liveness actor is gone from the NameServer's answer", async () => {
    const m = await machines(ctx.nc, "ns-1");
    return !m.actors.some((a) => a.actor.startsWith("liveness-")) && m;
  });
  assert.equal(now.actors.map((a) => a.actor), ["ns-1"]);
  assert.is(ctx.last.get("ns-1 liveness-broker-a.0")?.status, "done", "rbus.inspect said it ended");
  // and the stopped replica no longer answers at all
  assert.ok(await ctx.nc.request(subj.machines("broker-a-0"), "{}", { timeout: 500 }).then(() => false, () => true));
});

test.run();
