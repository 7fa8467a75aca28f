// The wire error envelope and its codes. Every error a Rocketbus node sends
// is {"error":{"code","message"}} with a code from ErrorCode; clients turn it
// back into an RbusError with the same code.

export const ErrorCode = {
  /** The request is not JSON, or a field is missing or of the wrong type. */
  BAD_REQUEST: "BAD_REQUEST",
  /** No broker serves the topic (RocketMQ: "No route info of this topic"). */
  TOPIC_NOT_EXIST: "TOPIC_NOT_EXIST",
  /** The message (or batch) is larger than the broker accepts. */
  MESSAGE_TOO_LARGE: "MESSAGE_TOO_LARGE",
  /** An offset before the first or after the last stored message. */
  OFFSET_OUT_OF_RANGE: "OFFSET_OUT_OF_RANGE",
  /** The topic's permissions forbid this operation. */
  NO_PERMISSION: "NO_PERMISSION",
  /** This replica is not the master and cannot take writes. */
  NOT_MASTER: "NOT_MASTER",
  /** The store could not flush in time; the message may or may not be stored. */
  FLUSH_TIMEOUT: "FLUSH_TIMEOUT",
  /** The broker is overloaded or shutting down; retry elsewhere. */
  BROKER_BUSY: "BROKER_BUSY",
  /** No message with that id or key. */
  NOT_FOUND: "NOT_FOUND",
  /** Nobody answered in time. */
  TIMEOUT: "TIMEOUT",
  /** No responder on the subject (the node is not running). */
  NO_RESPONDERS: "NO_RESPONDERS",
  /**
   * A stored record failed its checks (CRC, length, position). `details`
   * names it: {topic, queueId, queueOffset, commitLogOffset, nextOffset}.
   */
  CORRUPT_RECORD: "CORRUPT_RECORD",
  /** The broker's disk is above its fill limit: it refuses writes and keeps serving reads. Nothing was stored. */
  DISK_FULL: "DISK_FULL",
  /** The request's deadline (Rbus-Deadline) passed before the broker acted on it; nothing was stored. */
  DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED",
  /** A bug or an I/O failure on the node; its log says more. Nothing was stored. */
  INTERNAL: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Structured fields of an error (offsets, limits): what a program acts on, where `message` is for people. */
export type ErrorDetails = Record<string, string | number | boolean>;

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details?: ErrorDetails };
}

export class RbusError extends Error {
  override name = "RbusError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
  }
  toWire(): ErrorEnvelope {
    const error: ErrorEnvelope["error"] = { code: this.code, message: this.message };
    if (this.details) error.details = this.details;
    return { error };
  }
}

export class BadRequestError extends RbusError {
  override name = "BadRequestError";
  constructor(message: string) {
    super(ErrorCode.BAD_REQUEST, message);
  }
}

const CODES = new Set<string>(Object.values(ErrorCode));

export function isErrorEnvelope(v: unknown): v is ErrorEnvelope {
  if (typeof v !== "object" || v === null || !("error" in v)) return false;
  const e = (v as { error: unknown }).error;
  return typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string";
}

/** The error an envelope stands for; unknown codes keep their text under INTERNAL. */
export function fromWire(env: ErrorEnvelope): RbusError {
  const { code, message, details } = env.error;
  if (CODES.has(code)) return new RbusError(code, String(message ?? code), isDetails(details) ? details : undefined);
  return new RbusError(ErrorCode.INTERNAL, `${code}: ${message}`);
}

function isDetails(v: unknown): v is ErrorDetails {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  return Object.values(v).every((x) => typeof x === "string" || typeof x === "number" || typeof x === "boolean");
}

/** Any thrown value as an envelope; non-Rbus errors become INTERNAL. */
export function toEnvelope(err: unknown): ErrorEnvelope {
  if (err instanceof RbusError) return err.toWire();
  const message = err instanceof Error ? err.message : String(err);
  return { error: { code: ErrorCode.INTERNAL, message } };
}
