import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { ErrorCode, type RbusError } from "../../src/protocol/index.js";
import { dec, enc, failure, net } from "./net-fixture.js";

const votes = suite("FakeNetwork: broadcast and drops");

votes("a broadcast reaches every other replica; replies after the window are dropped", async () => {
  const { clock, network, t } = net();
  network.setDelay((from, to) => (from === 2 || to === 2 ? 40 : 5));
  const got: string[] = [];
  t[0]!.broadcast(enc("c0"), 50, (r) => got.push(dec(r)));
  await clock.advance(200);
  assert.equal(got, ["vote 1 for c0"]);
  assert.ok(network.events.some((e) => e.kind === "late" && e.from === 2));
});

votes("an isolated candidate reaches nobody", async () => {
  const { clock, network, t } = net();
  network.isolate(0);
  const got: string[] = [];
  t[0]!.broadcast(enc("c0"), 100, (r) => got.push(dec(r)));
  await clock.advance(200);
  assert.equal(got, []);
});

votes("random drops follow the seed: the same seed loses the same messages", async () => {
  const run = async (seed: number) => {
    const { clock, network, t } = net({ seed });
    network.drop({ p: 0.5, api: "ha.fetch" });
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      outcomes.push(await clock.settle(t[0]!.request(1, "ha.fetch", enc(String(i)), 50), 100).then(() => "ok", (e: RbusError) => e.code));
    }
    return outcomes.join(" ");
  };
  const a = await run(7);
  assert.is(await run(7), a);
  assert.is.not(await run(8), a);
  assert.ok(a.includes("ok") && a.includes("TIMEOUT"), a);
});

votes("p=1 drops every matching message, and only those: a rule has a direction", async () => {
  const { clock, network, t } = net();
  network.drop({ p: 1, from: 0, to: 1 });
  assert.is((await failure(clock, t[0]!.request(1, "ha.fetch", enc("x"), 50))).code, ErrorCode.TIMEOUT);
  const back = await failure(clock, t[1]!.request(0, "ha.fetch", enc("x"), 50));
  assert.is(back.code, ErrorCode.TIMEOUT, "1's request arrives, 0's reply to it is lost");
  assert.ok(network.events.some((e) => e.kind === "deliver" && e.from === 1 && e.to === 0));
  assert.is(dec(await clock.settle(t[0]!.request(2, "ha.fetch", enc("x"), 50), 50)), "2 got x");
});
votes.run();

const paused = suite("FakeNetwork: a paused process");

paused("requests to it wait until it resumes; its own timeouts and answers wait too", async () => {
  const { clock, network, t } = net();
  const got: string[] = [];
  t[0]!.request(1, "ha.fetch", enc("while paused"), 10_000).then((r) => got.push(dec(r)));
  let timedOut = false;
  t[1]!.request(2, "ha.fetch", enc("x"), 50).then(() => undefined, () => (timedOut = true));
  network.pause(1);
  await clock.advance(1000);
  assert.equal(got, [], "not handled while paused");
  assert.is(timedOut, false, "a stopped process sees neither the answer nor its own timeout");
  network.resume(1);
  await clock.advance(20);
  assert.equal(got, ["1 got while paused"]);
  assert.is(timedOut, false, "the answer arrived before the timeout, and waited with it: the first held wins");
});
paused.run();
