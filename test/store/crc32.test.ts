// crc32Range is zlib's CRC-32 of a buffer's range, by table below the
// size where zlib's call is cheaper and by zlib above it.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { crc32 } from "node:zlib";
import { crc32Range } from "../../src/store/crc32.js";

const test = suite("crc32Range");

test("equals zlib.crc32 of the subarray for any bytes and range, either side of the switch", () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 1200 }), fc.nat(), fc.nat(), (bytes, a, b) => {
    const buf = Buffer.from(bytes);
    const from = buf.length === 0 ? 0 : a % (buf.length + 1);
    const to = from + (buf.length - from === 0 ? 0 : b % (buf.length - from + 1));
    assert.is(crc32Range(buf, from, to), crc32(buf.subarray(from, to)));
  }), { numRuns: 2000 });
  assert.is(crc32Range(Buffer.from("123456789"), 0, 9), 0xcbf43926, "the check value of CRC-32");
});

test.run();
