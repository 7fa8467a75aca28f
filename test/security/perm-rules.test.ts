// The role rules filled in for a cluster's names, without a server: each
// node may publish and subscribe to the subjects its code really uses
// (built by src/protocol/subjects.ts) and not to another's; `rbus auth
// init` is idempotent and keeps its secrets private.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { authInit } from "../../src/auth/init.js";
import { clusterUsers, permissionsOf, type AuthUser } from "../../src/auth/users.js";
import { scopedApi, subjectMatches, subjects } from "../../src/protocol/index.js";
import { runRbus } from "../harness/processes.js";
import { shippedNatsConf, TEST_CLUSTER } from "../harness/secure-nats.js";

const shippedCluster = fileURLToPath(new URL("../../../cluster.json", import.meta.url));

const subj = subjects();
const c = TEST_CLUSTER;

const matches = subjectMatches;

const user = (name: string): AuthUser => clusterUsers(c).find((u) => u.name === name)!;
const canPublish = (name: string, subject: string) => {
  const p = permissionsOf(user(name), c).publish;
  return p.allow.some((a) => matches(a, subject)) && !p.deny.some((d) => matches(d, subject));
};
const canSubscribe = (name: string, subject: string) => permissionsOf(user(name), c).subscribe.allow.some((a) => matches(a, subject));

const rules = suite("role rules for a cluster's names");

rules("a broker replica: its own API, its group's replication and votes, registration; nothing of group b", () => {
  for (const s of [subj.broker("broker-a", 0, "pull"), subj.broker("broker-a", 0, scopedApi("offset.commit", "billing")), subj.vote("broker-a"), subj.ns.hello]) {
    assert.ok(canSubscribe("broker-a-0", s), s);
  }
  for (const s of [subj.ns.register, subj.ns.unregister, subj.broker("broker-a", 1, "ha.fetch"), subj.vote("broker-a"),
    subj.broker("broker-a", 1, scopedApi("offset.commit", "audit")), subj.events.role("broker-a"), subj.events.store("broker-a", 0),
    subj.events.consumers("billing"), subj.events.reset("billing"), subj.events.dlq("billing"), subj.inspect("broker-a-0")]) {
    assert.ok(canPublish("broker-a-0", s), s);
  }
  for (const s of [subj.broker("broker-b", 0, "pull"), subj.vote("broker-b"), subj.ns.route]) assert.not.ok(canSubscribe("broker-a-0", s), s);
  for (const s of [subj.broker("broker-b", 0, "ha.fetch"), subj.vote("broker-b"), subj.events.role("broker-b"), subj.inspect("ns-1"), subj.broker("broker-a", 1, "topic.upsert")]) {
    assert.not.ok(canPublish("broker-a-0", s), s);
  }
});

rules("a NameServer serves rbus.ns.> and checks identities; it answers no broker API", () => {
  for (const s of [subj.ns.register, subj.ns.route, subj.ns.info, subj.ns.hello]) assert.ok(canSubscribe("ns-1", s), s);
  for (const s of [subj.ns.hello, subj.events.liveness("broker-a", 0), subj.broker("broker-b", 2, "identity"), subj.inspect("ns-1")]) assert.ok(canPublish("ns-1", s), s);
  assert.not.ok(canSubscribe("ns-1", subj.broker("broker-a", 0, "pull")));
  assert.not.ok(canPublish("ns-1", subj.broker("broker-a", 0, "topic.upsert")));
  assert.ok(permissionsOf(user("ns-1"), c).allowResponses);
});

rules("clients: producers send, consumers act for their own group, the dashboard reads, none answers", () => {
  assert.ok(canPublish("producer", subj.broker("broker-b", 0, "send.batch")));
  assert.not.ok(canPublish("producer", subj.broker("broker-b", 0, "pull")));
  assert.ok(canPublish("consumer-billing", subj.broker("broker-b", 0, scopedApi("client.heartbeat", "billing"))));
  assert.not.ok(canPublish("consumer-billing", subj.broker("broker-b", 0, scopedApi("client.heartbeat", "audit"))));
  assert.ok(canPublish("consumer-billing", subj.broker("broker-b", 0, scopedApi("lock.batch", "billing"))), "its own group's queue locks");
  assert.ok(canPublish("consumer-billing", subj.broker("broker-b", 0, scopedApi("unlock.batch", "billing"))));
  assert.not.ok(canPublish("consumer-billing", subj.broker("broker-b", 0, scopedApi("lock.batch", "audit"))), "not another group's");
  assert.not.ok(canPublish("consumer-billing", subj.broker("broker-b", 0, scopedApi("unlock.batch", "audit"))));
  assert.not.ok(canPublish("producer", subj.broker("broker-b", 0, scopedApi("lock.batch", "billing"))));
  assert.ok(canPublish("consumer-billing", subj.broker("broker-b", 0, scopedApi("consumer.sendback", "billing"))), "hands its own group's messages back");
  assert.not.ok(canPublish("consumer-billing", subj.broker("broker-b", 0, scopedApi("consumer.sendback", "audit"))), "not into another group's retry topic");
  assert.not.ok(canPublish("producer", subj.broker("broker-b", 0, scopedApi("consumer.sendback", "billing"))));
  assert.not.ok(canPublish("consumer-billing", subj.events.dlq("billing")), "a consumer cannot forge a dead-letter event");
  assert.ok(canSubscribe("consumer-billing", subj.events.consumers("billing")));
  assert.not.ok(canSubscribe("consumer-billing", subj.events.consumers("audit")));
  assert.ok(canSubscribe("consumer-billing", subj.events.reset("billing")), "its own group's reset notices");
  assert.not.ok(canSubscribe("consumer-billing", subj.events.reset("audit")));
  assert.not.ok(canPublish("consumer-billing", subj.events.reset("billing")), "a consumer cannot forge a reset notice");
  assert.ok(canPublish("consumer-billing", subj.inspect("billing-host-1")), "a client's own inspect stream");
  assert.not.ok(canPublish("consumer-billing", subj.inspect("broker-a-0")), "not a node's");
  assert.ok(canPublish("dashboard", subj.broker("broker-a", 0, "status")) && canPublish("dashboard", `$JS.API.STREAM.INFO.${subj.eventsStream}`));
  assert.not.ok(canPublish("dashboard", subj.broker("broker-a", 0, "failover")));
  assert.ok(canPublish("admin", subj.broker("broker-a", 0, "failover")) && canPublish("admin", "$JS.API.STREAM.CREATE.X"));
  for (const name of ["consumer-billing", "dashboard", "admin"]) assert.not.ok(permissionsOf(user(name), c).allowResponses, name);
  for (const name of ["producer", "consumer-billing", "dashboard", "admin"]) {
    assert.not.ok(canSubscribe(name, subj.broker("broker-a", 0, "send")), name);
    assert.ok(canSubscribe(name, `_INBOX.${name}.abc.1`) && !canSubscribe(name, "_INBOX.other.abc.1"), name);
  }
});

rules("transactions: a producer settles halves and answers its own group's checks; brokers ask any group and publish its events", () => {
  assert.ok(canPublish("producer", subj.broker("broker-a", 0, scopedApi("tx.end", "producer"))), "its own group's halves");
  assert.not.ok(canPublish("producer", subj.broker("broker-a", 0, scopedApi("tx.end", "payments"))), "not another producer group's");
  assert.not.ok(canPublish("producer", subj.broker("broker-a", 0, "tx.end")), "the bare subject is no one's");
  assert.ok(canSubscribe("producer", subj.producerCheck("producer")), "its own group's checks (the user's name is its group)");
  assert.not.ok(canSubscribe("producer", subj.producerCheck("billing")), "not another group's");
  assert.ok(permissionsOf(user("producer"), c).allowResponses, "a check is a request it answers");
  assert.not.ok(canPublish("producer", subj.producerCheck("producer")), "a producer cannot pose as a broker asking");
  assert.not.ok(canPublish("producer", subj.events.transaction("producer")), "nor forge a transaction event");
  assert.not.ok(canPublish("consumer-billing", subj.broker("broker-a", 0, scopedApi("tx.end", "billing"))), "consumers settle nothing");
  assert.not.ok(canSubscribe("consumer-billing", subj.producerCheck("producer")));
  for (const s of [subj.producerCheck("producer"), subj.producerCheck("billing"), subj.events.transaction("producer")]) assert.ok(canPublish("broker-a-0", s), s);
  assert.ok(canSubscribe("broker-a-0", subj.broker("broker-a", 0, scopedApi("tx.end", "producer"))));
  assert.ok(canSubscribe("dashboard", subj.events.transaction("producer")));
});

rules("two processes may not share a name", () => {
  assert.throws(() => clusterUsers({ ...c, nameServers: ["broker-a-0"] }), /two users would be named "broker-a-0"/);
  assert.throws(() => clusterUsers({ ...c, producers: ["admin"] }), /two users would be named "admin"/);
});

rules.run();

const init = suite("rbus auth init's files");

init("a second run changes nothing: same seeds, same accounts.conf; seeds 0600 in a 0700 folder", () => {
  const dir = mkdtempSync(join(tmpdir(), "rbus-auth-"));
  try {
    const first = authInit(c, dir, "cluster.json");
    const conf = readFileSync(first.accountsFile, "utf8");
    const seeds = first.users.map((u) => readFileSync(u.seedFile, "utf8"));
    const again = authInit(c, dir, "cluster.json");
    assert.ok(first.changed);
    assert.not.ok(again.changed);
    assert.is(readFileSync(again.accountsFile, "utf8"), conf);
    assert.equal(again.users.map((u) => readFileSync(u.seedFile, "utf8")), seeds);
    assert.is(statSync(dir).mode & 0o777, 0o700);
    for (const u of first.users) assert.is(statSync(u.seedFile).mode & 0o777, 0o600, u.name);
    for (const seed of seeds) assert.not.ok(conf.includes(seed.trim()), "no seed in the server's config");
    assert.is(new Set(seeds).size, seeds.length, "a seed per user");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

init("rbus auth init writes where nats.conf includes, prints each process's flags, and a second run says unchanged", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rbus-auth-cli-"));
  try {
    copyFileSync(shippedNatsConf, join(dir, "nats.conf"));
    const config = JSON.parse(readFileSync(shippedCluster, "utf8"));
    Object.assign(config, { dataDir: join(dir, "elsewhere"), nats: { ...config.nats, config: join(dir, "nats.conf") } });
    writeFileSync(join(dir, "cluster.json"), JSON.stringify(config));
    const first = await runRbus(["auth", "init", "--config", join(dir, "cluster.json"), "--consumer-group", "audit"]);
    assert.is(first.code, 0, first.stderr);
    assert.match(first.stdout, /accounts\.conf written: 13 users/);
    assert.match(first.stdout, /broker-b-2\s+broker\s+--nkey \S+data\/cluster\/auth\/broker-b-2\.nk --inbox-prefix _INBOX\.broker-b-2/);
    assert.match(first.stdout, /consumer-audit\s+consumer/);
    assert.ok(existsSync(join(dir, "data", "cluster", "auth", "accounts.conf")), "beside nats.conf, as it includes it");
    const again = await runRbus(["auth", "init", "--config", join(dir, "cluster.json"), "--consumer-group", "audit"]);
    assert.match(again.stdout, /accounts\.conf unchanged/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

init.run();
