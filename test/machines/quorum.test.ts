import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { commitOffset, majority } from "../../machines/quorum.js";

/** The definition, written the obvious way: pad with zeros, sort, index. */
function reference(ends: readonly number[], n: number): number {
  const padded = [...ends, ...new Array<number>(n - ends.length).fill(0)].sort((a, b) => b - a);
  return padded[majority(n) - 1]!;
}

/** A group size and the ends reported so far (at most one per replica). */
const group = fc
  .integer({ min: 1, max: 7 })
  .chain((n) => fc.tuple(fc.constant(n), fc.array(fc.nat({ max: 1 << 30 }), { maxLength: n })));

const majorityTest = suite("majority");

majorityTest("is floor(n/2)+1 for the usual group sizes", () => {
  assert.equal([1, 2, 3, 4, 5, 6, 7].map(majority), [1, 2, 2, 3, 3, 4, 4]);
});

majorityTest("two majorities of the same group always share a replica", () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 99 }), (n) => 2 * majority(n) > n));
});

majorityTest.run();

const commit = suite("commitOffset");

commit("examples: a 3-replica group commits what two hold", () => {
  assert.is(commitOffset([300, 200, 100], 3), 200);
  assert.is(commitOffset([300], 3), 0, "the master alone commits nothing in a group of 3");
  assert.is(commitOffset([300, 100], 3), 100);
  assert.is(commitOffset([500], 1), 500, "a single replica commits its own end");
  assert.is(commitOffset([], 1), 0);
  assert.is(commitOffset([9, 9, 1, 1], 5), 1);
});

commit("equals the sorted definition", () => {
  fc.assert(fc.property(group, ([n, ends]) => commitOffset(ends, n) === reference(ends, n)));
});

commit("does not depend on the order the replicas are listed in", () => {
  fc.assert(
    fc.property(group.chain(([n, ends]) => fc.tuple(fc.constant(n), fc.constant(ends), fc.shuffledSubarray(ends, { minLength: ends.length }))),
      ([n, ends, shuffled]) => commitOffset(ends, n) === commitOffset(shuffled, n)),
  );
});

commit("is held by a majority, and nothing larger is", () => {
  fc.assert(
    fc.property(group, ([n, ends]) => {
      const c = commitOffset(ends, n);
      const holders = ends.filter((e) => e >= c).length + (c <= 0 ? n - ends.length : 0);
      const above = ends.filter((e) => e > c).length;
      return holders >= majority(n) && above < majority(n);
    }),
  );
});

commit("never falls when a replica's end grows or a missing replica reports", () => {
  fc.assert(
    fc.property(group, fc.nat(), fc.nat({ max: 1 << 20 }), ([n, ends], pick, grow) => {
      const before = commitOffset(ends, n);
      const raised = ends.length === 0 ? [] : ends.map((e, i) => (i === pick % ends.length ? e + grow : e));
      const reported = ends.length < n ? [...ends, grow] : ends;
      return commitOffset(raised, n) >= before && commitOffset(reported, n) >= before;
    }),
  );
});

commit("never exceeds the largest end, and a lone replica never commits for a bigger group", () => {
  fc.assert(
    fc.property(group, ([n, ends]) => {
      const c = commitOffset(ends, n);
      return c <= Math.max(0, ...ends) && (n === 1 || ends.length > 1 || c === 0);
    }),
  );
});

commit("rejects a size that is not a group, and more ends than replicas", () => {
  assert.throws(() => commitOffset([1], 0), RangeError);
  assert.throws(() => commitOffset([1, 2, 3], 2), RangeError);
});

commit.run();
