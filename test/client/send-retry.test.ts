import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { MasterHints } from "../../src/client/master-hints.js";
import { MAX_HINT_HOPS, retryStep, type AttemptState } from "../../src/client/send-retry.js";
import { ErrorCode, notMasterError, RbusError, type RouteData } from "../../src/protocol/index.js";

const at = (over: Partial<AttemptState> = {}): AttemptState => ({
  attempt: 0, now: 1000, address: "rbus.broker.a.0", hintAddress: undefined, hops: 0, refreshes: 0, ...over,
});
const budget = { endsAt: 10_000, retries: Infinity };
const err = (code: ErrorCode) => new RbusError(code, code);

const steps = suite("retryStep");

steps("a NOT_MASTER naming another master: go there at once", () => {
  const step = retryStep(err(ErrorCode.NOT_MASTER), at({ hintAddress: "rbus.broker.a.1" }), budget);
  assert.equal(step, { kind: "master", address: "rbus.broker.a.1" });
});

steps("a hint back to where it failed, or too many hops in a row: refresh the route instead", () => {
  const e = err(ErrorCode.NOT_MASTER);
  assert.is(retryStep(e, at({ hintAddress: "rbus.broker.a.0" }), budget).kind, "refresh");
  assert.is(retryStep(e, at({ hintAddress: "rbus.broker.a.1", hops: MAX_HINT_HOPS }), budget).kind, "refresh");
});

steps("no master, no answer, not replicated: refresh with a backoff that grows to 400 ms", () => {
  for (const code of [ErrorCode.NOT_MASTER, ErrorCode.NO_RESPONDERS, ErrorCode.TIMEOUT, ErrorCode.NOT_REPLICATED]) {
    assert.equal(retryStep(err(code), at(), budget), { kind: "refresh", backoffMs: 50 }, code);
  }
  const waits = [0, 1, 2, 3, 4, 9].map((refreshes) => retryStep(err(ErrorCode.NO_RESPONDERS), at({ refreshes }), budget));
  assert.equal(waits.map((s) => (s.kind === "refresh" ? s.backoffMs : -1)), [50, 100, 200, 400, 400, 400]);
});

steps("the budget is time: nothing after it ends, and no backoff past its end", () => {
  assert.is(retryStep(err(ErrorCode.NO_RESPONDERS), at({ now: 10_000 }), budget).kind, "give-up");
  assert.equal(retryStep(err(ErrorCode.NO_RESPONDERS), at({ now: 9_980, refreshes: 3 }), budget), { kind: "refresh", backoffMs: 20 });
  assert.is(retryStep(err(ErrorCode.NO_RESPONDERS), at({ attempt: 2 }), { endsAt: 10_000, retries: 2 }).kind, "give-up");
});

steps("errors that another try cannot fix are not retried", () => {
  for (const code of [ErrorCode.BAD_REQUEST, ErrorCode.NO_PERMISSION, ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.DEADLINE_EXCEEDED]) {
    assert.is(retryStep(err(code), at(), budget).kind, "give-up", code);
  }
  assert.is(retryStep(new Error("bug"), at(), budget).kind, "give-up");
});

steps.run();

const hints = suite("MasterHints");
const route = (replicas: Array<[number, "master" | "slave", number]>): RouteData => ({
  topic: "t",
  nameServer: "ns",
  queues: [{ group: "a", readQueues: 4, writeQueues: 4, perm: "rw" }],
  groups: [{ cluster: "c", group: "a", replicas: replicas.map(([replica, role, term]) => ({ replica, role, term, liveness: "alive", address: `rbus.broker.a.${replica}` })) }],
});
const newHints = () => new MasterHints((g, r) => `rbus.broker.${g}.${r}`);

hints("a hint wins over a route of an older term, until a route of its term arrives", () => {
  const h = newHints();
  const learnt = h.learn(notMasterError("a", 5, 2, "rbus.broker.a.2"));
  assert.is(learnt?.address, "rbus.broker.a.2");
  assert.is(h.address(route([[0, "master", 4], [2, "slave", 4]]), "a"), "rbus.broker.a.2");
  assert.is(h.address(route([[0, "slave", 5], [1, "master", 5]]), "a"), "rbus.broker.a.1", "the route knows term 5");
  assert.is(h.get("a"), undefined, "and the hint is gone");
  assert.is(h.address(route([[0, "master", 4]]), "a"), "rbus.broker.a.0");
});

hints("a route that moved past the hint's term drops it, master or not", () => {
  const h = newHints();
  h.learn(notMasterError("a", 5, 2, ""));
  assert.is(h.address(route([[0, "master", 4]]), "a"), "rbus.broker.a.2", "the address is built from the replica when not given");
  assert.is(h.address(route([[0, "slave", 6]]), "a"), undefined);
});

hints("an older hint does not replace a newer one; NOT_MASTER without a master teaches nothing", () => {
  const h = newHints();
  h.learn(notMasterError("a", 5, 2, "rbus.broker.a.2"));
  h.learn(notMasterError("a", 4, 1, "rbus.broker.a.1"));
  assert.equal(h.get("a"), { term: 5, address: "rbus.broker.a.2" });
  assert.is(h.learn(notMasterError("a", 6, -1, "")), undefined);
  assert.is(h.learn(err(ErrorCode.TIMEOUT)), undefined);
  assert.equal(h.get("a"), { term: 5, address: "rbus.broker.a.2" });
});

hints("a named master that does not answer is forgotten; another address is not", () => {
  const h = newHints();
  h.learn(notMasterError("a", 5, 2, "rbus.broker.a.2"));
  h.forget("a", "rbus.broker.a.1");
  assert.ok(h.get("a"));
  h.forget("a", "rbus.broker.a.2");
  assert.is(h.address(route([[0, "master", 4]]), "a"), "rbus.broker.a.0");
});

hints.run();
