// A request's real shape, field by field, and the payloads made from it: a
// valid request with some fields replaced by hostile values, removed, or
// joined by extra keys, so generated requests get past the first parse and
// reach the code behind it. Each payload knows whether the contract says it
// must be refused (a required field missing, a value of the wrong type or
// out of range): such a payload must get an error envelope.
import fc from "fast-check";
import { isSubjectToken } from "../../src/protocol/index.js";
import { EXTRA_KEYS, hostileInt, hostileName, hostileString, q, wrongType } from "./hostile.js";

export type Kind =
  | { t: "name"; valid: fc.Arbitrary<string> }
  | { t: "int"; min: number; max: number; valid: fc.Arbitrary<number>; hold?: boolean }
  | { t: "str"; valid: fc.Arbitrary<string> }
  | { t: "bool" }
  | { t: "enum"; values: readonly string[] }
  | { t: "array"; item: Kind; maxLength: number; minLength?: number }
  | { t: "object"; shape: Shape };

export interface Field {
  key: string;
  kind: Kind;
  optional?: boolean;
  /** Ignored on some paths (the contract does not promise a refusal when it is wrong). */
  lenient?: boolean;
}
export type Shape = Field[];

/** One field's JSON text, and whether the contract makes it a reason to refuse the request. */
interface Value {
  text: string;
  invalid: boolean;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export const nameK = (...pool: string[]): Kind => ({ t: "name", valid: fc.constantFrom(...pool) });
export const intK = (min: number, max: number, valid: [number, number] = [min, Math.min(max, 100)], hold = false): Kind => ({
  t: "int", min, max, hold, valid: fc.integer({ min: valid[0], max: valid[1] }),
});
export const offsetK = (valid: [number, number] = [0, 50]): Kind => intK(0, MAX_SAFE, valid);
export const strK = (...pool: string[]): Kind => ({ t: "str", valid: fc.constantFrom(...pool) });
export const boolK: Kind = { t: "bool" };
export const enumK = (...values: string[]): Kind => ({ t: "enum", values });

/** Whether a parsed value meets the field's contract (the rules of src/protocol/validate.ts, written independently). */
function meets(kind: Kind, v: unknown): boolean {
  switch (kind.t) {
    case "name":
      return isSubjectToken(v);
    case "int":
      return typeof v === "number" && Number.isInteger(v) && v >= kind.min && v <= kind.max;
    case "str":
      return typeof v === "string" && v.length > 0;
    case "bool":
      return typeof v === "boolean";
    case "enum":
      return typeof v === "string" && kind.values.includes(v);
    case "array":
    case "object":
      return true; // judged by how they were built
  }
}

function judged(kind: Kind, text: string): Value {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { text, invalid: true };
  }
  return { text, invalid: !meets(kind, v) };
}

export function validValue(kind: Kind): fc.Arbitrary<string> {
  switch (kind.t) {
    case "name":
    case "str":
      return kind.valid.map(q);
    case "int":
      return kind.valid.map(String);
    case "bool":
      return fc.boolean().map(String);
    case "enum":
      return fc.constantFrom(...kind.values).map(q);
    case "array":
      return fc.array(validValue(kind.item), { minLength: kind.minLength ?? 0, maxLength: Math.min(kind.maxLength, 3) }).map((a) => `[${a.join(",")}]`);
    case "object":
      return validObject(kind.shape);
  }
}

function hostileValue(kind: Kind): fc.Arbitrary<Value> {
  const wrong = wrongType.map((t) => judged(kind, t));
  switch (kind.t) {
    case "name":
      return fc.oneof(hostileName.map((s) => judged(kind, q(s))), wrong);
    case "int":
      return fc.oneof(hostileInt(kind.min, kind.max, kind.hold).map((t) => judged(kind, t)), wrong);
    case "str":
      return fc.oneof(hostileString.map((t) => judged(kind, t)), wrong);
    case "bool":
      return fc.oneof(fc.constantFrom(q("true"), "0", "1").map((t) => judged(kind, t)), wrong);
    case "enum":
      return fc.oneof(fc.constantFrom(...kind.values.map((v) => q(v.toUpperCase() + " ")), q("")).map((t) => judged(kind, t)), wrong);
    case "array": {
      const items = fc.array(validValue(kind.item), { maxLength: 2 });
      return fc.oneof(
        fc.constantFrom("{}", q("x"), "null").map((text) => ({ text, invalid: true })),
        fc.tuple(items, hostileValue(kind.item)).map(([ok, bad]) => ({ text: `[${[...ok, bad.text].join(",")}]`, invalid: bad.invalid })),
        // ten thousand entries: within what a request may carry, far beyond what one should
        validValue(kind.item).map((one) => ({ text: `[${Array(10_000).fill(one).join(",")}]`, invalid: kind.maxLength < 10_000 })),
      );
    }
    case "object":
      // an object of the wrong shape misses every required field
      return fc.oneof(wrong.map((w) => ({ ...w, invalid: !w.text.startsWith("{") || kind.shape.some((f) => !f.optional) })), mutatedObject(kind.shape));
  }
}

function render(entries: Array<[string, string]>): string {
  return `{${entries.map(([k, v]) => `${q(k)}:${v}`).join(",")}}`;
}

export function validObject(shape: Shape): fc.Arbitrary<string> {
  return fc
    .tuple(...shape.map((f) => fc.tuple(f.optional ? fc.boolean() : fc.constant(true), validValue(f.kind))))
    .map((vs) => render(shape.flatMap((f, i) => (vs[i]![0] ? [[f.key, vs[i]![1]] as [string, string]] : []))));
}

type Mutation = { at: number; how: "replace"; value: Value } | { at: number; how: "drop" } | { how: "extra"; key: string; value: string };

function mutation(shape: Shape): fc.Arbitrary<Mutation> {
  const extra = fc.record({ how: fc.constant("extra" as const), key: fc.constantFrom(...EXTRA_KEYS.filter((k) => !shape.some((f) => f.key === k))), value: wrongType });
  if (shape.length === 0) return extra;
  const at = fc.integer({ min: 0, max: shape.length - 1 });
  return fc.oneof(
    { weight: 6, arbitrary: at.chain((i) => hostileValue(shape[i]!.kind).map((value) => ({ at: i, how: "replace" as const, value }))) },
    { weight: 1, arbitrary: at.map((i) => ({ at: i, how: "drop" as const })) },
    { weight: 1, arbitrary: extra },
  );
}

/** A valid object with one to three mutations; `invalid` when the contract makes any of them a reason to refuse. */
export function mutatedObject(shape: Shape): fc.Arbitrary<Value> {
  return fc.tuple(validObject(shape), fc.array(mutation(shape), { minLength: 1, maxLength: 3 })).map(([base, ms]) => {
    const entries = new Map<string, string>(Object.entries(JSON.parse(base) as Record<string, unknown>).map(([k, v]) => [k, JSON.stringify(v)]));
    const extras: Array<[string, string]> = [];
    const refusable = new Map<string, boolean>();
    for (const m of ms) {
      if (m.how === "extra") {
        extras.push([m.key, m.value]);
        continue;
      }
      const f = shape[m.at]!;
      if (m.how === "drop") {
        entries.delete(f.key);
        refusable.set(f.key, !f.optional && !f.lenient);
      } else {
        entries.set(f.key, m.value.text);
        refusable.set(f.key, m.value.invalid && !f.lenient);
      }
    }
    return { text: render([...entries, ...extras]), invalid: [...refusable.values()].some(Boolean) };
  });
}
