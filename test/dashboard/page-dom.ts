// The dashboard page as the browser test reads it: selectors for the DOM
// contract of docs (sections per node, an svg.machine per actor, g.state
// per state, lit ones data-active="true"), and waits with deadlines.
import type { Page } from "playwright-core";
import { waitUntil } from "../harness/wait.js";

export const section = (node: string) => `section.node[data-node="${node}"]`;
/** One actor's chart: by actor id ("liveness-broker-a.0") or, with `by: "machine"`, by machine id ("role"). */
export const chart = (node: string, id: string, by: "actor" | "machine" = "actor") => `${section(node)} svg.machine[data-${by}="${id}"]`;
export const litState = (chartSelector: string, state: string) => `${chartSelector} g.state[data-state="${state}"][data-active="true"]`;

/** The ids of a chart's lit states, outermost first as the page marks them. */
export async function litStates(page: Page, chartSelector: string): Promise<string[]> {
  const lit = page.locator(`${chartSelector} g.state[data-active="true"]`);
  const ids: string[] = [];
  for (const g of await lit.all()) ids.push((await g.getAttribute("data-state")) ?? "?");
  return ids;
}

/** How many states a chart draws. */
export const stateCount = (page: Page, chartSelector: string) => page.locator(`${chartSelector} g.state`).count();

/**
 * Waits until `state` is lit in the chart; the error names the chart and
 * what it shows instead, and the time it took is returned.
 */
export async function waitLit(page: Page, chartSelector: string, state: string, timeoutMs: number, since = Date.now()): Promise<number> {
  try {
    await page.waitForSelector(litState(chartSelector, state), { timeout: timeoutMs, state: "attached" });
  } catch {
    const now = await litStates(page, chartSelector).catch(() => ["(chart not found)"]);
    throw new Error(`${chartSelector} did not light "${state}" within ${timeoutMs} ms; lit: ${JSON.stringify(now)}`);
  }
  return Date.now() - since;
}

const TOP_ROLES = ["master", "slave", "candidate"];

/** The one top-level role a replica's role chart lights, waiting until exactly one of master/slave/candidate is lit. */
export function litRole(page: Page, node: string, timeoutMs = 5000): Promise<string> {
  const roleChart = chart(node, "role", "machine");
  return waitUntil(`${node}'s role chart lighting exactly one of ${TOP_ROLES.join("/")}`, async () => {
    const top = (await litStates(page, roleChart)).filter((s) => TOP_ROLES.includes(s));
    return top.length === 1 ? top[0] : undefined;
  }, { timeoutMs, intervalMs: 50 });
}

/** Shows one of the page's views (tabs) and waits until it is visible. */
export async function showView(page: Page, view: string): Promise<void> {
  await page.click(`nav [data-view="${view}"]`);
  await page.waitForSelector(`div.view[data-view="${view}"]`, { state: "visible", timeout: 5000 });
}
