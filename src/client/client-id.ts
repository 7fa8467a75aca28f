// A consumer's client id names it in logs, heartbeats (so `rbus progress`
// and the dashboard list it), and as its node on rbus.inspect.<id>: so it
// must be a subject token, and readable enough to find the process it is.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { BadRequestError } from "../protocol/errors.js";
import { isSubjectToken } from "../protocol/subjects.js";

/**
 * `<host>-<pid>-<4 hex>`, e.g. `web-3-48121-9f2c`: the host's first label
 * (what `hostname -s` prints) with anything but letters, digits, '-' and '_'
 * as '_', the process id, and a suffix that tells two consumers of one
 * process apart.
 */
export function defaultClientId(host = hostname(), pid = process.pid, suffix = randomBytes(2).toString("hex")): string {
  const short = (host.split(".")[0] || "host").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  return `${short}-${pid}-${suffix}`;
}

/** The id a user gave (it wins), checked as the brokers will check it, or a default one. */
export function clientIdOf(given: string | undefined): string {
  if (given === undefined) return defaultClientId();
  if (!isSubjectToken(given)) {
    throw new BadRequestError(`clientId ${JSON.stringify(given)} must be letters, digits, '-' or '_' (at most 128): it names the consumer on the bus`);
  }
  return given;
}
