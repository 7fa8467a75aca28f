// The watchdog (src/cluster/watchdog.ts) stops what its launcher left when
// its pipe closes: lower tiers first, SIGKILL for a child that ignores
// SIGTERM past the grace period, never a child that said it exited.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitUntil } from "../harness/wait.js";

const script = fileURLToPath(new URL("../../src/cluster/watchdog.js", import.meta.url));

interface Child {
  proc: ChildProcess;
  /** It said so once its SIGTERM handler (if any) was in place. */
  ready: boolean;
  /** When it exited, and by which signal. */
  ended?: { at: number; signal: NodeJS.Signals | null };
}

function child(ignoreTerm = false): Child {
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ""} setInterval(() => {}, 1000); console.log("ready")`;
  const c: Child = { proc: spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "ignore"] }), ready: false };
  c.proc.stdout!.on("data", () => (c.ready = true));
  c.proc.on("exit", (_code, signal) => (c.ended = { at: Date.now(), signal }));
  return c;
}

const test = suite("watchdog");

test("stops the children left when its pipe closes, tier by tier, and spares one that exited", async () => {
  const watchdog = spawn(process.execPath, [script, "--for", "test", "--grace-ms", "300"], { stdio: ["pipe", "ignore", "inherit"] });
  let watchdogCode: number | null | undefined;
  watchdog.on("exit", (code) => (watchdogCode = code));
  const stubborn = child(true); // tier 0: ignores SIGTERM, so tier 1 waits for its SIGKILL
  const later = child(); // tier 1
  const spared = child(); // said "-": its pid is not ours any more
  try {
    await waitUntil("children running", () => [stubborn, later, spared].every((c) => c.ready));
    watchdog.stdin!.write(`+${stubborn.proc.pid} 0\n+${later.proc.pid} 1\n+${spared.proc.pid} 1\n-${spared.proc.pid}\n`);
    watchdog.stdin!.end();
    await waitUntil("both stopped", () => stubborn.ended && later.ended, { timeoutMs: 5000 });
    await waitUntil("the watchdog exits", () => watchdogCode !== undefined, { timeoutMs: 5000 });
    assert.is(stubborn.ended!.signal, "SIGKILL");
    assert.is(later.ended!.signal, "SIGTERM");
    assert.ok(later.ended!.at >= stubborn.ended!.at, "tier 1 stops after tier 0 is gone");
    assert.is(spared.ended, undefined, "a child that exited (as far as the launcher knew) is never signalled");
    assert.is(watchdogCode, 0);
  } finally {
    for (const c of [stubborn, later, spared, { proc: watchdog }]) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
  }
});

test("exits at once when every child it was told of has exited", async () => {
  const watchdog = spawn(process.execPath, [script, "--for", "test"], { stdio: ["pipe", "ignore", "inherit"] });
  const started = Date.now();
  watchdog.stdin!.end(`+999999 0\n-999999\n`);
  const code = await new Promise<number | null>((resolve) => watchdog.on("exit", resolve));
  assert.is(code, 0);
  assert.ok(Date.now() - started < 3000, "no grace period spent on nothing");
});

test.run();
