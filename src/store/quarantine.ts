// Damaged commit-log bytes kept aside for an operator, never deleted:
// <dir>/quarantine/<20-digit offset>-<length>.bin holds a copy of the range
// and <dir>/quarantine/index.jsonl one JSON line per range found. Damage in
// the middle of the log stays where it is too (offsets after it must not
// move); a torn tail is copied here before it is cut.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ByteRange, LogBytes } from "./log-scan.js";
import { segmentName } from "./segment-files.js";

export const DamageKind = { damaged: "damaged", torn: "torn" } as const;
export type DamageKind = (typeof DamageKind)[keyof typeof DamageKind];

export interface QuarantineEntry extends ByteRange {
  kind: DamageKind;
  /** File name under quarantine/, or "" when the bytes are no longer in the log (a cut file). */
  file: string;
  foundAt: number;
}

const COPY_CHUNK = 4 << 20;

export class Quarantine {
  readonly dir: string;

  constructor(storeDir: string, private readonly now: () => number = Date.now) {
    this.dir = path.join(storeDir, "quarantine");
  }

  /** Copies what of `range` is still in the log and records it. A range kept before is not copied again. */
  keep(log: LogBytes, range: ByteRange, kind: DamageKind): QuarantineEntry {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const present = presentBytes(log, range);
    const file = present > 0 ? `${segmentName(range.from)}-${present}.bin` : "";
    const entry: QuarantineEntry = { ...range, kind, file, foundAt: this.now() };
    if (file !== "" && !fs.existsSync(path.join(this.dir, file))) this.copy(log, range.from, present, file);
    fs.appendFileSync(path.join(this.dir, "index.jsonl"), JSON.stringify(entry) + "\n", { mode: 0o600 });
    return entry;
  }

  /** Every range recorded so far, oldest first. */
  entries(): QuarantineEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.dir, "index.jsonl"), "utf8");
    } catch {
      return [];
    }
    const out: QuarantineEntry[] = [];
    for (const line of text.split("\n")) {
      if (line === "") continue;
      try {
        out.push(JSON.parse(line) as QuarantineEntry);
      } catch {
        // a line cut by a crash while it was appended
      }
    }
    return out;
  }

  private copy(log: LogBytes, from: number, len: number, file: string): void {
    const tmp = path.join(this.dir, `${file}.tmp`);
    const fd = fs.openSync(tmp, "w", 0o600);
    try {
      for (let done = 0; done < len; ) {
        const chunk = log.read(from + done, Math.min(COPY_CHUNK, len - done));
        if (chunk.length === 0) break;
        fs.writeSync(fd, chunk);
        done += chunk.length;
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(this.dir, file));
  }
}

/** Bytes of `range` the files still hold (a range never spans segments). */
function presentBytes(log: LogBytes, range: ByteRange): number {
  const seg = log.segments.find((s) => range.from >= s.base && range.from < s.base + s.size);
  return seg ? Math.min(range.to, seg.base + seg.size) - range.from : 0;
}
