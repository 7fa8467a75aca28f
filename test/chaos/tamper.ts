// Damage to a stopped broker's commit log, as a disk or a crash would do it:
// a torn tail (bytes cut off the end of the last segment) or one flipped
// byte. Each returns the commit-log range it broke, for the checker.
import { closeSync, openSync, readdirSync, readSync, statSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface SegmentFile {
  path: string;
  /** Commit-log offset of its first byte (the file's name). */
  base: number;
  size: number;
}

/** The commit log's segment files in offset order. */
export function commitLogSegments(dataDir: string): SegmentFile[] {
  const dir = join(dataDir, "commitlog");
  return readdirSync(dir)
    .filter((n) => /^\d{20}$/.test(n))
    .sort()
    .map((n) => ({ path: join(dir, n), base: Number(n), size: statSync(join(dir, n)).size }));
}

export interface Broken {
  from: number;
  to: number;
}

/** Cuts up to `bytes` off the last non-empty segment; undefined when the log is empty. */
export function cutTail(dataDir: string, bytes: number): Broken | undefined {
  const last = commitLogSegments(dataDir).filter((s) => s.size > 0).at(-1);
  if (!last) return undefined;
  const cut = Math.min(bytes, last.size);
  truncateSync(last.path, last.size - cut);
  return { from: last.base + last.size - cut, to: last.base + last.size };
}

/** XORs the byte at fraction `at` of the log's bytes with `xor`; undefined when the log is empty. */
export function flipByte(dataDir: string, at: number, xor: number): Broken | undefined {
  const segments = commitLogSegments(dataDir);
  const total = segments.reduce((n, s) => n + s.size, 0);
  if (total === 0) return undefined;
  let pos = Math.min(total - 1, Math.floor(at * total));
  const seg = segments.find((s) => {
    if (pos < s.size) return true;
    pos -= s.size;
    return false;
  })!;
  const fd = openSync(seg.path, "r+");
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, pos);
    b[0] = b[0]! ^ xor;
    writeSync(fd, b, 0, 1, pos);
  } finally {
    closeSync(fd);
  }
  return { from: seg.base + pos, to: seg.base + pos + 1 };
}
