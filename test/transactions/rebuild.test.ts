// The ledger rebuilt from a real store's half and op queues and the saved
// progress, without a broker: settled halves stay settled, the rest are
// pending, across a close and reopen.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageStore } from "../../src/store/index.js";
import { Prop, TRANS_HALF_TOPIC, type TransactionAction } from "../../src/protocol/index.js";
import { silentLogger } from "../../src/runtime/log.js";
import { opRecord, toHalf } from "../../actors/transaction-half.js";
import { loadLedger, saveProgress, TRANSACTION_GROUP } from "../../actors/transaction-store.js";

const test = suite("the ledger from the half and op queues");
const dir = mkdtempSync(join(tmpdir(), "rbus-tx-rebuild-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const half = (i: number) => {
  const m = { topic: "orders", queueId: 1, body: Buffer.from(`h${i}`), properties: { [Prop.transactionPrepared]: "true", [Prop.producerGroup]: "pg" } };
  toHalf(m);
  return m;
};
const op = (store: MessageStore, halfOffset: number, action: TransactionAction) => store.put([opRecord(halfOffset, action, "pg")]);

test("ops settle their halves; progress saved and read back; a reopen finds the same", async () => {
  let store = await MessageStore.open(dir);
  const put = await store.put([0, 1, 2, 3, 4].map(half));
  assert.equal(put.results.map((r) => r.queueOffset), [0, 1, 2, 3, 4]);
  assert.is(store.queueRange(TRANS_HALF_TOPIC, 0).max, 5, "all in the half topic's queue 0");
  await op(store, 1, "commit");
  await op(store, 0, "rollback");

  let l = loadLedger(store, silentLogger);
  assert.equal([...l.pending.keys()], [2, 3, 4]);
  assert.equal([l.settledAs(0), l.settledAs(1)], ["rollback", "commit"]);
  assert.ok(saveProgress(store, l));
  assert.equal([l.halfFrom, l.opFrom], [2, 2]);
  assert.is(store.offsets.get(TRANSACTION_GROUP, TRANS_HALF_TOPIC, 0), 2);

  await op(store, 3, "commit");
  l = loadLedger(store, silentLogger);
  assert.equal([l.halfFrom, l.opFrom], [2, 2], "from the saved progress");
  assert.equal([...l.pending.keys()], [2, 4]);
  assert.is(l.settledAs(0), "earlier", "below the progress: settled, how is no longer read");
  assert.is(l.settledAs(3), "commit");

  await store.close();
  store = await MessageStore.open(dir);
  l = loadLedger(store, silentLogger);
  assert.equal([...l.pending.keys()], [2, 4]);
  assert.not.ok(l.begin(3, "rollback"), "half 3 is settled across the reopen");
  await store.close();
});

test.run();
