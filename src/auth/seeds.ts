// One nkey seed file per user: the secret stays with the process it is
// given to; the server's config holds only the public key. Seeds already
// on disk are kept, so generating the config again changes no credential.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createUser, fromSeed } from "@nats-io/nkeys";

export interface UserKey {
  /** The seed file (`<dir>/<user>.nk`), what `--nkey` takes. */
  seedFile: string;
  /** U…: the public key nats.conf names the user by. */
  publicKey: string;
}

export const seedFile = (dir: string, user: string) => join(dir, `${user}.nk`);

/** Makes `dir` (0700) and a seed (0600) for every user that has none; returns each user's key. */
export function ensureSeeds(dir: string, users: readonly string[]): Map<string, UserKey> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const keys = new Map<string, UserKey>();
  for (const user of users) {
    const file = seedFile(dir, user);
    if (!existsSync(file)) {
      const seed = new TextDecoder().decode(createUser().getSeed());
      writeFileSync(file, seed + "\n", { mode: 0o600, flag: "wx" });
    }
    keys.set(user, { seedFile: file, publicKey: readSeed(file) });
  }
  return keys;
}

/** The public key of a seed file; throws saying which file when it holds no user seed. */
export function readSeed(file: string): string {
  const text = readFileSync(file, "utf8").trim();
  try {
    const kp = fromSeed(new TextEncoder().encode(text));
    const pub = kp.getPublicKey();
    if (!pub.startsWith("U")) throw new Error("not a user seed");
    return pub;
  } catch (err) {
    throw new Error(`${file} holds no nkey user seed (${(err as Error).message}); delete it and run rbus auth init again`);
  }
}
