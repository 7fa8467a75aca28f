import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { decodeRegistration } from "../../src/protocol/control.js";
import { ErrorCode, fromWire, masterHint, notMasterError, notReplicatedError, RbusError } from "../../src/protocol/errors.js";
import { subjects } from "../../src/protocol/subjects.js";
import type { Json } from "../../src/protocol/validate.js";

const base = (): Json => ({
  cluster: "c",
  group: "broker-a",
  replica: 1,
  role: "slave",
  term: 3,
  address: "rbus.broker.broker-a.1",
  heartbeatIntervalMs: 1000,
  topics: [],
  startedAt: 1,
});

const errors = suite("NOT_MASTER and NOT_REPLICATED");

errors("a NOT_MASTER error names the master; the hint survives the wire", () => {
  const e = notMasterError("broker-a", 7, 2, "rbus.broker.broker-a.2");
  assert.is(e.code, ErrorCode.NOT_MASTER);
  assert.match(e.message, "broker-a.2 (term 7)");
  const back = fromWire(JSON.parse(JSON.stringify(e.toWire())));
  assert.equal(masterHint(back), { group: "broker-a", term: 7, masterReplica: 2, master: "rbus.broker.broker-a.2" });
});

errors("no hint when the master is unknown, or for other errors", () => {
  const unknown = notMasterError("broker-a", 7, -1, "rbus.broker.broker-a.2");
  assert.equal(unknown.details, { group: "broker-a", term: 7, masterReplica: -1, master: "" }, "no address without a replica");
  assert.is(masterHint(unknown), undefined);
  assert.is(masterHint(new RbusError(ErrorCode.NOT_MASTER, "old broker, no details")), undefined);
  assert.is(masterHint(new RbusError(ErrorCode.TIMEOUT, "x", { group: "g", term: 1, masterReplica: 0, master: "a" })), undefined);
  assert.is(masterHint(new Error("plain")), undefined);
});

errors("NOT_REPLICATED carries the end and the commit offset", () => {
  const e = fromWire(notReplicatedError("broker-a", 4, 900, 100).toWire());
  assert.is(e.code, ErrorCode.NOT_REPLICATED);
  assert.equal(e.details, { group: "broker-a", term: 4, end: 900, commit: 100 });
});

errors.run();

const reg = suite("registration with replication fields");

reg("an old registration decodes with none of them", () => {
  const r = decodeRegistration(base());
  assert.is(r.replicas, undefined);
  assert.is(r.followers, undefined);
  assert.not.ok("commitOffset" in r);
});

reg("replicas, commit, end, master and followers decode", () => {
  const r = decodeRegistration({
    ...base(),
    role: "master",
    replicas: 3,
    commitOffset: 100,
    end: 120,
    masterReplica: 1,
    followers: [
      { replica: 0, end: 120, lagBytes: 0, lastFetchAgoMs: 5 },
      { replica: 2, end: 0, lagBytes: 120, lastFetchAgoMs: -1 },
    ],
  });
  assert.equal([r.replicas, r.commitOffset, r.end, r.masterReplica], [3, 100, 120, 1]);
  assert.equal(r.followers?.map((f) => `${f.replica}:${f.lagBytes}:${f.lastFetchAgoMs}`), ["0:0:5", "2:120:-1"]);
});

reg("bad or unbounded values are refused", () => {
  const bad: Json[] = [
    { replicas: 0 },
    { commitOffset: -1 },
    { end: 1.5 },
    { masterReplica: -2 },
    { masterReplica: 5000 },
    { followers: "x" },
    { followers: [{ replica: 0, end: 0, lagBytes: -1, lastFetchAgoMs: 0 }] },
    { replicas: 2, followers: [0, 1, 2].map((replica) => ({ replica, end: 0, lagBytes: 0, lastFetchAgoMs: 0 })) },
    { followers: Array.from({ length: 1002 }, () => ({ replica: 0, end: 0, lagBytes: 0, lastFetchAgoMs: 0 })) },
  ];
  for (const b of bad) assert.throws(() => decodeRegistration({ ...base(), ...b }), /must|more than/, JSON.stringify(b).slice(0, 80));
});

reg.run();

const subj = suite("role events subject");

subj("rbus.events.role.<group>", () => {
  assert.is(subjects().events.role("broker-a"), "rbus.events.role.broker-a");
  assert.throws(() => subjects().events.role("a.b"), /not a valid subject token/);
});

subj.run();
