// rbus failover checks the group and the target against the NameServer's table before it asks anyone.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { UsageError } from "../../src/cli/args.js";
import { pickFailover } from "../../src/cli/failover.js";
import { ErrorCode, masterHint, RbusError, type BrokerInfo } from "../../src/protocol/index.js";

const replica = (group: string, id: number, role: BrokerInfo["role"], term: number, liveness: BrokerInfo["liveness"] = "alive"): BrokerInfo => ({
  cluster: "c", group, replica: id, role, term, liveness, address: `rbus.broker.${group}.${id}`, registeredAt: 0, lastHeartbeatAt: 0, topics: 0,
});
const a = [replica("a", 0, "master", 2, "dead"), replica("a", 1, "master", 3), replica("a", 2, "slave", 3)];
const all = [...a, replica("b", 0, "master", 1)];

const fails = (fn: () => unknown, type: Function, pattern: RegExp) => {
  try {
    fn();
  } catch (err) {
    assert.instance(err, type);
    assert.match((err as Error).message, pattern);
    return err;
  }
  return assert.unreachable("no error");
};

const test = suite("rbus failover: whom to ask");

test("the live master with the highest term, with or without a target", () => {
  assert.is(pickFailover(a, "a", undefined, all).replica, 1);
  assert.is(pickFailover(a, "a", 2, all).replica, 1);
});

test("an unknown group lists the groups there are", () => {
  fails(() => pickFailover([], "c", undefined, all), UsageError, /no broker group "c" in the cluster \(groups: a, b\); check --broker-group/);
  fails(() => pickFailover([], "c", undefined, []), UsageError, /no broker group "c" in the cluster; check --broker-group/);
});

test("an unknown or dead target names the replicas to pick from", () => {
  fails(() => pickFailover(a, "a", 5, all), UsageError, /--to 5: group a has no replica 5 \(replicas: 0, 1, 2\)/);
  fails(() => pickFailover(a, "a", 0, all), UsageError, /--to 0: replica 0 of a is dead; pick a live one \(1, 2\)/);
});

test("a one-replica group has nobody to hand over to", () => {
  fails(() => pickFailover([replica("b", 0, "master", 1)], "b", undefined, all), UsageError, /group b has one replica: there is nobody to hand mastership to/);
});

test("a group without a live master is a NOT_MASTER error naming no master", () => {
  const leaderless = [replica("a", 0, "master", 4, "dead"), replica("a", 1, "candidate", 5), replica("a", 2, "slave", 4)];
  const err = fails(() => pickFailover(leaderless, "a", undefined, leaderless), RbusError, /group a has no live master now \(0 master dead, 1 candidate alive, 2 slave alive\)/);
  assert.is((err as RbusError).code, ErrorCode.NOT_MASTER);
  assert.equal((err as RbusError).details, { group: "a", term: 5, masterReplica: -1, master: "" });
  assert.is(masterHint(err), undefined);
});

test.run();
