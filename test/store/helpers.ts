// Shared by the store tests: temp directories, a manual clock, messages.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PutMessage } from "../../src/store/types.js";

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "rbus-store-"));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A clock that only moves when told to. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export function msg(topic: string, queueId: number, body: string, extra: Partial<PutMessage> = {}): PutMessage {
  return { topic, queueId, body: Buffer.from(body), ...extra };
}

export function many(topic: string, queueId: number, n: number, prefix = "m"): PutMessage[] {
  return Array.from({ length: n }, (_, i) => msg(topic, queueId, `${prefix}${i}`));
}

export function commitLogFiles(dir: string): string[] {
  return fs.readdirSync(path.join(dir, "commitlog")).sort();
}
