// uvu's suite(), with one fix: uvu runs a suite's before() hooks inside a
// try whose finally returns, so an error thrown by one is swallowed — the
// suite prints (0 / N), no FAIL, and the run exits 0. Every suite here
// comes from this module instead: an error in before() is kept and thrown
// again by each of the suite's tests, so each one fails with it.
import { suite as uvuSuite, type Callback, type Test } from "uvu";

export type { Test } from "uvu";

export function suite<T = Record<string, any>>(title?: string, context?: T): Test<T> {
  const s = uvuSuite<T>(title, context);
  let failure: { error: unknown } | undefined;
  const before = s.before;
  // registered first, so it runs before every other before.each hook
  before.each(() => {
    if (failure) throw failure.error;
  });
  const guarded = ((hook: Callback<T>) =>
    before(async (ctx) => {
      if (failure) return; // the first failure stands; later hooks would only fail on what it left undone
      try {
        await hook(ctx);
      } catch (error) {
        failure = { error };
      }
    })) as Test<T>["before"];
  guarded.each = before.each;
  s.before = guarded;
  return s;
}
