// Small state files (checkpoint, consumer offsets, topic table) are replaced
// whole: write a temp file, fsync it, rename it over the old one. A crash
// leaves either the old or the new file, never half of one. A write that
// fails (ENOSPC) removes its temp file, and open sweeps any a crash left,
// so temp files never pile up on a full disk.
import * as fs from "node:fs";
import * as path from "node:path";

const MODE = 0o600;

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  try {
    const fd = fs.openSync(tmp, "w", MODE);
    try {
      fs.writeFileSync(fd, data);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

let tmpSeq = 0;

/**
 * writeFileAtomic without blocking the event loop: the periodic flush uses
 * it, so that a broker answering sends never stalls on an fsync.
 */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${++tmpSeq}.tmp`;
  try {
    const fh = await fs.promises.open(tmp, "w", MODE);
    try {
      await fh.writeFile(data);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/** Removes `*.tmp` files a crash left in `dirs` (call only while holding the folder's lock). */
export function sweepTempFiles(dirs: readonly string[]): number {
  let removed = 0;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue; // not created yet
    }
    for (const name of names) {
      if (!name.endsWith(".tmp")) continue;
      fs.rmSync(path.join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/** The file's parsed JSON, or undefined if it does not exist. Throws if it exists but does not parse. */
export function readJsonFile<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}
