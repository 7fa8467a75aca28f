// One store per data folder: two brokers on one folder would both append at
// the same commit-log offsets and destroy each other's records.
//
// Node has no flock(), so the lock is a Linux abstract unix socket named
// from the folder's device, inode and birth time
// (`\0rocketbus-lock-<dev>-<ino>-<btime>`; the birth time, where the file
// system keeps one, tells a new folder that reuses a deleted one's inode
// from the old one):
// binding it is atomic, a second bind gets EADDRINUSE, and the kernel drops
// it when the process dies however it dies (kill -9 included), so a lock is
// never left stale. The holder answers a connection with its pid, which is
// how a second opener names it; `<dir>/lock` also holds the pid, for
// operators, and as the answer when the holder cannot reply (SIGSTOPped).
//
// Limits: abstract sockets are per network namespace, so two containers
// with their own network namespaces sharing one volume do not see each
// other's lock; nor do two hosts sharing a network file system. Linux only.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** A second opener: the folder is held by another live process. */
export class DataDirLockedError extends Error {
  constructor(readonly dir: string, readonly holderPid: number | undefined) {
    super(`data folder ${dir} is in use by another broker (pid ${holderPid ?? "unknown"}); refusing to open it twice`);
    this.name = "DataDirLockedError";
  }
}

export interface DataLock {
  /** Gives the folder up (a clean close). */
  release(): void;
  /** Gives the socket up as a crash would, leaving <dir>/lock behind. */
  drop(): void;
}

const ASK_PID_TIMEOUT_MS = 1000;

function lockName(dir: string): string {
  const st = fs.statSync(dir, { bigint: true });
  return `\0rocketbus-lock-${st.dev}-${st.ino}-${st.birthtimeNs}`;
}

/**
 * Binds the folder's lock socket: the server when it was free, or the
 * holder's pid (undefined when it cannot be told) when another process has it.
 */
async function bind(dir: string, server: net.Server): Promise<{ server: net.Server } | { holder: number | undefined }> {
  const name = lockName(dir);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ path: name, exclusive: true }, resolve);
    });
    return { server };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    return { holder: (await askPid(name)) ?? pidInFile(path.join(dir, "lock")) };
  }
}

/**
 * Whether a live process holds `dir`, without taking it or writing
 * anything (rbus store verify): the holder's pid (undefined when it cannot
 * be told), or null when the folder is free.
 */
export async function dataDirHolder(dir: string): Promise<number | undefined | null> {
  const bound = await bind(dir, net.createServer());
  if ("holder" in bound) return bound.holder;
  await new Promise<void>((resolve) => bound.server.close(() => resolve()));
  return null;
}

export async function lockDataDir(dir: string): Promise<DataLock> {
  const file = path.join(dir, "lock");
  const bound = await bind(
    dir,
    net.createServer((sock) => {
      sock.on("error", () => {});
      sock.end(`${process.pid}\n`);
    }),
  );
  if ("holder" in bound) throw new DataDirLockedError(dir, bound.holder);
  const { server } = bound;
  server.unref();
  try {
    fs.writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  } catch {
    // informational only (a full disk): the socket is the lock
  }
  return {
    release() {
      server.close();
      if (pidInFile(file) === process.pid) fs.rmSync(file, { force: true });
    },
    drop() {
      server.close();
    },
  };
}

function askPid(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = "";
    const sock = net.connect({ path: name });
    const done = () => {
      sock.destroy();
      const pid = Number.parseInt(text, 10);
      resolve(Number.isSafeInteger(pid) && pid > 0 ? pid : undefined);
    };
    sock.setTimeout(ASK_PID_TIMEOUT_MS, done);
    sock.setEncoding("utf8").on("data", (c: string) => (text += c));
    sock.on("end", done).on("error", done);
  });
}

function pidInFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
