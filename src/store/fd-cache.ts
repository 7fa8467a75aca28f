// One bounded set of open file descriptors per store, shared by the commit
// log and every consume queue, so the broker needs a fixed number of fds
// however many queues it holds (RocketMQ maps every file; with thousands of
// queues that exhausts fds). Files are opened on first use and closed when
// evicted; a hit costs one property check.
//
// Eviction is CLOCK (second chance), an approximation of LRU that keeps a
// hit free of any bookkeeping but a `used = true`. A pinned file (an fsync
// in flight on it) is never evicted: closing it would let the fd number be
// reused and the fsync land on another file.
//
// A dirty file may be evicted before its fsync: its pages stay in the page
// cache, and the next flush reopens it and fsyncs through the new fd (on
// Linux fsync flushes the file, not the descriptor). Limit: a writeback
// error that happened while no fd was open is reported only to fds open at
// the time (Linux errseq), so such an error can go unseen.
import * as fs from "node:fs";

export interface CachedFile {
  readonly path: string;
  /** -1 while closed. */
  fd: number;
  used: boolean;
  pins: number;
  /** Index in the cache's ring while open. */
  slot: number;
}

export const DEFAULT_MAX_OPEN_FILES = 1024;
const MIN_OPEN_FILES = 8;

/**
 * `wanted`, capped at half the process's soft fd limit (Linux: read from
 * /proc/self/limits; elsewhere uncapped), so segment files leave room for
 * sockets, state-file writes and directory scans.
 */
export function openFileBudget(wanted: number): number {
  let soft = Infinity;
  try {
    const line = fs.readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const n = Number(line?.split(/\s+/)[3]);
    if (Number.isSafeInteger(n) && n > 0) soft = n;
  } catch {
    // no procfs: keep the configured bound; EMFILE still lowers it (shrink)
  }
  return Math.max(MIN_OPEN_FILES, Math.min(wanted, Math.floor(soft / 2)));
}

export class FdCache {
  private readonly ring: CachedFile[] = [];
  private hand = 0;

  /** `onShrink` is told when the process ran out of fds and the bound was lowered. */
  constructor(public capacity = DEFAULT_MAX_OPEN_FILES, private readonly onShrink?: (capacity: number) => void) {}

  get openCount(): number {
    return this.ring.length;
  }

  /** The file's fd, opening it (read-write, existing) if it is closed. */
  fd(f: CachedFile): number {
    if (f.fd >= 0) {
      f.used = true;
      return f.fd;
    }
    return this.open(f, "r+");
  }

  /** Creates (or empties) the file, mode 0600, and returns its fd. */
  create(f: CachedFile): number {
    if (f.fd >= 0) this.close(f);
    return this.open(f, "w+");
  }

  /** The fd, kept open until unpin(): for an asynchronous call on it. */
  pin(f: CachedFile): number {
    const fd = this.fd(f);
    f.pins++;
    return fd;
  }

  unpin(f: CachedFile): void {
    f.pins--;
  }

  close(f: CachedFile): void {
    if (f.fd < 0) return;
    const fd = f.fd;
    this.forget(f);
    fs.closeSync(fd);
  }

  closeAll(): void {
    for (const f of this.ring.splice(0)) {
      const fd = f.fd;
      f.fd = -1;
      fs.closeSync(fd);
    }
  }

  private open(f: CachedFile, flags: "r+" | "w+"): number {
    if (this.ring.length >= this.capacity) this.evict(this.ring.length - this.capacity + 1);
    let fd: number;
    try {
      fd = fs.openSync(f.path, flags, 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== "EMFILE" && code !== "ENFILE") || !this.shrink()) throw err;
      fd = fs.openSync(f.path, flags, 0o600);
    }
    f.fd = fd;
    f.used = true;
    f.slot = this.ring.length;
    this.ring.push(f);
    return fd;
  }

  /** Out of fds: close half of what is open and keep the bound there. */
  private shrink(): boolean {
    const before = this.ring.length;
    this.evict(Math.ceil(before / 2));
    if (this.ring.length === before) return false;
    this.capacity = Math.max(MIN_OPEN_FILES, this.ring.length);
    this.onShrink?.(this.capacity);
    return true;
  }

  /** Closes up to `n` unpinned files, each the first the clock hand finds not used since its last pass. */
  private evict(n: number): void {
    let budget = 2 * this.ring.length + 1;
    while (n > 0 && this.ring.length > 0 && budget-- > 0) {
      if (this.hand >= this.ring.length) this.hand = 0;
      const f = this.ring[this.hand]!;
      if (f.pins > 0) {
        this.hand++;
      } else if (f.used) {
        f.used = false;
        this.hand++;
      } else {
        this.close(f); // the last file moves into this slot; the hand stays
        n--;
      }
    }
  }

  private forget(f: CachedFile): void {
    const last = this.ring.pop()!;
    if (last !== f) {
      this.ring[f.slot] = last;
      last.slot = f.slot;
    }
    f.fd = -1;
    f.slot = -1;
  }
}
