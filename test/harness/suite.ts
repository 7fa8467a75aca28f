// uvu's suite(), with one fix: uvu runs a suite's before() hooks inside a
// try whose finally returns, so an error thrown by one is swallowed — the
// suite prints (0 / N), no FAIL, and the run exits 0. Every suite here
// comes from this module instead: an error in before() is kept and thrown
// again by each of the suite's tests, so each one fails with it.
//
// Every failing test is also listed once more after uvu's totals: a run of
// a thousand tests prints its FAIL blocks far above the end, and a CI log
// shown by its tail must still say which test failed and why.
import { suite as uvuSuite, type Callback, type Test } from "uvu";

export type { Test } from "uvu";

export function suite<T = Record<string, any>>(title?: string, context?: T): Test<T> {
  const s = uvuSuite<T>(title, context);
  const label = `${callerFile()} ${title ?? ""}`;
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
        noteFailure(`${label} › before: ${firstLine(error)}`);
      }
    })) as Test<T>["before"];
  guarded.each = before.each;
  s.before = guarded;
  return recordingFailures(s, label);
}

// the test file that made the suite, past any wrapper (processSuite, a directory's own), as test/….test.js — so a listed failure names its file
function callerFile(): string {
  const files = (new Error().stack?.split("\n").slice(2) ?? []).map((line) => /test\/[^\s:()]+\.js/.exec(line)?.[0]).filter((f) => f !== undefined);
  return files.find((f) => f.endsWith(".test.js")) ?? files[0] ?? "";
}

const failures: string[] = [];

function recordingFailures<T>(s: Test<T>, title: string): Test<T> {
  const record = (name: string, handler: Callback<T>): Callback<T> =>
    async (ctx) => {
      try {
        await handler(ctx);
      } catch (error) {
        noteFailure(`${title} › ${name}: ${firstLine(error)}`);
        throw error;
      }
    };
  const wrapped = ((name: string, handler: Callback<T>) => s(name, record(name, handler))) as Test<T>;
  Object.assign(wrapped, s);
  wrapped.only = (name: string, handler: Callback<T>) => s.only(name, record(name, handler));
  return wrapped;
}

function noteFailure(line: string): void {
  if (failures.length === 0) process.once("exit", listFailures);
  failures.push(line);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n", 1)[0]!.slice(0, 300);
}

function listFailures(): void {
  process.stderr.write(`\n  Failed (${failures.length}):\n${failures.map((f) => `    ✘ ${f}\n`).join("")}\n`);
}
