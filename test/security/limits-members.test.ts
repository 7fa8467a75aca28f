// Consumer groups and their members: 10,000 ghost members used to make a
// broker unresponsive for 3 s (each join sorted the group and published the
// whole list). Past maxGroupMembers, maxConsumerGroups or maxMembers a new
// member is refused with LIMIT_EXCEEDED; a heartbeat's cost does not grow
// with its group, and membership events are coalesced.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { decodeJson, encodeJson, scopedApi, subjects, type ConsumerMembers } from "../../src/protocol/index.js";
import { waitUntil } from "../harness/wait.js";
import { api, startLimitsBroker, watchLatency, type LimitsBroker, type Reply } from "./limits-broker.js";

const test = suite<{ lb?: LimitsBroker }>("consumer group limits");
test.after.each(async (ctx) => {
  await ctx.lb?.stop();
  ctx.lb = undefined;
});

const hb = (group: string, clientId: string) => ({ clientId, group, mode: "clustering", topics: ["t"], ttlMs: 60_000 });
const heartbeat = (lb: LimitsBroker, group: string, clientId: string) =>
  lb.ask<ConsumerMembers & Reply>(scopedApi("client.heartbeat", group), hb(group, clientId));

test("past maxGroupMembers, maxConsumerGroups and maxMembers a new member is refused; members go on", async (ctx) => {
  const lb = (ctx.lb = await startLimitsBroker(["--max-group-members", "10", "--max-consumer-groups", "3", "--max-members", "25"]));
  for (let i = 0; i < 10; i++) assert.is((await heartbeat(lb, "cg1", `c${i}`)).error, undefined);
  const full = await heartbeat(lb, "cg1", "c10");
  assert.is(full.error?.code, "LIMIT_EXCEEDED");
  assert.equal(full.error?.details, { limit: "maxGroupMembers", max: 10, group: "cg1" });
  const again = await heartbeat(lb, "cg1", "c3");
  assert.is(again.members.length, 10, "a member's own heartbeat is never refused");
  for (let i = 0; i < 10; i++) await heartbeat(lb, "cg2", `c${i}`);
  for (let i = 0; i < 5; i++) await heartbeat(lb, "cg3", `c${i}`);
  assert.is((await heartbeat(lb, "cg3", "c5")).error?.details?.limit, "maxMembers");
  assert.is((await heartbeat(lb, "cg4", "c0")).error?.details?.limit, "maxConsumerGroups");
  const s = await lb.status();
  assert.equal(s.limits.maxConsumerGroups, { max: 3, used: 3 });
  assert.equal(s.limits.maxGroupMembers, { max: 10, used: 10 });
  assert.equal(s.limits.maxMembers, { max: 25, used: 25 });
  // a member that leaves makes room
  await lb.ask(scopedApi("client.unregister", "cg3"), { group: "cg3", clientId: "c0" });
  assert.is((await heartbeat(lb, "cg3", "c5")).members.length, 5);
  assert.is((await lb.send("t", "x")).status, "SEND_OK");
  lb.assertAlive();
});

test("past maxConsumerGroups, a consumer group that never committed cannot commit; the others go on", async (ctx) => {
  const lb = (ctx.lb = await startLimitsBroker(["--max-consumer-groups", "3"]));
  assert.is((await lb.send("t", "x")).status, "SEND_OK");
  const commit = (group: string) => lb.ask<Reply>(scopedApi("offset.commit", group), { group, topic: "t", queueId: 0, offset: 0 });
  for (const g of ["o1", "o2", "o3"]) assert.is((await commit(g)).error, undefined, g);
  const refused = await commit("o4");
  assert.is(refused.error?.code, "LIMIT_EXCEEDED");
  assert.is(refused.error?.details?.limit, "maxConsumerGroups");
  assert.is((await commit("o2")).error, undefined, "a group that has offsets commits as before");
  lb.assertAlive();
});

test("10,000 ghost members against the defaults: 1,024 join, the rest are refused, status stays prompt", async (ctx) => {
  const lb = (ctx.lb = await startLimitsBroker());
  let refused = 0;
  lb.nc.subscribe("_INBOX.ghosts.>", {
    callback: (_, m) => {
      if ((decodeJson(m.data) as Reply).error?.details?.limit === "maxGroupMembers") refused++;
    },
  });
  let events = 0;
  let last: string[] = [];
  lb.nc.subscribe(subjects().events.consumers("ghosts"), {
    callback: (_, m) => {
      events++;
      last = (decodeJson(m.data) as ConsumerMembers).members;
    },
  });
  await lb.nc.flush();
  const watch = watchLatency(lb);
  const subject = api(scopedApi("client.heartbeat", "ghosts"));
  for (let i = 0; i < 10_000; i++) lb.nc.publish(subject, encodeJson(hb("ghosts", `ghost-${String(i).padStart(5, "0")}`)), { reply: `_INBOX.ghosts.${i}` });
  await waitUntil("every ghost answered", () => refused === 10_000 - 1024, { timeoutMs: 15_000 });
  await waitUntil("the last event lists every member", () => last.length === 1024);
  const worst = await watch.stop();
  console.log(`  10,000 ghost members: slowest status ${worst.toFixed(0)} ms, ${events} membership events`);
  const s = await lb.status();
  assert.equal(s.limits.maxGroupMembers, { max: 1024, used: 1024 });
  assert.ok(worst < 500, `status took ${worst.toFixed(0)} ms while ghosts joined`);
  assert.ok(events < 100, `${events} membership events for 1,024 joins`);
  // a real member of another group joins at once
  assert.equal((await heartbeat(lb, "real", "c1")).members, ["c1"]);
  assert.is((await lb.send("t", "x")).status, "SEND_OK");
  lb.assertAlive();
});

test.run();
