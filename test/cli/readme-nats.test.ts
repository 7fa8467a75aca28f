// The README's `nats` CLI walkthrough, replayed: every `nats req`, `pub`
// and `sub` of the section goes, subject, payload and headers as written,
// through a plain nats.js connection (no Rocketbus client code) to a
// NameServer and two broker groups on a nats-server running the shipped
// nats.conf with its users. Each command connects as the user the README
// gives it (the exported NATS_NKEY / NATS_INBOX_PREFIX, or --nkey and
// --inbox-prefix), with that user's seed, so the credentials shown must
// work too. Each answer must be JSON of the shape the README writes under
// the command, and each subscription must hear what the README says it
// hears, so the walkthrough cannot drift from the code.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, headers, nkeyAuthenticator, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { startSecureCluster, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";
import { readmeSection, sessionSteps, type Credentials, type NatsCommand, type Step } from "./readme-session.js";
import { mismatch } from "./readme-shape.js";

const README = fileURLToPath(new URL("../../../README.md", import.meta.url));
const HEADING = "## Scripting with the `nats` CLI";
const steps = (): Step[] => sessionSteps(readmeSection(README, HEADING));
const commands = () => steps().filter((s): s is NatsCommand => s.kind === "nats");

const shapes = suite("README walkthrough: answer shapes");

shapes("a shape checks fields, literal values, text around … and array items", () => {
  const reply = { status: "SEND_OK", msgId: "broker-a:00000000000000b5", queueId: 0, messages: [{ body: "hello" }, { body: "x" }] };
  assert.is(mismatch(`{"status":"SEND_OK","msgId":"broker-a:…","queueId":0,"messages":[{"body":"hello"},…]}`, reply), undefined);
  assert.is(mismatch(`{"status","msgId","queueId"}`, reply), undefined);
  assert.match(mismatch(`{"status":"FOUND"}`, reply)!, /reply\.status is "SEND_OK"/);
  assert.match(mismatch(`{"msgId":"broker-b:…"}`, reply)!, /msgId/);
  assert.match(mismatch(`{"queueOffset"}`, reply)!, /no "queueOffset"/);
  assert.match(mismatch(`{"messages":[{"body":"x"}]}`, reply)!, /messages\[0\]\.body/);
  assert.match(mismatch(`{"messages":[{"body":"hello"},{"body":"x"},{"body":"y"}]}`, reply)!, /has 2 items, fewer than 3/);
  assert.throws(() => mismatch(`{"status":}`, reply), /expected a value/);
});

shapes.run();

const section = suite("README walkthrough: the section");

section("walks through a session, every command with the answer it gets", () => {
  const cmds = commands();
  const reqs = cmds.filter((c) => c.verb === "req").map((c) => c.subject);
  for (const api of [/^rbus\.ns\.route$/, /\.topic\.upsert$/, /\.send$/, /\.pull$/, /\.offset\.commit\.[\w-]+$/, /\.offset\.query$/, /\.message$/]) {
    assert.ok(reqs.some((s) => api.test(s)), `the walkthrough has no request matching ${api}`);
  }
  const subs = cmds.filter((c) => c.verb === "sub").map((c) => c.subject);
  assert.ok(subs.includes("rbus.events.>") && subs.includes("rbus.inspect.>"), `subscriptions: ${subs.join(", ")}`);
  assert.ok(cmds.some((c) => c.verb === "req" && c.subject.endsWith(".send") && c.headers.length >= 3), "a send with headers");
  for (const c of cmds) if (c.verb !== "pub") assert.ok(c.expect, `no "# →" answer written under: ${c.line}`);
  assert.ok(steps()[0]?.kind === "export", "the walkthrough starts by exporting its credentials");
});

section.run();

interface Heard {
  command: NatsCommand;
  messages: Msg[];
}

const replay = suite<{ cluster: SecureCluster; conns: Map<string, NatsConnection> }>("README walkthrough: replayed with nats.js alone");

replay.before(async (ctx) => {
  ctx.cluster = await startSecureCluster();
  ctx.conns = new Map();
  // Both groups are routable before the session starts, as run-cluster's summary waits for.
  const ns = ctx.cluster.nameServers[0]!;
  await waitUntil("both groups registered", () => ns.actor.getSnapshot().context.brokers.size === 2);
});

replay.after(async (ctx) => {
  for (const nc of ctx.conns.values()) await nc.close().catch(() => undefined);
  await ctx.cluster.stop();
});

replay("every command answers as the README says, in order", async (ctx) => {
  let env: Partial<Credentials> = {};
  const seen = new Map<string, string>();
  const heard: Heard[] = [];
  for (const step of steps()) {
    if (step.kind === "export") {
      env = { ...env, ...step.credentials };
      continue;
    }
    const nc = await connectAs(ctx, { ...env, ...step.credentials }, step.line);
    const subject = fill(step.subject, seen, step.line);
    if (step.verb === "sub") {
      const h: Heard = { command: step, messages: [] };
      nc.subscribe(subject, { callback: (err, m) => void (err ?? h.messages.push(m)) });
      await nc.flush();
      heard.push(h);
      continue;
    }
    const payload = fill(step.payload, seen, step.line);
    const hdrs = headers();
    for (const [k, v] of step.headers) hdrs.append(k, v);
    const opts = step.headers.length ? { headers: hdrs } : {};
    if (step.verb === "pub") {
      nc.publish(subject, payload, opts);
      await nc.flush();
      continue;
    }
    const answer = async () => {
      const replies = await request(nc, subject, payload, step, opts);
      for (const reply of replies) check(step, reply);
      return replies;
    };
    // The NameServers' view follows the brokers' registrations, a moment after a change: those queries are asked again until they agree.
    const replies = FOLLOWS_REGISTRATIONS.test(subject) ? await eventually(step.line, answer) : await answer();
    for (const [k, v] of Object.entries(replies[0] as Record<string, unknown>)) if (typeof v === "string" || typeof v === "number") seen.set(k, String(v));
  }
  for (const h of heard) {
    const [pattern, shape] = splitHeard(h.command);
    await waitUntil(
      `"${h.command.line}" to hear ${h.command.expect}`,
      () => h.messages.some((m) => matchesSubject(pattern, m.subject) && mismatch(shape, m.json()) === undefined),
      { timeoutMs: 5000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; it heard: ${h.messages.slice(-5).map((m) => `${m.subject} ${m.string()}`).join(" | ") || "nothing"}`);
    });
  }
  assert.equal(ctx.cluster.nodeViolations(), []);
});

replay.run();

const FOLLOWS_REGISTRATIONS = /^rbus\.ns\.(route|cluster)$/;

/** `answer` until it passes, for up to 3 s; the last failure otherwise. */
async function eventually<T>(line: string, answer: () => Promise<T>): Promise<T> {
  let last: unknown;
  const got = await waitUntil(`"${line}" to answer as written`, () =>
    answer().catch((err: unknown) => {
      last = err;
      return undefined;
    }),
    { timeoutMs: 3000, intervalMs: 50 },
  ).catch(() => undefined);
  if (got === undefined) throw last;
  return got;
}

/** A plain nats.js connection as the user whose seed the README names, with the inbox prefix the README gives. */
async function connectAs(ctx: { cluster: SecureCluster; conns: Map<string, NatsConnection> }, c: Partial<Credentials>, line: string): Promise<NatsConnection> {
  if (!c.nkey || !c.inboxPrefix) throw new Error(`"${line}" runs with no credentials: the bus has users (docs/security.md)`);
  const user = basename(c.nkey).replace(/\.nk$/, "");
  assert.is(c.nkey, `data/cluster/auth/${user}.nk`, `the seed run-cluster writes for ${user}`);
  const key = `${user} ${c.inboxPrefix}`;
  let nc = ctx.conns.get(key);
  if (!nc) {
    const creds = ctx.cluster.nats.users.find((u) => u.name === user);
    if (!creds) throw new Error(`"${line}" connects as ${user}, a user the test cluster does not have`);
    const seed = new TextEncoder().encode(readFileSync(creds.seedFile, "utf8").trim());
    nc = await connect({ servers: ctx.cluster.nats.url, authenticator: nkeyAuthenticator(seed), inboxPrefix: c.inboxPrefix, name: `readme-${user}` });
    ctx.conns.set(key, nc);
  }
  return nc;
}

/** The request as the nats CLI makes it: one reply, --replies n of them, or with --replies 0 all that come within the timeout. */
async function request(nc: NatsConnection, subject: string, payload: string, c: NatsCommand, opts: { headers?: ReturnType<typeof headers> }): Promise<unknown[]> {
  const parse = (m: Msg) => {
    try {
      return m.json<unknown>();
    } catch {
      throw new Error(`"${c.line}" answered what is not JSON: ${m.string()}`);
    }
  };
  if (c.replies === 1) {
    const m = await nc.request(subject, payload, { timeout: c.timeoutMs, ...opts }).catch((err: Error) => {
      throw new Error(`"${c.line}": ${err.message}`);
    });
    return [parse(m)];
  }
  const many = c.replies === 0 ? { strategy: "timer" as const, maxWait: c.timeoutMs } : { strategy: "count" as const, maxMessages: c.replies, maxWait: c.timeoutMs };
  const out: unknown[] = [];
  for await (const m of await nc.requestMany(subject, payload, { ...many, ...opts })) out.push(parse(m));
  if (out.length === 0) throw new Error(`"${c.line}": no answer within ${c.timeoutMs} ms`);
  return out;
}

/** An answer is the shape written under its command; `# → CODE` is an error reply with that code. */
function check(c: NatsCommand, reply: unknown): void {
  const text = c.expect ?? "{…}";
  const code = /^([A-Z][A-Z_]+)\b/.exec(text)?.[1];
  const error = (reply as { error?: { code?: string } } | null)?.error;
  if (code) {
    assert.is(error?.code, code, `"${c.line}" should be refused with ${code}: ${JSON.stringify(reply)}`);
    return;
  }
  assert.is(error, undefined, `"${c.line}" was refused: ${JSON.stringify(reply)}`);
  const why = mismatch(text, reply);
  assert.is(why, undefined, `"${c.line}": ${why}; the whole answer: ${JSON.stringify(reply)}`);
}

/** `<name>` in a command stands for the field of that name in an earlier answer (a message id the send returned). */
function fill(s: string, seen: Map<string, string>, line: string): string {
  return s.replace(/<([A-Za-z]+)>/g, (_, name: string) => {
    const v = seen.get(name);
    if (v === undefined) throw new Error(`"${line}" uses <${name}>, which no earlier answer carried`);
    return v;
  });
}

/** A subscription's `# →` line: the subject a message arrives on, then its shape. */
function splitHeard(c: NatsCommand): [string, string] {
  const m = /^(\S+)\s+(.+)$/.exec(c.expect ?? "");
  if (!m) throw new Error(`"${c.line}": write what it hears as "# → <subject> <shape>"`);
  return [m[1]!, m[2]!];
}

/** NATS subject matching: `*` one token, `>` the rest. */
function matchesSubject(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
