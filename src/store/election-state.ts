// A replica's vote, which must survive a crash before a vote reply leaves
// (Raft's currentTerm and votedFor on stable storage): one vote per term
// holds only if a restarted replica remembers whom it voted for.
//
// <dir>/config/election holds two fixed-size slots, written in turn in
// place and fdatasynced (etcd's WAL and LMDB's meta pages do the same): a
// crash can tear only the slot being written, which its CRC then rejects,
// and the other slot still holds the state before. Writing in place needs
// no new disk blocks, so a replica on a full disk can still vote and take
// office (a temp file and a rename could not be created there). Each slot:
//   {"seq":N,"term":T,"votedFor":V}, padded with spaces, crc32 (8 hex), "\n"
// The highest valid seq wins. The file is created, both slots filled, at
// the first open that finds none.
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "node:zlib";

export interface Vote {
  term: number;
  /** The replica voted for in `term`, null if none. */
  votedFor: number | null;
}

const SLOT = 64;
const BODY = SLOT - 9;

interface Slot extends Vote {
  seq: number;
}

export class ElectionState implements Vote {
  private constructor(private readonly file: string, private seq: number, public term: number, public votedFor: number | null) {}

  /** Reads the saved vote ({term: 0, votedFor: null} when there is none). Throws when neither slot is intact. */
  static open(dir: string): ElectionState {
    const file = path.join(dir, "config", "election");
    let buf: Buffer | undefined;
    try {
      buf = fs.readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (buf === undefined) return ElectionState.create(file);
    const best = [decode(buf, 0), decode(buf, SLOT)].filter((s): s is Slot => s !== undefined).sort((a, b) => b.seq - a.seq)[0];
    // voting again in a term could elect two masters: an operator must look at it
    if (!best) throw new Error(`${file} is damaged (no intact slot): restore it, or remove it only if this replica has not voted in the current term`);
    return new ElectionState(file, best.seq, best.term, best.votedFor);
  }

  /** Durable when it returns (synchronous: a vote reply may leave right after). */
  save(term: number, votedFor: number | null): void {
    const next: Slot = { seq: this.seq + 1, term, votedFor };
    const fd = fs.openSync(this.file, "r+");
    try {
      writeAll(fd, encode(next), (next.seq % 2) * SLOT);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    [this.seq, this.term, this.votedFor] = [next.seq, term, votedFor];
  }

  /** A new file, both slots at {0, null}; without room for it the state is kept in memory until a save needs it. */
  private static create(file: string): ElectionState {
    const was = legacy(`${file}.json`); // the first layout: one JSON file replaced by rename
    const state = new ElectionState(file, 0, was.term, was.votedFor);
    const empty = Buffer.concat([encode({ seq: 0, ...was }), encode({ seq: 0, ...was })]);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp`;
    try {
      const fd = fs.openSync(tmp, "w", 0o600);
      try {
        writeAll(fd, empty, 0);
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
      syncDir(path.dirname(file));
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOSPC" && code !== "EDQUOT") throw err;
      // a save will try to open the missing file and fail: this replica then leaves the elections
    }
    return state;
  }
}

function legacy(file: string): Vote {
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Vote>;
    return { term: Number.isSafeInteger(v.term) ? v.term! : 0, votedFor: Number.isSafeInteger(v.votedFor) ? v.votedFor! : null };
  } catch {
    return { term: 0, votedFor: null };
  }
}

function encode(s: Slot): Buffer {
  const body = JSON.stringify(s).padEnd(BODY, " ");
  if (body.length > BODY) throw new RangeError(`election state too long: ${body}`);
  const crc = crc32(Buffer.from(body)).toString(16).padStart(8, "0");
  return Buffer.from(`${body}${crc}\n`, "latin1");
}

function decode(buf: Buffer, at: number): Slot | undefined {
  if (buf.length < at + SLOT) return undefined;
  const body = buf.subarray(at, at + BODY);
  const crc = buf.toString("latin1", at + BODY, at + SLOT - 1);
  if (crc32(body).toString(16).padStart(8, "0") !== crc) return undefined;
  try {
    const s = JSON.parse(body.toString("latin1")) as Partial<Slot>;
    if (!Number.isSafeInteger(s.seq) || !Number.isSafeInteger(s.term) || s.term! < 0) return undefined;
    const votedFor = Number.isSafeInteger(s.votedFor) ? s.votedFor! : null;
    return { seq: s.seq!, term: s.term!, votedFor };
  } catch {
    return undefined;
  }
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
