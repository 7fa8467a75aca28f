// A replica's vote, which must survive a crash before a vote reply leaves
// (Raft's currentTerm and votedFor on stable storage): one vote per term
// holds only if a restarted replica remembers whom it voted for.
// <dir>/config/election.json is replaced whole (temp file, fdatasync,
// rename, then an fsync of the folder so the rename itself is durable): a
// crash leaves the old state or the new one, and a torn temp file is
// ignored (and swept by the store's open).
import * as fs from "node:fs";
import * as path from "node:path";
import { readJsonFile, writeFileAtomic } from "./atomic-file.js";

export interface Vote {
  term: number;
  /** The replica voted for in `term`, null if none. */
  votedFor: number | null;
}

export class ElectionState implements Vote {
  private constructor(private readonly file: string, public term: number, public votedFor: number | null) {}

  /** Reads the saved vote ({term: 0, votedFor: null} when there is none). Throws on a file that does not parse. */
  static open(dir: string): ElectionState {
    const file = path.join(dir, "config", "election.json");
    let raw: Partial<Vote> | undefined;
    try {
      raw = readJsonFile<Partial<Vote>>(file);
    } catch (err) {
      // voting again in a term could elect two masters: an operator must look at it
      throw new Error(`${file} is damaged (${String(err)}): restore it or remove it only if this replica has not voted in the current term`, { cause: err });
    }
    const term = Number.isSafeInteger(raw?.term) && raw!.term! >= 0 ? raw!.term! : 0;
    const votedFor = Number.isSafeInteger(raw?.votedFor) ? raw!.votedFor! : null;
    return new ElectionState(file, term, votedFor);
  }

  /** Durable when it returns (synchronous: a vote reply may leave right after). */
  save(term: number, votedFor: number | null): void {
    writeFileAtomic(this.file, JSON.stringify({ term, votedFor }));
    syncDir(path.dirname(this.file));
    this.term = term;
    this.votedFor = votedFor;
  }
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
