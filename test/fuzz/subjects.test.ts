// Hostile payloads on every request subject the nodes answer (table.ts),
// against real processes: each request gets a typed error or a valid
// answer within its deadline, every node stays up and answers its status,
// and afterwards a normal send and pull still work with every message
// acknowledged before and during the fuzz still readable.
//
// FUZZ_SEED=<n> replays a run, FUZZ_RUNS=<n> runs per subject (default 20),
// FUZZ_SUBJECT=<name,…> only those subjects, FUZZ_PATH=<path> with them one
// failing payload again (fast-check prints seed and path), FUZZ_SHRINK=1 lets fast-check
// shrink a failure (slower; by default it reports the payload as it failed),
// FUZZ_ANSWERS=1 prints what each subject answered (error codes, answers).
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { waitUntil } from "../harness/wait.js";
import { BROKER, FuzzCluster, GROUP, REPLICAS } from "./cluster.js";
import { Ledger } from "./ledger.js";
import { Payload } from "./payload.js";
import { REGRESSIONS } from "./regressions.js";
import { SUBJECTS, TERM_NOW, type SubjectCase } from "./table.js";
import { ask, errorCode, judge } from "./verdict.js";

const safeCode = (r: Uint8Array) => {
  try {
    return errorCode(r);
  } catch {
    return "malformed";
  }
};

// empty counts as unset: `make fuzz` passes every variable, set or not
const SEED = Number(process.env.FUZZ_SEED || Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS || 20);
const ONLY = process.env.FUZZ_SUBJECT ? process.env.FUZZ_SUBJECT.split(",") : undefined;
const SHRINK = process.env.FUZZ_SHRINK === "1";
/** fast-check's path of one failure: with FUZZ_SEED and FUZZ_SUBJECT, runs just that payload again. */
const PATH = process.env.FUZZ_PATH || undefined;
console.log(`fuzz: seed ${SEED}, ${RUNS} runs per subject; replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`);

interface Ctx {
  cluster: FuzzCluster;
  ledger: Ledger;
  skipped: string[];
  runs: number;
  /** Per subject: how many answers of each kind (an error code, or "answer"): how deep the payloads got. */
  answers: Map<string, Map<string, number>>;
}

/** The subject's payloads, each sent to a replica of the group or on a consumer group's subject where that matters. */
function targeted(c: SubjectCase): fc.Arbitrary<Payload> {
  return fc.tuple(c.payload, fc.integer({ min: 0, max: REPLICAS - 1 }), fc.constantFrom("same", "same", "same", "cg-2", "__proto__")).map(([p, replica, scope]) => {
    const named = (p.parsed() as { group?: unknown } | undefined)?.group;
    const own = typeof named === "string" && /^[A-Za-z0-9_-]{1,128}$/.test(named) ? named : "cg-1";
    return p.with({ replica, scope: scope === "same" ? own : scope });
  });
}

/** One request, judged; throws with the reason, and the last words of any node it killed. */
async function exchange(ctx: Ctx, c: SubjectCase, sent: Payload): Promise<void> {
  const { cluster } = ctx;
  ctx.runs++;
  const p = c.node === "replica" || c.node === "group" ? sent.filled(String(TERM_NOW), String(await cluster.currentTerm())) : sent;
  const replies = await ask(cluster.nc, { subject: cluster.subject(c, p), payload: p, answer: c.answer ?? "json", holdMs: c.holdMs?.(p) ?? 0, many: c.many ?? false, raw: cluster.raw });
  const seen = ctx.answers.get(c.name) ?? new Map<string, number>();
  ctx.answers.set(c.name, seen);
  for (const r of replies) {
    const kind = safeCode(r) ?? "answer";
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
    const why = judge(r, { payload: c.ignoresPayload ? p.with({ invalid: false }) : p, answer: c.answer ?? "json" });
    if (why) throw new Error(p === sent ? why : `${why}\nsent as ${p.toString()}`);
  }
  const dead = cluster.nodes(c).filter((n) => !n.alive());
  if (dead.length) throw new Error(`${dead.map((n) => n.name).join(", ")} died:\n${dead.map((n) => n.output().trim().split("\n").slice(-8).join("\n")).join("\n")}`);
}

const test = suite<Ctx>("every request subject answers hostile payloads and the cluster goes on serving");

test.before(async (ctx) => {
  ctx.cluster = await FuzzCluster.start();
  ctx.ledger = new Ledger(ctx.cluster.nc, [{ group: BROKER, replicas: 1 }, { group: GROUP, replicas: REPLICAS }]);
  await waitUntil("a first acknowledged send to both groups", () => ctx.ledger.sendOnce(), { timeoutMs: 15_000 });
  ctx.ledger.start();
  ctx.skipped = [];
  ctx.runs = 0;
  ctx.answers = new Map();
});

test.after.each(async (ctx) => {
  const revived = await ctx.cluster.revive();
  if (revived.length) console.log(`revived after the last subject:\n${revived.join("\n")}`);
});

test.after(async (ctx) => {
  await ctx.ledger?.stop();
  if (ctx.skipped.length) console.log(`fuzz: skipped (nobody serves them here): ${ctx.skipped.join(", ")}`);
  if (process.env.FUZZ_ANSWERS === "1") {
    for (const [name, seen] of ctx.answers ?? []) console.log(`fuzz: ${name}: ${[...seen].map(([k, n]) => `${k} ${n}`).join(", ")}`);
  }
  await ctx.cluster?.close();
});

for (const c of SUBJECTS.filter((s) => !ONLY || ONLY.includes(s.name))) {
  test(`${c.name}: a typed error or a valid answer, and the node stays up`, async (ctx) => {
    if (c.optional && !(await ctx.cluster.answers(ctx.cluster.subject(c, new Payload(new Uint8Array(), "probe", false))))) {
      ctx.skipped.push(c.name);
      return;
    }
    await fc.assert(fc.asyncProperty(targeted(c), (p) => exchange(ctx, c, p)), { seed: SEED, numRuns: RUNS, endOnFailure: !SHRINK, includeErrorInReport: true, ...(PATH ? { path: PATH } : {}) });
    assert.is(await ctx.cluster.unanswering(), undefined, `every node answers its status after ${c.name}`);
  });
}

for (const r of REGRESSIONS) {
  test(`regression: ${r.name}`, async (ctx) => {
    const c = SUBJECTS.find((s) => s.name === r.subject)!;
    await exchange(ctx, c, await r.payload(ctx.cluster));
    if (r.after) await r.after(ctx.cluster);
    assert.is(await ctx.cluster.unanswering(), undefined, "every node answers its status");
  });
}

test("afterwards a normal send and pull work, and every acknowledged message is still there", async (ctx) => {
  const { cluster, ledger } = ctx;
  await ledger.stop();
  const why = async (err: Error) => {
    const refused = JSON.stringify(Object.fromEntries(ledger.refused));
    throw new Error(`${err.message}\nrefused sends: ${refused}\n${JSON.stringify(await cluster.group.statuses())}\n${cluster.group.tail(12)}`);
  };
  await waitUntil("a normal send acknowledged by both groups", () => ledger.sendOnce(), { timeoutMs: 20_000 }).catch(why);
  const m = await cluster.group.waitMaster({ timeoutMs: 20_000 }).catch(why);
  for (const [g, r] of [[BROKER, 0], [GROUP, m.replica]] as const) {
    const missing = await ledger.missing(g, r);
    assert.equal(missing, [], `${g}: every acknowledged message reads back (${ledger.acked.get(g)!.length} acknowledged)`);
  }
  console.log(`fuzz: ${ctx.runs} requests, ${ledger.total()} messages acknowledged meanwhile, refusals ${JSON.stringify(Object.fromEntries(ledger.refused))}`);
});

test.run();
