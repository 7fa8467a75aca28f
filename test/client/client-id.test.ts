// A consumer's client id: readable by default (host, pid, a short suffix),
// and a given one wins, checked where it is given rather than by every
// broker refusing its heartbeats later.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { clientIdOf, defaultClientId } from "../../src/client/client-id.js";
import { ErrorCode, RbusError } from "../../src/protocol/errors.js";

const test = suite("client id");

test("the default is the host's first label, the pid and four hex digits", () => {
  assert.is(defaultClientId("web-3.example.com", 48121, "9f2c"), "web-3-48121-9f2c");
  assert.is(defaultClientId("böx (2)", 7, "0000"), "b_x__2_-7-0000");
  assert.is(defaultClientId("", 7, "0000"), "host-7-0000");
  assert.match(defaultClientId(), new RegExp(`^[A-Za-z0-9_-]+-${process.pid}-[0-9a-f]{4}$`));
  assert.is.not(defaultClientId(), defaultClientId(), "two consumers of one process differ");
});

test("a given client id wins; one that cannot name the consumer on the bus is refused at once", () => {
  assert.is(clientIdOf("billing-worker-1"), "billing-worker-1");
  assert.match(clientIdOf(undefined), /-\d+-[0-9a-f]{4}$/);
  for (const bad of ["my.client", "a b", "", "x".repeat(129), "orders.>"]) {
    const err = (() => {
      try {
        clientIdOf(bad);
      } catch (e) {
        return e;
      }
    })();
    assert.instance(err, RbusError, JSON.stringify(bad));
    assert.is((err as RbusError).code, ErrorCode.BAD_REQUEST);
  }
});

test.run();
