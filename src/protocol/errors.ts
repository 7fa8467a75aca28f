// The wire error envelope and its codes. Every error a Rocketbus node sends
// is {"error":{"code","message"}} with a code from ErrorCode; clients turn it
// back into an RbusError with the same code.

export const ErrorCode = {
  /** The request is not JSON, or a field is missing or of the wrong type. */
  BAD_REQUEST: "BAD_REQUEST",
  /** No broker serves the topic (RocketMQ: "No route info of this topic"); `details`: {topic, nearest?} where known. */
  TOPIC_NOT_EXIST: "TOPIC_NOT_EXIST",
  /** The message (or batch) is larger than the broker accepts. */
  MESSAGE_TOO_LARGE: "MESSAGE_TOO_LARGE",
  /** An offset before the first or after the last stored message. */
  OFFSET_OUT_OF_RANGE: "OFFSET_OUT_OF_RANGE",
  /** The topic's permissions forbid this operation. */
  NO_PERMISSION: "NO_PERMISSION",
  /**
   * This replica is not the master and cannot take writes (send, send.batch,
   * client.heartbeat, topic.upsert). `details` name the master it knows:
   * {group, term, masterReplica (-1 if unknown), master (its address, "" if
   * unknown)}; see notMasterError and masterHint. Nothing was stored.
   */
  NOT_MASTER: "NOT_MASTER",
  /**
   * The master stored the message but could not get it to a majority of the
   * group's replicas within the send's time, or lost its majority: it is not
   * acknowledged and may or may not survive a failover. Retriable.
   * `details`: {group, term, end, commit}.
   */
  NOT_REPLICATED: "NOT_REPLICATED",
  /** The store could not flush in time; the message may or may not be stored. */
  FLUSH_TIMEOUT: "FLUSH_TIMEOUT",
  /** The broker is overloaded or shutting down; retry elsewhere. */
  BROKER_BUSY: "BROKER_BUSY",
  /** No message with that id or key. */
  NOT_FOUND: "NOT_FOUND",
  /**
   * No consumer group of that name is known here: no live members, no
   * committed offsets, no settings (RocketMQ's SUBSCRIPTION_GROUP_NOT_EXIST).
   * `details`: {group, nearest?: the closest known name}.
   */
  GROUP_NOT_EXIST: "GROUP_NOT_EXIST",
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
  /**
   * A configured limit was hit (held pulls, reply bytes in flight, topics,
   * queues, group members, registered brokers, registrations per second).
   * `details`: {limit (its name), max, and what was asked where it helps}.
   * Nothing was changed; retry later or raise the limit (see `status`).
   */
  LIMIT_EXCEEDED: "LIMIT_EXCEEDED",
  /**
   * Refused for who sent it, whatever NATS's permissions allowed: a
   * registration its own address does not confirm, an unregister from
   * another process than the one registered, a request whose payload names
   * another consumer group than its subject. Nothing was changed.
   */
  FORBIDDEN: "FORBIDDEN",
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

/** The master a replica named when it refused a write: where to send it instead. */
export interface MasterHint {
  group: string;
  /** The term the refusing replica knows; a route at this term or later supersedes the hint. */
  term: number;
  /** -1 when the replica knows no master (an election is going on). */
  masterReplica: number;
  /** The master's address (subject prefix), "" when unknown. */
  master: string;
}

/** NOT_MASTER with the master this replica knows (masterReplica -1 and address "" when none). */
export function notMasterError(group: string, term: number, masterReplica: number, masterAddress: string, message?: string): RbusError {
  const known = masterReplica >= 0 ? `; the master is ${group}.${masterReplica} (term ${term})` : `; no master is known in term ${term}`;
  const details: MasterHint = { group, term, masterReplica, master: masterReplica >= 0 ? masterAddress : "" };
  return new RbusError(ErrorCode.NOT_MASTER, message ?? `this replica is not the master of ${group}${known}`, { ...details });
}

/** The master a NOT_MASTER error names; undefined for any other error or one that names none. */
export function masterHint(err: unknown): MasterHint | undefined {
  if (!(err instanceof RbusError) || err.code !== ErrorCode.NOT_MASTER || !err.details) return undefined;
  const { group, term, masterReplica, master } = err.details;
  if (typeof group !== "string" || typeof term !== "number" || typeof masterReplica !== "number") return undefined;
  if (masterReplica < 0) return undefined;
  return { group, term, masterReplica, master: typeof master === "string" ? master : "" };
}

/** NOT_REPLICATED: stored on the master at `end`, but the group's commit offset is still `commit`. */
export function notReplicatedError(group: string, term: number, end: number, commit: number, message?: string): RbusError {
  return new RbusError(
    ErrorCode.NOT_REPLICATED,
    message ?? `${group} could not replicate the write to a majority in time (term ${term}, end ${end}, commit ${commit}); not acknowledged`,
    { group, term, end, commit },
  );
}
