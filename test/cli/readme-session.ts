// Reads the README's `nats` CLI walkthrough as a list of steps: the
// credentials it exports, and each `nats req|pub|sub` command with its
// subject, payload, -H headers, --replies, --timeout and connection flags,
// and the answer the README promises on the `# →` line under it. A flag or
// a line the replay does not understand is an error, not skipped: the
// walkthrough must stay replayable as written.
import { readFileSync } from "node:fs";

export interface Credentials {
  /** The seed file, as the README names it. */
  nkey: string;
  inboxPrefix: string;
}

export interface NatsCommand {
  kind: "nats";
  line: string;
  verb: "req" | "pub" | "sub";
  subject: string;
  payload: string;
  headers: Array<[string, string]>;
  /** Replies a request waits for; 0 waits out the timeout (every responder answers). */
  replies: number;
  timeoutMs: number;
  /** --nkey / --inbox-prefix on the command itself. */
  credentials?: Partial<Credentials>;
  /** What the README says comes back (a request) or arrives (a subscription), as written after `# →`. */
  expect?: string;
}

export type Step = { kind: "export"; line: string; credentials: Partial<Credentials> } | NatsCommand;

/** The nats CLI's own default request timeout. */
const DEFAULT_TIMEOUT_MS = 5000;

/** The text of the section under `heading` (a `## ` line), up to the next `## `. */
export function readmeSection(file: string, heading: string): string {
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${file} has no section "${heading}"`);
  const rest = text.slice(start + heading.length + 2);
  const next = rest.search(/^## /m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** Every step of the section's ```sh blocks, in order. */
export function sessionSteps(section: string): Step[] {
  const steps: Step[] = [];
  for (const block of section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    for (const line of block[1]!.replace(/\\\n\s*/g, "").split("\n")) {
      const trimmed = line.trim();
      const arrow = /^# →\s*(.+)$/.exec(trimmed);
      if (arrow) {
        const last = steps[steps.length - 1];
        if (last?.kind !== "nats") throw new Error(`"${trimmed}" follows no nats command`);
        if (last.expect !== undefined) throw new Error(`two answers written for "${last.line}"`);
        last.expect = arrow[1]!.trim();
      } else if (trimmed !== "" && !trimmed.startsWith("#")) {
        steps.push(parseLine(trimmed));
      }
    }
  }
  return steps;
}

function parseLine(line: string): Step {
  const words = shellWords(line);
  if (words[0] === "export") {
    const credentials: Partial<Credentials> = {};
    for (const w of words.slice(1)) {
      const [name, value] = [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)];
      if (name === "NATS_NKEY") credentials.nkey = value;
      else if (name === "NATS_INBOX_PREFIX") credentials.inboxPrefix = value;
      else throw new Error(`"${line}": the replay does not know the variable ${name}`);
    }
    return { kind: "export", line, credentials };
  }
  if (words[0] !== "nats") throw new Error(`"${line}" is not a nats command: the walkthrough uses the nats CLI alone`);
  return parseNats(line, words.slice(1));
}

const VERBS: Record<string, NatsCommand["verb"]> = { req: "req", request: "req", pub: "pub", publish: "pub", sub: "sub", subscribe: "sub" };

function parseNats(line: string, words: string[]): NatsCommand {
  const credentials: Partial<Credentials> = {};
  const positional: string[] = [];
  const headers: Array<[string, string]> = [];
  let verb: NatsCommand["verb"] | undefined;
  let replies = 1;
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const eq = w.startsWith("--") ? w.indexOf("=") : -1;
    const flag = eq > 0 ? w.slice(0, eq) : w;
    const value = () => {
      const v = eq > 0 ? w.slice(eq + 1) : words[++i];
      if (v === undefined) throw new Error(`"${line}": ${flag} has no value`);
      return v;
    };
    if (flag === "--nkey") credentials.nkey = value();
    else if (flag === "--inbox-prefix") credentials.inboxPrefix = value();
    else if (flag === "--timeout") timeoutMs = duration(line, value());
    else if (flag === "-H" || flag === "--header") {
      const h = value();
      const colon = h.indexOf(":");
      if (colon <= 0) throw new Error(`"${line}": header "${h}" is not Name:Value`);
      headers.push([h.slice(0, colon), h.slice(colon + 1)]);
    } else if (flag === "--replies") replies = Number(value());
    else if (flag.startsWith("-")) throw new Error(`"${line}": the replay does not know the flag ${flag}`);
    else if (!verb) {
      verb = VERBS[w];
      if (!verb) throw new Error(`"${line}": the replay knows nats req, pub and sub, not "${w}"`);
    } else positional.push(w);
  }
  const [subject, payload = "", ...extra] = positional;
  if (!verb || !subject || extra.length > 0) throw new Error(`"${line}": expected nats <verb> <subject> [payload]`);
  if (!Number.isInteger(replies) || replies < 0) throw new Error(`"${line}": --replies is not a count`);
  if (verb === "sub" && (payload || headers.length > 0)) throw new Error(`"${line}": a subscription takes no payload or headers`);
  return { kind: "nats", line, verb, subject, payload, headers, replies, timeoutMs, ...(Object.keys(credentials).length ? { credentials } : {}) };
}

function duration(line: string, s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(s);
  if (!m) throw new Error(`"${line}": "${s}" is not a duration`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"];
}

/** Splits a command line as a POSIX shell would: quotes, backslashes, a `#` comment. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "#" && word === undefined) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in "${line}"`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let s = "";
      for (i++; i < line.length && line[i] !== '"'; i++) s += line[i] === "\\" && /["\\$`]/.test(line[i + 1] ?? "") ? line[++i] : line[i];
      if (i >= line.length) throw new Error(`unclosed " in "${line}"`);
      word = (word ?? "") + s;
    } else if (c === "\\") {
      word = (word ?? "") + (line[++i] ?? "");
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
