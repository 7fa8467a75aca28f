// The bytes of one key-index file, <store>/index/<first offset>.idx
// (RocketMQ's IndexFile: a header, a fixed table of hash slots, then
// entries linked newest to oldest through each slot):
//
//   0       header copy A (64 B)     two copies, written in turn: a torn
//   4096    header copy B (64 B)     header leaves the other one whole
//   8192    page CRCs                one u32 CRC per 4 KiB page of slots (sealed files)
//   SLOTS   slots × u32              entry number of the newest entry per slot, 0 = none
//   ENTRIES capacity × 20 B          entry n (from 1) at ENTRIES + (n-1) × 20
//
//   header   u32 magic "RIX1", u32 flags (1: sealed), u32 slots, u32 capacity,
//            u64 first (log offset where this file's records begin),
//            u64 covers (every keyed record below it is in this file or an older one),
//            u32 count (entries it vouches for), u32 crc32 of entries 1..count,
//            u64 begin time (ms), u32 seq (the newer copy has the higher one),
//            u32 crc32 of the page-CRC table (sealed), u32 0, u32 crc32 of bytes 0..60
//   entry    u32 key hash, u64 commit-log offset, u32 ms since begin time, u32 previous entry in the slot
//
// An active file's slots live in memory and reach the disk only when it is
// sealed (full): on open they are rebuilt from its entries, which the
// entries CRC vouches for. A sealed file's slots are read a page at a time
// and checked against their page CRC.
import { readU64, writeU64 } from "./record.js";
import { crc32 } from "node:zlib";

export const MAGIC = 0x52495831; // "RIX1"
export const HEADER_BYTES = 64;
export const HEADER_AT = [0, 4096] as const;
export const PAGE_CRCS_AT = 8192;
export const PAGE_SLOTS = 1024;
export const ENTRY_BYTES = 20;
export const SEALED = 1;

export interface Header {
  flags: number;
  slots: number;
  capacity: number;
  first: number;
  covers: number;
  count: number;
  entriesCrc: number;
  beginTime: number;
  seq: number;
  pagesCrc: number;
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

export function pagesOf(slots: number): number {
  return Math.ceil(slots / PAGE_SLOTS);
}

export function slotsAt(slots: number): number {
  return PAGE_CRCS_AT + roundUp(pagesOf(slots) * 4, 4096);
}

export function entriesAt(slots: number): number {
  return slotsAt(slots) + roundUp(slots * 4, 4096);
}

export function encodeHeader(h: Header): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt32BE(MAGIC, 0);
  b.writeUInt32BE(h.flags, 4);
  b.writeUInt32BE(h.slots, 8);
  b.writeUInt32BE(h.capacity, 12);
  writeU64(b, 16, h.first);
  writeU64(b, 24, h.covers);
  b.writeUInt32BE(h.count, 32);
  b.writeUInt32BE(h.entriesCrc >>> 0, 36);
  writeU64(b, 40, h.beginTime);
  b.writeUInt32BE(h.seq >>> 0, 48);
  b.writeUInt32BE(h.pagesCrc >>> 0, 52);
  b.writeUInt32BE(crc32(b.subarray(0, 60)), 60);
  return b;
}

/** The header in `b`, or undefined when its magic, CRC or fields do not hold. */
export function decodeHeader(b: Buffer): Header | undefined {
  if (b.length < HEADER_BYTES || b.readUInt32BE(0) !== MAGIC || crc32(b.subarray(0, 60)) !== b.readUInt32BE(60)) return undefined;
  const h: Header = {
    flags: b.readUInt32BE(4), slots: b.readUInt32BE(8), capacity: b.readUInt32BE(12), first: readU64(b, 16), covers: readU64(b, 24),
    count: b.readUInt32BE(32), entriesCrc: b.readUInt32BE(36), beginTime: readU64(b, 40), seq: b.readUInt32BE(48), pagesCrc: b.readUInt32BE(52),
  };
  return h.slots > 0 && h.count <= h.capacity && h.covers >= h.first ? h : undefined;
}

export function writeEntry(b: Buffer, at: number, hash: number, offset: number, time: number, prev: number): void {
  b.writeUInt32BE(hash, at);
  writeU64(b, at + 4, offset);
  b.writeUInt32BE(time, at + 12);
  b.writeUInt32BE(prev, at + 16);
}

export const entryHash = (b: Buffer, at: number): number => b.readUInt32BE(at);
export const entryOffset = (b: Buffer, at: number): number => readU64(b, at + 4);
export const entryPrev = (b: Buffer, at: number): number => b.readUInt32BE(at + 16);

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;

/** FNV-1a over the topic's UTF-16 units and a separator: the start of each of its keys' hashes. */
export function topicHash(topic: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < topic.length; i++) h = Math.imul(h ^ topic.charCodeAt(i), FNV_PRIME);
  return Math.imul(h ^ 1, FNV_PRIME);
}

/** The hash of (topic, key), as add() computes it for each of a record's keys. */
export function keyHash(topic: string, key: string): number {
  let h = topicHash(topic);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}
