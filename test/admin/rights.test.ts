// Who may ask the operator APIs under the shipped role rules: admin all of
// them, the dashboard only those that read, producers and consumers none,
// and each replica serves its own.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { clusterUsers, permissionsOf } from "../../src/auth/users.js";
import { subjectMatches, subjects, type BrokerApi } from "../../src/protocol/index.js";
import { TEST_CLUSTER } from "../harness/secure-nats.js";

const subj = subjects();
const c = TEST_CLUSTER;

const rights = (name: string) => permissionsOf(clusterUsers(c).find((u) => u.name === name)!, c);
/** Allowed and not denied, as the server decides a publish. */
function canPublish(name: string, subject: string): boolean {
  const { allow, deny } = rights(name).publish;
  return allow.some((a) => subjectMatches(a, subject)) && !deny.some((d) => subjectMatches(d, subject));
}

const READS: BrokerApi[] = ["topic.status", "consumer.connection", "consumer.progress", "subgroup.list"];
const WRITES: BrokerApi[] = ["topic.delete", "offset.reset", "subgroup.upsert"];

const test = suite("rights to the operator APIs");

test("admin asks every one; the dashboard only those that read", () => {
  for (const api of [...READS, ...WRITES]) assert.ok(canPublish("admin", subj.broker("broker-b", 0, api)), api);
  for (const api of READS) assert.ok(canPublish("dashboard", subj.broker("broker-b", 0, api)), api);
  for (const api of WRITES) assert.not.ok(canPublish("dashboard", subj.broker("broker-b", 0, api)), api);
});

test("producers and consumers ask none of them", () => {
  for (const user of ["producer", "consumer-billing"]) {
    for (const api of [...READS, ...WRITES]) assert.not.ok(canPublish(user, subj.broker("broker-a", 0, api)), `${user}: ${api}`);
  }
});

test("a replica hears its own operator APIs, not another replica's", () => {
  const sub = rights("broker-a-0").subscribe.allow;
  for (const api of [...READS, ...WRITES]) {
    assert.ok(sub.some((a) => subjectMatches(a, subj.broker("broker-a", 0, api))), api);
    assert.not.ok(sub.some((a) => subjectMatches(a, subj.broker("broker-b", 0, api))), api);
  }
});

test.run();
