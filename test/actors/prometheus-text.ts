// A strict reader of Prometheus's text exposition format (0.0.4), for
// tests: every line is a `# HELP`, a `# TYPE` or `name{labels} value`, and
// every sample's metric family has both HELP and TYPE before it. Throws on
// the first line that is none of those.
export interface PromText {
  help: Map<string, string>;
  types: Map<string, string>;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function labels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const m = LABEL.exec(text);
    if (!m || m.index !== at) throw new Error(`bad labels in: ${line}`);
    out[m[1]!] = m[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  }
  return out;
}

/** The family a sample belongs to: histogram and summary samples carry suffixes. */
const family = (name: string, types: Map<string, string>) =>
  types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");

export function parsePrometheus(text: string): PromText {
  const out: PromText = { help: new Map(), types: new Map(), samples: [] };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let m: RegExpMatchArray | null;
    if ((m = line.match(new RegExp(`^# HELP (${NAME}) (.*)$`)))) {
      out.help.set(m[1]!, m[2]!);
    } else if ((m = line.match(new RegExp(`^# TYPE (${NAME}) (\\w+)$`)))) {
      if (!TYPES.has(m[2]!)) throw new Error(`unknown type in: ${line}`);
      out.types.set(m[1]!, m[2]!);
    } else if (line.startsWith("#")) {
      continue; // a plain comment
    } else if ((m = line.match(SAMPLE))) {
      const value = Number(m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : m[3]);
      if (Number.isNaN(value) && m[3] !== "NaN") throw new Error(`bad value in: ${line}`);
      const f = family(m[1]!, out.types);
      if (!out.types.has(f) || !out.help.has(f)) throw new Error(`sample before its HELP and TYPE: ${line}`);
      out.samples.push({ name: m[1]!, labels: labels(m[2] ?? "", line), value });
    } else {
      throw new Error(`not Prometheus text: ${line}`);
    }
  }
  return out;
}

/** The value of the one sample of `name` whose labels include `want`; undefined when none, an error when several. */
export function sample(p: PromText, name: string, want: Record<string, string>): number | undefined {
  const hits = p.samples.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(want)}`);
  return hits[0]?.value;
}
