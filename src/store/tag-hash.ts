// The 64-bit tag hash kept in consume-queue entries: FNV-1a 64 over the
// tag's UTF-8 bytes (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
// RocketMQ uses Java's String.hashCode widened to 8 bytes; a real 64-bit
// hash makes collisions (and so wasted reads) negligible. No tag hashes to 0.
// Computed on two u32 halves so the put path never touches BigInt.

/** [hi, lo] halves of the hash; both 0 for an empty tag. */
export function tagHashParts(tag: string): [number, number] {
  if (tag.length === 0) return [0, 0];
  const bytes = Buffer.from(tag, "utf8");
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < bytes.length; i++) {
    lo ^= bytes[i]!;
    // (hi:lo) * (2^40 + 0x1b3) mod 2^64
    const l = (lo >>> 0) * 0x1b3;
    const carry = Math.floor(l / 4294967296);
    hi = (Math.imul(hi, 0x1b3) + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = l >>> 0;
  }
  return [hi, lo];
}

/** The hash as a bigint, for subscription filters (`get(..., { tagHashes })`). */
export function tagHash(tag: string): bigint {
  const [hi, lo] = tagHashParts(tag);
  return (BigInt(hi) << 32n) | BigInt(lo);
}
