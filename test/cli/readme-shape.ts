// The shape of an answer as the README writes it after `# →`: JSON in
// which an object member may be a bare "key" (the field is there, any
// value), `…` stands for anything (a value, the rest of an array, more
// members), and a string with `…` in it matches any text in its place
// ("broker-a:…"). Objects match by subset, arrays element by element from
// the start, so the README shows what matters and the replay checks it.

/** Matches `actual` against the shape; returns where it differs, or undefined when it matches. */
export type Shape = (actual: unknown, path: string) => string | undefined;

const ANY: Shape = () => undefined;

export function parseShape(text: string): Shape {
  const p = new ShapeParser(text.trim());
  const shape = p.value();
  p.end();
  return shape;
}

/** Where `actual` differs from the shape written as `text`, or undefined. */
export function mismatch(text: string, actual: unknown): string | undefined {
  return parseShape(text)(actual, "reply");
}

class ShapeParser {
  private i = 0;
  constructor(private readonly s: string) {}

  value(): Shape {
    this.space();
    const c = this.s[this.i];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return stringShape(this.string());
    if (this.take("…")) return ANY;
    const m = /^(-?\d+(\.\d+)?|true|false|null)/.exec(this.s.slice(this.i));
    if (!m) this.fail("a value");
    this.i += m![0].length;
    const want = JSON.parse(m![0]) as unknown;
    return (a, path) => (a === want ? undefined : `${path} is ${JSON.stringify(a)}, not ${m![0]}`);
  }

  end(): void {
    this.space();
    if (this.i !== this.s.length) this.fail("the end");
  }

  private object(): Shape {
    this.i++;
    const members: Array<[string, Shape]> = [];
    this.list("}", () => {
      if (this.take("…")) return;
      const key = this.string();
      this.space();
      members.push([key, this.take(":") ? this.value() : ANY]);
    });
    return (a, path) => {
      if (typeof a !== "object" || a === null || Array.isArray(a)) return `${path} is ${JSON.stringify(a)}, not an object`;
      for (const [key, shape] of members) {
        if (!(key in a)) return `${path} has no "${key}" (it has ${Object.keys(a).join(", ")})`;
        const why = shape((a as Record<string, unknown>)[key], `${path}.${key}`);
        if (why) return why;
      }
      return undefined;
    };
  }

  private array(): Shape {
    this.i++;
    const items: Shape[] = [];
    this.list("]", () => {
      if (!this.take("…")) items.push(this.value());
    });
    return (a, path) => {
      if (!Array.isArray(a)) return `${path} is ${JSON.stringify(a)}, not an array`;
      if (a.length < items.length) return `${path} has ${a.length} items, fewer than ${items.length}`;
      for (const [n, shape] of items.entries()) {
        const why = shape(a[n], `${path}[${n}]`);
        if (why) return why;
      }
      return undefined;
    };
  }

  /** Items separated by commas up to `close`. */
  private list(close: string, item: () => void): void {
    this.space();
    if (this.take(close)) return;
    for (;;) {
      this.space();
      item();
      this.space();
      if (this.take(close)) return;
      if (!this.take(",")) this.fail(`"," or "${close}"`);
    }
  }

  private string(): string {
    const m = /^"(?:[^"\\]|\\.)*"/.exec(this.s.slice(this.i));
    if (!m) this.fail("a string");
    this.i += m![0].length;
    return JSON.parse(m![0]) as string;
  }

  private take(t: string): boolean {
    if (!this.s.startsWith(t, this.i)) return false;
    this.i += t.length;
    return true;
  }

  private space(): void {
    while (/\s/.test(this.s[this.i] ?? "")) this.i++;
  }

  private fail(what: string): never {
    throw new SyntaxError(`answer shape ${this.s}: expected ${what} at ${this.i}: "${this.s.slice(this.i, this.i + 20)}"`);
  }
}

function stringShape(want: string): Shape {
  if (!want.includes("…")) return (a, path) => (a === want ? undefined : `${path} is ${JSON.stringify(a)}, not ${JSON.stringify(want)}`);
  const pattern = new RegExp(`^${want.split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "s");
  return (a, path) => (typeof a === "string" && pattern.test(a) ? undefined : `${path} is ${JSON.stringify(a)}, not ${JSON.stringify(want)}`);
}
