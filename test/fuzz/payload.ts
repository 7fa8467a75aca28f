// One fuzzed request: its bytes, its NATS headers, which replica it goes
// to, and whether the contract says it must be refused. fast-check prints
// it (seed and counterexample) through its short description, so a 6 MB
// payload shows as its first bytes and its size.
import fc from "fast-check";
import { wholePayload } from "./hostile.js";
import { mutatedObject, validObject, type Shape } from "./shape.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const SHOWN = 400;

export class Payload {
  constructor(
    readonly data: Uint8Array,
    readonly note: string,
    /** The contract says this request must get an error envelope. */
    readonly invalid: boolean,
    readonly headers: ReadonlyArray<readonly [string, string]> = [],
    /** For a replica's APIs in the replicated group: which replica is asked. */
    readonly replica = 0,
    /** For a consumer-group-scoped API: the subject's last token. */
    readonly scope = "cg-1",
    /** A header block sent byte for byte (over a raw socket) instead of `headers`. */
    readonly rawHeader?: Uint8Array,
  ) {}

  static json(text: string, note: string, invalid: boolean): Payload {
    return new Payload(enc.encode(text), note, invalid);
  }

  with(o: { headers?: ReadonlyArray<readonly [string, string]>; replica?: number; scope?: string; invalid?: boolean }): Payload {
    return new Payload(this.data, this.note, o.invalid ?? this.invalid, o.headers ?? this.headers, o.replica ?? this.replica, o.scope ?? this.scope, this.rawHeader);
  }

  /** The same request with every `from` in its text replaced by `to` (a placeholder filled in when sent). */
  filled(from: string, to: string): Payload {
    const text = dec.decode(this.data);
    if (!text.includes(from)) return this;
    return new Payload(enc.encode(text.replaceAll(from, to)), this.note, this.invalid, this.headers, this.replica, this.scope, this.rawHeader);
  }

  /** The payload as JSON, when it is JSON. */
  parsed(): unknown {
    try {
      return JSON.parse(dec.decode(this.data));
    } catch {
      return undefined;
    }
  }

  toString(): string {
    const text = dec.decode(this.data.subarray(0, SHOWN));
    const cut = this.data.byteLength > SHOWN ? `… (${this.data.byteLength} bytes)` : "";
    const hs = this.headers.map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}… (${v.length})` : v}`);
    const raw = this.rawHeader ? ` raw header ${JSON.stringify(dec.decode(this.rawHeader.subarray(0, SHOWN)))}${this.rawHeader.byteLength > SHOWN ? `… (${this.rawHeader.byteLength} bytes)` : ""}` : "";
    return `Payload(${this.note}${this.invalid ? ", must be refused" : ""}, replica ${this.replica}, scope ${this.scope}) ${JSON.stringify(text + cut)}${hs.length ? ` headers ${JSON.stringify(hs)}` : ""}${raw}`;
  }

  [fc.toStringMethod](): string {
    return this.toString();
  }
}

/** Payloads for a JSON request of this shape: mostly the real shape mutated, some valid, some not requests at all. */
export function jsonRequest(shape: Shape): fc.Arbitrary<Payload> {
  return fc.oneof(
    { weight: 8, arbitrary: mutatedObject(shape).map((v) => Payload.json(v.text, "mutated", v.invalid)) },
    { weight: 1, arbitrary: validObject(shape).map((t) => Payload.json(t, "valid", false)) },
    { weight: 2, arbitrary: wholePayload.map((w) => new Payload(w.bytes, w.note, w.invalid)) },
  );
}

/** Several request shapes for one subject (offset.query's three forms). */
export function jsonRequests(...shapes: Shape[]): fc.Arbitrary<Payload> {
  return fc.oneof(...shapes.map(jsonRequest));
}
