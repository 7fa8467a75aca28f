// Hostile values as JSON text: a payload is written as text, not built as
// a JS value, so it can hold what JSON.stringify never writes (1e309,
// duplicate or "__proto__" keys, 10,000 levels of nesting, bad syntax).
import fc from "fast-check";

export const DEPTH = 10_000;
const LONG = "a".repeat(10_000);

/** JSON text of a string. */
export const q = (s: string): string => JSON.stringify(s);

/** A name pool: what subject tokens, table keys and ids are tried with. */
export const HOSTILE_NAMES = [
  "", " ", "a b", "a.b", ".", "..", "*", ">", "a.*", "a.>", "x\u0000y", "tab\there", "line\nbreak", "ü", "名前", "😀", "e\u0301",
  "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__",
  "a".repeat(128), "a".repeat(129), LONG, "-", "_", "0", "TBW102",
];

/** Numbers as JSON text where an integer is parsed: out of range, fractional, overflowing, or not numbers at all. */
const HOSTILE_NUMBERS = [
  "-1", "0", "1", "-0", "1.5", "0.0000001", "1e309", "-1e309", "1e21", "9007199254740991", "9007199254740993",
  "2147483647", "2147483648", "4294967295", "4294967296", "-2147483649", "65535", "65536", "1000", "1001", "1.0",
  q("NaN"), q("Infinity"), q("-Infinity"), q("1"), q("0x10"), q(""), "null", "true", "false", "[]", "{}", "[1]", q("1e309"),
];

/** Any JSON value of a type no field expects, and shapes parsers choke on. */
export const WRONG_TYPES = [
  "null", "true", "0", "-1", "1.5", "1e309", q(""), q(LONG), "[]", "{}", "[null]", '{"__proto__":{"polluted":true}}',
  "[".repeat(DEPTH) + "]".repeat(DEPTH), '{"a":'.repeat(DEPTH) + "1" + "}".repeat(DEPTH),
];

/** Keys a payload may carry besides its fields. */
export const EXTRA_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "", "a.b", "x".repeat(1000)];

export const hostileName = fc.constantFrom(...HOSTILE_NAMES);
export const wrongType = fc.constantFrom(...WRONG_TYPES);

/** Boundary values of an int field next to the generic hostile ones. `hold`: the max is a wait; do not try it. */
export function hostileInt(min: number, max: number, hold = false): fc.Arbitrary<string> {
  const edges = [min - 1, min, max + 1, ...(hold ? [] : [max])].filter(Number.isFinite).map(String);
  return fc.constantFrom(...HOSTILE_NUMBERS, ...edges);
}

export const hostileString = fc.oneof(
  hostileName.map(q),
  fc.string({ unit: "binary", maxLength: 40 }).map(q),
  fc.constantFrom(q("\uD800"), q("\uFFFF"), q("a".repeat(70_000))),
);

/** A whole payload that is not a request at all. `invalid`: no subject may accept it. */
export interface WholePayload {
  bytes: Uint8Array;
  note: string;
  invalid: boolean;
}

const enc = new TextEncoder();
/** Larger than any request a broker takes, smaller than the bus's max_payload (8 MB in the harness). */
export const OVERSIZE_BYTES = 6 * 1024 * 1024;
let oversize: Uint8Array | undefined;
const oversizeJson = () => (oversize ??= enc.encode(`{"topic":"${"o".repeat(OVERSIZE_BYTES)}","group":"g"}`));

const text = (s: string, note: string, invalid: boolean): WholePayload => ({ bytes: enc.encode(s), note, invalid });

export const wholePayload: fc.Arbitrary<WholePayload> = fc.oneof(
  fc.constantFrom(
    text("", "empty", false),
    text("{", "truncated JSON", true),
    text('{"a":}', "invalid JSON", true),
    text("{'a':1}", "single quotes", true),
    text('{"a":NaN}', "bare NaN", true),
    // TextDecoder drops a leading byte order mark: what follows is the request
    text("\uFEFF{}", "byte order mark", false),
    text("null", "top-level null", true),
    text("[]", "top-level array", true),
    text("42", "top-level number", true),
    text('"s"', "top-level string", true),
    text("[".repeat(DEPTH) + "]".repeat(DEPTH), `${DEPTH} nested arrays`, true),
    text('{"a":'.repeat(DEPTH) + "1" + "}".repeat(DEPTH), `${DEPTH} nested objects`, false),
    text('{"__proto__":{"group":"g","topic":"t"}}', "fields under __proto__", false),
  ),
  fc.uint8Array({ maxLength: 64 }).map((b) => ({ bytes: b, note: "junk bytes", invalid: false })),
  fc.constant(0).map(() => ({ bytes: oversizeJson(), note: `oversize JSON (${OVERSIZE_BYTES} bytes)`, invalid: false })),
);
