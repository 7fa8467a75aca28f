// `rbus cluster` as a user runs it, its broker table read back by column name.
import * as assert from "uvu/assert";
import { runRbus } from "../harness/processes.js";

export type Row = Record<string, string>;

/** Runs `rbus cluster --nats <url>` and returns the broker rows ({GROUP, REPLICA, ROLE, TERM, …}). */
export async function clusterRows(url: string): Promise<Row[]> {
  const out = await runRbus(["cluster", "--nats", url]);
  assert.is(out.code, 0, out.stderr);
  return brokerTable(out.stdout);
}

export function brokerTable(stdout: string): Row[] {
  const lines = stdout.split("\n");
  const header = lines.findIndex((l) => l.startsWith("CLUSTER"));
  assert.ok(header >= 0, `no broker table in:\n${stdout}`);
  const names = lines[header]!.split(/\s{2,}/);
  const rows: Row[] = [];
  for (const line of lines.slice(header + 1)) {
    if (!line.trim() || line.startsWith("*")) break;
    const cells = line.split(/\s{2,}/);
    rows.push(Object.fromEntries(names.map((n, i) => [n, cells[i] ?? ""])));
  }
  return rows;
}

/** The live replicas of `group` that claim master. */
export const mastersOf = (rows: Row[], group: string) => rows.filter((r) => r.GROUP === group && r.ROLE === "master" && r.LIVENESS !== "dead");
