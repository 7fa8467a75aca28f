// Small checks that turn untrusted JSON into typed values or a BadRequestError.

import { BadRequestError } from "./errors.js";
import { isSubjectToken, isTopicName } from "./subjects.js";

export type Json = Record<string, unknown>;

const decoder = new TextDecoder();

/** Parses a request payload as a JSON object; an empty payload is {}. */
export function parseObject(data: Uint8Array): Json {
  if (data.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(data));
  } catch {
    throw new BadRequestError("payload is not valid JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new BadRequestError("payload must be a JSON object");
  }
  return v as Json;
}

export function str(o: Json, key: string): string {
  const v = o[key];
  if (typeof v !== "string" || v.length === 0) throw new BadRequestError(`"${key}" must be a non-empty string`);
  return v;
}

export function optStr(o: Json, key: string): string | undefined {
  return o[key] === undefined ? undefined : str(o, key);
}

/** A name that is safe as a subject token (group names, topics, node ids). */
export function name(o: Json, key: string): string {
  const v = o[key];
  if (!isSubjectToken(v)) {
    throw new BadRequestError(`"${key}" must be a name of letters, digits, '-' or '_' (at most 128)`);
  }
  return v;
}

export function topicName(o: Json, key: string): string {
  const v = o[key];
  if (!isTopicName(v)) throw new BadRequestError(`"${key}" must be a topic name: letters, digits, '-', '_', '%' or '|' (at most 127)`);
  return v;
}

export function int(o: Json, key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new BadRequestError(`"${key}" must be an integer from ${min} to ${max}`);
  }
  return v;
}

export function optInt(o: Json, key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return o[key] === undefined ? undefined : int(o, key, min, max);
}

export function bool(o: Json, key: string): boolean {
  const v = o[key];
  if (typeof v !== "boolean") throw new BadRequestError(`"${key}" must be true or false`);
  return v;
}

export function oneOf<T extends string>(o: Json, key: string, values: readonly T[]): T {
  const v = o[key];
  if (typeof v !== "string" || !(values as readonly string[]).includes(v)) {
    throw new BadRequestError(`"${key}" must be one of ${values.join(", ")}`);
  }
  return v as T;
}

export function array(o: Json, key: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new BadRequestError(`"${key}" must be an array`);
  return v;
}

/**
 * A short account of an untrusted value for an error message. Never
 * JSON.stringify the value itself: 10,000 nested arrays overflow the stack,
 * and a 6 MB string would travel back in the reply.
 */
export function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return "null";
  if (typeof v === "object") return "an object";
  return String(v);
}

export function object(v: unknown, what: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new BadRequestError(`${what} must be an object`);
  return v as Json;
}

/**
 * A table keyed by names someone else chose (groups, topics, client ids):
 * no prototype, so "__proto__" or "constructor" is a key like any other, and
 * JSON.stringify writes it as one.
 */
export function nameTable<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Sets a user-supplied property on a plain object: a key named "__proto__"
 * becomes an own property (data), never the object's prototype.
 */
export function setProperty(target: Record<string, string>, key: string, value: string): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
