// The reset notice decoder: what a consumer accepts from
// rbus.events.reset.<group>; anything else is a TypeError (dropped).
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { decodeOffsetResetNotice } from "../../src/protocol/index.js";

const test = suite("offset reset notice");
const good = { type: "reset", group: "billing", topic: "%RETRY%billing", broker: "broker-a", queues: [{ queueId: 0, offset: 5, epoch: 7 }], at: 1 };

test("a well-formed notice decodes", () => {
  assert.equal(decodeOffsetResetNotice(good), good);
});

test("every malformed shape is refused", () => {
  const bad: unknown[] = [null, [], 42, "reset", {}, { ...good, type: "consumers" }, { ...good, group: 7 }, { ...good, topic: "a b" }, { ...good, broker: "a.b" },
    { ...good, queues: "all" }, { ...good, queues: [null] }, { ...good, queues: [{ queueId: -1, offset: 0, epoch: 1 }] }, { ...good, queues: [{ queueId: 70000, offset: 0, epoch: 1 }] },
    { ...good, queues: [{ queueId: 0, offset: 1.5, epoch: 1 }] }, { ...good, queues: [{ queueId: 0, offset: 0 }] }, { ...good, queues: [{ queueId: 0, offset: 0, epoch: Number.POSITIVE_INFINITY }] }];
  for (const b of bad) assert.throws(() => decodeOffsetResetNotice(b), (e: unknown) => e instanceof TypeError, JSON.stringify(b));
});

test.run();
