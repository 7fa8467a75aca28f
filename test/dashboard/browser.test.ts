// The dashboard in a real browser (Debian's chromium) against a secured
// cluster of processes (live-cluster.ts): every node's machines drawn;
// kill -9 a slave and each NameServer's liveness chart turns suspect, then
// dead; kill -9 the master and another replica lights master; the page
// loads nothing from elsewhere and logs no error. Screenshots go to
// test-output/dashboard-browser/; UPDATE_README_IMAGE=1 copies the picture
// the last test takes (NameServers and broker-a's lit master, the group's
// other replicas folded) to docs/images/dashboard.png.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromiumPath, openBrowser, type BrowserSession } from "../harness/browser.js";
import { waitUntil } from "../harness/wait.js";
import { NAMESERVERS, REPLICAS, TIMINGS, startLiveCluster, type LiveCluster } from "./live-cluster.js";
import { chart, litRole, litState, section, showView, stateCount, waitLit } from "./page-dom.js";

const SUITE = "dashboard-browser";
const README_IMAGE = fileURLToPath(new URL("../../../docs/images/dashboard.png", import.meta.url));
/** Slack over the NameServers' own timings for scans, the dashboard's relay and the page, on 2 busy cores. */
const SLACK_MS = 3000;

interface Ctx {
  cluster: LiveCluster;
  browser: BrowserSession;
  passed: number;
  readmeShot?: string;
  killed?: string;
}
const test = suite<Ctx>("dashboard: in a real browser", { passed: 0 } as Ctx);

const ready = (ctx: Ctx) => {
  if (!ctx.browser || !ctx.cluster) throw new Error("the cluster or the browser did not start (see the first test)");
  return ctx.browser.page;
};
const group = (name: string) => REPLICAS.filter((r) => r.group === name).map((r) => r.node);
const liveness = (ns: string, node: string) => {
  const r = REPLICAS.find((x) => x.node === node)!;
  return chart(ns, `liveness-${r.group}.${r.replica}`);
};

/** A step of the story, counted only when it passes (uvu runs after.each on failures too). */
const step = (name: string, fn: (ctx: Ctx) => Promise<void> | void) =>
  test(name, async (ctx) => {
    await fn(ctx);
    ctx.passed++;
  });
test.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.cluster?.stop();
});

// Started in the first step, so a cluster that does not come up fails a step that says what it waited for.
step("every NameServer and replica has its section, with its machines drawn and one role lit", async (ctx) => {
  chromiumPath(); // a missing browser fails here, before a cluster is started for nothing
  ctx.cluster = await startLiveCluster();
  ctx.browser = await openBrowser(SUITE);
  const { page } = ctx.browser;
  await page.goto(ctx.cluster.origin);
  await page.waitForSelector('main[data-ready="true"]', { timeout: 10_000, state: "attached" });
  for (const ns of NAMESERVERS) {
    await page.waitForSelector(`${section(ns)}[data-kind="nameserver"]`, { timeout: 5000, state: "attached" });
    assert.ok((await stateCount(page, chart(ns, "nameserver", "machine"))) > 0, `${ns} draws its own machine`);
    for (const r of REPLICAS) await waitLit(page, liveness(ns, r.node), "alive", 10_000);
  }
  for (const r of REPLICAS) {
    await page.waitForSelector(`${section(r.node)}[data-kind="broker"]`, { timeout: 5000, state: "attached" });
    assert.ok((await stateCount(page, chart(r.node, "role", "machine"))) >= 3, `${r.node} draws its role machine`);
    assert.ok((await stateCount(page, chart(r.node, "registration", "machine"))) > 0, `${r.node} draws its registration machine`);
  }
  // each replica's chart lights the role its own status reports
  for (const r of REPLICAS) {
    await waitUntil(`${r.node}'s role chart agreeing with its status`, async () => (await litRole(page, r.node)) === (await ctx.cluster.role(r.node)), { timeoutMs: 8000, intervalMs: 100 });
  }
  const masters = await Promise.all(group("broker-a").map((n) => litRole(page, n)));
  assert.is(masters.filter((m) => m === "master").length, 1, `one master lit in broker-a: ${masters.join(", ")}`);
  await page.waitForSelector('section.node[data-kind="consumer"] svg.machine[data-machine="rebalance"] g.state[data-active="true"]', { timeout: 10_000, state: "attached" });
  ctx.readmeShot = await ctx.browser.screenshot("machines");
});

step("kill -9 a slave: on each NameServer's liveness chart it turns suspect, then dead", async (ctx) => {
  const page = ready(ctx);
  const slave = (await Promise.all(group("broker-a").map(async (n) => ((await ctx.cluster.role(n)) === "slave" ? n : undefined)))).find(Boolean);
  assert.ok(slave, "broker-a has a slave");
  ctx.killed = slave;
  const killedAt = Date.now();
  await ctx.cluster.replicas.get(slave)!.stop("SIGKILL");
  const t = TIMINGS;
  const took = await Promise.all(NAMESERVERS.map(async (ns) => {
    const suspect = await waitLit(page, liveness(ns, slave), "suspect", t.suspectMs + 2 * t.scanMs + SLACK_MS, killedAt);
    const dead = await waitLit(page, liveness(ns, slave), "dead", t.deadMs + 2 * t.scanMs + SLACK_MS, killedAt);
    return `${ns}: suspect ${suspect} ms, dead ${dead} ms`;
  }));
  await ctx.browser.screenshot("slave-dead");
  // a click on a NameServer's header lists its transitions, these among them: the first from the
  // state its rbus.machines answer told, which no transition had
  const r = REPLICAS.find((x) => x.node === slave)!;
  await page.click(`${section(NAMESERVERS[0]!)} > header`);
  const lines = page.locator(`aside.transitions[data-node="${NAMESERVERS[0]}"] li`, { hasText: `liveness-${r.group}.${r.replica}` });
  for (const move of ["alive → suspect", "suspect → dead"]) await lines.filter({ hasText: move }).first().waitFor({ timeout: 5000 });
  await ctx.browser.screenshot("transitions");
  await page.keyboard.press("Escape");
  // the cluster view's liveness cell says the same, per NameServer
  await showView(page, "cluster");
  let cell = page.locator(`table.brokers tr[data-node="${slave}"] .liveness`);
  for (const ns of NAMESERVERS) cell = cell.filter({ hasText: `${ns}: dead` });
  await cell.waitFor({ timeout: 5000, state: "attached" });
  await showView(page, "machines");
  console.log(`    ${slave} killed; ${took.join("; ")}`);
});

step("the restarted slave turns alive again on every NameServer's chart", async (ctx) => {
  const page = ready(ctx);
  const slave = ctx.killed!;
  ctx.cluster.replicas.get(slave)!.start();
  for (const ns of NAMESERVERS) await waitLit(page, liveness(ns, slave), "alive", 15_000);
  await waitUntil(`${slave} following as a slave again`, async () => (await ctx.cluster.role(slave)) === "slave", { timeoutMs: 15_000, intervalMs: 100 });
});

step("kill -9 the master: another replica lights master within the election deadline, and the cluster view says so", async (ctx) => {
  const page = ready(ctx);
  const replicas = group("broker-a");
  const roles = await Promise.all(replicas.map((n) => ctx.cluster.role(n)));
  const master = replicas[roles.indexOf("master")];
  assert.ok(master, `broker-a has a master: ${roles.join(", ")}`);
  const survivors = replicas.filter((n) => n !== master);
  const killedAt = Date.now();
  await ctx.cluster.replicas.get(master)!.stop("SIGKILL");
  const deadline = 4 * TIMINGS.electionMs + SLACK_MS;
  const lit = await page
    .waitForSelector(survivors.map((n) => litState(chart(n, "role", "machine"), "master")).join(", "), { timeout: deadline, state: "attached" })
    .catch(() => undefined);
  assert.ok(lit, `no survivor (${survivors.join(", ")}) lit master within ${deadline} ms of killing ${master}`);
  const took = Date.now() - killedAt;
  const fresh = await waitUntil("the new master's name", async () => {
    for (const n of survivors) if ((await litRole(page, n, 1000).catch(() => "")) === "master") return n;
    return undefined;
  }, { timeoutMs: 3000 });
  assert.is(await ctx.cluster.role(fresh), "master", `${fresh}'s status agrees it is master`);
  // its section's top under the page's header: its name, role badge and the top of its role chart
  await page.evaluate(`document.querySelector('${section(fresh)}').scrollIntoView({ block: "start" }); window.scrollBy(0, -60)`);
  await ctx.browser.screenshot("new-master");
  // its term is newer than any the route held: a route that has not caught up yet is no contradiction
  assert.is(await page.locator(`${section(fresh)} > header .badge.routed`).count(), 0, `${fresh}'s header says it is routed otherwise`);
  await showView(page, "cluster");
  await page.locator(`table.brokers tr[data-node="${fresh}"] .role`, { hasText: "master" }).waitFor({ timeout: 5000, state: "attached" });
  // the killed master: routed as slave, and its own last word, master, beside it
  await page.locator(`table.brokers tr[data-node="${master}"][data-role="slave"][data-claimed-role="master"] .role`, { hasText: "claims master" }).waitFor({ timeout: 5000, state: "attached" });
  await ctx.browser.screenshot("cluster-view");
  await showView(page, "machines");
  await page.locator(`${section(master)} > header .badges`, { hasText: "routed as slave" }).waitFor({ timeout: 8000, state: "attached" });
  console.log(`    ${master} killed; ${fresh} lit master after ${took} ms`);
});

step("the page loaded nothing from outside the dashboard server and logged no error", (ctx) => {
  const { requests, consoleErrors, foreignRequests } = ctx.browser;
  const origin = new URL(ctx.cluster.origin).origin;
  for (const path of ["/app.js", "/app.css", "/api/machines", "/api/snapshot", "/api/stream"]) assert.ok(requests.includes(`${origin}${path}`), `the page asked for ${path}:\n${requests.join("\n")}`);
  assert.equal(foreignRequests(origin), [], "requests to anywhere but the dashboard server");
  const favicon = consoleErrors.some((e) => e.includes("/favicon.ico"))
    ? ' (chromium asks /favicon.ico when the page names no icon: index.html can say <link rel="icon" href="data:,">, or the server answer that path)'
    : "";
  assert.equal(consoleErrors, [], `console errors${favicon}`);
});

// The README's picture: the NameServers' liveness charts and broker-a's lit master in one 1280-wide
// picture. The group's other replicas are folded to their headers (role, liveness), as a reader may fold them.
test("a passing run's machines view, the group's other replicas folded, can become the README's picture", async (ctx) => {
  assert.is(ctx.passed, 5, "every step before this one passed");
  const page = ready(ctx);
  await showView(page, "machines");
  let master: string | undefined;
  for (const n of group("broker-a")) {
    // by its status: the master killed earlier still lights master, as it last said
    if ((await ctx.cluster.role(n)) === "master") master = n;
    else {
      await page.click(`${section(n)} > header button.fold`);
      await page.waitForSelector(`${chart(n, "role", "machine")}`, { state: "hidden", timeout: 2000 });
    }
  }
  assert.ok(master, "broker-a has a master");
  await waitLit(page, chart(master, "role", "machine"), "master", 3000);
  assert.ok(await page.isHidden("aside.transitions"), "folding opened no transitions aside");
  await page.evaluate("window.scrollTo(0, 0)");
  const lit = await page.locator(litState(chart(master, "role", "machine"), "master")).boundingBox();
  const liveness = await page.locator(`${section(NAMESERVERS.at(-1)!)} .liveness-grid`).boundingBox();
  assert.ok(lit && liveness, "the lit master and the liveness charts are laid out");
  const height = Math.ceil(Math.max(lit.y + lit.height, liveness.y + liveness.height) + 24);
  assert.ok(height <= 1400, `the picture stays readable at 1280 wide: ${height} px tall`);
  const shot = join(dirname(ctx.readmeShot!), "readme.png");
  await page.screenshot({ path: shot, fullPage: true, clip: { x: 0, y: 0, width: 1280, height } });
  if (process.env.UPDATE_README_IMAGE !== "1") return;
  mkdirSync(dirname(README_IMAGE), { recursive: true });
  copyFileSync(shot, README_IMAGE);
  console.log(`    copied ${shot} (1280x${height}) to ${README_IMAGE}`);
});

test.run();
