// The master's lock table on plain numbers: grants, renewals, leases that
// run out, the quiet first lease of a new master, members that leave.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { QueueLockTable } from "../../actors/queue-locks-table.js";

const LEASE = 60_000;
const q0 = { topic: "orders", queueId: 0 };
const q1 = { topic: "orders", queueId: 1 };

/** A table past its quiet first lease, its tokens 1, 2, 3, … */
const settled = () => {
  let token = 0;
  return new QueueLockTable(LEASE, -LEASE, () => ++token);
};
const queues = (locked: Array<{ topic: string; queueId: number }>) => locked.map(({ topic, queueId }) => ({ topic, queueId }));

const grants = suite("lock table: grants and renewals");

grants("a free queue goes to the first asker; another member gets nothing while the lease stands", () => {
  const t = settled();
  assert.equal(queues(t.lock("billing", "a", [q0, q1], 0)), [q0, q1]);
  assert.equal(queues(t.lock("billing", "b", [q0, q1], LEASE - 1)), []);
  assert.equal(t.holders("billing", 1).get("orders\u00000"), { clientId: "a", expiresAt: LEASE, token: 1 });
});

grants("the holder's own request renews the lease from now", () => {
  const t = settled();
  t.lock("billing", "a", [q0], 0);
  assert.equal(queues(t.lock("billing", "a", [q0], 50_000)), [q0]);
  assert.equal(queues(t.lock("billing", "b", [q0], 100_000)), [], "renewed at 50 s: stands until 110 s");
  assert.equal(queues(t.lock("billing", "b", [q0], 110_000)), [q0], "ran out: free again");
  assert.equal(queues(t.lock("billing", "a", [q0], 110_001)), [], "the old holder lost it");
});

grants("groups are separate: the same queue locked by two groups", () => {
  const t = settled();
  assert.equal(queues(t.lock("billing", "a", [q0], 0)), [q0]);
  assert.equal(queues(t.lock("shipping", "b", [q0], 0)), [q0]);
});

grants("unlock frees only what the asker holds", () => {
  const t = settled();
  t.lock("billing", "a", [q0], 0);
  assert.is(t.unlock("billing", "b", [q0]), 0);
  assert.equal(queues(t.lock("billing", "b", [q0], 1)), []);
  assert.is(t.unlock("billing", "a", [q0, q1]), 1);
  assert.equal(queues(t.lock("billing", "b", [q0], 2)), [q0]);
});

const quiet = suite("lock table: a new master's first lease");

quiet("after becoming master, new claims wait one lease; renewals are taken at once", () => {
  const t = settled();
  t.becameMaster(1000);
  assert.ok(t.quiet(1000));
  assert.equal(queues(t.lock("billing", "b", [q0], 1000)), [], "b never held it: it may be held under the old master");
  assert.equal(queues(t.lock("billing", "a", [{ ...q0, held: true }], 1001)), [q0], "a says it holds it: a renewal");
  assert.equal(queues(t.lock("billing", "c", [{ ...q0, held: true }], 1002)), [], "first renewal wins: another claim is refused");
  assert.equal(queues(t.lock("billing", "b", [q1], 1000 + LEASE - 1)), []);
  assert.equal(queues(t.lock("billing", "b", [q1], 1000 + LEASE)), [q1], "a lease after: anything the old master granted has run out");
});

quiet("a replica that just started is quiet too (it may have been master before a crash)", () => {
  const t = new QueueLockTable(LEASE, 5000);
  assert.equal(queues(t.lock("billing", "a", [q0], 5000)), []);
  assert.equal(queues(t.lock("billing", "a", [q0], 5000 + LEASE)), [q0]);
});

quiet("a group known to have locked nothing before is not kept waiting", () => {
  const t = new QueueLockTable(LEASE, 5000);
  assert.equal(queues(t.lock("fresh", "a", [q0], 5000, false)), [q0], "no holder can exist: granted at once");
  assert.equal(queues(t.lock("fresh", "b", [q0], 5001, false)), [], "and held like any lock");
  assert.equal(queues(t.lock("billing", "a", [q0], 5000, true)), [], "a group that locked before still waits");
});

quiet("stepping down forgets every lock", () => {
  const t = settled();
  t.lock("billing", "a", [q0], 0);
  t.clear();
  assert.equal(t.holders("billing", 1).size, 0);
});

grants("each grant gets a new token; renewals keep it, whatever the asker says", () => {
  const t = settled();
  assert.equal(t.lock("billing", "a", [q0], 0), [{ ...q0, token: 1 }]);
  assert.equal(t.lock("billing", "a", [{ ...q0, held: true }], 10), [{ ...q0, token: 1 }], "renewed: same token");
  t.unlock("billing", "a", [q0]);
  assert.equal(t.lock("billing", "b", [q0], 20), [{ ...q0, token: 2 }]);
  t.unlock("billing", "b", [q0]);
  assert.equal(t.lock("billing", "a", [{ ...q0, held: true }], 30), [{ ...q0, token: 3 }], "a late 'held' from a is a new grant: a new token");
  assert.equal(t.holder("billing", q0, 31), { clientId: "a", expiresAt: 30 + LEASE, token: 3 });
  assert.ok(t.locking("billing") && !t.locking("shipping"));
});

const members = suite("lock table: members that leave");

members("members gone from the consumer table lose their locks; the others keep theirs", () => {
  const t = settled();
  t.lock("billing", "a", [q0], 0);
  t.lock("billing", "b", [q1], 0);
  t.retain("billing", ["b"]);
  assert.equal([...t.holders("billing", 1).values()].map((h) => h.clientId), ["b"]);
  assert.equal(queues(t.lock("billing", "c", [q0], 2)), [q0]);
  t.retain("billing", []);
  assert.equal(t.holders("billing", 3).size, 0);
});

members("sweep drops run-out leases and keeps live ones", () => {
  const t = settled();
  t.lock("billing", "a", [q0], 0);
  t.lock("billing", "b", [q1], 30_000);
  t.sweep(LEASE);
  assert.equal([...t.holders("billing", 0).values()].map((h) => h.clientId), ["b"]);
});

grants.run();
quiet.run();
members.run();
