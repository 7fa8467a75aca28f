// lock.batch / unlock.batch on a real broker: only live members get locks,
// one member per queue, a member that leaves loses its locks, the subject's
// group must be the payload's, and a broker that restarts grants only
// renewals for one lease (for groups that locked before; a new group at once).
import * as assert from "uvu/assert";
import { suite } from "../harness/suite.js";
import { addReplicatedGroup, startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";
import { ErrorCode, RbusError, scopedApi, subjects, type ConsumerProgressReply, type LockBatchReply, type OffsetCommitReply } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";

const subj = subjects();
const G = "lock-a";
const CG = "ledger";
/** Longer than a member's ttl plus the broker's 1 s expiry sweep, so an expiry frees a lock well before its lease would. */
const LEASE = 3000;
const q = (queueId: number, held?: boolean) => ({ topic: "orders", queueId, ...(held ? { held } : {}) });

const lock = (c: TestCluster, clientId: string, queues: object[], cg = CG, payloadGroup = cg, group = G, replica = 0) =>
  requestJson<LockBatchReply>(c.nc, subj.broker(group, replica, scopedApi("lock.batch", cg)), { group: payloadGroup, clientId, queues });
const unlock = (c: TestCluster, clientId: string, queues: object[]) =>
  requestJson<{ unlocked: number }>(c.nc, subj.broker(G, 0, scopedApi("unlock.batch", CG)), { group: CG, clientId, queues });
const join = (c: TestCluster, clientId: string, ttlMs = 10_000, group = G, replica = 0) =>
  requestJson(c.nc, subj.broker(group, replica, scopedApi("client.heartbeat", CG)), { clientId, group: CG, mode: "clustering", topics: ["orders"], ttlMs });
const leave = (c: TestCluster, clientId: string) => requestJson(c.nc, subj.broker(G, 0, scopedApi("client.unregister", CG)), { clientId, group: CG });
const locked = (r: LockBatchReply) => r.locked.map((l) => l.queueId);

const test = suite<{ c: TestCluster }>("lock.batch on a broker");

test.before(async (ctx) => {
  ctx.c = await startTestCluster([G], { jetstream: false, broker: { lockLeaseMs: LEASE } });
  await requestJson(ctx.c.nc, subj.broker(G, 0, "topic.upsert"), { topic: "orders", readQueues: 4, writeQueues: 4, perm: "rw" });
});
test.after(async (ctx) => ctx.c.stop());

test("a client that is no member gets nothing; members get free queues, one holder each", async ({ c }) => {
  assert.equal(await lock(c, "stranger", [q(0)]), { locked: [], validMs: 0 });
  await join(c, "A");
  await join(c, "B");
  // past the broker's first lease: new claims are taken
  const a = await waitUntil("A's lock granted", async () => {
    const r = await lock(c, "A", [q(0), q(1)]);
    return r.locked.length === 2 && r;
  });
  assert.ok(a.validMs > 0 && a.validMs <= LEASE, `validMs ${a.validMs}`);
  assert.equal(locked(await lock(c, "B", [q(0), q(2)])), [2], "q0 is A's");
  assert.equal(locked(await lock(c, "A", [q(0, true), q(1, true)])), [0, 1], "A renews");
  assert.equal(locked(await lock(c, "A", [q(4), { topic: "nowhere", queueId: 0 }])), [], "queues the broker does not serve are not locked");
  const progress = await requestJson<ConsumerProgressReply>(c.nc, subj.broker(G, 0, "consumer.progress"), { group: CG, topic: "orders" });
  assert.equal(progress.queues.map((r) => r.lockedBy ?? "-"), ["A", "A", "B", "-"], "consumer.progress says who holds each lock");
});

test("offset commits of a locking group: only the holder's, under its grant's token", async ({ c }) => {
  const { token } = (await lock(c, "A", [q(0, true)])).locked[0]!;
  const commit = (clientId: string | undefined, lockToken: number | undefined, cg = CG) =>
    requestJson<OffsetCommitReply>(c.nc, subj.broker(G, 0, scopedApi("offset.commit", cg)), {
      group: cg, ...(clientId ? { clientId } : {}), entries: [{ topic: "orders", queueId: 0, offset: 0, ...(lockToken === undefined ? {} : { lock: lockToken }) }],
    });
  assert.is((await commit("A", token)).committed, 1, "the holder, under its token");
  assert.is((await commit("A", undefined)).committed, 1, "the holder, no token given (a client that sends none)");
  const stale = await commit("A", token + 1);
  assert.is(stale.committed, 0, "a token from another grant: refused");
  assert.equal(stale.stale?.map((x) => x.queueId), [0]);
  assert.is((await commit("B", undefined)).committed, 0, "another member: refused");
  assert.is((await commit(undefined, undefined)).committed, 0, "no member named: refused in a locking group");
  assert.is((await commit(undefined, undefined, "plain")).committed, 1, "a group that locks nothing commits as before");
});

test("validMs is the member's remaining heartbeat when that is shorter than the lease", async ({ c }) => {
  await join(c, "short", 150);
  const r = await lock(c, "short", [q(3)]);
  assert.ok(r.validMs > 0 && r.validMs <= 150, `validMs ${r.validMs}`);
});

test("unlock frees only the asker's; a member that unregisters loses its locks", async ({ c }) => {
  assert.equal(await unlock(c, "B", [q(0)]), { unlocked: 0 });
  assert.equal(await unlock(c, "A", [q(0)]), { unlocked: 1 });
  assert.equal(locked(await lock(c, "B", [q(0)])), [0]);
  assert.equal(locked(await lock(c, "B", [q(1)])), [], "still A's");
  await leave(c, "A");
  await waitUntil("A's locks gone with it", async () => locked(await lock(c, "B", [q(1)])).length === 1);
});

test("a member that expires from the consumer table loses its locks", async ({ c }) => {
  // q3 was "short"'s, itself gone by expiry (a test before); brief heartbeats until it holds it
  await waitUntil("brief holds q3", async () => {
    await join(c, "brief", 300);
    return locked(await lock(c, "brief", [q(3)])).length === 1;
  }, { timeoutMs: 5000 });
  const at = Date.now();
  assert.equal(locked(await lock(c, "B", [q(3)])), [], "brief's while it lives");
  await waitUntil("brief expired, its lock free", async () => locked(await lock(c, "B", [q(3)])).length === 1, { timeoutMs: 5000 });
  assert.ok(Date.now() - at < LEASE - 1000, `freed by the expiry after ${Date.now() - at} ms, well before the ${LEASE} ms lease`);
});

test("the subject's consumer group must be the payload's; junk is BAD_REQUEST", async ({ c }) => {
  const err = await lock(c, "B", [q(0)], "audit", CG).catch((e: unknown) => e);
  assert.instance(err, RbusError);
  assert.is((err as RbusError).code, ErrorCode.FORBIDDEN);
  const bad = await lock(c, "B", [{ topic: "orders", queueId: -1 }]).catch((e: unknown) => e);
  assert.is((bad as RbusError).code, ErrorCode.BAD_REQUEST);
});

test("a restarted broker takes only renewals for one lease, for the groups that locked before", async ({ c }) => {
  assert.ok(c.brokers[0]!.store.subgroups.get(CG)?.consumeMessageOrderly, "the first grant marked the group orderly");
  await c.brokers[0]!.stop();
  c.brokers.length = 0;
  await c.addBroker(G, { lockLeaseMs: 3000 });
  await join(c, "B");
  await join(c, "C");
  const fresh = (id: string) => requestJson(c.nc, subj.broker(G, 0, scopedApi("client.heartbeat", "fresh")), { clientId: id, group: "fresh", mode: "clustering", topics: ["orders"], ttlMs: 10_000 });
  await fresh("F");
  assert.equal(locked(await lock(c, "F", [q(2)], "fresh")), [2], "a group that never locked has no holder to wait for: granted at once");
  assert.equal(locked(await lock(c, "C", [q(2)])), [], "C never held it: it may be held under the broker's last life");
  assert.equal(locked(await lock(c, "B", [q(2, true)])), [2], "B says it holds it: renewed");
  assert.equal(locked(await lock(c, "C", [q(2, true)])), [], "a second renewal claim loses to the first");
});

test.run();

const RG = "lock-r";
const failover = suite<{ c: TestCluster }>("lock.batch across a failover");

failover.before(async (ctx) => {
  ctx.c = await startTestCluster([], { jetstream: false, broker: { lockLeaseMs: 1500 } });
  await addReplicatedGroup(ctx.c, RG);
});
failover.after(async ({ c }) => c?.stop());

failover("a new master takes only renewals for one lease; the old one, a slave now, grants nothing", async ({ c }) => {
  const master = await waitUntil("a master", () => c.brokers.find((b) => b.replication.role() === "master"), { timeoutMs: 10_000 });
  const on = (replica: number) => ({
    join: (id: string) => join(c, id, 10_000, RG, replica),
    lock: (id: string, queues: object[]) => lock(c, id, queues, CG, CG, RG, replica).then(locked),
  });
  await requestJson(c.nc, subj.broker(RG, master.replica, "topic.upsert"), { topic: "orders", readQueues: 4, writeQueues: 4, perm: "rw" });
  await waitUntil("every replica has the topic", () => c.brokers.every((b) => b.store.topics.get("orders") !== undefined), { timeoutMs: 10_000 });
  const m = on(master.replica);
  await m.join("A");
  await waitUntil("A holds q0 on the first master", async () => (await m.lock("A", [q(0)])).length === 1, { timeoutMs: 5000 });
  // the first grant marked the group orderly; the slaves copy the mark with the topic table
  await waitUntil("every replica knows the group locks", () => c.brokers.every((b) => b.store.subgroups.get(CG)?.consumeMessageOrderly === true), { timeoutMs: 10_000 });

  const moved = await requestJson<{ ok: boolean; master: number | null }>(c.nc, subj.broker(RG, master.replica, "failover"), {}, 10_000);
  assert.ok(moved.ok && moved.master !== null && moved.master !== master.replica, JSON.stringify(moved));
  const n = on(moved.master!);
  await waitUntil("the new master serving", async () => (await n.join("A").then(() => true, () => false)));
  await n.join("B");
  assert.equal(await n.lock("B", [q(0)]), [], "q0 may be A's under the old master: refused");
  assert.equal(await n.lock("B", [q(1)]), [], "so is any new claim in the first lease");
  assert.equal(await n.lock("A", [q(0, true)]), [0], "A's renewal is taken");
  const late = await m.lock("A", [q(0, true)]).catch((e: unknown) => e);
  assert.is((late as RbusError).code, ErrorCode.NOT_MASTER, "the old master, now a slave, grants nothing");
  // A keeps renewing meanwhile, as its lock client would
  await waitUntil("a lease later, new claims are taken", async () => {
    assert.equal(await n.lock("A", [q(0, true)]), [0]);
    return (await n.lock("B", [q(1)])).length === 1;
  }, { timeoutMs: 5000 });
  assert.equal(await n.lock("B", [q(0)]), [], "A kept q0 through the failover");
});

failover.run();
