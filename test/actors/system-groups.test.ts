// The timer service's and the transaction check's progress live in the
// consumer-offsets table under reserved groups, copied to slaves like any
// offset. A client that could commit, reset or join one of them could make
// the timer service deliver twice or the check settle halves again: every
// client-facing API that names a group refuses them with NO_PERMISSION.
import * as assert from "uvu/assert";
import { decodeJson, encodeJson, scopedApi, subjects, TIMER_PROGRESS_GROUP, TIMER_TOPIC, TRANSACTION_GROUP } from "../../src/protocol/index.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { suite } from "../harness/suite.js";

const test = suite<{ c: TestCluster }>("reserved progress groups");
const subj = subjects();

test.before(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a"]);
});
test.after(async ({ c }) => c?.stop());

const ask = async (c: TestCluster, subject: string, body: unknown) =>
  decodeJson((await c.nc.request(subject, encodeJson(body), { timeout: 5000 })).data) as { error?: { code: string } };

for (const group of [TIMER_PROGRESS_GROUP, TRANSACTION_GROUP]) {
  test(`${group}: no commit, reset, heartbeat or send-back moves it`, async ({ c }) => {
    const store = c.brokers[0]!.store;
    const before = store.offsets.get(group, TIMER_TOPIC, 0);
    const replies = [
      await ask(c, subj.broker("broker-a", 0, scopedApi("offset.commit", group)), { group, entries: [{ topic: TIMER_TOPIC, queueId: 0, offset: 0 }] }),
      await ask(c, subj.broker("broker-a", 0, "offset.reset"), { group, topic: TIMER_TOPIC, to: "first", create: true }),
      await ask(c, subj.broker("broker-a", 0, scopedApi("client.heartbeat", group)), { group, clientId: "x", mode: "clustering", topics: ["orders"] }),
      await ask(c, subj.broker("broker-a", 0, scopedApi("consumer.sendback", group)), { group, commitLogOffset: 0, msgId: "broker-a:0000000000000000" }),
    ];
    assert.equal(replies.map((r) => r.error?.code), ["NO_PERMISSION", "NO_PERMISSION", "NO_PERMISSION", "NO_PERMISSION"], JSON.stringify(replies));
    assert.is(store.offsets.get(group, TIMER_TOPIC, 0), before, "nothing was stored");
  });
}

test("an ordinary group still commits", async ({ c }) => {
  const r = await ask(c, subj.broker("broker-a", 0, scopedApi("offset.commit", "billing")), { group: "billing", entries: [{ topic: "TBW102", queueId: 0, offset: 0 }] });
  assert.not.ok(r.error, JSON.stringify(r));
});

test.run();
