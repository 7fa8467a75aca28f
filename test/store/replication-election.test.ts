import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ElectionState } from "../../src/store/election-state.js";
import { failFs } from "./fault-fs.js";
import { removeDir, tempDir } from "./helpers.js";

let dir = "";
const file = () => path.join(dir, "config", "election.json");
const vote = (s: ElectionState) => ({ term: s.term, votedFor: s.votedFor });

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
  assert.equal(vote(ElectionState.open(dir)), { term: 4, votedFor: null });
});

election("a torn write leaves the previous vote; a damaged file is refused, not read as no vote", () => {
  const s = ElectionState.open(dir);
  s.save(7, 2);
  fs.writeFileSync(`${file()}.tmp`, '{"term":8,"vot'); // what a crash mid-write leaves
  assert.equal(vote(ElectionState.open(dir)), { term: 7, votedFor: 2 });
  const restore = failFs("renameSync", "EIO", () => true);
  try {
    assert.throws(() => s.save(8, 0), /EIO/);
  } finally {
    restore();
  }
  assert.equal([vote(s), vote(ElectionState.open(dir))], [{ term: 7, votedFor: 2 }, { term: 7, votedFor: 2 }], "a failed save changes nothing");
  fs.writeFileSync(file(), "{not json");
  assert.throws(() => ElectionState.open(dir), /damaged/);
});

election.run();
