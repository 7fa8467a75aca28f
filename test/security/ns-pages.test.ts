// A registration larger than the bus's max_payload: it used to throw in
// the broker's publish and the replica silently never registered again.
// It now goes in pages of its topic table, which NameServers put together.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { startBroker } from "../../actors/broker.js";
import { startNameServer } from "../../actors/nameserver.js";
import { pageRegistration, PageCollector } from "../../machines/registration-pages.js";
import { encodeJson, RbusError, subjects, type RegistrationRequest, type RouteData, type TopicConfig } from "../../src/protocol/index.js";
import { requestAll, requestJson } from "../../src/runtime/request.js";
import { startNatsServer } from "../harness/nats-server.js";
import { registerFake, registration } from "../harness/registration.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const topicName = (i: number) => `a-topic-with-a-rather-long-name-to-fill-pages-${String(i).padStart(5, "0")}`;
const topics = (n: number): TopicConfig[] => Array.from({ length: n }, (_, i) => ({ topic: topicName(i), readQueues: 4, writeQueues: 4, perm: "rw" }));
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

const pages = suite("registration pages");

pages("a registration that fits is one page; one that does not is split under the budget and put together again", () => {
  const small = { ...registration("broker-a", topics(3)), seq: 7 };
  const one = pageRegistration(small, 64 * 1024);
  assert.equal(one, { type: "pages", pages: [small] });

  const big: RegistrationRequest = { ...registration("broker-a", topics(1000)), seq: 8 };
  const budget = 28 * 1024;
  const split = pageRegistration(big, budget);
  if (split.type !== "pages") throw new Error("expected pages");
  assert.ok(split.pages.length >= 4, `${split.pages.length} pages`);
  for (const p of split.pages) {
    assert.ok(bytes(p) <= budget, `page of ${bytes(p)} bytes`);
    assert.is(p.session, big.session);
    assert.is(p.pages, split.pages.length);
  }
  const collector = new PageCollector();
  // Out of order, one page twice: the registration is whole once every page is in.
  const [first, ...rest] = split.pages;
  assert.is(collector.add("broker-a.0", first!), undefined);
  assert.is(collector.add("broker-a.0", first!), undefined);
  let whole: TopicConfig[] | undefined;
  for (const p of rest.reverse()) whole = collector.add("broker-a.0", p) ?? whole;
  assert.equal(whole, big.topics);
  assert.not.ok(collector.holds("broker-a.0", 8), "a registration put together is not kept");
});

pages("a registration that cannot fit even in pages says so", () => {
  const tiny = pageRegistration({ ...registration("broker-a", topics(2)), seq: 1 }, 200);
  assert.is(tiny.type, "too-large");
});

pages.run();

const live = suite("a broker with many topics on a bus with a small max_payload");

live("registers every topic with the NameServer, and routes reach the last one", async () => {
  const server = await startNatsServer({ jetstream: false, maxPayload: 32 * 1024 });
  const nc = await connect({ servers: server.url });
  const dir = mkdtempSync(join(tmpdir(), "rbus-pages-"));
  const ns = await startNameServer({ nc, id: "ns-1" });
  const broker = await startBroker({ nc, group: "broker-a", replica: 0, dataDir: dir, heartbeatIntervalMs: 500 });
  try {
    const n = 1000;
    for (const t of topics(n)) await requestJson(nc, subj.broker("broker-a", 0, "topic.upsert"), t);
    const all = [...topics(n)];
    assert.ok(bytes(all) > 32 * 1024, "the topic table alone is larger than max_payload");
    const entry = () => ns.actor.getSnapshot().context.brokers.get("broker-a.0");
    // n topics and the template topic
    await waitUntil("every topic registered", () => entry()?.registration.topics.length === n + 1, { timeoutMs: 15_000 });
    const route = await requestJson<RouteData>(nc, subj.ns.route, { topic: topicName(n - 1) });
    assert.equal(route.queues.map((q) => q.group), ["broker-a"]);
  } finally {
    await broker.stop();
    await ns.stop();
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

live("a registration missing a page is refused at its last page, and the table keeps what it had", async () => {
  const server = await startNatsServer({ jetstream: false });
  const nc = await connect({ servers: server.url });
  const ns = await startNameServer({ nc, id: "ns-1" });
  try {
    const reg = { ...registration("broker-a", topics(50)), seq: 1 };
    await registerFake(nc, { ...reg, topics: topics(1) });
    const split = pageRegistration(reg, 2048);
    if (split.type !== "pages") throw new Error("expected pages");
    const [first, , ...others] = split.pages; // the second page is lost
    nc.publish(subj.ns.register, encodeJson(first));
    for (const p of others.slice(0, -1)) nc.publish(subj.ns.register, encodeJson(p));
    const [reply] = await requestAll(nc, subj.ns.register, others[others.length - 1]);
    assert.ok(reply instanceof RbusError && reply.code === "BAD_REQUEST", String(reply));
    assert.is(ns.actor.getSnapshot().context.brokers.get("broker-a.0")?.registration.topics.length, 1);
  } finally {
    await ns.stop();
    await nc.close();
    await server.stop();
  }
});

live.run();
