// A scenario's story, one line per event in simulated time: what the test
// did, what each replica decided (role, term, election, truncation, commit),
// what the network lost. Written to transcripts/<scenario>.txt so a failed
// election or a truncation can be read afterwards, as etcd raft's
// testdata/*.txt are.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../../src/runtime/log.js";
import type { PutMessage } from "../../src/store/types.js";
import { formatNetEvent, type NetEvent } from "./net-events.js";
import type { SimClock } from "./sim-clock.js";

/** Beside the sources (the tests run from dist/), so the files can be committed. */
export const TRANSCRIPT_DIR = fileURLToPath(new URL("../../../test/replication/transcripts/", import.meta.url));

export class Transcript {
  readonly lines: string[] = [];

  constructor(private readonly clock: SimClock) {}

  /** `who`: a replica id, or a word ("test", "check"). */
  add(who: number | string, text: string): void {
    const name = typeof who === "number" ? `r${who}` : who;
    this.lines.push(`${String(this.clock.elapsed).padStart(7)}ms  ${name} ${text}`);
  }

  net(e: NetEvent): void {
    this.lines.push(formatNetEvent(e));
  }

  /** A Logger whose warnings and errors become lines (the rest is the events' business). */
  logger(replica: number, base: Record<string, unknown> = {}): Logger {
    const line = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
      const all = { ...base, ...fields };
      this.add(replica, `log ${level}: ${msg}${Object.keys(all).length ? ` ${JSON.stringify(all)}` : ""}`);
    };
    return {
      debug: () => undefined,
      info: () => undefined,
      warn: line("warn"),
      error: line("error"),
      child: (fields) => this.logger(replica, { ...base, ...fields }),
    };
  }

  /** Writes transcripts/<name>.txt and returns its path. */
  write(name: string, header: string): string {
    fs.mkdirSync(TRANSCRIPT_DIR, { recursive: true });
    const file = path.join(TRANSCRIPT_DIR, `${name}.txt`);
    fs.writeFileSync(file, `# ${name}\n# ${header}\n\n${this.lines.join("\n")}\n`);
    return file;
  }
}

/** A batch as a transcript shows it: its bodies, or the first two and the last. */
export function describeBatch(msgs: readonly PutMessage[]): string {
  const bodies = msgs.map((m) => Buffer.from(m.body).toString());
  return bodies.length <= 4 ? bodies.join(",") : `${bodies.slice(0, 2).join(",")},…,${bodies.at(-1)}`;
}
