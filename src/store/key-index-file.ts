// <dir>/index/keys: the key index on disk, with the commit-log offset below
// which it holds every keyed record the index had (recovery replays the log
// only from there). Written whole to a temp file and renamed over the old
// one; a CRC32 over the file finds a torn or damaged copy, which recovery
// then rebuilds from the log rather than trusting.
//
//   head     u32 magic "RKI2", u64 covers
//   entries  u32 key length, key (utf-8), u16 n, n × u64 commit-log offset
//   trailer  u32 entry count, u32 magic, u32 crc32 of every byte before it
//
// The periodic save writes entries in chunks and yields between them, so a
// broker with a million keys never stalls a send on the whole encoding.
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "node:zlib";
import { writeFileAtomic } from "./atomic-file.js";
import { readU64, writeU64 } from "./record.js";

const MAGIC = 0x524b4932; // "RKI2"
const OLD_MAGIC = 0x524b4931; // "RKI1"
const HEAD = 12;
const TRAILER = 12;
const CHUNK = 4096; // a few ms of encoding between yields
const MODE = 0o600;

export type KeyEntry = [key: string, offsets: number | number[]];
export type KeyFileRead = { covers: number; entries: KeyEntry[] } | { problem: "missing" | "damaged"; reason: string };

export function keyIndexPath(dir: string): string {
  return path.join(dir, "index", "keys");
}

function head(covers: number): Buffer {
  const b = Buffer.alloc(HEAD);
  b.writeUInt32BE(MAGIC, 0);
  writeU64(b, 4, covers);
  return b;
}

/** Up to `max` entries from `it`, encoded; `n` is how many it took. */
function encodeChunk(it: Iterator<KeyEntry>, max: number): { buf: Buffer; n: number } {
  const parts: Buffer[] = [];
  let n = 0;
  for (; n < max; n++) {
    const next = it.next();
    if (next.done) break;
    const [k, v] = next.value;
    const offsets = typeof v === "number" ? [v] : v;
    const kb = Buffer.from(k, "utf8");
    const b = Buffer.allocUnsafe(4 + kb.length + 2 + offsets.length * 8);
    b.writeUInt32BE(kb.length, 0);
    kb.copy(b, 4);
    b.writeUInt16BE(offsets.length, 4 + kb.length);
    offsets.forEach((o, i) => writeU64(b, 6 + kb.length + i * 8, o));
    parts.push(b);
  }
  return { buf: Buffer.concat(parts), n };
}

function trailer(count: number, crcSoFar: number): Buffer {
  const b = Buffer.alloc(TRAILER);
  b.writeUInt32BE(count, 0);
  b.writeUInt32BE(MAGIC, 4);
  b.writeUInt32BE(crc32(b.subarray(0, 8), crcSoFar), 8);
  return b;
}

/** Writes `size` entries of `it` at once (a clean close, or a test). */
export function writeKeyFileSync(dir: string, covers: number, it: Iterator<KeyEntry>, size: number): void {
  const h = head(covers);
  const { buf, n } = encodeChunk(it, size);
  writeFileAtomic(keyIndexPath(dir), Buffer.concat([h, buf, trailer(n, crc32(buf, crc32(h)))]));
}

/**
 * Writes at most `size` entries of `it` (entries added during the save come
 * after them and are covered by the replay from `covers` anyway) without
 * blocking the event loop. Renames the file into place only if `valid()`
 * still holds at the end (a truncation in between makes it stale); returns
 * whether it did.
 */
export async function writeKeyFileAsync(dir: string, covers: number, it: Iterator<KeyEntry>, size: number, valid: () => boolean): Promise<boolean> {
  const file = keyIndexPath(dir);
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  let renamed = false;
  try {
    const fh = await fs.promises.open(tmp, "w", MODE);
    try {
      const h = head(covers);
      await fh.write(h);
      let crc = crc32(h);
      let count = 0;
      while (count < size) {
        const { buf, n } = encodeChunk(it, Math.min(CHUNK, size - count));
        if (n === 0) break;
        count += n;
        crc = crc32(buf, crc);
        await fh.write(buf);
      }
      await fh.write(trailer(count, crc));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (!valid()) return false;
    // synchronous, right after the check: no truncation can come between them
    fs.renameSync(tmp, file);
    renamed = true;
    return true;
  } finally {
    if (!renamed) await fs.promises.rm(tmp, { force: true });
  }
}

export function readKeyFile(dir: string): KeyFileRead {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(keyIndexPath(dir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { problem: "missing", reason: "no file" };
    return { problem: "damaged", reason: `unreadable: ${(err as Error).message}` };
  }
  // the format before the checksum, written only at a clean close: replaced, not damage
  if (buf.length >= 4 && buf.readUInt32BE(0) === OLD_MAGIC) return { problem: "missing", reason: "older format" };
  const end = buf.length - TRAILER;
  if (end < HEAD || buf.readUInt32BE(0) !== MAGIC || buf.readUInt32BE(end + 4) !== MAGIC) return { problem: "damaged", reason: "torn or not a key index file" };
  if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32BE(buf.length - 4)) return { problem: "damaged", reason: "checksum mismatch" };
  const count = buf.readUInt32BE(end);
  const entries: KeyEntry[] = [];
  let o = HEAD;
  while (o < end) {
    if (o + 4 > end) return { problem: "damaged", reason: "entry cut short" };
    const kl = buf.readUInt32BE(o);
    if (o + 6 + kl > end) return { problem: "damaged", reason: "entry cut short" };
    const key = buf.toString("utf8", o + 4, o + 4 + kl);
    o += 4 + kl;
    const n = buf.readUInt16BE(o);
    o += 2;
    if (n === 0 || o + n * 8 > end) return { problem: "damaged", reason: "entry cut short" };
    if (n === 1) entries.push([key, readU64(buf, o)]);
    else entries.push([key, Array.from({ length: n }, (_, j) => readU64(buf, o + j * 8))]);
    o += n * 8;
  }
  if (entries.length !== count) return { problem: "damaged", reason: "entry count mismatch" };
  return { covers: readU64(buf, 4), entries };
}
