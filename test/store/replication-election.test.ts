import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ElectionState } from "../../src/store/election-state.js";
import { failFs } from "./fault-fs.js";
import { removeDir, tempDir } from "./helpers.js";

let dir = "";
const file = () => path.join(dir, "config", "election");
const vote = (s: ElectionState) => ({ term: s.term, votedFor: s.votedFor });
/** Overwrites bytes of the file in place, as a torn write would. */
const scribble = (at: number, bytes: string) => {
  const fd = fs.openSync(file(), "r+");
  fs.writeSync(fd, Buffer.from(bytes), 0, bytes.length, at);
  fs.closeSync(fd);
};

const election = suite("election state");
election.before.each(() => void (dir = tempDir()));
election.after.each(() => removeDir(dir));

election("a vote round-trips through a reopen", () => {
  assert.equal(vote(ElectionState.open(dir)), { term: 0, votedFor: null }, "nothing saved yet");
  const s = ElectionState.open(dir);
  s.save(3, 1);
  assert.equal(vote(s), { term: 3, votedFor: 1 });
  assert.equal(vote(ElectionState.open(dir)), { term: 3, votedFor: 1 });
  s.save(4, null);
  s.save(4, 2);
  assert.equal(vote(ElectionState.open(dir)), { term: 4, votedFor: 2 });
  assert.is(fs.statSync(file()).size, 128, "two slots, written in place");
});

election("a torn write leaves the vote before it; a file with no intact slot is refused, not read as no vote", () => {
  const s = ElectionState.open(dir);
  s.save(7, 2); // slot 1
  s.save(8, 0); // slot 0
  scribble(10, "\u0000\u0000torn"); // the write of term 8 torn half way
  assert.equal(vote(ElectionState.open(dir)), { term: 7, votedFor: 2 });
  const again = ElectionState.open(dir);
  again.save(9, 1); // goes to the slot after the one it read (slot 0): the intact term-7 slot stays until it is done
  assert.equal(vote(ElectionState.open(dir)), { term: 9, votedFor: 1 });
  scribble(64 + 20, "xx");
  scribble(20, "xx");
  assert.throws(() => ElectionState.open(dir), /damaged/);
});

election("a save that fails changes nothing, on disk or in memory", () => {
  const s = ElectionState.open(dir);
  s.save(5, 1);
  const restore = failFs("writeSync", "EIO", () => true);
  try {
    assert.throws(() => s.save(6, 0), /EIO/);
  } finally {
    restore();
  }
  assert.equal([vote(s), vote(ElectionState.open(dir))], [{ term: 5, votedFor: 1 }, { term: 5, votedFor: 1 }]);
});

election("a vote saved by the first layout (election.json) is carried over", () => {
  fs.mkdirSync(path.join(dir, "config"), { recursive: true });
  fs.writeFileSync(path.join(dir, "config", "election.json"), JSON.stringify({ term: 12, votedFor: 3 }));
  assert.equal(vote(ElectionState.open(dir)), { term: 12, votedFor: 3 });
  assert.equal(vote(ElectionState.open(dir)), { term: 12, votedFor: 3 }, "from the new file");
});

election.run();
