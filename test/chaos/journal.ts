// What the worker processes write down, one JSON object per line, each line
// written with one write(2) before the worker goes on: a kill -9 loses at
// most the line being written (its reader skips a torn last line), never
// one it already acted on (a read is journaled before its offset can be
// committed, an acknowledgement as soon as it arrives).
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";

export type Entry =
  | { t: "sent"; bodies: string[] }
  | { t: "ack"; body: string; msgId: string; topic: string; queueId: number; queueOffset: number; at: number }
  | { t: "fail"; body: string; code: string; at: number }
  | { t: "read"; body: string; msgId: string; group: string; topic: string; queueId: number; queueOffset: number; session: string; lease: number }
  /** Damage a consumer was told of (a CORRUPT_RECORD reply): commit-log bytes [from, to) of `group`. */
  | { t: "damage"; group: string; from: number; to: number; source: string; session: string };

export class Journal {
  private readonly fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, "a");
  }
  write(e: Entry): void {
    writeSync(this.fd, JSON.stringify(e) + "\n");
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Every whole line of a journal (a missing file is an empty journal). */
export function readJournal(path: string): Entry[] {
  if (!existsSync(path)) return [];
  const out: Entry[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      out.push(JSON.parse(line) as Entry);
    } catch {
      // the line a kill -9 cut short
    }
  }
  return out;
}
