import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { TopicTable } from "../../src/store/topic-config.js";
import { removeDir, tempDir } from "./helpers.js";

let dir = "";
const topics = suite("TopicTable");
topics.before.each(() => void (dir = tempDir()));
topics.after.each(() => removeDir(dir));

topics("put, remove and snapshot persist across reopen", () => {
  const t = TopicTable.open(dir);
  t.put({ topic: "orders", readQueues: 4, writeQueues: 4, perm: "rw" });
  t.put({ topic: "audit", readQueues: 2, writeQueues: 0, perm: "r" });
  assert.ok(t.remove("audit"));
  assert.not.ok(t.remove("audit"));
  const again = TopicTable.open(dir);
  assert.equal(again.get("orders"), { topic: "orders", readQueues: 4, writeQueues: 4, perm: "rw" });
  assert.is(again.get("audit"), undefined);
  const other = tempDir();
  const slave = TopicTable.open(other);
  slave.load(again.snapshot());
  assert.equal(slave.all().map((c) => c.topic), ["orders"]);
  removeDir(other);
});

topics.run();
