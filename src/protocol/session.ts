// A broker process's session: a secret drawn at start that travels only in
// its own register and unregister requests. A NameServer proves who sent a
// registration by asking the replica's own subject for the session's
// fingerprint (rbus.broker.<g>.<r>.identity): under the shipped NATS
// permissions only the real replica can answer there. Answers never carry
// the session itself, only the fingerprint.
import { createHash, randomBytes } from "node:crypto";

/** 128 bits, hex. */
export function newSession(): string {
  return randomBytes(16).toString("hex");
}

const SESSION = /^[0-9a-f]{32,128}$/;

export function isSession(v: unknown): v is string {
  return typeof v === "string" && SESSION.test(v);
}

/** sha256 of the session, hex: what a NameServer keeps instead of the secret. */
export function sessionHash(session: string): string {
  return createHash("sha256").update(session).digest("hex");
}

/** The first 16 hex characters of sha256(session): safe to show in answers and logs. */
export function fingerprintOf(hash: string): string {
  return hash.slice(0, 16);
}

export const sessionFingerprint = (session: string): string => fingerprintOf(sessionHash(session));
