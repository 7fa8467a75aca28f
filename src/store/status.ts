// Status values the store returns instead of throwing (STYLE rule 4). Names
// follow RocketMQ's PutMessageStatus / GetMessageStatus where one exists.
// Exceptions are kept for bugs and I/O failure.

export const PutStatus = {
  /** Appended (and, under sync flush, on disk). */
  PUT_OK: "PUT_OK",
  /** Appended, but the sync flush did not finish in time: it may or may not survive a crash. */
  FLUSH_TIMEOUT: "FLUSH_TIMEOUT",
  /** The encoded record is larger than maxMessageBytes; nothing was stored. */
  MESSAGE_TOO_LARGE: "MESSAGE_TOO_LARGE",
  /** A bad topic name, queue id or over-long field; nothing was stored. */
  MESSAGE_ILLEGAL: "MESSAGE_ILLEGAL",
  /** The store is closed. */
  STORE_CLOSED: "STORE_CLOSED",
  /** The disk is above the configured fill level; nothing was stored. */
  DISK_FULL: "DISK_FULL",
  /** A write failed (ENOSPC, EMFILE, EIO…) and was rolled back; nothing was stored. */
  IO_ERROR: "IO_ERROR",
} as const;
export type PutStatus = (typeof PutStatus)[keyof typeof PutStatus];

export const GetStatus = {
  /** At least one message returned. */
  FOUND: "FOUND",
  /**
   * offset == maxOffset: the consumer is caught up (a broker holds the long
   * poll); also for an offset past the commit offset whose entry exists but
   * is not committed yet (nextOffset stays at it).
   */
  NO_NEW_MSG: "NO_NEW_MSG",
  /** Entries were there but none matched the tag filter; nextOffset skips them. */
  NO_MATCHED_MSG: "NO_MATCHED_MSG",
  /** One past the queue's last entry (a client that committed "last consumed"). maxOffset is the visible end. */
  OFFSET_OVERFLOW_ONE: "OFFSET_OVERFLOW_ONE",
  /** offset > maxOffset + 1. nextOffset is maxOffset. */
  OFFSET_OVERFLOW_BADLY: "OFFSET_OVERFLOW_BADLY",
  /** offset < minOffset (deleted by retention). nextOffset is minOffset. */
  OFFSET_TOO_SMALL: "OFFSET_TOO_SMALL",
  /** The queue has never held a message. */
  NO_MESSAGE_IN_QUEUE: "NO_MESSAGE_IN_QUEUE",
  /**
   * The record at nextOffset failed its checks. Messages before it (if any)
   * come with FOUND; a get that starts at the damaged record gets this, with
   * `corrupt` naming it.
   */
  CORRUPT_RECORD: "CORRUPT_RECORD",
} as const;
export type GetStatus = (typeof GetStatus)[keyof typeof GetStatus];

/** What the decoder says about the bytes at a position. */
export const RecordStatus = {
  OK: "OK",
  /** Fewer bytes than the record claims: a torn write at the tail. */
  TRUNCATED: "TRUNCATED",
  /** Bad magic, impossible length, CRC mismatch or a field overrunning the record. */
  CORRUPT: "CORRUPT",
} as const;
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

export const AppendRawStatus = {
  APPEND_OK: "APPEND_OK",
  /** A record failed its checks; nothing was appended. */
  CORRUPT: "CORRUPT",
  /** A record's own commit-log or queue offset is not where this log would put it. */
  OFFSET_MISMATCH: "OFFSET_MISMATCH",
  FLUSH_TIMEOUT: "FLUSH_TIMEOUT",
  /** As PutStatus.DISK_FULL: refused, or failed with ENOSPC and rolled back; nothing was appended. */
  DISK_FULL: "DISK_FULL",
  /** As PutStatus.IO_ERROR: a write failed and was rolled back (or the store is read-only); nothing was appended. */
  IO_ERROR: "IO_ERROR",
} as const;
export type AppendRawStatus = (typeof AppendRawStatus)[keyof typeof AppendRawStatus];

/** A lookup by commit-log offset (message id) or key. */
export const LookupStatus = {
  FOUND: "FOUND",
  /** No record starts there (a wrong id, or removed by retention). */
  NOT_FOUND: "NOT_FOUND",
  /** A record starts there (its header names that offset) but it fails its checks. */
  CORRUPT_RECORD: "CORRUPT_RECORD",
} as const;
export type LookupStatus = (typeof LookupStatus)[keyof typeof LookupStatus];

/** A refused or failed write, as appendRaw says it. */
export function rawStatus(s: PutStatus): AppendRawStatus {
  return s === PutStatus.DISK_FULL ? AppendRawStatus.DISK_FULL : AppendRawStatus.IO_ERROR;
}
