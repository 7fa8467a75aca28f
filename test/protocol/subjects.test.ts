import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { subjects, isSubjectToken } from "../../src/protocol/subjects.js";
import { fromWire, RbusError, toEnvelope, ErrorCode } from "../../src/protocol/errors.js";
import { parseObject, int, name } from "../../src/protocol/validate.js";
import { decodeRegistration } from "../../src/protocol/control.js";

const test = suite("protocol");
const enc = (s: string) => new TextEncoder().encode(s);

test("subjects follow the contract, with a configurable prefix", () => {
  const s = subjects();
  assert.is(s.ns.register, "rbus.ns.register");
  assert.is(s.broker("broker-a", 2, "send.batch"), "rbus.broker.broker-a.2.send.batch");
  assert.is(s.events.liveness("broker-a", 0), "rbus.events.liveness.broker-a.0");
  assert.is(s.eventsStream, "RBUS_EVENTS");
  const t = subjects("acme.mq");
  assert.is(t.ns.route, "acme.mq.ns.route");
  assert.is(t.eventsStream, "ACME_MQ_EVENTS");
});

test("names that would break a subject are refused", () => {
  for (const bad of ["a.b", "a*", ">", "a b", "", "x".repeat(129)]) assert.not.ok(isSubjectToken(bad), bad);
  assert.throws(() => subjects().broker("a.b", 0, "send"), /not a valid subject token/);
  assert.throws(() => subjects("rbus.>"), /not a valid subject token/);
});

test("error envelopes round-trip; unknown codes stay readable", () => {
  const e = new RbusError(ErrorCode.TOPIC_NOT_EXIST, "no route");
  const back = fromWire(e.toWire());
  assert.is(back.code, "TOPIC_NOT_EXIST");
  assert.is(back.message, "no route");
  assert.is(fromWire({ error: { code: "WHAT" as never, message: "x" } }).code, "INTERNAL");
  assert.is(toEnvelope(new Error("boom")).error.code, "INTERNAL");
});

test("request decoding says which field is wrong", () => {
  assert.throws(() => parseObject(enc("nope")), /not valid JSON/);
  assert.throws(() => parseObject(enc("[]")), /must be a JSON object/);
  assert.equal(parseObject(enc("")), {});
  assert.throws(() => int({ n: 1.5 }, "n"), /"n" must be an integer/);
  assert.throws(() => name({ g: "a.b" }, "g"), /"g" must be a name/);
  assert.throws(() => decodeRegistration({ cluster: "c", group: "g", replica: 0, role: "king" }), /"role" must be one of/);
});

test.run();
