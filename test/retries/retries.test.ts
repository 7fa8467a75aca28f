// Retries and dead letters end to end, the broker and the NameServer as
// separate processes: a listener that fails the first two attempts of some
// messages sees them again after the backoff with attempt counts 1 and 2
// and is done on the third; one that always fails sends them to
// %DLQ%<group> after maxReconsumeTimes, and `rbus dlq resend` puts them
// back into the topic once. Nothing is lost or seen more often than the
// attempts explain.
import * as assert from "uvu/assert";
import { decodeJson, dlqTopic, subjects, type DlqEvent } from "../../src/protocol/index.js";
import { processSuite } from "../harness/process-suite.js";
import { runRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";
import { byBody, consumer, createTopic, levelMs, produce, startRetryCluster, type Delivery } from "./retry-cluster.js";

const test = processSuite("retries and dead letters across processes");

test.before(async (ctx) => {
  await startRetryCluster(ctx);
});

test("messages failed twice come back after the backoff with attempts 1 and 2, and are done on the third", async (ctx) => {
  await createTopic(ctx.nc, "orders");
  const ids = await produce(ctx.nc, "orders", 24);
  const flaky = (body: string) => Number(body) % 4 === 0; // 6 of 24
  const seen: Delivery[] = [];
  const c = await consumer(ctx.nc, "cg-flaky", "orders", seen, (d) => (flaky(d.body) && d.reconsumeTimes < 2 ? "later" : "success"));
  try {
    await waitUntil("every message done", () => byBody(seen).size === 24 && [...byBody(seen)].every(([b, ds]) => ds.length === (flaky(b) ? 3 : 1)), { timeoutMs: 20_000 });
    for (const [body, ds] of byBody(seen)) {
      const i = Number(body);
      if (!flaky(body)) {
        assert.equal(ds.map((d) => d.reconsumeTimes), [0], body);
        continue;
      }
      assert.equal(ds.map((d) => d.reconsumeTimes), [0, 1, 2], `attempt counts of ${body}`);
      assert.ok(ds.every((d) => d.topic === "orders"), "a retried message is shown under its original topic");
      assert.is(ds[0]!.msgId, ids[i]);
      assert.equal(ds.slice(1).map((d) => d.originMsgId), [ids[i], ids[i]], "the origin id kept through both retries");
      assert.equal(ds.slice(1).map((d) => d.originTopic), ["orders", "orders"]);
      // backoff: level 3 then level 4 (100 ms each level here), measured from the failed delivery
      assert.ok(ds[1]!.at - ds[0]!.at >= levelMs(3) - 20, `first retry of ${body} after ${ds[1]!.at - ds[0]!.at} ms`);
      assert.ok(ds[2]!.at - ds[1]!.at >= levelMs(4) - 20, `second retry of ${body} after ${ds[2]!.at - ds[1]!.at} ms`);
    }
  } finally {
    await c.close();
  }
  const progress = await runRbus(["progress", "cg-flaky", "--nats", ctx.server.url, "--json"]);
  assert.is(progress.code, 0, progress.stderr);
  const p = JSON.parse(progress.stdout) as { retry: { stored: number; pending: number }; dlq: { stored: number } };
  assert.equal([p.retry.stored, p.retry.pending, p.dlq.stored], [12, 0, 0], "12 retries went through %RETRY%cg-flaky, none to the DLQ");
});

test("a listener that always fails sends them to the DLQ after maxReconsumeTimes; rbus dlq resend brings them back once", async (ctx) => {
  const group = "cg-dead";
  await createTopic(ctx.nc, "payments");
  const events: DlqEvent[] = [];
  const sub = ctx.nc.subscribe(subjects().events.dlq(group), { callback: (_e, m) => void events.push(decodeJson(m.data) as DlqEvent) });
  const ids = await produce(ctx.nc, "payments", 3, "p");
  const seen: Delivery[] = [];
  let failing = true;
  const c = await consumer(ctx.nc, group, "payments", seen, () => {
    if (failing) throw new Error("always fails");
  }, { maxReconsumeTimes: 2 });
  try {
    await waitUntil("three dead letters", () => events.length === 3, { timeoutMs: 20_000 });
    for (const [body, ds] of byBody(seen)) assert.equal(ds.map((d) => d.reconsumeTimes), [0, 1, 2], `deliveries of ${body}`);
    assert.equal(events.map((e) => e.originMsgId).sort(), [...ids].sort());
    assert.ok(events.every((e) => e.reason === "max-reconsume-times" && e.reconsumeTimes === 3 && e.originTopic === "payments"));

    const list = await runRbus(["dlq", "list", "--group", group, "--nats", ctx.server.url, "--json"]);
    assert.is(list.code, 0, list.stderr);
    const l = JSON.parse(list.stdout) as { topic: string; brokers: Array<{ count: number; notResent: number; oldest: number; newest: number }> };
    assert.is(l.topic, dlqTopic(group));
    assert.equal(l.brokers.map((b) => [b.count, b.notResent]), [[3, 3]]);
    assert.ok(l.brokers[0]!.oldest > 0 && l.brokers[0]!.oldest <= l.brokers[0]!.newest);
    const table = await runRbus(["dlq", "list", "--group", group, "--nats", ctx.server.url]);
    assert.match(table.stdout, /BROKER\s+COUNT\s+NOT RESENT\s+OLDEST\s+NEWEST\nbroker-r\s+3\s+3\s+\d{4}-\d\d-\d\dT/);
    const show = await runRbus(["dlq", "show", "--group", group, "--nats", ctx.server.url, "--json"]);
    assert.is(show.code, 0, show.stderr);
    const shown = show.stdout.trim().split("\n").map((x) => JSON.parse(x) as { originTopic: string; originMsgId: string; attempts: number; body: string });
    assert.equal(shown.map((s) => s.originMsgId).sort(), [...ids].sort());
    assert.ok(shown.every((s) => s.originTopic === "payments" && s.attempts === 3));

    // the listener is fixed: resent messages come once each, as fresh messages (their first attempt)
    failing = false;
    const before = seen.length;
    const resend = await runRbus(["dlq", "resend", "--group", group, "--nats", ctx.server.url]);
    assert.is(resend.code, 0, resend.stderr);
    assert.is(resend.stdout.trim().split("\n").length, 3, resend.stdout);
    await waitUntil("the resent messages consumed", () => seen.length - before === 3, { timeoutMs: 10_000 });
    const again = await runRbus(["dlq", "resend", "--group", group, "--nats", ctx.server.url]);
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, /no dead letters of cg-dead wait to be resent/);
    const resent = seen.slice(before);
    assert.equal(resent.map((d) => d.body).sort(), ["p0", "p1", "p2"]);
    assert.ok(resent.every((d) => d.topic === "payments" && d.reconsumeTimes === 0 && d.originMsgId === undefined));
    // a grace period for a wrong second copy to show up: two backoffs and a pull round
    const settled = Date.now() + 1500;
    await waitUntil("nothing more arrives", () => Date.now() >= settled, { timeoutMs: 5000 });
    assert.is(seen.length - before, 3, "each dead letter came back once");
  } finally {
    await c.close();
    sub.unsubscribe();
  }
  const progress = await runRbus(["progress", group, "--nats", ctx.server.url, "--json"]);
  const p = JSON.parse(progress.stdout) as { dlq: { stored: number; notResent: number } };
  assert.equal([p.dlq.stored, p.dlq.notResent], [3, 0]);
  const text = await runRbus(["progress", group, "--nats", ctx.server.url]);
  assert.match(text.stdout, /dead letters: 3 in %DLQ%cg-dead, 0 not resent/);
  const shownAll = await runRbus(["dlq", "show", "--group", group, "--all", "--nats", ctx.server.url]);
  assert.is(shownAll.stdout.trim().split("\n").filter((l) => /\s+payments\s+.*\s+3\s+\S+\s+yes$/.test(l)).length, 3, shownAll.stdout);
});

test.run();
