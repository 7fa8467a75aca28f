// `rbus store verify`: an offline check of every commit-log record (CRC,
// length, own offset), reading the files without changing anything; the
// same scan recovery runs (log-scan.ts), over the whole log.
import * as fs from "node:fs";
import * as path from "node:path";
import { scanLog, type ByteRange, type LogBytes } from "./log-scan.js";

export interface VerifyReport {
  dir: string;
  segments: number;
  /** Bytes in the segment files. */
  bytes: number;
  records: number;
  /** Ranges that fail their checks; recovery keeps them in place and reports them. */
  damaged: ByteRange[];
  /** What recovery would cut from the end (no valid record after it). */
  tornTail: ByteRange | null;
  clean: boolean;
}

interface ReadOnlySegment {
  base: number;
  size: number;
  fd: number;
}

/** The commit log's files opened read-only. */
class ReadOnlyLog implements LogBytes {
  readonly segments: ReadOnlySegment[] = [];

  constructor(dir: string) {
    const names = fs.readdirSync(dir).filter((n) => /^\d{20}$/.test(n)).sort();
    for (const name of names) {
      const fd = fs.openSync(path.join(dir, name), "r");
      this.segments.push({ base: Number(name), size: fs.fstatSync(fd).size, fd });
    }
  }

  read(offset: number, len: number): Buffer {
    let i = this.segments.length - 1;
    while (i >= 0 && this.segments[i]!.base > offset) i--;
    const seg = this.segments[i];
    if (!seg || offset >= seg.base + seg.size) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(Math.min(len, seg.base + seg.size - offset));
    let done = 0;
    while (done < buf.length) {
      const r = fs.readSync(seg.fd, buf, done, buf.length - done, offset - seg.base + done);
      if (r === 0) break;
      done += r;
    }
    return buf.subarray(0, done);
  }

  close(): void {
    for (const s of this.segments) fs.closeSync(s.fd);
  }
}

/** Scans `<dir>/commitlog`; `progress(done, total)` in bytes every few MiB. */
export function verifyStore(dir: string, progress?: (done: number, total: number) => void): VerifyReport {
  const logDir = path.join(dir, "commitlog");
  if (!fs.existsSync(logDir)) throw new Error(`${dir} holds no commit log (no ${logDir})`);
  const log = new ReadOnlyLog(logDir);
  try {
    const bytes = log.segments.reduce((n, s) => n + s.size, 0);
    const first = log.segments[0]?.base ?? 0;
    // segments before the one being read are done; gaps are unused segment tails
    const done = (offset: number) => log.segments.reduce((n, s) => n + Math.max(0, Math.min(s.size, offset - s.base)), 0);
    const scan = scanLog(log, first, { verifyCrc: true, tailMayBeTorn: false, progress: progress && ((o) => progress(done(o), bytes)) });
    progress?.(bytes, bytes);
    return {
      dir, segments: log.segments.length, bytes, records: scan.records, damaged: scan.damaged, tornTail: scan.torn ?? null,
      clean: scan.damaged.length === 0 && !scan.torn,
    };
  } finally {
    log.close();
  }
}
