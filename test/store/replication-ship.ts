// One fetch round between two stores, the way a slave and its master use
// the store API: the master checks the slave's (end, last term) against its
// term history and answers with its newest term at or before the slave's
// and where that term ends; the slave cuts at truncationPoint(), or
// appends what readRaw gave and takes the master's commit offset.
import * as assert from "uvu/assert";
import type { MessageStore } from "../../src/store/message-store.js";
import { AppendRawStatus } from "../../src/store/status.js";

export type ShipResult = "appended" | "truncated" | "caught-up";

/** The master's newest term at or before `term` (-1 if none). */
function newestAtOrBefore(store: MessageStore, term: number): number {
  let t = -1;
  for (const e of store.terms()) if (e.term <= term) t = e.term;
  return t;
}

export async function ship(master: MessageStore, slave: MessageStore, maxBytes = 4096): Promise<ShipResult> {
  const offset = slave.maxPhysicalOffset;
  if (slave.terms().length > 0) {
    const t = newestAtOrBefore(master, slave.lastTerm);
    const ends = master.endOffsetForTerm(t);
    if (t !== slave.lastTerm || offset > ends) {
      const cut = slave.truncationPoint(t, ends);
      assert.ok(cut < offset, `a cut (${cut}) below the slave's end (${offset})`);
      slave.truncateTo(cut);
      return "truncated";
    }
  }
  if (offset >= master.maxPhysicalOffset) return "caught-up";
  const r = await slave.appendRaw(master.readRaw(offset, maxBytes));
  assert.is(r.status, AppendRawStatus.APPEND_OK, `appendRaw at ${offset}`);
  slave.setCommitOffset(Math.min(master.commitOffset, slave.maxPhysicalOffset));
  return "appended";
}

/** Ships until the slave has everything; returns the rounds taken. */
export async function catchUp(master: MessageStore, slave: MessageStore, maxBytes = 4096): Promise<number> {
  for (let rounds = 1; rounds < 10_000; rounds++) {
    if ((await ship(master, slave, maxBytes)) === "caught-up") return rounds;
  }
  throw new Error("the slave never caught up");
}

/** Every record of the log as [offset, bytes as hex], in order (for comparing logs). */
export function records(store: MessageStore): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let at = store.minPhysicalOffset;
  while (at < store.maxPhysicalOffset) {
    const got = store.readRawChecked(at, 1 << 20);
    if (got.bytes.length === 0) break;
    let i = 0;
    while (i < got.bytes.length) {
      const size = got.bytes.readUInt32BE(i);
      out.push([got.offset + i, got.bytes.subarray(i, i + size).toString("hex")]);
      i += size;
    }
    at = got.offset + got.bytes.length;
  }
  return out;
}
