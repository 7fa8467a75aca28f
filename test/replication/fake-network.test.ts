import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { ErrorCode, RbusError } from "../../src/protocol/index.js";
import { describePayload, formatNetEvent } from "./net-events.js";
import { dec, enc, failure, net } from "./net-fixture.js";

const requests = suite("FakeNetwork: requests");

requests("a request and its reply each take the link's delay", async () => {
  const { clock, network, t } = net();
  const reply = await clock.settle(t[0]!.request(1, "ha.fetch", enc("x"), 1000), 1000);
  assert.is(dec(reply), "1 got x");
  assert.is(clock.elapsed, 10);
  assert.equal(network.events.map((e) => `${e.at} ${e.kind} ${e.from}->${e.to}`), ["5 deliver 0->1", "10 reply 1->0"]);
});

requests("a replica serving nothing answers NO_RESPONDERS at once", async () => {
  const { clock, network, t } = net();
  network.kill(2);
  const err = await failure(clock, t[0]!.request(2, "ha.fetch", enc("x"), 1000));
  assert.is(err.code, ErrorCode.NO_RESPONDERS);
  assert.is(clock.elapsed, 0);
  const other = await failure(clock, t[0]!.request(1, "ha.config", enc("x"), 1000));
  assert.is(other.code, ErrorCode.NO_RESPONDERS, "an api nobody serves");
});

requests("an isolated replica is not reached: TIMEOUT after timeoutMs, and it hears its connection go and come back", async () => {
  const { clock, network, t } = net();
  const heard: boolean[] = [];
  t[1]!.onConnection((up) => heard.push(up));
  network.isolate(1);
  const err = await failure(clock, t[0]!.request(1, "ha.fetch", enc("x"), 300));
  assert.is(err.code, ErrorCode.TIMEOUT);
  assert.is(clock.elapsed, 300);
  const out = await failure(clock, t[1]!.request(0, "ha.fetch", enc("x"), 300));
  assert.is(out.code, ErrorCode.TIMEOUT, "nor does it reach anyone");
  assert.equal(heard, [false]);
  network.heal();
  assert.is(dec(await clock.settle(t[0]!.request(1, "ha.fetch", enc("y"), 300), 300)), "1 got y");
  assert.equal(heard, [false, true]);
});

requests("a partition passes messages within a set only", async () => {
  const { clock, network, t } = net();
  network.partition([[0], [1, 2]]);
  assert.is(dec(await clock.settle(t[1]!.request(2, "ha.fetch", enc("in"), 100), 100)), "2 got in");
  assert.is((await failure(clock, t[0]!.request(1, "ha.fetch", enc("across"), 100))).code, ErrorCode.TIMEOUT);
  assert.is((await failure(clock, t[2]!.request(0, "ha.fetch", enc("across"), 100))).code, ErrorCode.TIMEOUT);
  assert.ok(network.connected(1, 2) && !network.connected(0, 2));
});

requests("a reply in flight when the link is cut is lost, and the request times out", async () => {
  const { clock, network, t } = net();
  const p = t[0]!.request(1, "ha.fetch", enc("x"), 100);
  await clock.advance(7); // delivered at 5, reply on its way until 10
  network.cut(0, 1);
  assert.is((await failure(clock, p)).code, ErrorCode.TIMEOUT);
  assert.ok(network.events.some((e) => e.kind === "drop" && e.what === "reply: cut in flight"));
});

requests("a remote RbusError reaches the caller; any other throw becomes INTERNAL and is recorded as a fault", async () => {
  const { clock, network, t } = net();
  t[1]!.serve("ha.config", () => {
    throw new RbusError(ErrorCode.NOT_MASTER, "not me", { term: 3 });
  });
  t[2]!.serve("ha.config", () => Promise.reject(new TypeError("bug")));
  const remote = await failure(clock, t[0]!.request(1, "ha.config", enc("x"), 100));
  assert.is(remote.code, ErrorCode.NOT_MASTER);
  assert.equal(remote.details, { term: 3 });
  const bug = await failure(clock, t[0]!.request(2, "ha.config", enc("x"), 100));
  assert.is(bug.code, ErrorCode.INTERNAL);
  assert.ok(network.events.some((e) => e.kind === "fault" && e.what.includes("TypeError: bug")));
});

requests("the receiver gets a copy: the sender may reuse its buffer at once", async () => {
  const { clock, t } = net();
  const buf = enc("abc");
  const p = t[0]!.request(1, "ha.fetch", buf, 100);
  buf.fill(0x7a);
  assert.is(dec(await clock.settle(p, 100)), "1 got abc");
});
requests.run();

const lifecycle = suite("FakeNetwork: crashes");

lifecycle("a request in flight to a replica that dies times out; a dead sender's requests never settle", async () => {
  const { clock, network, t } = net();
  t[1]!.serve("ha.transfer", () => new Promise<Uint8Array>((resolve) => clock.set(() => resolve(enc("late")), 50)));
  t[0]!.serve("ha.config", () => new Promise<Uint8Array>((resolve) => clock.set(() => resolve(enc("late")), 50)));
  const toDying = t[0]!.request(1, "ha.transfer", enc("x"), 200);
  let settled = false;
  t[2]!.request(0, "ha.config", enc("x"), 200).then(() => (settled = true), () => (settled = true));
  await clock.advance(20);
  network.kill(1);
  network.kill(2);
  assert.is((await failure(clock, toDying)).code, ErrorCode.TIMEOUT);
  await clock.advance(1000);
  assert.is(settled, false);
  assert.ok(network.events.some((e) => e.kind === "drop" && e.what === "reply: the replica died while handling"));
});

lifecycle("a restarted replica's new transport serves; the old one is dead", async () => {
  const { clock, network, t } = net();
  const fresh = network.transport(1);
  assert.is((await failure(clock, t[0]!.request(1, "ha.fetch", enc("x"), 100))).code, ErrorCode.NO_RESPONDERS);
  fresh.serve("ha.fetch", () => enc("fresh"));
  t[1]!.serve("ha.fetch", () => enc("stale"));
  assert.is(dec(await clock.settle(t[0]!.request(1, "ha.fetch", enc("x"), 100), 100)), "fresh");
});
lifecycle.run();

const printing = suite("net-events: transcript lines");

printing("JSON shown as is, a fetch frame as its head and byte count", () => {
  assert.is(describePayload(enc('{"term":2}')), '{"term":2}');
  const head = enc('{"status":"OK"}');
  const frame = new Uint8Array(4 + head.length + 10);
  new DataView(frame.buffer).setUint32(0, head.length);
  frame.set(head, 4);
  assert.is(describePayload(frame), '{"status":"OK"} +10B');
  assert.is(describePayload(new Uint8Array([1, 2, 3])), "3B");
  assert.is(formatNetEvent({ at: 12, kind: "deliver", from: 1, to: 0, api: "vote", what: "{}" }), "     12ms  net 1->0 vote deliver {}");
});
printing.run();
